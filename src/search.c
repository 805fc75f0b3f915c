/*
 * search.c - cross-validated hyperparameter search inside training.
 *
 * Options: "search": {"<option>": [candidates, ...], ...} (a grid: every
 * combination, keys in jsonb order -- shorter keys first, then bytewise --
 * the last key varying fastest), "cv": folds (default 5), "metric".
 * The rows are the final function's dense copy in canonical order: folds
 * are assigned from the seed (stratified by class for classification; cf:
 * each patient's interactions spread over the folds), each trial fits on
 * cv - 1 folds and scores the held-out fold, the best mean wins (ties: the
 * first in grid order), and the best setting is refit on all rows.  "cv"
 * without "search" cross-validates the given options (one trial).
 */
#include "search.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "core/cf.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "core/util.h"

#define SEARCH_MAX_TRIALS	100
#define SEARCH_MAX_VALUES	100
#define SEARCH_DEFAULT_CV	5
#define SEARCH_MAX_CV		20
#define SEARCH_DEFAULT_K	10

typedef enum SearchMetric
{
	METRIC_AUC = 0,
	METRIC_ACCURACY,
	METRIC_LOG_LOSS,
	METRIC_RMSE,
	METRIC_PRECISION_AT_K
} SearchMetric;

static const char *const metric_names[] = {
	"auc", "accuracy", "log_loss", "rmse", "precision_at_k", NULL
};

/* keys that are never searched */
static const char *const fixed_keys[] = {
	"search", "cv", "metric", "k", "seed", "feature_names", "positive", "task", NULL
};

typedef struct SearchSpec
{
	int			cv;
	SearchMetric metric;
	int			k;
	int			n_trials;
	Jsonb	  **trial_options;	/* the options of each trial (search keys set) */
	char	  **trial_text;		/* the searched values of each trial, as JSON */
} SearchSpec;

static bool
in_list(const char *const *list, const char *key)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
}

static bool
supports_search(const PmedFamily *f)
{
	return f->predict != NULL || f->kind == PMED_KIND_CF;
}

typedef struct SearchKey
{
	char	   *name;
	int			n_values;
	JsonbValue *values;
} SearchKey;

/* Push v (scalar or container) as a value or an element. */
static void
push_value(JsonbParseState **ps, JsonbIteratorToken tok, JsonbValue *v)
{
	pushJsonbValue(ps, tok, v);
}

static void
push_key(JsonbParseState **ps, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(ps, WJB_KEY, &k);
}

