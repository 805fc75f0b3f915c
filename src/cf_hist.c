/*
 * cf_hist.c - pmed.cf_train(items bigint[], weights float8[] [, options]):
 * item-kNN from per-patient histories, with a state of item and
 * co-occurrence pair statistics instead of (patient, item) rows
 * (core/cf_stats.c).  Each input row must be one patient's complete
 * history:
 *
 *   SELECT pmed.cf_train(items, weights)
 *   FROM (SELECT patient, array_agg(item) AS items, array_agg(weight) AS weights
 *         FROM rx GROUP BY patient) h;
 *
 * Then the model equals pmed.cf_train(patient, item, weight) with
 * store_patients false over the same rows (the state never holds a patient
 * id, so store_patients true is refused).  A history split over two input
 * rows counts as two patients: its cross pairs are lost.
 */
#include "pmed.h"
#include "train_stats.h"

#include <limits.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

#include "core/cf_stats.h"

/* cf's options, except the cross-validated search (it needs the rows) */
static const char *const cf_hist_option_keys[] = {
	"method", "neighbors", "shrinkage", "min_support", "store_patients", "seed", NULL
};

/* The serialized form of PmedCfParams: as cf.c's (the same struct). */
static const PmedParamField cf_hist_param_fields[] = {
	PMED_PARAM(INT, PmedCfParams, method, PMED_CF_ITEM_KNN, PMED_CF_ITEM_KNN),
	PMED_PARAM(INT, PmedCfParams, neighbors, 1, PMED_CF_MAX_NEIGHBORS),
	PMED_PARAM(DOUBLE, PmedCfParams, shrinkage, 0, 1e12),
	PMED_PARAM(INT, PmedCfParams, min_support, 1, INT_MAX),
	PMED_PARAM(INT, PmedCfParams, factors, 1, PMED_CF_MAX_FACTORS),
	PMED_PARAM(INT, PmedCfParams, iterations, 1, 1000),
	PMED_PARAM(DOUBLE, PmedCfParams, regularization, 1e-12, 1e12),
	PMED_PARAM(DOUBLE, PmedCfParams, alpha, 0, 1e12),
	PMED_PARAM(BOOL, PmedCfParams, explicit_feedback, 0, 0),
	PMED_PARAM(BOOL, PmedCfParams, store_patients, 0, 0),
};

static void
cf_hist_parse_params(Jsonb *options, const PmedCommonParams *common, void *params)
{
	PmedCfParams *p = params;

	/* cf's own parser reads and checks every option */
	pmed_cf_family.parse_params(options, common, params);
	if (p->method != PMED_CF_ITEM_KNN)
		pmed_option_error("method", "Histories train item_knn models only; use pmed.cf_train(patient, item, weight, options) for als.");
	if (pmed_option_present(options, "store_patients") && p->store_patients)
		pmed_option_error("store_patients",
						  "A model trained from histories stores no patients: the statistics carry no patient ids.");
	p->store_patients = false;
}

/* Never called: the statistics hooks fit this family. */
static void
cf_hist_rows_fit(const PmedTrainSet *data, PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	elog(ERROR, "cf histories train from statistics only");
}

/* ---- statistics hooks ---- */

static bool
cf_hist_wanted(FunctionCallInfo fcinfo, Jsonb *options, bool named_features)
{
	return true;
}

static void *
cf_hist_create(void)
{
	PmedCfStats *s = palloc(sizeof(PmedCfStats));

	pmed_cf_stats_init(s);
	return s;
}

