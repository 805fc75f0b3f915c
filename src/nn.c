/*
 * nn.c - glue for the neural families (issue 10): pmed.cnn_train (1-D
 * convolutional networks over signals) and pmed.rnn_train (GRU networks
 * over sequences of any length), their predictions and explanations
 * (integrated gradients per feature, and pmed.explain_steps per step).
 *
 * Inputs: cnn takes float8[] (one channel, T samples) or float8[][]
 * (channels x T); rnn takes float8[][] (steps x features) or float8[] (one
 * feature per step).  NULL elements are missing values.  Rows are stored
 * step-major by the training pipeline (PMED_COL_SIGNAL / _SEQUENCE).
 *
 * Optional per-row static values (pmed.cnn_train(signal, statics, label),
 * pmed.rnn_train(sequence, statics, label); RR intervals, age...) join the
 * network after the convolution / GRU layers: PMED_COL_STATICS.
 *
 * Inside the nn family, a prediction input (pmed_nn_input_arg) is handed
 * to predict / predict_proba as one buffer: x[0] = the number of steps,
 * x[1] = the number of static values, then steps x n_features values, then
 * the static values.
 */
#include "pmed.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/nn.h"

#define NN_MAX_CLASS_WEIGHTS 16

typedef struct NnParams
{
	int			n_conv;
	int			filters[PMED_NN_MAX_CONV];
	int			kernel[PMED_NN_MAX_CONV];
	int			pool[PMED_NN_MAX_CONV];
	int			pool_kind;
	int			head;
	int			hidden;
	int			gru_layers;
	bool		bidirectional;
	int			n_dense;
	int			dense[PMED_NN_MAX_DENSE];
	double		dropout;
	int			epochs;
	int			batch_size;
	double		learning_rate;
	double		weight_decay;
	bool		balanced;
	int			n_class_weight;
	double		class_weight[NN_MAX_CLASS_WEIGHTS];
	double		validation_fraction;
	int			patience;
	bool		standardize;
} NnParams;

#define NN_COMMON_KEYS PMED_COMMON_OPTION_KEYS, "dense", "dropout", "epochs", "batch_size", \
	"learning_rate", "weight_decay", "class_weight", "validation_fraction", "patience", "standardize", \
	"static_names"

static const char *const cnn_option_keys[] = {
	NN_COMMON_KEYS, "filters", "kernel_sizes", "pooling", "pool_type", "head", NULL
};
static const char *const rnn_option_keys[] = {
	NN_COMMON_KEYS, "hidden_size", "layers", "bidirectional", NULL
};
static const char *const pool_choices[] = {"max", "avg", NULL};
static const char *const head_choices[] = {"avg", "max", "flatten", NULL};

/*
 * A number or an array of numbers (at most max_n) into out; returns the
 * count, or -1 when the key is absent.  Elements must lie in [min, max];
 * integers when integer is set.
 */
static int
option_numbers(Jsonb *options, const char *key, int max_n, double min, double max,
			   bool integer, double *out)
{
	JsonbValue	buf;
	JsonbValue *v = pmed_option_get(options, key, &buf);
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	int			n = 0;
	const char *what = integer ? "an integer or an array of integers" : "a number or an array of numbers";

	if (v == NULL || v->type == jbvNull)
		return -1;
	if (v->type == jbvNumeric)
	{
		out[0] = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
		n = 1;
	}
	else if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
	{
		it = JsonbIteratorInit(v->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
		{
			if (tok != WJB_ELEM)
				continue;
			if (elem.type != jbvNumeric)
				pmed_option_error(key, psprintf("The value must be %s.", what));
			if (n == max_n)
				pmed_option_error(key, psprintf("At most %d values are allowed.", max_n));
			out[n++] = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														  NumericGetDatum(elem.val.numeric)));
		}
	}
	else
		pmed_option_error(key, psprintf("The value must be %s.", what));
	for (int i = 0; i < n; i++)
		if (!(out[i] >= min && out[i] <= max) || (integer && out[i] != floor(out[i])))
			pmed_option_error(key, psprintf(integer ? "Each value must be an integer from %g to %g."
											: "Each value must lie in [%g, %g].", min, max));
	return n;
}

