/*
 * interactions.c - pmed.interactions_train (a set of interacting drug
 * pairs as a model) and pmed.ddi_rate (share of interacting pairs).
 *
 * Pairs are symmetric: (a, b) and (b, a) are the same pair; duplicates
 * merge; a self pair (a, a) is ignored and counted in model_info
 * ("self_pairs_ignored"); a row with a NULL drug is skipped and counted.
 */
#include "rec_state.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "core/interactions.h"

PG_FUNCTION_INFO_V1(interactions_train_transfn);
PG_FUNCTION_INFO_V1(interactions_train_finalfn);
PG_FUNCTION_INFO_V1(ddi_rate);

Datum
interactions_train_transfn(PG_FUNCTION_ARGS)
{
	RecState   *st = rec_state_get(fcinfo, PMED_KIND_INTERACTIONS, -1, NULL);
	MemoryContext aggcontext;
	MemoryContext old;
	uint64		rec[2];

	AggCheckCallContext(fcinfo, &aggcontext);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		st->skipped++;
		PG_RETURN_POINTER(st);
	}
	rec[0] = (uint64) PG_GETARG_INT64(1);
	rec[1] = (uint64) PG_GETARG_INT64(2);
	old = MemoryContextSwitchTo(aggcontext);
	rec_state_append(st, rec, 2);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

Datum
interactions_train_finalfn(PG_FUNCTION_ARGS)
{
	RecState   *st = PG_ARGISNULL(0) ? NULL : (RecState *) PG_GETARG_POINTER(0);
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext work;
	PmedInteractions d = {0};
	uint64	   *words;
	int64	   *a,
			   *b;
	PmedSchema	schema;
	PmedWriter	algo;
	char	   *meta;
	double		t0;
	bytea	   *result;

	if (st == NULL)
		PG_RETURN_NULL();
	work = AllocSetContextCreate(caller, "pmed interactions", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(work);
	t0 = pmed_now_seconds();
	words = rec_state_flatten(st);
	a = palloc_extended(sizeof(int64) * Max(st->n, 1), MCXT_ALLOC_HUGE);
	b = palloc_extended(sizeof(int64) * Max(st->n, 1), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < st->n; i++)
	{
		a[i] = (int64) words[2 * i];
		b[i] = (int64) words[2 * i + 1];
	}
	pmed_ddi_build(&d, a, b, st->n);
	d.rows_skipped = st->skipped;
	pmed_writer_init(&algo);
	pmed_ddi_encode(&d, &algo);
	rec_schema_init(&schema, st, 0);
	schema.train_seconds = pmed_now_seconds() - t0;
	meta = psprintf("{\"pairs\": " UINT64_FORMAT ", \"self_pairs_ignored\": " UINT64_FORMAT
					", \"duplicate_rows_merged\": " UINT64_FORMAT ", \"stores_training_rows\": false}",
					d.n_pairs, d.self_pairs, (uint64) st->n - d.self_pairs - d.n_pairs);
	MemoryContextSwitchTo(caller);
	result = rec_model_bytea(PMED_KIND_INTERACTIONS, &schema, meta, &algo);
	MemoryContextDelete(work);
	PG_RETURN_BYTEA_P(result);
}

/* Non-NULL elements of a bigint[] (palloc'd); *n gets their count. */
int64 *
pmed_bigint_array(ArrayType *arr, size_t *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int			count;
	int64	   *out;
	size_t		m = 0;

	if (ARR_ELEMTYPE(arr) != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("drug and item lists must be bigint arrays")));
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &count);
	out = palloc(sizeof(int64) * Max(count, 1));
	for (int i = 0; i < count; i++)
		if (!nulls[i])
			out[m++] = DatumGetInt64(elems[i]);
	*n = m;
	return out;
}

Datum
ddi_rate(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	const PmedModel *m = pmed_cached_model(fcinfo, 1);
	size_t		n;
	int64	   *drugs;

	if (m->kind != PMED_KIND_INTERACTIONS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("interactions must be a model from pmed.interactions_train, not a %s model",
						pmed_kind_name(m->kind))));
	drugs = pmed_bigint_array(arr, &n);
	PG_RETURN_FLOAT8(pmed_ddi_rate(m->algo, drugs, n));
}

static void *
interactions_decode(PmedReader *algo, const PmedSchema *schema, PmedError *err)
{
	if (schema->task != PMED_TASK_RECOMMENDATION || schema->n_features != 0)
	{
		pmed_reader_fail(algo, "interactions model with a wrong schema");
		return NULL;
	}
	return pmed_ddi_decode(algo, err);
}

static const char *const no_option_keys[] = {NULL};

const PmedFamily pmed_interactions_family = {
	.kind = PMED_KIND_INTERACTIONS,
	.name = "interactions",
	.option_keys = no_option_keys,
	.decode = interactions_decode,
	.predict = NULL,
};
