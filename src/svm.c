/*
 * svm.c - glue for pmed.svm_train and SVM models: options, fit, decode,
 * predict, probabilities, explanation, importance, and pmed.svm_decision.
 * The algorithms are in core/svm*.c.
 */
#include "pmed.h"

#include <float.h>
#include <limits.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"

#include "core/svm.h"
#include "parallel_fit.h"

static const char *const svm_option_keys[] = {
	PMED_COMMON_OPTION_KEYS, "kernel", "C", "gamma", "standardize", "class_weight", "tol",
	"max_iter", "probability", NULL
};

static const char *const svm_kernels[] = {"rbf", "linear", NULL};
static const char *const svm_class_weights[] = {"balanced", NULL};

/* A number option that must be > 0. */
static double
positive_number(Jsonb *options, const char *key, double def)
{
	double		d = pmed_option_number(options, key, def, -DBL_MAX, DBL_MAX);

	if (!(d > 0))
		pmed_option_error(key, psprintf("The value must be greater than 0; it is %g.", d));
	return d;
}

static void
svm_parse_params(Jsonb *options, const PmedCommonParams *common, void *params)
{
	PmedSvmParams *prm = params;
	JsonbValue	buf;
	JsonbValue *g;
	const char *kernel;

	pmed_svm_params_default(prm);
	kernel = pmed_option_choice(options, "kernel", "rbf", svm_kernels);
	prm->kernel = strcmp(kernel, "linear") == 0 ? PMED_SVM_LINEAR : PMED_SVM_RBF;
	prm->C = positive_number(options, "C", 1.0);
	g = pmed_option_get(options, "gamma", &buf);
	if (g != NULL && g->type != jbvNull)
	{
		if (prm->kernel == PMED_SVM_LINEAR)
			pmed_option_error("gamma", "The linear kernel has no gamma.");
		if (g->type == jbvString)
		{
			if (g->val.string.len != 5 || strncmp(g->val.string.val, "scale", 5) != 0)
				pmed_option_error("gamma", "The value must be a positive number or \"scale\".");
		}
		else
		{
			prm->gamma = positive_number(options, "gamma", 1.0);
			prm->gamma_scale = false;
		}
	}
	prm->standardize = pmed_option_bool(options, "standardize", true);
	prm->balanced = pmed_option_choice(options, "class_weight", NULL, svm_class_weights) != NULL;
	prm->tol = positive_number(options, "tol", 1e-3);
	prm->max_iter = pmed_option_int(options, "max_iter", 0, 0, INT_MAX);
	prm->seed = common->seed;
	prm->probability = pmed_option_bool(options, "probability", true);
}

/* The serialized form of PmedSvmParams (the seed is a common option). */
static const PmedParamField svm_param_fields[] = {
	PMED_PARAM(INT, PmedSvmParams, kernel, PMED_SVM_LINEAR, PMED_SVM_RBF),
	PMED_PARAM(DOUBLE, PmedSvmParams, C, DBL_MIN, DBL_MAX),
	PMED_PARAM(DOUBLE, PmedSvmParams, gamma, 0, DBL_MAX),
	PMED_PARAM(BOOL, PmedSvmParams, gamma_scale, 0, 1),
	PMED_PARAM(BOOL, PmedSvmParams, standardize, 0, 1),
	PMED_PARAM(BOOL, PmedSvmParams, balanced, 0, 1),
	PMED_PARAM(DOUBLE, PmedSvmParams, tol, DBL_MIN, DBL_MAX),
	PMED_PARAM(INT64, PmedSvmParams, max_iter, 0, INT_MAX),
	PMED_PARAM(BOOL, PmedSvmParams, probability, 0, 1),
	PMED_PARAM(DOUBLE, PmedSvmParams, cache_mb, 0, 1e12),
	PMED_PARAM(BOOL, PmedSvmParams, linear_smo, 0, 1),
};

static void
svm_fit(const PmedTrainSet *data, PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	const PmedDataset *ds = &data->ds;
	PmedSvmParams prm = *(const PmedSvmParams *) data->params;
	PmedSvmModel *m = NULL;
	int64	   *count = palloc0(sizeof(int64) * Max(ds->n_classes, 1));

	prm.seed = data->common->seed;
	/* the final function's dense copy is this fit's: scale it in place */
	prm.overwrite_x = data->x_owned != NULL && data->x_owned == ds->x;
	/* name the class in errors the core can only number */
	for (int64 i = 0; i < ds->n_rows; i++)
		count[(int) ds->y[i]]++;
	for (int c = 0; c < ds->n_classes; c++)
		if (count[c] < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("too few rows for class \"%s\": %lld", schema->classes[c],
							(long long) count[c]),
					 errdetail("An SVM needs at least two training rows of each class.")));

	m = pmed_svm_train_parallel(ds, &prm);
	pmed_svm_write(algo, m);

	/* the classes are in model_info from the schema */
	pmed_json_kv_string(meta, "kernel", m->kernel == PMED_SVM_RBF ? "rbf" : "linear");
	pmed_json_kv_number(meta, "C", m->C);
	if (m->kernel == PMED_SVM_RBF)
		pmed_json_kv_number(meta, "gamma", m->gamma);
	else
		pmed_json_kv_null(meta, "gamma");
	pmed_json_kv_int(meta, "support_vectors", m->kernel == PMED_SVM_RBF ? m->n_sv : 0);
	pmed_json_kv_int(meta, "iterations", m->iterations);
	pmed_json_kv_bool(meta, "standardize", prm.standardize);
	pmed_json_key(meta, "class_weight");
	pmed_json_string(meta, prm.balanced ? "balanced" : NULL);
	pmed_json_kv_number(meta, "tol", prm.tol);
	pmed_json_kv_bool(meta, "probability", m->has_probability);
	pmed_json_kv_bool(meta, "stores_training_rows", m->kernel == PMED_SVM_RBF && m->n_sv > 0);
	if (ds->n_classes > 2)
		pmed_json_kv_string(meta, "multiclass", "one-vs-one");
}

