/*
 * interactions.c - pmed.interactions_train (a set of interacting drug
 * pairs as a model) and pmed.ddi_rate (share of interacting pairs).
 *
 * Pairs are symmetric: (a, b) and (b, a) are the same pair; duplicates
 * merge; a self pair (a, a) is ignored and counted in model_info
 * ("self_pairs_ignored"); a row with a NULL drug is skipped and counted.
 */
#include "pmed.h"
#include "train_stats.h"

#include "core/interactions.h"

PG_FUNCTION_INFO_V1(ddi_rate);

static void
interactions_fit(const PmedTrainSet *data, PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	PmedInteractions d = {0};

	/* the columns belong to this fit: the core may sort them in place */
	pmed_ddi_build(&d, (int64_t *) data->id, (int64_t *) data->item, data->n_rows);
	d.rows_skipped = schema->rows_skipped;
	pmed_ddi_encode(&d, algo);
	pmed_json_kv_uint(meta, "pairs", d.n_pairs);
	pmed_json_kv_uint(meta, "self_pairs_ignored", d.self_pairs);
	pmed_json_kv_uint(meta, "duplicate_rows_merged", (uint64) data->n_rows - d.self_pairs - d.n_pairs);
	pmed_json_kv_bool(meta, "stores_training_rows", false);
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

static const char *const no_option_keys[] = {NULL};

const PmedFamily pmed_interactions_family = {
	.kind = PMED_KIND_INTERACTIONS,
	.name = "interactions",
	.option_keys = no_option_keys,
	.n_columns = 2,
	.columns = {PMED_COL_ID, PMED_COL_ITEM},
	.allow_empty = true,
	.null_detail = "drug",
	.fit = interactions_fit,
	.predict = NULL,
	.stats = &pmed_interactions_stats_ops,	/* the distinct pairs: train_stats.c */
};

PMED_TRAIN_AGGREGATE(interactions_train, pmed_interactions_family)
