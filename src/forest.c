/*
 * forest.c - glue for pmed.forest_train: random forests for classification
 * (Gini) and regression (variance) with TreeSHAP explanations, plus
 * pmed.forest_trees, which describes each tree of a forest model.
 */
#include "pmed.h"

#include <math.h>

#include "funcapi.h"

#include "core/encoding.h"
#include "core/forest.h"
#include "core/treeshap.h"
#include "parallel_fit.h"

static const char *const forest_option_keys[] = {
	PMED_COMMON_OPTION_KEYS, "trees", "max_depth", "min_leaf", "mtry", "sample_fraction",
	"replace", "importance", NULL
};

static const char *const importance_choices[] = {"impurity", "permutation", NULL};

/* Read and range-check the options (mtry is checked against p by fit). */
static void
forest_parse_params(Jsonb *options, const PmedCommonParams *common, void *params)
{
	PmedForestParams *par = params;
	bool		classification = common->task != PMED_TASK_REGRESSION;
	double		trees;

	memset(par, 0, sizeof(*par));
	trees = pmed_option_number(options, "trees", 100, 1, 1e300);
	if (trees != floor(trees))
		pmed_option_error("trees", "The value must be an integer.");
	if (trees > PMED_FOREST_MAX_TREES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many trees: %.0f", trees),
				 errdetail("A forest has at most %d trees.", PMED_FOREST_MAX_TREES)));
	par->n_trees = (int) trees;
	par->max_depth = pmed_option_int(options, "max_depth", 0, 1, PMED_FOREST_MAX_DEPTH);
	par->min_leaf = pmed_option_int(options, "min_leaf", classification ? 1 : 5, 1, INT_MAX);
	par->mtry = pmed_option_int(options, "mtry", 0, 1, PMED_MAX_FEATURES);
	par->replace = pmed_option_bool(options, "replace", true);
	par->sample_fraction = pmed_option_number(options, "sample_fraction", 0, 1e-9, 1);
	par->importance = strcmp(pmed_option_choice(options, "importance", "impurity",
												importance_choices), "permutation") == 0 ?
		PMED_FOREST_IMPORTANCE_PERMUTATION : PMED_FOREST_IMPORTANCE_IMPURITY;
	par->seed = common->seed;
}

/* The serialized form of PmedForestParams (the seed is a common option). */
static const PmedParamField forest_param_fields[] = {
	PMED_PARAM(INT, PmedForestParams, n_trees, 1, PMED_FOREST_MAX_TREES),
	PMED_PARAM(INT, PmedForestParams, max_depth, 0, PMED_FOREST_MAX_DEPTH),
	PMED_PARAM(INT, PmedForestParams, min_leaf, 1, INT_MAX),
	PMED_PARAM(INT, PmedForestParams, mtry, 0, PMED_MAX_FEATURES),
	PMED_PARAM(DOUBLE, PmedForestParams, sample_fraction, 0, 1),
	PMED_PARAM(BOOL, PmedForestParams, replace, 0, 1),
	PMED_PARAM(INT, PmedForestParams, importance, 0, 1),
};

static void
forest_fit(const PmedTrainSet *data, PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	PmedForestParams par = *(const PmedForestParams *) data->params;
	PmedForest *f;
	bool		classification = schema->task == PMED_TASK_CLASSIFICATION;
	PmedDataset d = data->ds;
	int			n_cat = 0;

	par.seed = data->common->seed;
	if (par.mtry > d.n_features)
		pmed_option_error("mtry", psprintf("The value must be at most the number of features (%d); it is %d.",
										   d.n_features, par.mtry));
	if (!classification)
		d.n_classes = 0;
	if (data->enc != NULL && data->enc->mode == PMED_ENC_NATIVE)
	{
		/* a category column is one level index (other = n_levels) */
		int32	   *levels = palloc0(sizeof(int32) * d.n_features);

		for (uint32 c = 0; c < data->enc->n_columns; c++)
		{
			const PmedEncColumn *col = &data->enc->columns[c];

			if (col->kind == PMED_COL_CATEGORY && col->n_levels >= 1 &&
				col->first < (uint32) d.n_features)
			{
				levels[col->first] = (int32) col->n_levels + 1;
				n_cat++;
			}
		}
		if (n_cat > 0)
			par.cat_levels = levels;
	}
	/* serial, or the trees grown by parallel workers too: the same forest */
	f = pmed_forest_train_parallel(&d, &par);
	pmed_forest_encode(f, algo);

	pmed_json_kv_int(meta, "trees", f->n_trees);
	pmed_json_kv_int(meta, "mtry", f->mtry);
	pmed_json_kv_int(meta, "min_leaf", f->min_leaf);
	if (par.max_depth > 0)
		pmed_json_kv_int(meta, "max_depth", par.max_depth);
	else
		pmed_json_kv_null(meta, "max_depth");
	pmed_json_kv_number(meta, "sample_fraction", f->sample_fraction);
	pmed_json_kv_bool(meta, "replace", par.replace);
	pmed_json_kv_string(meta, "importance",
						par.importance == PMED_FOREST_IMPORTANCE_PERMUTATION ? "permutation" : "impurity");
	pmed_json_kv_string(meta, "split_search",
						psprintf("histogram, at most %d bins per feature", PMED_FOREST_BINS));
	if (n_cat > 0)
	{
		pmed_json_kv_int(meta, "categorical_features", n_cat);
		pmed_json_kv_int(meta, "categorical_splits", f->n_cat_splits);
	}
	pmed_json_kv_string(meta, "oob_error_kind",
						classification ? "misclassification rate" : "mean squared error");
	pmed_json_kv_number(meta, "oob_error", f->oob_error);
	pmed_json_kv_int(meta, "oob_rows", f->oob_rows);
	pmed_json_kv_int(meta, "nodes", f->n_nodes);
	pmed_json_kv_int(meta, "leaves", f->n_leaves);
	pmed_json_key(meta, "depth");
	pmed_json_begin_object(meta);
	pmed_json_kv_int(meta, "min", f->min_depth);
	pmed_json_key(meta, "mean");
	pmed_json_fixed(meta, f->mean_depth, 4);
	pmed_json_kv_int(meta, "max", f->max_depth);
	pmed_json_end_object(meta);
	pmed_json_kv_bool(meta, "stores_training_rows", false);
}

