/*
 * forest.c - glue for pmed.forest_train: random forests for classification
 * (Gini) and regression (variance) with TreeSHAP explanations, plus
 * pmed.forest_trees, which describes each tree of a forest model.
 */
#include "pmed.h"

#include <math.h>

#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"

#include "core/encoding.h"
#include "core/federated.h"
#include "core/forest.h"
#include "federated.h"
#include "core/treeshap.h"
#include "parallel_fit.h"

static const char *const forest_option_keys[] = {
	PMED_COMMON_OPTION_KEYS, "trees", "max_depth", "min_leaf", "mtry", "sample_fraction",
	"replace", "importance", "federated", "union_trees", NULL
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
	/* federated: a partial state must not grow with its rows, so trees are capped */
	par->max_depth = pmed_option_int(options, "max_depth",
									 pmed_option_bool(options, "federated", false) ?
									 PMED_FEDERATED_DEFAULT_DEPTH : 0, 1, PMED_FOREST_MAX_DEPTH);
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

/* ---- federated forests (core: core/federated.c; state: train_state.c) ---- */

/*
 * Fit one partition's rows (canonical order, classes in schema) into a
 * fragment: its trees, grown with the user's seed mixed with the digest of
 * its rows, and its statistics.  No row goes into the fragment.
 */
bytea *
pmed_forest_fragment_fit(const PmedTrainSet *data, const PmedSchema *schema, uint64 digest)
{
	PmedForestParams par = *(const PmedForestParams *) data->params;
	PmedFragment fr;
	PmedForest *f;
	PmedError	err = {0};
	PmedDataset d = data->ds;
	PmedWriter	w;
	bool		classification = schema->task == PMED_TASK_CLASSIFICATION;

	par.seed = pmed_federated_seed(data->common->seed, digest);
	par.cat_levels = NULL;
	if (par.mtry > d.n_features)
		pmed_option_error("mtry", psprintf("The value must be at most the number of features (%d); it is %d.",
										   d.n_features, par.mtry));
	if (!classification)
		d.n_classes = 0;
	if (pmed_forest_train(&d, &par, &f, &err) != PMED_OK)
		pmed_report(&err);
	memset(&fr, 0, sizeof(fr));
	fr.digest = digest;
	fr.n_rows = d.n_rows;
	fr.task = schema->task;
	fr.n_features = d.n_features;
	if (classification)
	{
		fr.n_classes = schema->n_classes;
		fr.classes = schema->classes;
		fr.class_counts = palloc0(sizeof(int64) * schema->n_classes);
		for (int64 i = 0; i < d.n_rows; i++)
			fr.class_counts[(int) d.y[i]]++;
	}
	else
	{
		double		s = 0.0;

		/* canonical row order: the same sum on any plan */
		for (int64 i = 0; i < d.n_rows; i++)
			s += d.y[i];
		fr.label_mean = s / (double) d.n_rows;
	}
	fr.oob_error = f->oob_error;
	fr.oob_rows = f->oob_rows;
	fr.forest = f;
	pmed_writer_init(&w);
	pmed_fragment_encode(&w, &fr);
	return pmed_writer_to_bytea(&w);
}

/* A fragment's bytes, validated (XX001 on any damage; class names must be valid text). */
PmedFragment *
pmed_forest_fragment_read(const char *data, size_t len)
{
	PmedError	err = {0};
	PmedFragment *fr = pmed_fragment_decode(data, len, &err);

	if (fr == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid pmed training state"),
				 errdetail("Federated fragment: %s.", err.message[0] ? err.message : "it does not decode")));
	for (int c = 0; c < fr->n_classes; c++)
		if (!pg_verifymbstr(fr->classes[c], strlen(fr->classes[c]), true))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid pmed training state"),
					 errdetail("Federated fragment: a class name is not valid text.")));
	return fr;
}

/*
 * The federated forest of fragments (bytea *, any order): their weighted
 * union as an ordinary forest model.
 */
