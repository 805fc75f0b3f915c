/*
 * encoding.h - features given as a row of named values (a jsonb object or a
 * composite row) instead of a float8[]: the raw-row store a training
 * aggregate fills, the column schema learned from it, and the dense
 * encoding that schema defines for training and for scoring.
 *
 * Input columns and their kinds
 *   number    integer, float and numeric values; JSON numbers       1 column
 *   boolean   false = 0, true = 1                                    1 column
 *   date      days since 1970-01-01 00:00 UTC (fraction = time of
 *             day); SQL date/timestamp/timestamptz, or strings in
 *             ISO 8601 form as to_jsonb writes them (a string column
 *             every value of which is such a date becomes a date)    1 column
 *   category  strings (text, varchar, enum): one level each          see mode
 *   codes     lists of strings (text[], bigint[] as text): a set     multi-hot
 *
 * Levels and codes seen in fewer than min_category_count training rows
 * (default 10) are not stored: they pool into one "other" level, and so
 * does any level unseen at scoring.  Levels are ordered bytewise and input
 * columns are numbered in bytewise order of their names, so the schema
 * depends only on the multiset of rows, never on their order or the plan.
 *
 * Dense layout of one input column (first, width in PmedEncColumn):
 *   number, boolean, date: 1 column, NAN when missing.
 *   category, ONEHOT mode (SVM, baseline): levels then "other", one-hot;
 *     all NAN when missing (the SVM imputes each column's mean).
 *   category, NATIVE mode (forests): 1 column holding the level index
 *     (0 .. n_levels-1, n_levels = other), NAN when missing; the forest
 *     splits it by a subset of levels (forest_categorical.h).
 *   codes (both modes): vocabulary then "other", multi-hot (1 when the list
 *     holds the code; "other" is 1 when it holds any pooled or unseen
 *     code); all NAN when the list is NULL, all 0 when it is empty.
 *   a column that never had a value in training: width 0 (ignored).
 *
 * Nothing here includes postgres.h.
 */
#ifndef PMED_ENCODING_H
#define PMED_ENCODING_H

#include "codec.h"
#include "model.h"

#define PMED_TAG_ENCODING		PMED_TAG('E', 'N', 'C', 'D')
#define PMED_ENC_FORMAT			1

#define PMED_ENC_MAX_NAME_BYTES		1024	/* a feature name */
#define PMED_ENC_MAX_LEVEL_BYTES	1024	/* a category level or a code */
#define PMED_ENC_MAX_COLUMNS		PMED_MAX_FEATURES	/* input columns */
#define PMED_ENC_MAX_DENSE			PMED_MAX_FEATURES	/* encoded columns */
#define PMED_ENC_MAX_CODES			100000	/* elements of one code list */
#define PMED_ENC_DEFAULT_MIN_COUNT	10
/* NATIVE categories: level indices and "other" must fit the forest's bins. */
#define PMED_ENC_NATIVE_MAX_LEVELS	254

/* ---- raw values, as the glue hands them over ---- */

typedef enum PmedValueKind
{
	PMED_VALUE_NULL = 0,		/* SQL NULL, JSON null: missing */
	PMED_VALUE_NUMBER = 1,
	PMED_VALUE_BOOL = 2,
	PMED_VALUE_STRING = 3,
	PMED_VALUE_CODES = 4,
	PMED_VALUE_DATE = 5			/* days since 1970-01-01 UTC */
} PmedValueKind;

/* Bytes that need not be NUL-terminated (jsonb strings are not). */
typedef struct PmedText
{
	const char *s;
	uint32_t	len;
} PmedText;

typedef struct PmedRawValue
{
	PmedText	name;
	uint8_t		kind;			/* PmedValueKind */
	double		number;			/* NUMBER, BOOL (0 or 1), DATE */
	PmedText	str;			/* STRING */
	const PmedText *codes;		/* CODES: n_codes strings (duplicates allowed) */
	uint32_t	n_codes;
} PmedRawValue;

/* ---- the training row store ---- */

