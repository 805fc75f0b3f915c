/*
 * content.c - pmed.content_train(item bigint, features float8[] [, options]):
 * item profiles for content-based recommendation (see core/content.h).
 * Options: "standardize" (default false) scales every feature to mean 0,
 * sd 1 over the items before the L2 normalisation; "feature_names".
 * A NULL item or NULL array skips the row (counted); NULL, NaN or infinite
 * elements and a repeated item are errors (22023).
 */
#include "pmed.h"
#include "train_stats.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

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

/*
 * ---- the state: item profiles keyed by item (train_stats.h) ----
 *
 * The rows of content_train are items, not patients: the state holds each
 * item's id and feature vector, written sorted by item (so the bytes do not
 * depend on the plan); a repeated item is an error as soon as two states
 * meet (22023, as at the final step), and a state read with one is XX001.
 */
typedef struct ContentStats
{
	int64		n;
	int64		cap;
	int			d;				/* features per item, 0 until the first row */
	int64	   *ids;
	double	   *x;				/* n * d */
	bool		sorted;			/* ids ascending and distinct */
} ContentStats;

static bool
content_stats_wanted(FunctionCallInfo fcinfo, Jsonb *options, bool named_features)
{
	return !named_features;
}

static void *
content_stats_create(void)
{
	ContentStats *c = palloc0(sizeof(ContentStats));

	c->sorted = true;
	return c;
}

/* Room for one more item (current context: the state's). */
static void
content_stats_grow(ContentStats *c)
{
	if (c->n < c->cap)
		return;
	c->cap = c->cap ? c->cap * 2 : 256;
	if (c->cap * (int64) Max(c->d, 1) > ((int64) 1 << 30))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training set too large"),
				 errdetail("At most %lld feature values can be held for training.", (long long) 1 << 30)));
	c->ids = c->ids ? repalloc_huge(c->ids, sizeof(int64) * c->cap) :
		palloc_extended(sizeof(int64) * c->cap, MCXT_ALLOC_HUGE);
	c->x = c->x ? repalloc_huge(c->x, sizeof(double) * c->cap * Max(c->d, 1)) :
		palloc_extended(sizeof(double) * c->cap * Max(c->d, 1), MCXT_ALLOC_HUGE);
}

static void
content_stats_push(ContentStats *c, int64 id, const double *v)
{
	content_stats_grow(c);
	if (c->n > 0 && id <= c->ids[c->n - 1])
		c->sorted = false;
	c->ids[c->n] = id;
	memcpy(c->x + c->n * c->d, v, sizeof(double) * c->d);
	c->n++;
}

static int64
content_stats_add(void *stats, FunctionCallInfo fcinfo, MemoryContext aggcontext, const PmedStatsInfo *info)
{
	ContentStats *c = stats;
	int64		item = PG_GETARG_INT64(1);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);
	int			width = pmed_feature_array_length(arr);
	const double *src = (const double *) ARR_DATA_PTR(arr);
	MemoryContext old;

	pmed_check_feature_width(info->n_features, width);
	if (ARR_HASNULL(arr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("item features must not contain NULL"),
				 errdetail("Item " INT64_FORMAT " has a NULL feature.", item)));
	for (int j = 0; j < width; j++)
		if (!isfinite(src[j]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature %d of item " INT64_FORMAT " is %s", j + 1, item,
							isnan(src[j]) ? "NaN" : "infinite")));
	c->d = width;
	old = MemoryContextSwitchTo(aggcontext);
	content_stats_push(c, item, src);
	MemoryContextSwitchTo(old);
	return 1;
}

static int
content_order_cmp(const void *a, const void *b, void *arg)
{
	const int64 *ids = arg;
	int64		x = ids[*(const int64 *) a];
	int64		y = ids[*(const int64 *) b];

	return x < y ? -1 : x > y;
}