/* An integer list of n_layers entries: one value applies to every layer. */
static void
option_layer_ints(Jsonb *options, const char *key, int n_layers, int def, int min, int max, int *out)
{
	double		v[PMED_NN_MAX_CONV];
	int			n = option_numbers(options, key, PMED_NN_MAX_CONV, min, max, true, v);

	for (int i = 0; i < n_layers; i++)
		out[i] = n < 0 ? def : (int) v[n == 1 ? 0 : i];
	if (n > 1 && n != n_layers)
		pmed_option_error(key, psprintf("It has %d values but there are %d convolution layers.",
										n, n_layers));
}

static void
nn_parse_common(Jsonb *options, const PmedCommonParams *common, NnParams *par, int arch)
{
	double		v[NN_MAX_CLASS_WEIGHTS];
	int			n;
	JsonbValue	buf;
	JsonbValue *cw;

	n = option_numbers(options, "dense", PMED_NN_MAX_DENSE, 1, PMED_NN_MAX_WIDTH, true, v);
	if (n < 0)
	{
		par->n_dense = 1;
		par->dense[0] = 32;
	}
	else
	{
		par->n_dense = n;
		for (int i = 0; i < n; i++)
			par->dense[i] = (int) v[i];
	}
	par->dropout = pmed_option_number(options, "dropout", 0, 0, 0.9);
	par->epochs = pmed_option_int(options, "epochs", 30, 1, 10000);
	par->batch_size = pmed_option_int(options, "batch_size", 32, 1, 4096);
	par->learning_rate = pmed_option_number(options, "learning_rate", 1e-3, 1e-9, 1);
	par->weight_decay = pmed_option_number(options, "weight_decay", 0, 0, 1);
	par->validation_fraction = pmed_option_number(options, "validation_fraction", 0.1, 0, 0.5);
	par->patience = pmed_option_int(options, "patience", 5, 1, 10000);
	par->standardize = pmed_option_bool(options, "standardize", true);

	cw = pmed_option_get(options, "class_weight", &buf);
	if (cw != NULL && cw->type != jbvNull)
	{
		if (common->task == PMED_TASK_REGRESSION)
			pmed_option_error("class_weight", "Class weights apply to classification only.");
		if (cw->type == jbvString)
		{
			if (cw->val.string.len != 8 || strncmp(cw->val.string.val, "balanced", 8) != 0)
				pmed_option_error("class_weight", "The value must be \"balanced\" or an array of positive numbers, one per class.");
			par->balanced = true;
		}
		else
		{
			n = option_numbers(options, "class_weight", NN_MAX_CLASS_WEIGHTS, 1e-6, 1e6, false, v);
			par->n_class_weight = n;
			for (int i = 0; i < n; i++)
				par->class_weight[i] = v[i];
		}
	}
	(void) arch;
}

/* The engine's options from the parameters. */
static void
nn_engine_options(const NnParams *par, int arch, PmedNnOptions *o)
{
	pmed_nn_options_default(o, arch);
	if (arch == PMED_NN_CNN)
	{
		o->n_conv = par->n_conv;
		for (int i = 0; i < par->n_conv; i++)
		{
			o->filters[i] = par->filters[i];
			o->kernel[i] = par->kernel[i];
			o->pool[i] = par->pool[i];
		}
		o->pool_kind = par->pool_kind;
		o->head = par->head;
	}
	else
	{
		o->hidden = par->hidden;
		o->gru_layers = par->gru_layers;
		o->bidirectional = par->bidirectional;
	}
	o->n_dense = par->n_dense;
	for (int i = 0; i < par->n_dense; i++)
		o->dense[i] = par->dense[i];
	o->dropout = par->dropout;
	o->epochs = par->epochs;
	o->batch_size = par->batch_size;
	o->learning_rate = par->learning_rate;
	o->weight_decay = par->weight_decay;
	o->balanced = par->balanced;
	o->validation_fraction = par->validation_fraction;
	o->patience = par->patience;
	o->standardize = par->standardize;
}

static void
nn_check(const NnParams *par, int arch)
{
	PmedNnOptions o;
	PmedError	err = {0};

	nn_engine_options(par, arch, &o);
	if (pmed_nn_options_check(&o, &err) != PMED_OK)
		pmed_report(&err);
}