bytea *
pmed_forest_federated_model(List *fragments, const char *options_text,
							const PmedCommonParams *common, const void *params,
							int union_trees, PmedLabelKind label_kind, int64 rows_skipped)
{
	const PmedForestParams *par = params;
	int			n = list_length(fragments);
	PmedFragment **frs = palloc(sizeof(PmedFragment *) * Max(n, 1));
	PmedForestUnion u;
	PmedError	err = {0};
	PmedSchema	schema = {0};
	PmedJson	meta;
	PmedWriter	algo,
				out;
	ListCell   *lc;
	int			i = 0;
	bool		classification;
	double		t0 = pmed_now_seconds();

	foreach(lc, fragments)
	{
		bytea	   *b = lfirst(lc);

		frs[i++] = pmed_forest_fragment_read(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	}
	if (pmed_forest_union(frs, n, union_trees, &u, &err) != PMED_OK)
		pmed_report(&err);
	classification = u.order[0]->task == PMED_TASK_CLASSIFICATION;

	schema.task = u.order[0]->task;
	schema.label_kind = label_kind;
	schema.n_features = u.forest->n_features;
	schema.positive = -1;
	schema.rows_used = u.n_rows;
	schema.rows_skipped = rows_skipped;
	if (classification)
	{
		schema.n_classes = u.order[0]->n_classes;
		schema.classes = u.order[0]->classes;
		if (common->positive != NULL)
		{
			for (int c = 0; c < (int) schema.n_classes; c++)
				if (strcmp(schema.classes[c], common->positive) == 0)
					schema.positive = c;
			if (schema.positive < 0)
				pmed_option_error("positive", psprintf("\"%s\" is not one of the training labels.",
													   common->positive));
		}
		else if (schema.n_classes == 2)
			schema.positive = 1;
	}
	if (common->feature_names != NULL)
	{
		if (common->n_feature_names != (int) schema.n_features)
			pmed_option_error("feature_names",
							  psprintf("It names %d features but the rows have %u.",
									   common->n_feature_names, schema.n_features));
		schema.feature_names = common->feature_names;
	}

	pmed_json_init(&meta);
	pmed_json_begin_object(&meta);
	pmed_json_key(&meta, "options");
	pmed_json_raw(&meta, options_text ? options_text : "{}");
	pmed_json_kv_int(&meta, "trees", u.forest->n_trees);
	pmed_json_kv_int(&meta, "min_leaf", par->min_leaf);
	pmed_json_kv_int(&meta, "max_depth", par->max_depth);
	pmed_json_kv_bool(&meta, "replace", par->replace);
	pmed_json_kv_string(&meta, "importance",
						par->importance == PMED_FOREST_IMPORTANCE_PERMUTATION ? "permutation" : "impurity");
	pmed_json_kv_string(&meta, "split_search",
						psprintf("histogram, at most %d bins per feature", PMED_FOREST_BINS));
	pmed_json_kv_string(&meta, "oob_error_kind",
						classification ? "misclassification rate" : "mean squared error");
	pmed_json_kv_number(&meta, "oob_error", u.oob_error);
	pmed_json_kv_int(&meta, "oob_rows", u.oob_rows);
	pmed_json_kv_int(&meta, "nodes", u.forest->n_nodes);
	pmed_json_kv_int(&meta, "leaves", u.forest->n_leaves);
	pmed_json_key(&meta, "depth");
	pmed_json_begin_object(&meta);
	pmed_json_kv_int(&meta, "min", u.min_depth);
	pmed_json_key(&meta, "mean");
	pmed_json_fixed(&meta, u.mean_depth, 4);
	pmed_json_kv_int(&meta, "max", u.max_depth);
	pmed_json_end_object(&meta);
	pmed_json_kv_bool(&meta, "stores_training_rows", false);
	/* the federation: partitions in digest order */
	pmed_json_kv_bool(&meta, "federated", true);
	pmed_json_kv_int(&meta, "partitions", u.n_fragments);
	pmed_json_key(&meta, "partition_rows");
	pmed_json_begin_array(&meta);
	for (i = 0; i < n; i++)
		pmed_json_int(&meta, u.order[i]->n_rows);
	pmed_json_end_array(&meta);
	pmed_json_key(&meta, "partition_trees");
	pmed_json_begin_array(&meta);
	for (i = 0; i < n; i++)
		pmed_json_int(&meta, u.trees[i]);
	pmed_json_end_array(&meta);
	pmed_json_key(&meta, "partition_bytes");
	pmed_json_begin_array(&meta);
	for (i = 0; i < n; i++)
		pmed_json_int(&meta, (int64) u.order[i]->len);
	pmed_json_end_array(&meta);
	pmed_json_kv_int(&meta, "fragment_bytes", (int64) u.bytes);
	pmed_json_kv_string(&meta, "tree_weight", "rows of its partition / (all rows * trees kept of its partition)");
	pmed_json_end_object(&meta);
	if (pmed_json_finish(&meta, &err) != PMED_OK)
		pmed_report(&err);
	schema.train_seconds = pmed_now_seconds() - t0;

	pmed_writer_init(&algo);
	pmed_forest_encode(u.forest, &algo);
	if (algo.len > PMED_MAX_MODEL_BYTES - 4096)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model too large: %zu bytes", algo.len),
				 errdetail("A pmed model must stay under 1 GB.")));
	if (pmed_model_encode(&out, PMED_KIND_FOREST, &schema, meta.buf, &algo, &err) != PMED_OK)
		pmed_report(&err);
	return pmed_writer_to_bytea(&out);
}

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