/*
 * Rows are kept compactly: names and strings are interned once (per column)
 * and a row is a byte run of cells "varint column, kind byte, payload"
 * (number/date: 8 bytes; boolean: 1 byte; string: varint id; codes: varint
 * count then varint ids).  A NULL value stores no cell.  Labels are not
 * here: row i of the store is row i of whatever holds the labels.
 *
 * A store allocates through the core hooks whenever it grows: in
 * PostgreSQL, call every function that changes it (add, merge, read) with
 * the aggregate's memory context current, never a per-row context.
 */
typedef struct PmedRowStore PmedRowStore;

PmedRowStore *pmed_rowstore_new(void);
void		pmed_rowstore_free(PmedRowStore *rs);
int64_t		pmed_rowstore_rows(const PmedRowStore *rs);
/* Bytes held, for the training-memory limit. */
size_t		pmed_rowstore_bytes(const PmedRowStore *rs);

/*
 * Append one row.  Errors (no row is appended then, though a new name may
 * stay registered as a column without values): NaN or infinite
 * numbers, a column whose kind differs from earlier rows, the same name
 * twice in a row (PMED_ERR_INVALID, naming the column); a name or a string
 * over its byte limit, too many columns, a code list over
 * PMED_ENC_MAX_CODES, a store over PMED_MAX_MODEL_BYTES (PMED_ERR_LIMIT).
 */
PmedStatus	pmed_rowstore_add(PmedRowStore *rs, const PmedRawValue *values, int n,
							  PmedError *err);

/* Append every row of src to dst (a parallel worker's partial state). */
PmedStatus	pmed_rowstore_merge(PmedRowStore *dst, const PmedRowStore *src, PmedError *err);

/*
 * Serialize for a partial aggregate state; read validates every byte
 * (lengths, ids, kinds, finiteness, duplicate names) and consumes r.
 */
void		pmed_rowstore_write(PmedWriter *w, const PmedRowStore *rs);
PmedRowStore *pmed_rowstore_read(PmedReader *r);

/* ---- the learned schema ---- */

typedef enum PmedColumnKind
{
	PMED_COL_EMPTY = 0,			/* no value in any training row: ignored */
	PMED_COL_NUMBER = 1,
	PMED_COL_BOOL = 2,
	PMED_COL_CATEGORY = 3,
	PMED_COL_CODES = 4,
	PMED_COL_DATE = 5,
	PMED_COL_MAX = 5
} PmedColumnKind;

typedef enum PmedEncodingMode
{
	PMED_ENC_ONEHOT = 1,		/* categories one-hot (SVM, baseline) */
	PMED_ENC_NATIVE = 2			/* categories as a level index (forest) */
} PmedEncodingMode;

typedef struct PmedEncodeParams
{
	uint32_t	min_category_count; /* >= 1; PMED_ENC_DEFAULT_MIN_COUNT */
	uint8_t		mode;			/* PmedEncodingMode */
	/*
	 * Most levels a category keeps (0 = no cap); the most frequent win, ties
	 * bytewise.  NATIVE mode caps at PMED_ENC_NATIVE_MAX_LEVELS anyway.
	 */
	uint32_t	max_levels;
} PmedEncodeParams;

typedef struct PmedEncColumn
{
	char	   *name;
	uint8_t		kind;			/* PmedColumnKind */
	uint8_t		from_strings;	/* date learned from ISO 8601 strings */
	uint32_t	n_levels;		/* category levels / code vocabulary kept */
	char	  **levels;			/* bytewise ascending */
	uint64_t   *level_counts;	/* training rows with the level (>= min count) */
	uint64_t	other_count;	/* rows with a pooled level (codes: >= 1 pooled code) */
	uint32_t	n_pooled;		/* distinct levels pooled into other */
	uint64_t	missing_count;	/* rows where the value was NULL or absent */
	/* derived, not stored */
	uint32_t	first;			/* first dense column */
	uint32_t	width;			/* dense columns */
} PmedEncColumn;