static void
cnn_parse_params(Jsonb *options, const PmedCommonParams *common, void *params)
{
	NnParams   *par = params;
	double		v[PMED_NN_MAX_CONV];
	int			n;

	memset(par, 0, sizeof(*par));
	n = option_numbers(options, "filters", PMED_NN_MAX_CONV, 1, PMED_NN_MAX_WIDTH, true, v);
	if (n < 0)
	{
		par->n_conv = 2;
		par->filters[0] = 16;
		par->filters[1] = 32;
	}
	else
	{
		par->n_conv = n;
		for (int i = 0; i < n; i++)
			par->filters[i] = (int) v[i];
	}
	option_layer_ints(options, "kernel_sizes", par->n_conv, 5, 1, PMED_NN_MAX_KERNEL, par->kernel);
	for (int i = 0; i < par->n_conv; i++)
		if (par->kernel[i] % 2 == 0)
			pmed_option_error("kernel_sizes", "Kernel sizes must be odd.");
	option_layer_ints(options, "pooling", par->n_conv, 2, 1, 16, par->pool);
	par->pool_kind = strcmp(pmed_option_choice(options, "pool_type", "max", pool_choices), "max") == 0 ?
		PMED_NN_POOL_MAX : PMED_NN_POOL_AVG;
	{
		const char *head = pmed_option_choice(options, "head", "avg", head_choices);

		par->head = strcmp(head, "avg") == 0 ? PMED_NN_HEAD_AVG :
			strcmp(head, "max") == 0 ? PMED_NN_HEAD_MAX : PMED_NN_HEAD_FLATTEN;
	}
	nn_parse_common(options, common, par, PMED_NN_CNN);
	nn_check(par, PMED_NN_CNN);
}

static void
rnn_parse_params(Jsonb *options, const PmedCommonParams *common, void *params)
{
	NnParams   *par = params;

	memset(par, 0, sizeof(*par));
	par->hidden = pmed_option_int(options, "hidden_size", 32, 1, PMED_NN_MAX_WIDTH);
	par->gru_layers = pmed_option_int(options, "layers", 1, 1, PMED_NN_MAX_GRU_LAYERS);
	par->bidirectional = pmed_option_bool(options, "bidirectional", false);
	nn_parse_common(options, common, par, PMED_NN_GRU);
	nn_check(par, PMED_NN_GRU);
}

#define NN_INT(f, lo, hi) PMED_PARAM(INT, NnParams, f, lo, hi)
#define NN_DOUBLE(f, lo, hi) PMED_PARAM(DOUBLE, NnParams, f, lo, hi)

static const PmedParamField nn_param_fields[] = {
	NN_INT(n_conv, 0, PMED_NN_MAX_CONV),
	NN_INT(filters[0], 0, PMED_NN_MAX_WIDTH), NN_INT(filters[1], 0, PMED_NN_MAX_WIDTH),
	NN_INT(filters[2], 0, PMED_NN_MAX_WIDTH), NN_INT(filters[3], 0, PMED_NN_MAX_WIDTH),
	NN_INT(kernel[0], 0, PMED_NN_MAX_KERNEL), NN_INT(kernel[1], 0, PMED_NN_MAX_KERNEL),
	NN_INT(kernel[2], 0, PMED_NN_MAX_KERNEL), NN_INT(kernel[3], 0, PMED_NN_MAX_KERNEL),
	NN_INT(pool[0], 0, 16), NN_INT(pool[1], 0, 16), NN_INT(pool[2], 0, 16), NN_INT(pool[3], 0, 16),
	NN_INT(pool_kind, 0, 2),
	NN_INT(head, 0, 3),
	NN_INT(hidden, 0, PMED_NN_MAX_WIDTH),
	NN_INT(gru_layers, 0, PMED_NN_MAX_GRU_LAYERS),
	PMED_PARAM(BOOL, NnParams, bidirectional, 0, 1),
	NN_INT(n_dense, 0, PMED_NN_MAX_DENSE),
	NN_INT(dense[0], 0, PMED_NN_MAX_WIDTH), NN_INT(dense[1], 0, PMED_NN_MAX_WIDTH),
	NN_DOUBLE(dropout, 0, 0.9),
	NN_INT(epochs, 1, 10000),
	NN_INT(batch_size, 1, 4096),
	NN_DOUBLE(learning_rate, 1e-9, 1),
	NN_DOUBLE(weight_decay, 0, 1),
	PMED_PARAM(BOOL, NnParams, balanced, 0, 1),
	NN_INT(n_class_weight, 0, NN_MAX_CLASS_WEIGHTS),
	NN_DOUBLE(class_weight[0], 0, 1e6), NN_DOUBLE(class_weight[1], 0, 1e6),
	NN_DOUBLE(class_weight[2], 0, 1e6), NN_DOUBLE(class_weight[3], 0, 1e6),
	NN_DOUBLE(class_weight[4], 0, 1e6), NN_DOUBLE(class_weight[5], 0, 1e6),
	NN_DOUBLE(class_weight[6], 0, 1e6), NN_DOUBLE(class_weight[7], 0, 1e6),
	NN_DOUBLE(class_weight[8], 0, 1e6), NN_DOUBLE(class_weight[9], 0, 1e6),
	NN_DOUBLE(class_weight[10], 0, 1e6), NN_DOUBLE(class_weight[11], 0, 1e6),
	NN_DOUBLE(class_weight[12], 0, 1e6), NN_DOUBLE(class_weight[13], 0, 1e6),
	NN_DOUBLE(class_weight[14], 0, 1e6), NN_DOUBLE(class_weight[15], 0, 1e6),
	NN_DOUBLE(validation_fraction, 0, 0.5),
	NN_INT(patience, 1, 10000),
	PMED_PARAM(BOOL, NnParams, standardize, 0, 1),
};