static SearchSpec *
parse_spec(Jsonb *options, const PmedFamily *f, const PmedCommonParams *common)
{
	JsonbValue	buf,
			   *search;
	SearchSpec *spec;
	SearchKey  *keys = NULL;
	int			n_keys = 0;
	const char *metric;
	int64		trials = 1;
	bool		classification = common->task == PMED_TASK_CLASSIFICATION;

	if (options == NULL || !JB_ROOT_IS_OBJECT(options))
		return NULL;
	search = pmed_option_get(options, "search", &buf);
	if (search != NULL && search->type == jbvNull)
		search = NULL;
	if (search == NULL && !pmed_option_present(options, "cv") &&
		!pmed_option_present(options, "metric") && !pmed_option_present(options, "k"))
		return NULL;
	if (!supports_search(f))
		pmed_option_error(search ? "search" : "cv",
						  psprintf("%s models do not support cross-validated search.", f->name));

	spec = palloc0(sizeof(SearchSpec));
	spec->cv = pmed_option_int(options, "cv", SEARCH_DEFAULT_CV, 2, SEARCH_MAX_CV);
	if (f->kind == PMED_KIND_CF)
		metric = pmed_option_choice(options, "metric", "precision_at_k", metric_names);
	else if (classification)
		metric = pmed_option_choice(options, "metric", "accuracy", metric_names);
	else
		metric = pmed_option_choice(options, "metric", "rmse", metric_names);
	for (int i = 0; metric_names[i]; i++)
		if (strcmp(metric, metric_names[i]) == 0)
			spec->metric = (SearchMetric) i;
	if (f->kind == PMED_KIND_CF ? spec->metric != METRIC_PRECISION_AT_K :
		classification ? (spec->metric == METRIC_RMSE || spec->metric == METRIC_PRECISION_AT_K) :
		spec->metric != METRIC_RMSE)
		pmed_option_error("metric",
						  f->kind == PMED_KIND_CF ? "Recommenders are scored by \"precision_at_k\"." :
						  classification ? "Classifiers are scored by \"auc\", \"accuracy\" or \"log_loss\"." :
						  "Regressions are scored by \"rmse\".");
	spec->k = pmed_option_int(options, "k", SEARCH_DEFAULT_K, 1, 1000);

	if (search != NULL)
	{
		JsonbIterator *it;
		JsonbValue	v;
		JsonbIteratorToken tok;

		if (search->type != jbvBinary || !JsonContainerIsObject(search->val.binary.data))
			pmed_option_error("search", "The value must be an object of option names and arrays of candidate values.");
		keys = palloc0(sizeof(SearchKey) * (JsonContainerSize(search->val.binary.data) + 1));
		it = JsonbIteratorInit(search->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			SearchKey  *sk;

			if (tok == WJB_KEY)
			{
				sk = &keys[n_keys++];
				sk->name = pnstrdup(v.val.string.val, v.val.string.len);
				if (in_list(fixed_keys, sk->name) || !in_list(f->option_keys, sk->name))
					pmed_option_error("search",
									  psprintf("\"%s\" is not an option of %s models that a search can vary.",
											   sk->name, f->name));
			}
			else if (tok == WJB_VALUE)
			{
				JsonbIterator *ait;
				JsonbValue	e;
				JsonbIteratorToken at;
				int			n;

				sk = &keys[n_keys - 1];
				if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data) ||
					JsonContainerIsScalar(v.val.binary.data) ||
					(n = JsonContainerSize(v.val.binary.data)) < 1 || n > SEARCH_MAX_VALUES)
					pmed_option_error("search",
									  psprintf("The candidates of \"%s\" must be an array of 1 to %d values.",
											   sk->name, SEARCH_MAX_VALUES));
				sk->values = palloc(sizeof(JsonbValue) * n);
				ait = JsonbIteratorInit(v.val.binary.data);
				while ((at = JsonbIteratorNext(&ait, &e, true)) != WJB_DONE)
					if (at == WJB_ELEM)
						sk->values[sk->n_values++] = e;
				trials *= sk->n_values;
				if (trials > SEARCH_MAX_TRIALS)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("search grid has more than %d trials", SEARCH_MAX_TRIALS),
							 errdetail("Each trial fits the model cv times; search fewer combinations.")));
			}
		}
		if (n_keys == 0)
			pmed_option_error("search", "The object names no option to vary.");
	}

	spec->n_trials = (int) trials;
	spec->trial_options = palloc(sizeof(Jsonb *) * trials);
	spec->trial_text = palloc(sizeof(char *) * trials);
	for (int t = 0; t < trials; t++)
	{
		JsonbParseState *ps = NULL;
		JsonbParseState *ps2 = NULL;
		JsonbIterator *it;
		JsonbValue	v;
		JsonbIteratorToken tok;
		int			rest = t;
		int		   *pick = palloc(sizeof(int) * (n_keys + 1));
		JsonbValue *res;
		Jsonb	   *params_only;
		bool		skip = false;

		for (int i = n_keys - 1; i >= 0; i--)
		{
			pick[i] = rest % keys[i].n_values;
			rest /= keys[i].n_values;
		}
		/* the options without the search keys and the searched ones, then the trial's values */
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		it = JsonbIteratorInit(&options->root);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
			{
				char	   *key = pnstrdup(v.val.string.val, v.val.string.len);

				skip = in_list(fixed_keys, key) && strcmp(key, "seed") != 0 &&
					strcmp(key, "positive") != 0 && strcmp(key, "task") != 0 &&
					strcmp(key, "feature_names") != 0;
				for (int i = 0; i < n_keys; i++)
					if (strcmp(keys[i].name, key) == 0)
						skip = true;
				if (!skip)
					pushJsonbValue(&ps, WJB_KEY, &v);
			}
			else if (tok == WJB_VALUE && !skip)
				push_value(&ps, WJB_VALUE, &v);
		}
		pushJsonbValue(&ps2, WJB_BEGIN_OBJECT, NULL);
		for (int i = 0; i < n_keys; i++)
		{
			push_key(&ps, keys[i].name);
			push_value(&ps, WJB_VALUE, &keys[i].values[pick[i]]);
			push_key(&ps2, keys[i].name);
			push_value(&ps2, WJB_VALUE, &keys[i].values[pick[i]]);
		}
		res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
		spec->trial_options[t] = JsonbValueToJsonb(res);
		res = pushJsonbValue(&ps2, WJB_END_OBJECT, NULL);
		params_only = JsonbValueToJsonb(res);
		spec->trial_text[t] = JsonbToCString(NULL, &params_only->root, VARSIZE(params_only));
	}
	return spec;
}

