/*
 * baseline.c - glue for pmed.baseline_train: priors or the mean, run
 * through the whole training and prediction path.
 */
#include "pmed.h"
#include "train_stats.h"

#include "core/baseline.h"

static const char *const baseline_option_keys[] = {PMED_COMMON_OPTION_KEYS, NULL};

static void
baseline_fit(const PmedTrainSet *data, PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	PmedBaseline *b = pmed_baseline_fit(&data->ds);

	pmed_baseline_write(algo, b);
	pmed_json_kv_string(meta, "strategy", data->ds.n_classes > 0 ? "prior" : "mean");
	pmed_json_kv_bool(meta, "stores_training_rows", false);
}

static double
baseline_predict(const PmedModel *m, const double *x)
{
	return pmed_baseline_predict(m->algo, m->schema.task == PMED_TASK_CLASSIFICATION);
}

static bool
baseline_proba(const PmedModel *m, const double *x, double *proba)
{
	const PmedBaseline *b = m->algo;

	memcpy(proba, b->values, sizeof(double) * b->n_values);
	return true;
}

/* The output does not depend on the features: every contribution is 0. */
static void
baseline_explain(const PmedModel *m, const double *x, double *base, double *contrib)
{
	const PmedBaseline *b = m->algo;

	if (m->schema.task == PMED_TASK_CLASSIFICATION)
		*base = b->values[m->schema.positive >= 0 ? m->schema.positive : (int) baseline_predict(m, x)];
	else
		*base = b->values[0];
	memset(contrib, 0, sizeof(double) * m->schema.n_features);
}

static void
baseline_importance(const PmedModel *m, double *importance)
{
	memset(importance, 0, sizeof(double) * m->schema.n_features);
}

const PmedFamily pmed_baseline_family = {
	.kind = PMED_KIND_BASELINE,
	.name = "baseline",
	.option_keys = baseline_option_keys,
	.classification = true,
	.regression = true,
	.n_columns = 2,
	.columns = {PMED_COL_FEATURES, PMED_COL_LABEL},
	.null_detail = "feature array or a NULL label",
	.fit = baseline_fit,
	.predict = baseline_predict,
	.predict_proba = baseline_proba,
	.explain = baseline_explain,
	.importance = baseline_importance,
	.stats = &pmed_baseline_stats_ops,	/* class counts or the exact sum: train_stats.c */
};

PMED_TRAIN_AGGREGATE(baseline_train, pmed_baseline_family)