/*
 * The names of the k static inputs: the static_names option of options
 * (jsonb text, or NULL), else s1..sk.  With check, a bad option is an
 * ERROR 22023.
 */
static char **
nn_static_names(const char *options_text, int k, bool check)
{
	char	  **names = palloc(sizeof(char *) * Max(k, 1));
	int			n = 0;

	if (options_text != NULL)
	{
		Jsonb	   *options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(options_text)));
		JsonbValue	buf;
		JsonbValue *v = pmed_option_get(options, "static_names", &buf);

		if (v != NULL && v->type != jbvNull)
		{
			JsonbIterator *it;
			JsonbValue	elem;
			JsonbIteratorToken tok;

			if (check && k == 0)
				pmed_option_error("static_names", "The model has no static inputs.");
			if (!(v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data)))
			{
				if (check)
					pmed_option_error("static_names", "The value must be an array of strings.");
			}
			else
			{
				it = JsonbIteratorInit(v->val.binary.data);
				while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
				{
					if (tok != WJB_ELEM)
						continue;
					if (elem.type != jbvString || n == k)
					{
						if (check)
							pmed_option_error("static_names",
											  psprintf("The value must be an array of %d strings, one per static input.", k));
						n = k + 1;
						break;
					}
					names[n++] = pnstrdup(elem.val.string.val, elem.val.string.len);
				}
				if (n != k && check)
					pmed_option_error("static_names",
									  psprintf("It has %d names but the rows have %d static values.", n, k));
			}
		}
	}
	if (n != k)
		n = 0;
	if (n == 0)
		for (int j = 0; j < k; j++)
			names[j] = psprintf("s%d", j + 1);
	return names;
}

