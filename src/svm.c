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
#include "utils/json.h"

#include "core/svm.h"

static const char *const svm_option_keys[] = {
	PMED_COMMON_OPTION_KEYS, "kernel", "C", "gamma", "standardize", "class_weight", "tol",
	"max_iter", "probability", NULL
};

static const char *const svm_kernels[] = {"rbf", "linear", NULL};
static const char *const svm_class_weights[] = {"balanced", NULL};

/* A decoded model with its per-row scratch space. */
typedef struct SvmDecoded
{
	PmedSvmModel *svm;
	double	   *work;
	double	   *dec;
} SvmDecoded;

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
svm_params(Jsonb *options, PmedSvmParams *prm)
{
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
	prm->seed = pmed_option_seed(options);
	prm->probability = pmed_option_bool(options, "probability", true);
}

static void
svm_validate_options(Jsonb *options)
{
	PmedSvmParams prm;

	svm_params(options, &prm);
}

static void
append_json_string(StringInfo s, const char *v)
{
	escape_json(s, v);
}

static void
svm_fit(const PmedDataset *ds, const PmedSchema *schema, Jsonb *options,
		PmedWriter *algo, StringInfo meta)
{
	PmedSvmParams prm;
	PmedSvmModel *m = NULL;
	PmedError	err = {0};
	int64	   *count = palloc0(sizeof(int64) * Max(ds->n_classes, 1));

	svm_params(options, &prm);
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

	if (pmed_svm_fit(ds, &prm, &m, &err) != PMED_OK)
		pmed_report(&err);
	pmed_svm_write(algo, m);

	appendStringInfo(meta, ", \"kernel\": \"%s\", \"C\": %.17g",
					 m->kernel == PMED_SVM_RBF ? "rbf" : "linear", m->C);
	if (m->kernel == PMED_SVM_RBF)
		appendStringInfo(meta, ", \"gamma\": %.17g", m->gamma);
	else
		appendStringInfoString(meta, ", \"gamma\": null");
	appendStringInfoString(meta, ", \"classes\": [");
	for (int c = 0; c < ds->n_classes; c++)
	{
		if (c > 0)
			appendStringInfoString(meta, ", ");
		append_json_string(meta, schema->classes[c]);
	}
	appendStringInfo(meta, "], \"support_vectors\": %d, \"iterations\": %lld",
					 m->kernel == PMED_SVM_RBF ? m->n_sv : 0, (long long) m->iterations);
	appendStringInfo(meta, ", \"standardize\": %s, \"class_weight\": %s, \"tol\": %.17g",
					 prm.standardize ? "true" : "false",
					 prm.balanced ? "\"balanced\"" : "null", prm.tol);
	appendStringInfo(meta, ", \"probability\": %s, \"stores_training_rows\": %s",
					 m->has_probability ? "true" : "false",
					 m->kernel == PMED_SVM_RBF && m->n_sv > 0 ? "true" : "false");
	if (ds->n_classes > 2)
		appendStringInfoString(meta, ", \"multiclass\": \"one-vs-one\"");
}

static void *
svm_decode(PmedReader *algo, const PmedSchema *schema, PmedError *err)
{
	PmedSvmModel *m = NULL;
	SvmDecoded *d;

	if (schema->task != PMED_TASK_CLASSIFICATION)
	{
		pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: svm model is not a classifier");
		return NULL;
	}
	if (pmed_svm_read(algo, (int) schema->n_features, (int) schema->n_classes, &m, err) != PMED_OK)
		return NULL;
	if (!pmed_reader_done(algo))
	{
		pmed_svm_free(m);
		return NULL;
	}
	d = palloc0(sizeof(SvmDecoded));
	d->svm = m;
	d->work = palloc0(sizeof(double) * pmed_svm_work_size(m));
	d->dec = palloc0(sizeof(double) * m->n_pairs);
	return d;
}

static double
svm_predict(const PmedModel *m, const double *x)
{
	const SvmDecoded *d = m->algo;

	return pmed_svm_predict(d->svm, x, d->work);
}

static bool
svm_predict_proba(const PmedModel *m, const double *x, double *proba)
{
	const SvmDecoded *d = m->algo;

	return pmed_svm_predict_proba(d->svm, x, proba, d->work);
}

/*
 * Binary: the decision value oriented to the positive class.  Multi-class:
 * the first pair (class 0 against class 1, > 0 for class 1).
 */
static void
svm_explain(const PmedModel *m, const double *x, double *base, double *contrib)
{
	const SvmDecoded *d = m->algo;

	pmed_svm_explain(d->svm, x, base, contrib, d->work);
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
	const SvmDecoded *d = m->algo;
	const PmedSvmModel *s = d->svm;
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
			pmed_svm_explain(s, x, &base, contrib, d->work);
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
	.validate_options = svm_validate_options,
	.fit = svm_fit,
	.decode = svm_decode,
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
	const SvmDecoded *d;
	const double *x;

	pmed_require_kind(m, "pmed.svm_decision", 1, PMED_KIND_SVM);
	d = m->algo;
	x = pmed_features_arg(fcinfo, 1, m);
	pmed_svm_decision(d->svm, x, d->dec, d->work);
	if (m->schema.n_classes == 2 && m->schema.positive == 0)
		PG_RETURN_FLOAT8(-d->dec[0]);
	PG_RETURN_FLOAT8(d->dec[0]);
}