/* The trial's parameter struct, every value checked by the family. */
static void *
trial_params(const PmedFamily *f, const PmedCommonParams *common, Jsonb *options)
{
	void	   *params = f->params_size > 0 ? palloc0(f->params_size) : NULL;

	if (f->parse_params != NULL && params != NULL)
		f->parse_params(options, common, params);
	return params;
}

void
pmed_search_check(Jsonb *options, const PmedFamily *family, const PmedCommonParams *common)
{
	SearchSpec *spec = parse_spec(options, family, common);

	if (spec == NULL)
		return;
	for (int t = 0; t < spec->n_trials; t++)
		(void) trial_params(family, common, spec->trial_options[t]);
}

/* ---- folds ---- */

static void
shuffle(int64 *idx, int64 m, PmedRng *rng)
{
	for (int64 i = m - 1; i > 0; i--)
	{
		int64		j = (int64) pmed_rng_below(rng, (uint64) i + 1);
		int64		tmp = idx[i];

		idx[i] = idx[j];
		idx[j] = tmp;
	}
}

/* Supervised: stratified by class (classification), shuffled by the seed. */
static int *
supervised_folds(const PmedTrainSet *set, int cv, uint64 seed)
{
	int64		n = set->n_rows;
	int		   *fold = palloc(sizeof(int) * Max(n, 1));
	int64	   *idx = palloc(sizeof(int64) * Max(n, 1));
	int			groups = set->ds.n_classes > 0 ? set->ds.n_classes : 1;
	int64		counter = 0;
	PmedRng		rng;

	pmed_rng_seed(&rng, pmed_mix64(seed ^ UINT64CONST(0x73656172636821)));
	for (int g = 0; g < groups; g++)
	{
		int64		m = 0;

		for (int64 i = 0; i < n; i++)
			if (groups == 1 || (int) set->ds.y[i] == g)
				idx[m++] = i;
		shuffle(idx, m, &rng);
		for (int64 j = 0; j < m; j++)
			fold[idx[j]] = (int) (counter++ % cv);
	}
	return fold;
}

/* ---- one fold of one trial ---- */

static PmedModel *
fit_and_decode(const PmedFamily *f, const PmedTrainSet *train, const PmedSchema *schema)
{
	PmedSchema	sc = *schema;
	PmedWriter	algo,
				enc;
	PmedJson	meta;
	PmedError	err = {0};
	PmedModel  *m;

	sc.rows_used = train->n_rows;
	sc.rows_skipped = 0;
	pmed_writer_init(&algo);
	pmed_json_init(&meta);
	pmed_json_begin_object(&meta);
	f->fit(train, &sc, &algo, &meta);
	pmed_json_end_object(&meta);
	if (pmed_json_finish(&meta, &err) != PMED_OK ||
		pmed_model_encode(&enc, f->kind, &sc, meta.buf, &algo, &err) != PMED_OK ||
		pmed_model_decode(enc.buf, enc.len, &m, &err) != PMED_OK)
		pmed_report(&err);
	return m;
}

static void
no_probabilities(const PmedFamily *f, SearchMetric metric)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("search metric \"%s\" needs probabilities, and this %s model has none",
					metric_names[metric], f->name),
			 errhint("Use \"metric\": \"accuracy\", or the option \"probability\": true.")));
}