static void
nn_fit(const PmedTrainSet *data, PmedSchema *schema, PmedWriter *algo, PmedJson *meta, int arch)
{
	const NnParams *par = data->params;
	bool		classification = schema->task == PMED_TASK_CLASSIFICATION;
	PmedNnOptions o;
	PmedNnData	d = {0};
	PmedNnModel *m;
	PmedError	err = {0};
	StringInfoData a;
	char	  **static_names;

	nn_engine_options(par, arch, &o);
	o.seed = data->common->seed;
	if (par->n_class_weight > 0)
	{
		if (par->n_class_weight != (int) schema->n_classes)
			pmed_option_error("class_weight",
							  psprintf("It has %d weights but the labels have %d classes.",
									   par->n_class_weight, (int) schema->n_classes));
		o.class_weight = par->class_weight;
	}
	d.n = data->n_rows;
	d.n_features = data->n_features;
	d.len = data->seq_len;
	d.offset = data->seq_offset;
	d.x = data->seq_x;
	d.n_static = data->n_static;
	d.s = data->n_static > 0 ? data->static_x : NULL;
	static_names = nn_static_names(data->options_text, data->n_static, true);
	d.y = data->ds.y;
	d.n_classes = classification ? (int) schema->n_classes : 0;
	if (pmed_nn_train(&d, &o, &m, &err) != PMED_OK)
		pmed_report(&err);
	pmed_nn_encode(m, algo);

	initStringInfo(&a);
	if (arch == PMED_NN_CNN)
	{
		appendStringInfo(&a, "cnn: input %d channel%s x %d", m->n_features,
						 m->n_features == 1 ? "" : "s", m->fixed_len);
		for (int i = 0; i < m->n_conv; i++)
			appendStringInfo(&a, "; conv %d filters kernel %d + relu%s", m->filters[i], m->kernel[i],
							 m->pool[i] > 1 ? psprintf(" + %s pool %d",
													   m->pool_kind == PMED_NN_POOL_MAX ? "max" : "avg",
													   m->pool[i]) : "");
		appendStringInfo(&a, "; %s", m->head == PMED_NN_HEAD_AVG ? "global average" :
						 m->head == PMED_NN_HEAD_MAX ? "global max" : "flatten");
	}
	else
		appendStringInfo(&a, "gru: %d feature%s per step; %d layer%s of %d units%s",
						 m->n_features, m->n_features == 1 ? "" : "s", m->gru_layers,
						 m->gru_layers == 1 ? "" : "s", m->hidden,
						 m->bidirectional ? ", bidirectional" : "");
	if (m->n_static > 0)
		appendStringInfo(&a, "; + %d static input%s", m->n_static, m->n_static == 1 ? "" : "s");
	for (int i = 0; i < m->n_dense; i++)
		appendStringInfo(&a, "; dense %d + relu", m->dense[i]);
	appendStringInfo(&a, "; output %d %s", m->n_classes == 2 ? 1 : pmed_nn_n_outputs(m),
					 m->n_classes == 0 ? "value" : m->n_classes == 2 ? "logit (sigmoid)" : "logits (softmax)");
	pmed_json_kv_string(meta, "architecture", a.data);
	if (arch == PMED_NN_CNN)
		pmed_json_kv_int(meta, "signal_length", m->fixed_len);
	pmed_json_kv_int(meta, "n_static", m->n_static);
	if (m->n_static > 0)
	{
		pmed_json_key(meta, "static_names");
		pmed_json_begin_array(meta);
		for (int j = 0; j < m->n_static; j++)
			pmed_json_string(meta, static_names[j]);
		pmed_json_end_array(meta);
	}
	pmed_json_kv_uint(meta, "n_parameters", m->n_params);
	pmed_json_kv_uint(meta, "memory_bytes", pmed_nn_memory_size(m));
	pmed_json_kv_int(meta, "epochs_run", m->epochs_run);
	pmed_json_kv_int(meta, "best_epoch", m->best_epoch);
	if (o.validation_fraction > 0)
		pmed_json_kv_number(meta, "validation_loss", m->best_val_loss);
	else
		pmed_json_kv_null(meta, "validation_loss");
	/* the training curve: one entry per epoch run */
	pmed_json_key(meta, "training_curve");
	pmed_json_begin_array(meta);
	for (int e = 0; e < m->epochs_run; e++)
	{
		pmed_json_begin_object(meta);
		pmed_json_kv_int(meta, "epoch", e + 1);
		pmed_json_kv_number(meta, "train_loss", m->train_loss[e]);
		if (o.validation_fraction > 0)
			pmed_json_kv_number(meta, "validation_loss", m->val_loss[e]);
		pmed_json_end_object(meta);
	}
	pmed_json_end_array(meta);
	pmed_json_kv_bool(meta, "standardized", o.standardize);
	pmed_json_kv_bool(meta, "missing_masks", m->use_mask);
	pmed_json_kv_string(meta, "missing_values",
						arch == PMED_NN_CNN ?
						"standardize with training mean/std of observed values; a missing sample is 0 (the mean); plus a 0/1 mask channel per channel when training had missing samples" :
						"standardize with training mean/std of observed values; a missing value carries the last value observed in the sequence, else 0 (the mean); plus a 0/1 mask and log(1 + steps since last observation) per feature when training had missing values");
	pmed_json_kv_string(meta, "explanation_baseline",
						m->n_static > 0 ?
						"every value at its training mean, observed at every step; static values at their training means" :
						"every value at its training mean, observed at every step");
	pmed_nn_free(m);
}