static int64
cf_hist_add(void *stats, FunctionCallInfo fcinfo, MemoryContext aggcontext, const PmedStatsInfo *info)
{
	ArrayType  *items_arr = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *w_arr = PG_NARGS() > 2 && !PG_ARGISNULL(2) ?
		PG_GETARG_ARRAYTYPE_P(2) : NULL;	/* every signature's 2nd column is float8[] */
	Datum	   *ie,
			   *we = NULL;
	bool	   *in,
			   *wn = NULL;
	int			n,
				nw = 0;
	int64	   *items;
	double	   *w = NULL;
	size_t		m = 0;
	PmedError	err = {0};
	PmedStatus	status;
	MemoryContext old;

	deconstruct_array(items_arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &ie, &in, &n);
	if (w_arr)
	{
		deconstruct_array(w_arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &we, &wn, &nw);
		if (nw != n)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("items and weights must have the same length"),
					 errdetail("This history has %d items and %d weights.", n, nw)));
	}
	items = palloc(sizeof(int64) * Max(n, 1));
	if (w_arr)
		w = palloc(sizeof(double) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		/* a NULL item or weight skips that element, as a NULL skips a row */
		if (in[i] || (wn && wn[i]))
		{
			(*info->rows_skipped)++;
			continue;
		}
		items[m] = DatumGetInt64(ie[i]);
		if (w)
		{
			w[m] = DatumGetFloat8(we[i]);
			if (!(w[m] >= 0) || isinf(w[m]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid weight %g for item " INT64_FORMAT, w[m], items[m]),
						 errdetail("Weights must be finite and not negative.")));
		}
		m++;
	}
	old = MemoryContextSwitchTo(aggcontext);
	status = pmed_cf_stats_add_history(stats, (const int64_t *) items, w, m, &err);
	MemoryContextSwitchTo(old);
	if (status != PMED_OK)
		pmed_report(&err);
	return (int64) m;
}

static void
cf_hist_merge(void *dst, const void *src, const PmedStatsInfo *info)
{
	PmedError	err = {0};

	if (pmed_cf_stats_merge(dst, src, &err) != PMED_OK)
		pmed_report(&err);
}

static void
cf_hist_write(PmedWriter *w, void *stats)
{
	pmed_cf_stats_write(w, stats);
}

static void *
cf_hist_read(PmedReader *r, const PmedStatsInfo *info)
{
	PmedCfStats *s = palloc(sizeof(PmedCfStats));

	if (!pmed_cf_stats_read(r, s))
		return NULL;
	/* rows counted = (item, weight) elements, duplicates included */
	if (s->interactions > info->n_rows || (s->interactions == 0) != (info->n_rows == 0))
		return pmed_reader_fail(r, "statistics do not count the state's rows"), NULL;
	return s;
}

static void
cf_hist_fit(void *stats, const PmedTrainSet *set, PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	PmedCfStats *s = stats;
	PmedCfParams p = *(const PmedCfParams *) set->params;
	PmedCfModel *m;
	PmedError	err = {0};

	p.seed = set->common->seed;
	if (pmed_cf_fit_stats(s, &p, &m, &err) != PMED_OK)
		pmed_report(&err);
	pmed_cf_encode(m, algo);
	/* the members cf_train(patient, item, weight) writes, in its order */
	pmed_json_kv_string(meta, "method", "item_knn");
	pmed_json_kv_uint(meta, "patients", (uint64) s->histories);
	pmed_json_kv_uint(meta, "items", m->n_items);
	pmed_json_kv_uint(meta, "interactions", m->interactions);
	pmed_json_kv_int(meta, "duplicate_rows_merged", set->n_rows - s->interactions);
	pmed_json_kv_bool(meta, "stores_training_rows", false);
	pmed_json_kv_null(meta, "factors");
	pmed_json_kv_int(meta, "neighbors", p.neighbors);
	pmed_json_kv_number(meta, "shrinkage", p.shrinkage);
	pmed_json_kv_int(meta, "min_support", p.min_support);
	pmed_json_kv_uint(meta, "min_support_used", m->min_support_used);
	pmed_json_kv_uint(meta, "neighbour_pairs", m->nbr_ptr[m->n_items]);
}

static const PmedStatsOps cf_hist_stats_ops = {
	.wanted = cf_hist_wanted,
	.create = cf_hist_create,
	.add = cf_hist_add,
	.merge = cf_hist_merge,
	.write = cf_hist_write,
	.read = cf_hist_read,
	.fit = cf_hist_fit,
};

const PmedFamily pmed_cf_hist_family = {
	.kind = PMED_KIND_CF,
	.name = "cf",
	.option_keys = cf_hist_option_keys,
	.classification = false,
	.regression = false,
	.n_columns = 2,
	.columns = {PMED_COL_ITEM, PMED_COL_WEIGHT},
	.null_detail = "item list or weight list",
	.params_size = sizeof(PmedCfParams),
	.n_param_fields = lengthof(cf_hist_param_fields),
	.param_fields = cf_hist_param_fields,
	.parse_params = cf_hist_parse_params,
	.fit = cf_hist_rows_fit,
	.predict = NULL,
	.stats = &cf_hist_stats_ops,
};

PMED_TRAIN_AGGREGATE(cf_hist_train, pmed_cf_hist_family)