static double
svm_predict(const PmedModel *m, const double *x)
{
	return pmed_svm_predict(m->algo, x, m->work);
}

static bool
svm_predict_proba(const PmedModel *m, const double *x, double *proba)
{
	return pmed_svm_predict_proba(m->algo, x, proba, m->work);
}

/*
 * Binary: the decision value oriented to the positive class.  Multi-class:
 * the first pair (class 0 against class 1, > 0 for class 1).
 */
static void
svm_explain(const PmedModel *m, const double *x, double *base, double *contrib)
{
	pmed_svm_explain(m->algo, x, base, contrib, m->work);
	if (m->schema.n_classes == 2 && m->schema.positive == 0)
	{
		*base = -*base;
		for (uint32 j = 0; j < m->schema.n_features; j++)
			contrib[j] = -contrib[j];
	}
}

/*
 * linear: |w_j| on the standardized scale, summed over the pairs.
 * rbf: mean |explain contribution| over (up to 256 evenly spaced) support
 * vectors, summed over the pairs' first decision as explain does.
 */
static void
svm_importance(const PmedModel *m, double *importance)
{
	const PmedSvmModel *s = m->algo;
	int			p = s->n_features;

	memset(importance, 0, sizeof(double) * p);
	if (s->kernel == PMED_SVM_LINEAR)
	{
		for (int q = 0; q < s->n_pairs; q++)
			for (int j = 0; j < p; j++)
				importance[j] += fabs(s->w_orig[(size_t) q * p + j]) *
					(s->standardized ? s->scale[j] : 1.0);
		return;
	}
	else
	{
		int			n = Min(s->n_sv, 256);
		double	   *contrib = palloc(sizeof(double) * p);
		double	   *x = palloc(sizeof(double) * p);
		double		base;

		for (int t = 0; t < n; t++)
		{
			int			sv = (int) ((int64) t * s->n_sv / n);

			CHECK_FOR_INTERRUPTS();
			for (int j = 0; j < p; j++)
				x[j] = s->sv[(size_t) sv * p + j] * s->scale[j] + s->mean[j];
			pmed_svm_explain(s, x, &base, contrib, m->work);
			for (int j = 0; j < p; j++)
				importance[j] += fabs(contrib[j]) / n;
		}
	}
}

const PmedFamily pmed_svm_family = {
	.kind = PMED_KIND_SVM,
	.name = "svm",
	.option_keys = svm_option_keys,
	.classification = true,
	.regression = false,
	.n_columns = 2,
	.columns = {PMED_COL_FEATURES, PMED_COL_LABEL},
	.null_detail = "feature array or a NULL label",
	.params_size = sizeof(PmedSvmParams),
	.n_param_fields = lengthof(svm_param_fields),
	.param_fields = svm_param_fields,
	.parse_params = svm_parse_params,
	.fit = svm_fit,
	.predict = svm_predict,
	.predict_proba = svm_predict_proba,
	.explain = svm_explain,
	.importance = svm_importance,
};

PMED_TRAIN_AGGREGATE(svm_train, pmed_svm_family)

/*
 * pmed.svm_decision(model, features) -> float8: the decision value that
 * pmed.explain explains (binary: > 0 for the positive class).
 */
PG_FUNCTION_INFO_V1(svm_decision);
Datum
svm_decision(PG_FUNCTION_ARGS)
{
	const PmedModel *m = pmed_cached_model(fcinfo, 0);
	const double *x;
	double	   *dec;

	pmed_require_kind(m, "pmed.svm_decision", 1, PMED_KIND_SVM);
	x = pmed_features_arg(fcinfo, 1, m);
	/* the decisions follow the work rows in the scratch decode allocated */
	dec = m->work + pmed_svm_work_size(m->algo);
	pmed_svm_decision(m->algo, x, dec, m->work);
	if (m->schema.n_classes == 2 && m->schema.positive == 0)
		PG_RETURN_FLOAT8(-dec[0]);
	PG_RETURN_FLOAT8(dec[0]);
}