/* Sort by item (a permutation, then the rows); a repeated item: 22023. */
static void
content_stats_sort(ContentStats *c)
{
	int64	   *perm;
	int64	   *ids;
	double	   *x;

	if (!c->sorted)
	{
		perm = palloc_extended(sizeof(int64) * Max(c->n, 1), MCXT_ALLOC_HUGE);
		for (int64 i = 0; i < c->n; i++)
			perm[i] = i;
		pmed_sort_arg(perm, c->n, sizeof(int64), content_order_cmp, c->ids);
		ids = MemoryContextAllocHuge(GetMemoryChunkContext(c->ids), sizeof(int64) * Max(c->cap, 1));
		x = MemoryContextAllocHuge(GetMemoryChunkContext(c->x), sizeof(double) * Max(c->cap, 1) * Max(c->d, 1));
		for (int64 i = 0; i < c->n; i++)
		{
			ids[i] = c->ids[perm[i]];
			memcpy(x + i * c->d, c->x + perm[i] * c->d, sizeof(double) * c->d);
		}
		pfree(c->ids);
		pfree(c->x);
		pfree(perm);
		c->ids = ids;
		c->x = x;
		c->sorted = true;
	}
	for (int64 i = 1; i < c->n; i++)
		if (c->ids[i] == c->ids[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("item " INT64_FORMAT " appears more than once", c->ids[i])));
}

static void
content_stats_merge(void *dst, const void *src, const PmedStatsInfo *info)
{
	ContentStats *d = dst;
	const ContentStats *s = src;

	if (s->n == 0)
		return;
	if (d->n == 0 && d->cap == 0)
		d->d = s->d;
	for (int64 i = 0; i < s->n; i++)
		content_stats_push(d, s->ids[i], s->x + i * s->d);
	/* a repeated item is an error now, not only at the final step */
	content_stats_sort(d);
}

/*   i64 n, then per item ascending: i64 id, f64 features[n_features] */
static void
content_stats_write(PmedWriter *w, void *stats)
{
	ContentStats *c = stats;

	content_stats_sort(c);
	pmed_put_i64(w, c->n);
	for (int64 i = 0; i < c->n; i++)
	{
		pmed_put_i64(w, c->ids[i]);
		pmed_put_bytes(w, c->x + i * c->d, sizeof(double) * c->d);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
}

static void *
content_stats_read(PmedReader *r, const PmedStatsInfo *info)
{
	ContentStats *c = content_stats_create();
	int64		n;
	int			d = Max(*info->n_features, 0);
	double	   *v = palloc(sizeof(double) * Max(d, 1));

	if (!pmed_get_i64(r, &n))
		return NULL;
	if (n != info->n_rows || (n > 0 && d == 0))
		return pmed_reader_fail(r, "item count does not match the state's rows"), NULL;
	if ((uint64) n > r->left / (8 + 8 * (uint64) d))
		return pmed_reader_fail(r, "truncated"), NULL;
	c->d = d;
	for (int64 i = 0; i < n; i++)
	{
		int64		id;

		if (!pmed_get_i64(r, &id) || !pmed_get_bytes(r, v, sizeof(double) * d))
			return NULL;
		if (i > 0 && id <= c->ids[i - 1])
			return pmed_reader_fail(r, "items not ascending or repeated"), NULL;
		for (int j = 0; j < d; j++)
			if (!isfinite(v[j]))
				return pmed_reader_fail(r, "bad feature value"), NULL;
		content_stats_push(c, id, v);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(v);
	return c;
}

static void
content_stats_fit(void *stats, const PmedTrainSet *set, PmedSchema *schema, PmedWriter *algo,
				  PmedJson *meta)
{
	ContentStats *c = stats;
	PmedTrainSet items = *set;

	content_stats_sort(c);
	items.n_rows = c->n;
	items.n_features = c->d;
	items.item = c->ids;
	items.x = c->x;
	content_fit(&items, schema, algo, meta);
}

static const PmedStatsOps content_stats_ops = {
	.wanted = content_stats_wanted,
	.create = content_stats_create,
	.add = content_stats_add,
	.merge = content_stats_merge,
	.write = content_stats_write,
	.read = content_stats_read,
	.fit = content_stats_fit,
};

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
	.stats = &content_stats_ops,	/* item profiles keyed by item */
};

PMED_TRAIN_AGGREGATE(content_train, pmed_content_family)
