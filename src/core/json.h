/*
 * json.h - a small JSON writer: model metadata and model_info are built with
 * it, never by splicing strings.  Strings are escaped, non-finite numbers
 * become null, and a key written twice in one object is an error (reported
 * by pmed_json_finish), so no document pmed writes has duplicate keys.
 */
#ifndef PMED_JSON_H
#define PMED_JSON_H

#include "pmed_core.h"

#define PMED_JSON_MAX_DEPTH 16

typedef struct PmedJsonLevel
{
	bool		object;			/* object (keys) or array */
	int			count;			/* members or elements written */
	int			n_keys;
	int			cap_keys;
	char	  **keys;			/* keys of this object, for the duplicate check */
} PmedJsonLevel;

typedef struct PmedJson
{
	char	   *buf;			/* NUL-terminated */
	size_t		len;
	size_t		cap;
	int			depth;
	bool		after_key;		/* a key was written, its value is next */
	PmedJsonLevel level[PMED_JSON_MAX_DEPTH];
	char		failure[128];	/* first misuse (duplicate key, ...), or empty */
} PmedJson;

void		pmed_json_init(PmedJson *j);
void		pmed_json_begin_object(PmedJson *j);
void		pmed_json_end_object(PmedJson *j);
void		pmed_json_begin_array(PmedJson *j);
void		pmed_json_end_array(PmedJson *j);
/* The key of the next value (inside an object only). */
void		pmed_json_key(PmedJson *j, const char *key);

void		pmed_json_string(PmedJson *j, const char *s); /* NULL writes null */
/* Shortest text that reads back as the same double; NaN and infinities: null. */
void		pmed_json_number(PmedJson *j, double v);
/* A number rounded to a fixed count of decimals (timings, means). */
void		pmed_json_fixed(PmedJson *j, double v, int decimals);
void		pmed_json_int(PmedJson *j, int64_t v);
void		pmed_json_uint(PmedJson *j, uint64_t v);
void		pmed_json_bool(PmedJson *j, bool v);
void		pmed_json_null(PmedJson *j);
/* A value that is already a valid JSON text (the caller has checked it). */
void		pmed_json_raw(PmedJson *j, const char *json);

/* key + value in one call */
void		pmed_json_kv_string(PmedJson *j, const char *key, const char *s);
void		pmed_json_kv_number(PmedJson *j, const char *key, double v);
void		pmed_json_kv_int(PmedJson *j, const char *key, int64_t v);
void		pmed_json_kv_uint(PmedJson *j, const char *key, uint64_t v);
void		pmed_json_kv_bool(PmedJson *j, const char *key, bool v);
void		pmed_json_kv_null(PmedJson *j, const char *key);
void		pmed_json_kv_strings(PmedJson *j, const char *key, char *const *v, size_t n);

/*
 * Copy the members of a JSON object text (e.g. stored model metadata) into
 * the object being written, checking its syntax.  A key already in the
 * object is left out when skip_duplicates, else it is an error.
 * PMED_ERR_CORRUPT when the text is not a valid JSON object (or repeats a key).
 */
PmedStatus	pmed_json_members(PmedJson *j, const char *object_text, bool skip_duplicates,
							  PmedError *err);

/* Check the document is complete and had no misuse (duplicate key ...). */
PmedStatus	pmed_json_finish(PmedJson *j, PmedError *err);
void		pmed_json_free(PmedJson *j);

#endif