static double
supervised_fold_score(const PmedFamily *f, const PmedTrainSet *set, const PmedSchema *schema,
					  const int *fold, int k, const void *params, SearchMetric metric)
{
	int64		n = set->n_rows,
				n_train = 0,
				n_test = 0;
	int			p = set->n_features;
	PmedTrainSet train = *set;
	double	   *x,
			   *y;
	PmedModel  *m;
	double	   *proba;
	double	   *pos,
			   *neg,
			   *tmp;
	int64		n_pos = 0,
				n_neg = 0,
				correct = 0;
	PmedSum		sum = {0};
	int			positive = schema->positive >= 0 ? schema->positive : 1;
	double		auc;

	for (int64 i = 0; i < n; i++)
		n_train += fold[i] != k;
	n_test = n - n_train;
	x = palloc_extended(sizeof(double) * Max(n_train * p, 1), MCXT_ALLOC_HUGE);
	y = palloc(sizeof(double) * Max(n_train, 1));
	for (int64 i = 0, j = 0; i < n; i++)
		if (fold[i] != k)
		{
			memcpy(x + j * p, set->x + i * p, sizeof(double) * p);
			y[j++] = set->ds.y[i];
		}
	train.n_rows = n_train;
	train.ds.n_rows = n_train;
	train.ds.x = x;
	train.ds.y = y;
	train.x = x;
	train.x_owned = x;
	train.params = params;
	m = fit_and_decode(f, &train, schema);

	proba = palloc(sizeof(double) * Max(schema->n_classes, 1));
	pos = palloc(sizeof(double) * Max(n_test, 1));
	neg = palloc(sizeof(double) * Max(n_test, 1));
	for (int64 i = 0; i < n; i++)
	{
		const double *xi = set->x + i * p;
		int			yi = (int) set->ds.y[i];

		if (fold[i] != k)
			continue;
		switch (metric)
		{
			case METRIC_AUC:
				if (f->predict_proba == NULL || !f->predict_proba(m, xi, proba))
					no_probabilities(f, metric);
				if (yi == positive)
					pos[n_pos++] = proba[positive];
				else
					neg[n_neg++] = proba[positive];
				break;
			case METRIC_LOG_LOSS:
				if (f->predict_proba == NULL || !f->predict_proba(m, xi, proba))
					no_probabilities(f, metric);
				pmed_sum_add(&sum, pmed_log_loss_term(proba[yi], true));
				break;
			case METRIC_ACCURACY:
				correct += (int) f->predict(m, xi) == yi;
				break;
			case METRIC_RMSE:
				{
					double		d = f->predict(m, xi) - set->ds.y[i];

					pmed_sum_add(&sum, d * d);
				}
				break;
			default:
				elog(ERROR, "unexpected search metric %d", (int) metric);
		}
	}
	switch (metric)
	{
		case METRIC_AUC:
			tmp = palloc(sizeof(double) * Max(n_test, 1));
			pmed_sort_doubles(pos, n_pos, tmp);
			pmed_sort_doubles(neg, n_neg, tmp);
			if (!pmed_roc_auc_sorted(pos, n_pos, neg, n_neg, &auc))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("search metric \"auc\": fold %d has rows of one class only", k + 1),
						 errhint("Use fewer folds (\"cv\") or more rows.")));
			return auc;
		case METRIC_LOG_LOSS:
			return pmed_sum_value(&sum) / n_test;
		case METRIC_ACCURACY:
			return (double) correct / n_test;
		default:
			return sqrt(pmed_sum_value(&sum) / n_test);
	}
}

/* ---- the search ---- */

static bool
better(SearchMetric metric, double a, double b)
{
	if (metric == METRIC_LOG_LOSS || metric == METRIC_RMSE)
		return a < b;
	return a > b;
}

extern double pmed_cf_search_fold_score(const PmedFamily *f, const PmedTrainSet *set,
										const int *fold, int k, const void *params, int top_k);
static int *cf_folds(const PmedTrainSet *set, int cv, uint64 seed);

