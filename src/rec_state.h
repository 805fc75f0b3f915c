/*
 * rec_state.h - the aggregate state of the recommender training aggregates
 * (cf_train, content_train, interactions_train): fixed-width records of
 * 8-byte words in a chunked store in the aggregate context, with combine,
 * serialize and deserialize shared by all three (pmed.rec_combinefn, ...).
 */
#ifndef PMED_REC_STATE_H
#define PMED_REC_STATE_H

#include "pmed.h"

#include "utils/array.h"

#define REC_WORDS_PER_CHUNK		8192

typedef struct RecChunk
{
	struct RecChunk *next;
	int			n;				/* records used */
	uint64	   *w;				/* capacity: REC_WORDS_PER_CHUNK / width records */
} RecChunk;

typedef struct RecState
{
	int			kind;			/* PMED_KIND_CF, _CONTENT or _INTERACTIONS */
	int			width;			/* words per record; 0 until the first record */
	int64		n;				/* records */
	int64		skipped;		/* rows with a NULL input */
	char	   *options_json;	/* first row's options, as text, or NULL */
	RecChunk   *head;
	RecChunk   *tail;
} RecState;

/*
 * The state of the current aggregate call (created on the first row, in the
 * aggregate context, with the options at argument options_arg if present).
 */
extern RecState *rec_state_get(FunctionCallInfo fcinfo, int kind, int options_arg,
							   void (*validate) (Jsonb *options));
/* Append one record (width words); sets the width on the first one. */
extern void rec_state_append(RecState *st, const uint64 *rec, int width);
/* All records in one array (current context, huge allocation allowed). */
extern uint64 *rec_state_flatten(const RecState *st);
/* The stored options as jsonb (NULL when none). */
extern Jsonb *rec_state_options(const RecState *st);
/* The schema every recommender model carries. */
extern void rec_schema_init(PmedSchema *s, const RecState *st, uint32 n_features);
/* Encode a model and return it as bytea; errors via pmed_report. */
extern bytea *rec_model_bytea(PmedModelKind kind, const PmedSchema *s, const char *meta,
							  const PmedWriter *algo);

/* Non-NULL elements of a bigint[] (palloc'd); *n gets their count. */
extern int64 *pmed_bigint_array(ArrayType *arr, size_t *n);

/* Final functions, also called by pmed.recommender_from_partials. */
extern Datum cf_train_finalfn(PG_FUNCTION_ARGS);
extern Datum content_train_finalfn(PG_FUNCTION_ARGS);
extern Datum interactions_train_finalfn(PG_FUNCTION_ARGS);

#endif
