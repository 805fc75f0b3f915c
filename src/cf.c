/*
 * cf.c - pmed.cf_train: the collaborative-filtering model family (item_knn
 * or ALS) on (patient, item, weight) rows.  The training state and its
 * partial-state functions are the shared ones of train_state.c.
 */
#include "pmed.h"

#include <limits.h>
#include <math.h>

#include "core/cf.h"

static const char *const cf_option_keys[] = {
	"method", "neighbors", "shrinkage", "min_support", "factors", "iterations",
	"regularization", "alpha", "feedback", "store_patients", "seed",
	"search", "cv", "metric", "k", NULL
};
static const char *const cf_methods[] = {"item_knn", "als", NULL};
static const char *const cf_feedback[] = {"implicit", "explicit", NULL};

/* Read (and so validate) every option. */
static void
cf_parse_params(Jsonb *options, const PmedCommonParams *common, void *params)
{
	PmedCfParams *p = params;
	const char *method,
			   *feedback;

	pmed_cf_default_params(p);
	method = pmed_option_choice(options, "method", "item_knn", cf_methods);
	p->method = strcmp(method, "als") == 0 ? PMED_CF_ALS : PMED_CF_ITEM_KNN;
	p->neighbors = pmed_option_int(options, "neighbors", p->neighbors, 1, PMED_CF_MAX_NEIGHBORS);
	p->shrinkage = pmed_option_number(options, "shrinkage", p->shrinkage, 0, 1e12);
	p->min_support = pmed_option_int(options, "min_support", p->min_support, 1, INT_MAX);
	p->factors = pmed_option_int(options, "factors", p->factors, 1, PMED_CF_MAX_FACTORS);
	p->iterations = pmed_option_int(options, "iterations", p->iterations, 1, 1000);
	p->regularization = pmed_option_number(options, "regularization", p->regularization, 1e-12, 1e12);
	p->alpha = pmed_option_number(options, "alpha", p->alpha, 0, 1e12);
	feedback = pmed_option_choice(options, "feedback", "implicit", cf_feedback);
	p->explicit_feedback = strcmp(feedback, "explicit") == 0;
	p->store_patients = pmed_option_bool(options, "store_patients", true);
	p->seed = common->seed;
	if (p->method == PMED_CF_ITEM_KNN)
	{
		static const char *const als_only[] = {"factors", "iterations", "regularization", "alpha", "feedback", NULL};

		for (const char *const *k = als_only; *k; k++)
			if (pmed_option_present(options, *k))
				pmed_option_error(*k, "This option applies to method \"als\" only.");
	}
	else
	{
		static const char *const knn_only[] = {"neighbors", "shrinkage", "min_support", NULL};

		for (const char *const *k = knn_only; *k; k++)
			if (pmed_option_present(options, *k))
				pmed_option_error(*k, "This option applies to method \"item_knn\" only.");
	}
}

/* The serialized form of PmedCfParams (the seed is a common option). */
static const PmedParamField cf_param_fields[] = {
	PMED_PARAM(INT, PmedCfParams, method, PMED_CF_ITEM_KNN, PMED_CF_ALS),
	PMED_PARAM(INT, PmedCfParams, neighbors, 1, PMED_CF_MAX_NEIGHBORS),
	PMED_PARAM(DOUBLE, PmedCfParams, shrinkage, 0, 1e12),
	PMED_PARAM(INT, PmedCfParams, min_support, 1, INT_MAX),
	PMED_PARAM(INT, PmedCfParams, factors, 1, PMED_CF_MAX_FACTORS),
	PMED_PARAM(INT, PmedCfParams, iterations, 1, 1000),
	PMED_PARAM(DOUBLE, PmedCfParams, regularization, 1e-12, 1e12),
	PMED_PARAM(DOUBLE, PmedCfParams, alpha, 0, 1e12),
	PMED_PARAM(BOOL, PmedCfParams, explicit_feedback, 0, 1),
	PMED_PARAM(BOOL, PmedCfParams, store_patients, 0, 1),
};

static void
cf_fit(const PmedTrainSet *data, PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	PmedCfParams p = *(const PmedCfParams *) data->params;
	PmedCfTriple *t;
	size_t		n,
				np = 0;
	PmedCfModel *m;
	PmedError	err = {0};

	p.seed = data->common->seed;
	t = palloc_extended(sizeof(PmedCfTriple) * Max(data->n_rows, 1), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < data->n_rows; i++)
	{
		t[i].patient = data->id[i];
		t[i].item = data->item[i];
		t[i].weight = data->weight[i];
	}
	n = pmed_cf_canonicalize(t, data->n_rows);
	if (pmed_cf_fit(t, n, &p, &m, NULL, &err) != PMED_OK)
		pmed_report(&err);
	pmed_cf_encode(m, algo);

	for (size_t i = 0; i < n; i++)
		if (i == 0 || t[i].patient != t[i - 1].patient)
			np++;
	pmed_json_kv_string(meta, "method", p.method == PMED_CF_ALS ? "als" : "item_knn");
	pmed_json_kv_uint(meta, "patients", np);
	pmed_json_kv_uint(meta, "items", m->n_items);
	pmed_json_kv_uint(meta, "interactions", m->interactions);
	pmed_json_kv_int(meta, "duplicate_rows_merged", data->n_rows - (int64) n);
	pmed_json_kv_bool(meta, "stores_training_rows", p.store_patients);
	if (p.method == PMED_CF_ITEM_KNN)
	{
		pmed_json_kv_null(meta, "factors");
		pmed_json_kv_int(meta, "neighbors", p.neighbors);
		pmed_json_kv_number(meta, "shrinkage", p.shrinkage);
		pmed_json_kv_int(meta, "min_support", p.min_support);
		pmed_json_kv_uint(meta, "min_support_used", m->min_support_used);
		pmed_json_kv_uint(meta, "neighbour_pairs", m->nbr_ptr[m->n_items]);
	}
	else
	{
		double		min_pop = m->popularity[0];

		for (uint32 i = 1; i < m->n_items; i++)
			min_pop = Min(min_pop, m->popularity[i]);
		pmed_json_kv_int(meta, "factors", p.factors);
		pmed_json_kv_int(meta, "iterations", p.iterations);
		pmed_json_kv_number(meta, "regularization", p.regularization);
		pmed_json_kv_number(meta, "alpha", p.alpha);
		pmed_json_kv_string(meta, "feedback", p.explicit_feedback ? "explicit" : "implicit");
		pmed_json_kv_number(meta, "min_support_used", min_pop);
		pmed_json_kv_number(meta, "loss", m->final_loss);
	}
}

/* ---- the family ---- */

const PmedFamily pmed_cf_family = {
	.kind = PMED_KIND_CF,
	.name = "cf",
	.option_keys = cf_option_keys,
	.classification = false,
	.regression = false,
	.n_columns = 3,
	.columns = {PMED_COL_ID, PMED_COL_ITEM, PMED_COL_WEIGHT},
	.null_detail = "patient, item or weight",
	.params_size = sizeof(PmedCfParams),
	.n_param_fields = lengthof(cf_param_fields),
	.param_fields = cf_param_fields,
	.parse_params = cf_parse_params,
	.fit = cf_fit,
	.predict = NULL,
};

PMED_TRAIN_AGGREGATE(cf_train, pmed_cf_family)