bool
pmed_search_fit(const PmedFamily *family, const char *options_text, PmedTrainSet *set,
				PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	Jsonb	   *options;
	SearchSpec *spec;
	int		   *fold;
	double	   *mean,
			   *sd;
	void	  **params;
	int			best = 0;
	MemoryContext caller = CurrentMemoryContext;

	if (options_text == NULL ||
		(strstr(options_text, "\"search\"") == NULL && strstr(options_text, "\"cv\"") == NULL &&
		 strstr(options_text, "\"metric\"") == NULL && strstr(options_text, "\"k\"") == NULL))
		return false;
	options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(options_text)));
	spec = parse_spec(options, family, set->common);
	if (spec == NULL)
		return false;
	if (set->n_rows < spec->cv)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("too few rows for %d-fold cross-validation: %lld", spec->cv,
						(long long) set->n_rows)));

	if (spec->metric == METRIC_AUC && set->ds.n_classes != 2)
		pmed_option_error("metric", psprintf("\"auc\" needs two classes; the rows have %d.",
											 set->ds.n_classes));
	fold = family->kind == PMED_KIND_CF ? cf_folds(set, spec->cv, set->common->seed) :
		supervised_folds(set, spec->cv, set->common->seed);
	mean = palloc0(sizeof(double) * spec->n_trials);
	sd = palloc0(sizeof(double) * spec->n_trials);
	params = palloc0(sizeof(void *) * spec->n_trials);
	for (int t = 0; t < spec->n_trials; t++)
	{
		double	   *score = palloc(sizeof(double) * spec->cv);
		double		s = 0,
					ss = 0;

		params[t] = trial_params(family, set->common, spec->trial_options[t]);
		for (int k = 0; k < spec->cv; k++)
		{
			MemoryContext fctx = AllocSetContextCreate(caller, "pmed search fold",
													   ALLOCSET_DEFAULT_SIZES);

			CHECK_FOR_INTERRUPTS();
			MemoryContextSwitchTo(fctx);
			if (family->kind == PMED_KIND_CF)
				score[k] = pmed_cf_search_fold_score(family, set, fold, k, params[t], spec->k);
			else
				score[k] = supervised_fold_score(family, set, schema, fold, k, params[t],
												 spec->metric);
			MemoryContextSwitchTo(caller);
			MemoryContextDelete(fctx);
			s += score[k];
		}
		mean[t] = s / spec->cv;
		for (int k = 0; k < spec->cv; k++)
			ss += (score[k] - mean[t]) * (score[k] - mean[t]);
		sd[t] = sqrt(ss / (spec->cv - 1));
		if (t > 0 && better(spec->metric, mean[t], mean[best]))
			best = t;
	}

	/* refit the best setting on every row */
	set->params = params[best];
	family->fit(set, schema, algo, meta);

	pmed_json_key(meta, "search");
	pmed_json_begin_object(meta);
	pmed_json_kv_int(meta, "cv", spec->cv);
	pmed_json_kv_string(meta, "metric", metric_names[spec->metric]);
	if (spec->metric == METRIC_PRECISION_AT_K)
		pmed_json_kv_int(meta, "k", spec->k);
	pmed_json_kv_string(meta, "folds", family->kind == PMED_KIND_CF ? "interactions of each patient" :
						set->ds.n_classes > 0 ? "stratified by class" : "random");
	pmed_json_key(meta, "trials");
	pmed_json_begin_array(meta);
	for (int t = 0; t < spec->n_trials; t++)
	{
		pmed_json_begin_object(meta);
		pmed_json_key(meta, "parameters");
		pmed_json_raw(meta, spec->trial_text[t]);
		pmed_json_kv_number(meta, "mean", mean[t]);
		pmed_json_kv_number(meta, "sd", sd[t]);
		pmed_json_end_object(meta);
	}
	pmed_json_end_array(meta);
	pmed_json_kv_int(meta, "best_trial", best + 1);
	pmed_json_key(meta, "best_parameters");
	pmed_json_raw(meta, spec->trial_text[best]);
	pmed_json_kv_number(meta, "best_mean", mean[best]);
	pmed_json_kv_number(meta, "best_sd", sd[best]);
	pmed_json_end_object(meta);
	return true;
}

/* ---- cf: held-out interactions of each patient ---- */

/*
 * The fold of a (patient, item) pair comes from a hash of the pair and the
 * seed: the same whatever the row order, duplicates of a pair in one fold,
 * and each patient's interactions spread over the folds.
 */
