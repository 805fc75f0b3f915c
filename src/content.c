/*
 * content.c - pmed.content_train(item bigint, features float8[] [, options]):
 * item profiles for content-based recommendation (see core/content.h).
 * Options: "standardize" (default false) scales every feature to mean 0,
 * sd 1 over the items before the L2 normalisation; "feature_names".
 * A NULL item or NULL array skips the row (counted); NULL, NaN or infinite
 * elements and a repeated item are errors (22023).
 */
#include "pmed.h"

#include "core/content.h"

static const char *const content_option_keys[] = {"standardize", "feature_names", NULL};

typedef struct ContentParams
{
	bool		standardize;
} ContentParams;

static const PmedParamField content_param_fields[] = {
	PMED_PARAM(BOOL, ContentParams, standardize, 0, 1),
};

static void
content_parse_params(Jsonb *options, const PmedCommonParams *common, void *params)
{
	((ContentParams *) params)->standardize = pmed_option_bool(options, "standardize", false);
}

static void
content_fit(const PmedTrainSet *data, PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	const ContentParams *prm = data->params;
	PmedContentModel *m;
	PmedError	err = {0};

	if (pmed_content_fit(data->item, data->x, data->n_rows, data->n_features, prm->standardize,
						 &m, &err) != PMED_OK)
		pmed_report(&err);
	pmed_content_encode(m, algo);
	pmed_json_kv_string(meta, "method", "content");
	pmed_json_kv_uint(meta, "items", m->n_items);
	pmed_json_kv_bool(meta, "standardize", prm->standardize);
	pmed_json_kv_bool(meta, "stores_training_rows", false);
}

const PmedFamily pmed_content_family = {
	.kind = PMED_KIND_CONTENT,
	.name = "content",
	.option_keys = content_option_keys,
	.n_columns = 2,
	.columns = {PMED_COL_ITEM, PMED_COL_FEATURES},
	.features_complete = true,
	.null_detail = "item or a NULL feature array",
	.params_size = sizeof(ContentParams),
	.n_param_fields = lengthof(content_param_fields),
	.param_fields = content_param_fields,
	.parse_params = content_parse_params,
	.fit = content_fit,
	.predict = NULL,
};

PMED_TRAIN_AGGREGATE(content_train, pmed_content_family)