static double
forest_predict(const PmedModel *m, const double *x)
{
	return pmed_forest_predict_one(m->algo, x);
}

static bool
forest_proba(const PmedModel *m, const double *x, double *proba)
{
	const PmedForest *f = m->algo;

	if (f->task != PMED_TASK_CLASSIFICATION)
		return false;
	pmed_forest_predict(f, x, proba);
	return true;
}

/*
 * Regression: the predicted value.  Classification: the probability of the
 * positive class, or of the last class when there is none (multiclass).
 */
static void
forest_explain(const PmedModel *m, const double *x, double *base, double *contrib)
{
	const PmedForest *f = m->algo;
	int			output = 0;

	if (f->task == PMED_TASK_CLASSIFICATION)
		output = m->schema.positive >= 0 ? m->schema.positive : f->n_outputs - 1;
	pmed_treeshap(f, x, output, base, contrib);
}

static void
forest_importance(const PmedModel *m, double *importance)
{
	const PmedForest *f = m->algo;

	memcpy(importance, f->importance, sizeof(double) * f->n_features);
}

const PmedFamily pmed_forest_family = {
	.kind = PMED_KIND_FOREST,
	.name = "forest",
	.option_keys = forest_option_keys,
	.classification = true,
	.regression = true,
	.n_columns = 2,
	.columns = {PMED_COL_FEATURES, PMED_COL_LABEL},
	.null_detail = "feature array or a NULL label",
	.params_size = sizeof(PmedForestParams),
	.n_param_fields = lengthof(forest_param_fields),
	.param_fields = forest_param_fields,
	.parse_params = forest_parse_params,
	.fit = forest_fit,
	.predict = forest_predict,
	.predict_proba = forest_proba,
	.explain = forest_explain,
	.importance = forest_importance,
};

PMED_TRAIN_AGGREGATE(forest_train, pmed_forest_family)

/* pmed.forest_trees(model): one row per tree: nodes, leaves, depth. */
PG_FUNCTION_INFO_V1(forest_trees);
Datum
forest_trees(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const PmedModel *m = pmed_cached_model(fcinfo, 0);
	const PmedForest *f;
	int32	   *depth;

	pmed_require_kind(m, "pmed.forest_trees", 1, PMED_KIND_FOREST);
	f = m->algo;
	depth = palloc0(sizeof(int32) * f->n_nodes);
	InitMaterializedSRF(fcinfo, 0);
	for (int t = 0; t < f->n_trees; t++)
	{
		int32		lo = f->tree_start[t],
					hi = f->tree_start[t + 1];
		int32		leaves = 0,
					dmax = 0;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		for (int32 i = lo; i < hi; i++)
		{
			const PmedForestNode *nd = &f->nodes[i];

			if (depth[i] > dmax)
				dmax = depth[i];
			if (nd->code == PMED_FOREST_LEAF)
				leaves++;
			else
				depth[nd->child] = depth[nd->child + 1] = depth[i] + 1;
		}
		values[0] = Int32GetDatum(t + 1);
		values[1] = Int32GetDatum(hi - lo);
		values[2] = Int32GetDatum(leaves);
		values[3] = Int32GetDatum(dmax);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