static void
cnn_fit(const PmedTrainSet *data, PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	nn_fit(data, schema, algo, meta, PMED_NN_CNN);
}

static void
rnn_fit(const PmedTrainSet *data, PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	nn_fit(data, schema, algo, meta, PMED_NN_GRU);
}

/* ---- using models ---- */

/* x[0] = steps, x[1] = statics, then the values and statics (pmed_nn_input_arg). */
#define NN_X(x) ((x) + 2)
static const double *
nn_statics(const PmedModel *m, const double *x)
{
	const PmedNnModel *nn = m->algo;

	return x[1] > 0 ? x + 2 + (size_t) x[0] * nn->n_features : NULL;
}

static double *
nn_outputs(const PmedModel *m, const double *x)
{
	const PmedNnModel *nn = m->algo;
	double	   *out = palloc(sizeof(double) * pmed_nn_n_outputs(nn));

	if (!pmed_nn_predict(nn, (int) x[0], NN_X(x), nn_statics(m, x), out))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the %s model's output is not finite for this input", pmed_kind_name(m->kind))));
	return out;
}

static double
nn_predict(const PmedModel *m, const double *x)
{
	const PmedNnModel *nn = m->algo;
	double	   *out = nn_outputs(m, x);
	int			best = 0;

	if (nn->n_classes == 0)
		return out[0];
	for (int k = 1; k < nn->n_classes; k++)
		if (out[k] > out[best])
			best = k;
	return best;
}

static bool
nn_predict_proba(const PmedModel *m, const double *x, double *proba)
{
	const PmedNnModel *nn = m->algo;
	double	   *out = nn_outputs(m, x);

	memcpy(proba, out, sizeof(double) * nn->n_classes);
	return true;
}

const double *
pmed_nn_input_arg(FunctionCallInfo fcinfo, int argno, const PmedModel *m)
{
	const PmedNnModel *nn = m->algo;
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(argno);
	int			steps,
				width;
	double	   *v = pmed_sequence_array(arr, m->kind == PMED_KIND_CNN, PMED_NN_MAX_STEPS,
										PMED_NN_MAX_FEATURES, &steps, &width);
	double	   *buf;
	PmedError	err = {0};
	int			k = 0;
	double	   *statics = NULL;

	/* pmed.predict(model, input, statics) and the like: the next argument */
	if (PG_NARGS() > argno + 1 && get_fn_expr_argtype(fcinfo->flinfo, argno + 1) == FLOAT8ARRAYOID)
		statics = pmed_statics_array(PG_GETARG_ARRAYTYPE_P(argno + 1), PMED_NN_MAX_STATIC, &k);
	if (statics == NULL && nn->n_static > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this %s model takes %d static values per row", pmed_kind_name(m->kind), nn->n_static),
				 errdetail("It was trained with a statics argument."),
				 errhint("Pass them after the input, as in pmed.predict(model, input, statics).")));
	if (statics != NULL && nn->n_static == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this %s model takes no static values", pmed_kind_name(m->kind)),
				 errdetail("It was trained without a statics argument."),
				 errhint("Call the function without the statics argument.")));
	if (k != nn->n_static)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of static values: %d", k),
				 errdetail("The model was trained on %d.", nn->n_static)));
	if (width != nn->n_features)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of %s: %d", m->kind == PMED_KIND_CNN ? "channels" : "features per step",
						width),
				 errdetail("The model was trained on %d.", nn->n_features)));
	if (pmed_nn_check_input(nn, steps, &err) != PMED_OK)
		pmed_report(&err);
	buf = palloc(sizeof(double) * ((size_t) steps * width + k + 2));
	buf[0] = steps;
	buf[1] = k;
	memcpy(buf + 2, v, sizeof(double) * steps * width);
	if (k > 0)
		memcpy(buf + 2 + (size_t) steps * width, statics, sizeof(double) * k);
	pfree(v);
	return buf;
}