static int *
cf_folds(const PmedTrainSet *set, int cv, uint64 seed)
{
	int		   *fold = palloc(sizeof(int) * Max(set->n_rows, 1));

	for (int64 i = 0; i < set->n_rows; i++)
	{
		uint64		h = pmed_mix64(seed ^ UINT64CONST(0x63662d666f6c64));

		h = pmed_mix64(h ^ (uint64) set->id[i]);
		h = pmed_mix64(h ^ (uint64) set->item[i]);
		fold[i] = (int) (h % (uint64) cv);
	}
	return fold;
}

typedef struct CfPair
{
	int64		patient;
	int64		item;
	bool		held_out;
} CfPair;

static int
cf_pair_cmp(const void *a, const void *b)
{
	const CfPair *x = a,
			   *y = b;

	if (x->patient != y->patient)
		return x->patient < y->patient ? -1 : 1;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	return 0;
}

/*
 * Fit on the other folds; for every patient with interactions on both
 * sides, recommend top_k items from the training-side history (which is
 * never recommended) and count the held-out items among them:
 * precision@k = hits / k, averaged over those patients.
 */
double
pmed_cf_search_fold_score(const PmedFamily *f, const PmedTrainSet *set,
						  const int *fold, int k, const void *params, int top_k)
{
	int64		n = set->n_rows,
				n_train = 0,
				n_pairs = 0,
				patients = 0;
	PmedTrainSet train = *set;
	int64	   *id,
			   *item;
	double	   *w;
	PmedSchema	schema = {0};
	PmedModel  *m;
	CfPair	   *pairs;
	int64	   *hist;
	double		total = 0;

	id = palloc(sizeof(int64) * Max(n, 1));
	item = palloc(sizeof(int64) * Max(n, 1));
	w = palloc(sizeof(double) * Max(n, 1));
	pairs = palloc(sizeof(CfPair) * Max(n, 1));
	for (int64 i = 0; i < n; i++)
	{
		if (fold[i] != k)
		{
			id[n_train] = set->id[i];
			item[n_train] = set->item[i];
			w[n_train++] = set->weight ? set->weight[i] : 1.0;
		}
		pairs[i].patient = set->id[i];
		pairs[i].item = set->item[i];
		pairs[i].held_out = fold[i] == k;
	}
	train.n_rows = n_train;
	train.id = id;
	train.item = item;
	train.weight = w;
	train.params = params;
	schema.task = PMED_TASK_RECOMMENDATION;
	schema.label_kind = PMED_LABEL_NONE;
	schema.positive = -1;
	m = fit_and_decode(f, &train, &schema);

	pmed_sort(pairs, n, sizeof(CfPair), cf_pair_cmp);
	for (int64 i = 0; i < n; i++)	/* distinct pairs */
		if (i == 0 || cf_pair_cmp(&pairs[i], &pairs[n_pairs - 1]) != 0)
			pairs[n_pairs++] = pairs[i];
	hist = palloc(sizeof(int64) * Max(n_pairs, 1));
	for (int64 lo = 0, hi; lo < n_pairs; lo = hi)
	{
		int64		n_hist = 0,
					n_target = 0,
					hits = 0;
		PmedRecRequest req = {0};
		PmedRecResult res = {0};
		PmedError	err = {0};

		for (hi = lo; hi < n_pairs && pairs[hi].patient == pairs[lo].patient; hi++)
		{
			if (pairs[hi].held_out)
				n_target++;
			else
				hist[n_hist++] = pairs[hi].item;
		}
		if (n_hist == 0 || n_target == 0)
			continue;
		if ((patients & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		req.history = hist;
		req.n_history = n_hist;
		req.k = top_k;
		if (pmed_cf_recommend_history(m->algo, &req, &res, &err) != PMED_OK)
			pmed_report(&err);
		for (int r = 0; r < res.n; r++)
			for (int64 j = lo; j < hi; j++)
				if (pairs[j].held_out && pairs[j].item == res.item[r])
					hits++;
		total += (double) hits / top_k;
		patients++;
	}
	if (patients == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("search metric \"precision_at_k\": fold %d has no patient with interactions on both sides", k + 1),
				 errhint("Use fewer folds (\"cv\") or more interactions per patient.")));
	return total / patients;
}