typedef struct PmedEncoding
{
	uint8_t		mode;			/* PmedEncodingMode */
	uint32_t	min_category_count;
	uint64_t	n_rows;			/* training rows the schema was learned from */
	uint32_t	n_columns;
	PmedEncColumn *columns;		/* bytewise ascending names */
	uint32_t	n_dense;
} PmedEncoding;

/*
 * Learn the schema from every row of the store.  PMED_ERR_LIMIT when the
 * dense width exceeds PMED_ENC_MAX_DENSE.
 */
PmedStatus	pmed_encoding_learn(const PmedRowStore *rs, const PmedEncodeParams *params,
								PmedEncoding **out, PmedError *err);

/*
 * Encode the store's rows first .. first + n - 1 into x (n * n_dense
 * doubles, row-major, NAN = missing) with a schema learned from that store.
 */
PmedStatus	pmed_encoding_encode_store(const PmedEncoding *enc, const PmedRowStore *rs,
									   int64_t first, int64_t n, double *x, PmedError *err);

/* What happened to one input column when a row was encoded for scoring. */
typedef enum PmedValueStatus
{
	PMED_VS_ABSENT = 0,			/* no key / attribute of that name */
	PMED_VS_MISSING = 1,		/* NULL */
	PMED_VS_OK = 2,
	PMED_VS_OTHER = 3			/* a level or a code pooled or never seen: "other" */
} PmedValueStatus;

typedef struct PmedEncodeStats
{
	uint64_t	other_values;	/* categories (or codes) that fell into "other" */
	uint64_t	missing_values; /* model columns NULL or absent */
	uint64_t	unknown_names;	/* input names the model does not know: ignored */
} PmedEncodeStats;

/*
 * Encode one row for scoring into out (n_dense doubles).  Names the model
 * does not know are ignored (counted in stats->unknown_names); a value of
 * the wrong kind for its column is PMED_ERR_INVALID naming the column (an
 * ISO 8601 string is accepted for a date column).  stats (added to) and
 * status (n_columns entries, PmedValueStatus) may be NULL.
 */
PmedStatus	pmed_encoding_encode_row(const PmedEncoding *enc, const PmedRawValue *values, int n,
									 double *out, PmedEncodeStats *stats, uint8_t *status,
									 PmedError *err);

/*
 * For explain's value column: value_of[i] = index in values of input column
 * i's value, or -1 when the row has no such name (n_columns entries).
 */
void		pmed_encoding_match(const PmedEncoding *enc, const PmedRawValue *values, int n,
								int32_t *value_of);

/* Index of the input column named name, or -1. */
int			pmed_encoding_find(const PmedEncoding *enc, PmedText name);

/* Input column that dense column j belongs to. */
uint32_t	pmed_encoding_column_of(const PmedEncoding *enc, uint32_t j);

/* Sum dense per-column values (SHAP values, importances) per input column. */
void		pmed_encoding_sum_by_column(const PmedEncoding *enc, const double *dense,
										double *per_column);

/*
 * Name of dense column j: "name" for a single column, "name=level" for a
 * one-hot or multi-hot part, "name=(other)" for the other part.  Allocated.
 */
char	   *pmed_encoding_dense_name(const PmedEncoding *enc, uint32_t j);

/* "number", "boolean", "date", "category", "codes", "empty". */
const char *pmed_column_kind_name(int kind);

/* The section body (caller writes the tag with pmed_begin_section). */
void		pmed_encoding_write(PmedWriter *w, const PmedEncoding *enc);
/* Decode and validate a section body; consumes r; NULL when corrupt. */
PmedEncoding *pmed_encoding_read(PmedReader *r);
void		pmed_encoding_free(PmedEncoding *enc);

/*
 * Parse an ISO 8601 date or timestamp as to_jsonb writes them
 * ("2020-03-01", "2020-03-01T12:30:00", "...T12:30:00.25+01:00", "...Z")
 * into days since 1970-01-01 UTC (a timestamp without offset is UTC).
 */
bool		pmed_parse_iso_date(const char *s, size_t len, double *days);

#endif