/* The explained output: the positive class, else the predicted class; or the value. */
static int
nn_target(const PmedModel *m, const double *x)
{
	if (m->schema.task != PMED_TASK_CLASSIFICATION)
		return 0;
	if (m->schema.positive >= 0)
		return m->schema.positive;
	return (int) nn_predict(m, x);
}

static void
nn_attributions(const PmedModel *m, const double *x, double *base, double *output,
				double **per_step, double **per_feature)
{
	const PmedNnModel *nn = m->algo;
	int			len = (int) x[0];
	PmedError	err = {0};

	*per_step = palloc0(sizeof(double) * ((size_t) len * nn->n_features));
	*per_feature = palloc0(sizeof(double) * (nn->n_features + nn->n_static + 1));
	if (pmed_nn_explain(nn, len, NN_X(x), nn_statics(m, x), nn_target(m, x), 0, base, output,
						*per_step, *per_feature, &err) != PMED_OK)
		pmed_report(&err);
}

/* The static input names recorded in the model's metadata (model_info). */
static char **
nn_model_static_names(const PmedModel *m, int k)
{
	char	  **names = palloc(sizeof(char *) * k);
	Jsonb	   *meta = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(m->meta_json)));
	JsonbValue	buf;
	JsonbValue *v = pmed_option_get(meta, "static_names", &buf);
	int			n = 0;

	if (v != NULL && v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
	{
		JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
		JsonbValue	elem;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
			if (tok == WJB_ELEM && elem.type == jbvString && n < k)
			{
				names[n++] = pnstrdup(elem.val.string.val, elem.val.string.len);
			}
	}
	for (int j = n; j < k; j++)
		names[j] = psprintf("s%d", j + 1);
	return names;
}

static char *
nn_feature_name(const PmedModel *m, int j)
{
	if (m->schema.feature_names)
		return m->schema.feature_names[j];
	return psprintf("%s%d", m->kind == PMED_KIND_CNN ? "channel" : "f", j + 1);
}

/* pmed.explain on a cnn or rnn model (called by predict.c's explain). */
Datum
pmed_nn_explain_rows(FunctionCallInfo fcinfo, const PmedModel *m, const double *x)
{
	const PmedNnModel *nn = m->algo;
	int			len = (int) x[0];
	int			p = nn->n_features;
	double		base,
				output;
	double	   *per_step,
			   *per_feature;
	int			k = nn->n_static;
	double	   *mean = palloc(sizeof(double) * (p + k));
	char	  **names = palloc(sizeof(char *) * (p + k));
	char	  **static_names;

	nn_attributions(m, x, &base, &output, &per_step, &per_feature);
	if (k > 0)
	{
		/* the statics follow the features, named as in model_info */
		const double *s = nn_statics(m, x);

		static_names = nn_model_static_names(m, k);
		for (int j = 0; j < k; j++)
		{
			mean[p + j] = s[j];
			names[p + j] = static_names[j];
		}
	}
	for (int j = 0; j < p; j++)
	{
		/* value: the mean of the feature's observed values over the steps */
		double		sum = 0;
		int			n = 0;

		for (int t = 0; t < len; t++)
			if (!isnan(NN_X(x)[(size_t) t * p + j]))
			{
				sum += NN_X(x)[(size_t) t * p + j];
				n++;
			}
		mean[j] = n == 0 ? NAN : sum / n;
		names[j] = nn_feature_name(m, j);
	}
	return pmed_explain_rows(fcinfo, p + k, base, names, mean, per_feature);
}

