/*
 * content.c - pmed.content_train(item bigint, features float8[] [, options]):
 * item profiles for content-based recommendation (see core/content.h).
 * Options: "standardize" (default false) scales every feature to mean 0,
 * sd 1 over the items before the L2 normalisation; "feature_names".
 * A NULL item or NULL array skips the row (counted); NULL, NaN or infinite
 * elements and a repeated item are errors (22023).
 */
#include "rec_state.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "core/content.h"

PG_FUNCTION_INFO_V1(content_train_transfn);
PG_FUNCTION_INFO_V1(content_train_finalfn);

static const char *const content_option_keys[] = {"standardize", "feature_names", NULL};

static void
content_validate(Jsonb *options)
{
	int			n;

	pmed_options_check_keys(options, content_option_keys, "content");
	(void) pmed_option_bool(options, "standardize", false);
	(void) pmed_option_text_array(options, "feature_names", &n);
}

Datum
content_train_transfn(PG_FUNCTION_ARGS)
{
	RecState   *st = rec_state_get(fcinfo, PMED_KIND_CONTENT, 3, content_validate);
	MemoryContext aggcontext;
	MemoryContext old;
	ArrayType  *arr;
	int			d;
	uint64	   *rec;
	double	   *src;

	AggCheckCallContext(fcinfo, &aggcontext);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		st->skipped++;
		PG_RETURN_POINTER(st);
	}
	arr = PG_GETARG_ARRAYTYPE_P(2);
	d = pmed_feature_array_length(arr);
	if (d > PMED_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many features: %d", d)));
	if (ARR_HASNULL(arr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("item features must not contain NULL"),
				 errdetail("Item " INT64_FORMAT " has a NULL feature.", PG_GETARG_INT64(1))));
	src = (double *) ARR_DATA_PTR(arr);
	rec = palloc(sizeof(uint64) * (d + 1));
	rec[0] = (uint64) PG_GETARG_INT64(1);
	for (int j = 0; j < d; j++)
	{
		if (!isfinite(src[j]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature %d of item " INT64_FORMAT " is %s", j + 1,
							PG_GETARG_INT64(1), isnan(src[j]) ? "NaN" : "infinite")));
		memcpy(&rec[j + 1], &src[j], 8);
	}
	old = MemoryContextSwitchTo(aggcontext);
	rec_state_append(st, rec, d + 1);
	MemoryContextSwitchTo(old);
	pfree(rec);
	PG_RETURN_POINTER(st);
}

Datum
content_train_finalfn(PG_FUNCTION_ARGS)
{
	RecState   *st = PG_ARGISNULL(0) ? NULL : (RecState *) PG_GETARG_POINTER(0);
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext work;
	Jsonb	   *options;
	PmedContentModel *m;
	PmedError	err = {0};
	uint64	   *words;
	int64	   *ids;
	double	   *x;
	int			d;
	bool		standardize;
	PmedSchema	schema;
	PmedWriter	algo;
	char	   *meta;
	double		t0;
	bytea	   *result;
	char	  **names;
	int			n_names;

	if (st == NULL)
		PG_RETURN_NULL();
	if (st->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no rows to train on"),
				 errdetail("All %lld input rows had a NULL item or a NULL feature array.",
						   (long long) st->skipped)));
	work = AllocSetContextCreate(caller, "pmed content training", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(work);
	options = rec_state_options(st);
	standardize = pmed_option_bool(options, "standardize", false);
	d = st->width - 1;
	t0 = pmed_now_seconds();
	words = rec_state_flatten(st);
	ids = palloc_extended(sizeof(int64) * st->n, MCXT_ALLOC_HUGE);
	x = palloc_extended(sizeof(double) * st->n * d, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < st->n; i++)
	{
		ids[i] = (int64) words[i * st->width];
		memcpy(x + i * d, words + i * st->width + 1, sizeof(double) * d);
	}
	if (pmed_content_fit(ids, x, st->n, d, standardize, &m, &err) != PMED_OK)
		pmed_report(&err);
	pmed_writer_init(&algo);
	pmed_content_encode(m, &algo);
	rec_schema_init(&schema, st, d);
	names = pmed_option_text_array(options, "feature_names", &n_names);
	if (names != NULL)
	{
		if (n_names != d)
			pmed_option_error("feature_names",
							  psprintf("It names %d features but the rows have %d.", n_names, d));
		schema.feature_names = names;
	}
	schema.train_seconds = pmed_now_seconds() - t0;
	meta = psprintf("{\"options\": %s, \"method\": \"content\", \"items\": %u, \"standardize\": %s, "
					"\"stores_training_rows\": false}",
					st->options_json ? st->options_json : "{}", m->n_items,
					standardize ? "true" : "false");
	MemoryContextSwitchTo(caller);
	result = rec_model_bytea(PMED_KIND_CONTENT, &schema, meta, &algo);
	MemoryContextDelete(work);
	PG_RETURN_BYTEA_P(result);
}

static void *
content_decode(PmedReader *algo, const PmedSchema *schema, PmedError *err)
{
	PmedContentModel *m;

	if (schema->task != PMED_TASK_RECOMMENDATION)
	{
		pmed_reader_fail(algo, "content model with a non-recommendation schema");
		return NULL;
	}
	m = pmed_content_decode(algo, err);
	if (m != NULL && m->n_features != schema->n_features)
	{
		pmed_reader_fail(algo, "content feature count does not match the schema");
		return NULL;
	}
	return m;
}

const PmedFamily pmed_content_family = {
	.kind = PMED_KIND_CONTENT,
	.name = "content",
	.option_keys = content_option_keys,
	.validate_options = content_validate,
	.decode = content_decode,
	.predict = NULL,
};