PG_FUNCTION_INFO_V1(explain_steps);
Datum
explain_steps(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const PmedModel *m = pmed_cached_model(fcinfo, 0);
	const double *x;
	int			len,
				p;
	double		base,
				output;
	double	   *per_step,
			   *per_feature;
	char	  **names;

	pmed_require_kind(m, "pmed.explain_steps", 2, PMED_KIND_CNN, PMED_KIND_RNN);
	x = pmed_nn_input_arg(fcinfo, 1, m);
	len = (int) x[0];
	p = ((const PmedNnModel *) m->algo)->n_features;
	nn_attributions(m, x, &base, &output, &per_step, &per_feature);
	names = palloc(sizeof(char *) * p);
	for (int f = 0; f < p; f++)
		names[f] = nn_feature_name(m, f);

	InitMaterializedSRF(fcinfo, 0);
	for (int t = 0; t < len; t++)
	{
		for (int f = 0; f < p; f++)
		{
			Datum		values[5];
			bool		nulls[5] = {false, false, false, false, false};
			double		v = NN_X(x)[(size_t) t * p + f];

			values[0] = Int32GetDatum(t + 1);
			values[1] = Int32GetDatum(f + 1);
			values[2] = CStringGetTextDatum(names[f]);
			if (isnan(v))
				nulls[3] = true;
			else
				values[3] = Float8GetDatum(v);
			values[4] = Float8GetDatum(per_step[(size_t) t * p + f]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		if ((t & 255) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}

extern const PmedFamily pmed_cnn_statics_family;
extern const PmedFamily pmed_rnn_statics_family;

const PmedFamily pmed_cnn_family = {
	.kind = PMED_KIND_CNN,
	.name = "cnn",
	.option_keys = cnn_option_keys,
	.classification = true,
	.regression = true,
	.n_columns = 2,
	.columns = {PMED_COL_SIGNAL, PMED_COL_LABEL},
	.null_detail = "signal or a NULL label",
	.with_statics = &pmed_cnn_statics_family,
	.params_size = sizeof(NnParams),
	.n_param_fields = lengthof(nn_param_fields),
	.param_fields = nn_param_fields,
	.parse_params = cnn_parse_params,
	.fit = cnn_fit,
	.predict = nn_predict,
	.predict_proba = nn_predict_proba,
};

const PmedFamily pmed_rnn_family = {
	.kind = PMED_KIND_RNN,
	.name = "rnn",
	.option_keys = rnn_option_keys,
	.classification = true,
	.regression = true,
	.n_columns = 2,
	.columns = {PMED_COL_SEQUENCE, PMED_COL_LABEL},
	.null_detail = "sequence or a NULL label",
	.with_statics = &pmed_rnn_statics_family,
	.params_size = sizeof(NnParams),
	.n_param_fields = lengthof(nn_param_fields),
	.param_fields = nn_param_fields,
	.parse_params = rnn_parse_params,
	.fit = rnn_fit,
	.predict = nn_predict,
	.predict_proba = nn_predict_proba,
};

/* The same families with a statics column: pmed.cnn_train(signal, statics, label). */
const PmedFamily pmed_cnn_statics_family = {
	.kind = PMED_KIND_CNN,
	.name = "cnn",
	.option_keys = cnn_option_keys,
	.classification = true,
	.regression = true,
	.n_columns = 3,
	.columns = {PMED_COL_SIGNAL, PMED_COL_STATICS, PMED_COL_LABEL},
	.null_detail = "signal, NULL statics or a NULL label",
	.with_statics = &pmed_cnn_statics_family,
	.params_size = sizeof(NnParams),
	.n_param_fields = lengthof(nn_param_fields),
	.param_fields = nn_param_fields,
	.parse_params = cnn_parse_params,
	.fit = cnn_fit,
	.predict = nn_predict,
	.predict_proba = nn_predict_proba,
};

const PmedFamily pmed_rnn_statics_family = {
	.kind = PMED_KIND_RNN,
	.name = "rnn",
	.option_keys = rnn_option_keys,
	.classification = true,
	.regression = true,
	.n_columns = 3,
	.columns = {PMED_COL_SEQUENCE, PMED_COL_STATICS, PMED_COL_LABEL},
	.null_detail = "sequence, NULL statics or a NULL label",
	.with_statics = &pmed_rnn_statics_family,
	.params_size = sizeof(NnParams),
	.n_param_fields = lengthof(nn_param_fields),
	.param_fields = nn_param_fields,
	.parse_params = rnn_parse_params,
	.fit = rnn_fit,
	.predict = nn_predict,
	.predict_proba = nn_predict_proba,
};

PMED_TRAIN_AGGREGATE(cnn_train, pmed_cnn_family)
PMED_TRAIN_AGGREGATE(cnn_train_statics, pmed_cnn_statics_family)
PMED_TRAIN_AGGREGATE(rnn_train_statics, pmed_rnn_statics_family)
PMED_TRAIN_AGGREGATE(rnn_train, pmed_rnn_family)
