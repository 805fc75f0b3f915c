/*
 * train_stats.c - statistics instead of rows in training states (see
 * train_stats.h): the dispatch train_state.c calls, and the statistics of
 * the baseline (class counts, or n and the exact label sum) and of
 * interaction sets (the distinct pairs).  No patient row is kept: a
 * baseline state holds only labels' counts or their sum, an interactions
 * state only drug pairs.
 */
#include "pmed.h"
#include "train_stats.h"
#include "train_state_type.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "core/baseline.h"
#include "core/exactsum.h"
#include "core/interactions.h"
#include "core/util.h"

void *
pmed_stats_begin(FunctionCallInfo fcinfo, const PmedFamily *family, Jsonb *options,
				 bool named_features)
{
	if (family->stats == NULL || !family->stats->wanted(fcinfo, options, named_features))
		return NULL;
	return family->stats->create();
}

const PmedFamily *
pmed_stats_family(const PmedFamily *family)
{
	if (family == &pmed_cf_family)
		return &pmed_cf_hist_family;
	return family->stats ? family : NULL;
}

/* ---- baseline: class counts, or n and the exact sum ---- */

typedef enum
{
	BASE_NUMERIC_CLASSES = 0,	/* numeric labels, classification: (value, count) */
	BASE_TEXT_CLASSES = 1,		/* text labels: (text, count) */
	BASE_SUM = 2				/* regression: the exact sum */
} BaselineMode;

typedef struct BaselineStats
{
	int64		n;				/* rows */
	int			n_keys;
	int			cap;
	double	   *num;			/* ascending values, or */
	char	  **text;			/* ascending (strcmp) texts */
	int64	   *count;
	PmedExactSum sum;
} BaselineStats;

static BaselineMode
baseline_mode(const PmedStatsInfo *info)
{
	if (info->common->task == PMED_TASK_REGRESSION)
		return BASE_SUM;
	return info->label_kind == PMED_LABEL_TEXT ? BASE_TEXT_CLASSES : BASE_NUMERIC_CLASSES;
}

static bool
baseline_wanted(FunctionCallInfo fcinfo, Jsonb *options, bool named_features)
{
	/* named features learn an encoding from the rows; a search or cv refits on folds */
	return !named_features && !pmed_option_present(options, "search") &&
		!pmed_option_present(options, "cv") && !pmed_option_present(options, "metric");
}

static void *
baseline_create(void)
{
	return palloc0(sizeof(BaselineStats));
}

/* Position of a key (found: *found), or where it goes. */
static int
baseline_find(const BaselineStats *b, double num, const char *text, bool *found)
{
	int			lo = 0,
				hi = b->n_keys;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = text ? strcmp(b->text[mid], text) :
			(b->num[mid] < num ? -1 : b->num[mid] > num);

		if (c == 0)
		{
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Count a class key (in the current context: the state's). */
static void
baseline_count(BaselineStats *b, double num, const char *text, int64 count)
{
	bool		found;
	int			at = baseline_find(b, num, text, &found);

	if (!found)
	{
		if (b->n_keys >= PMED_MAX_CLASSES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many classes"),
					 errdetail("At most %d distinct labels are supported.", PMED_MAX_CLASSES)));
		if (b->n_keys == b->cap)
		{
			b->cap = b->cap ? b->cap * 2 : 8;
			b->count = b->count ? repalloc(b->count, sizeof(int64) * b->cap) : palloc(sizeof(int64) * b->cap);
			if (text)
				b->text = b->text ? repalloc(b->text, sizeof(char *) * b->cap) : palloc(sizeof(char *) * b->cap);
			else
				b->num = b->num ? repalloc(b->num, sizeof(double) * b->cap) : palloc(sizeof(double) * b->cap);
		}
		memmove(b->count + at + 1, b->count + at, sizeof(int64) * (b->n_keys - at));
		b->count[at] = 0;
		if (text)
		{
			memmove(b->text + at + 1, b->text + at, sizeof(char *) * (b->n_keys - at));
			b->text[at] = pstrdup(text);
		}
		else
		{
			memmove(b->num + at + 1, b->num + at, sizeof(double) * (b->n_keys - at));
			b->num[at] = num;
		}
		b->n_keys++;
	}
	b->count[at] += count;
}

static int64
baseline_add(void *stats, FunctionCallInfo fcinfo, MemoryContext aggcontext, const PmedStatsInfo *info)
{
	BaselineStats *b = stats;
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	int			width = pmed_feature_array_length(arr);
	Oid			label_type = pmed_state_argtype(fcinfo, 2);
	double	   *x;
	MemoryContext old;

	/* the features are checked as the row store checks them, then dropped */
	pmed_check_feature_width(info->n_features, width);
	x = palloc(sizeof(double) * width);
	if (pmed_copy_features(arr, width, x) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a training row has no feature values: all %d are NULL", width),
				 errhint("Leave such rows out with WHERE, or pass a NULL array to skip them.")));
	pfree(x);

	if (b->n == PG_INT64_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training set too large")));
	switch (baseline_mode(info))
	{
		case BASE_TEXT_CLASSES:
			{
				Oid			typoutput;
				bool		isvarlena;
				char	   *s;

				getTypeOutputInfo(label_type, &typoutput, &isvarlena);
				s = OidOutputFunctionCall(typoutput, PG_GETARG_DATUM(2));
				old = MemoryContextSwitchTo(aggcontext);
				baseline_count(b, 0, s, 1);
				MemoryContextSwitchTo(old);
				break;
			}
		case BASE_NUMERIC_CLASSES:
			{
				double		y = pmed_train_numeric_label(PG_GETARG_DATUM(2), label_type);

				old = MemoryContextSwitchTo(aggcontext);
				baseline_count(b, y, NULL, 1);
				MemoryContextSwitchTo(old);
				break;
			}
		case BASE_SUM:
			{
				double		y = pmed_train_numeric_label(PG_GETARG_DATUM(2), label_type);

				old = MemoryContextSwitchTo(aggcontext);
				pmed_exactsum_add(&b->sum, y);
				MemoryContextSwitchTo(old);
				break;
			}
	}
	b->n++;
	return 1;
}

static void
baseline_merge(void *dst, const void *src, const PmedStatsInfo *info)
{
	BaselineStats *d = dst;
	const BaselineStats *s = src;

	for (int k = 0; k < s->n_keys; k++)
		baseline_count(d, s->num ? s->num[k] : 0, s->text ? s->text[k] : NULL, s->count[k]);
	pmed_exactsum_merge(&d->sum, &s->sum);
	d->n += s->n;
}

/*
 *   u8 mode, i64 n, then u32 n_keys and per key (f64 value | str text, i64 count),
 *   or the exact sum (mode 2)
 */
static void
baseline_write(PmedWriter *w, void *stats)
{
	BaselineStats *b = stats;
	uint8		mode = b->text ? BASE_TEXT_CLASSES : b->num ? BASE_NUMERIC_CLASSES : 255;

	if (b->n_keys == 0)
	{
		/* no class yet (or regression): the sum, possibly 0 */
		pmed_put_u8(w, BASE_SUM);
		pmed_put_i64(w, b->n);
		pmed_exactsum_write(w, &b->sum);
		return;
	}
	pmed_put_u8(w, mode);
	pmed_put_i64(w, b->n);
	pmed_put_u32(w, (uint32) b->n_keys);
	for (int k = 0; k < b->n_keys; k++)
	{
		if (b->text)
			pmed_put_str(w, b->text[k]);
		else
			pmed_put_f64(w, b->num[k]);
		pmed_put_i64(w, b->count[k]);
	}
}

static void *
baseline_read(PmedReader *r, const PmedStatsInfo *info)
{
	BaselineStats *b = palloc0(sizeof(BaselineStats));
	BaselineMode expect = baseline_mode(info);
	uint8		mode;
	uint32		n_keys;
	int64		total = 0;

	if (!pmed_get_u8(r, &mode) || !pmed_get_i64(r, &b->n))
		return NULL;
	if (b->n != info->n_rows)
		return pmed_reader_fail(r, "statistics do not count the state's rows"), NULL;
	if (mode == BASE_SUM)
	{
		double		v;

		if (!pmed_exactsum_read(r, &b->sum))
			return NULL;
		v = pmed_exactsum_value(&b->sum);
		if (!isfinite(v))
			return pmed_reader_fail(r, "label sum out of range"), NULL;
		/* a classification state with no row yet is written as an empty sum */
		if (expect != BASE_SUM && (b->n != 0 || pmed_exactsum_sign(&b->sum) != 0))
			return pmed_reader_fail(r, "statistics do not match the task"), NULL;
		if (info->label_kind != PMED_LABEL_NONE && b->n == 0 && pmed_exactsum_sign(&b->sum) != 0)
			return pmed_reader_fail(r, "a sum without rows"), NULL;
		return b;
	}
	if (mode != expect)
		return pmed_reader_fail(r, "statistics do not match the label type"), NULL;
	if (!pmed_get_count(r, PMED_MAX_CLASSES, 9, &n_keys) || n_keys == 0)
		return pmed_reader_fail(r, "bad class count"), NULL;
	for (uint32 k = 0; k < n_keys; k++)
	{
		double		num = 0;
		char	   *text = NULL;
		int64		count;
		bool		found;
		int			at;

		if (mode == BASE_TEXT_CLASSES)
		{
			if (!pmed_get_str(r, &text))
				return NULL;
			if (!pg_verifymbstr(text, strlen(text), true))
				return pmed_reader_fail(r, "label is not valid text in the server encoding"), NULL;
		}
		else if (!pmed_get_f64(r, &num))
			return NULL;
		else if ((info->label_kind == PMED_LABEL_BOOL && num != 0 && num != 1) ||
				 (info->label_kind == PMED_LABEL_INT &&
				  (num != floor(num) || fabs(num) > 9007199254740992.0)))
			return pmed_reader_fail(r, "label does not fit its type"), NULL;
		if (!pmed_get_i64(r, &count))
			return NULL;
		if (count < 1 || count > b->n - total)
			return pmed_reader_fail(r, "bad class count"), NULL;
		at = baseline_find(b, num, text, &found);
		if (at != b->n_keys || found)
			return pmed_reader_fail(r, "labels not ascending"), NULL;
		baseline_count(b, num, text, count);
		total += count;
	}
	if (total != b->n)
		return pmed_reader_fail(r, "class counts do not add up to the rows"), NULL;
	return b;
}

static void
baseline_stats_fit(void *stats, const PmedTrainSet *set, PmedSchema *schema, PmedWriter *algo,
				   PmedJson *meta)
{
	BaselineStats *b = stats;
	PmedBaseline *model;

	if (schema->task == PMED_TASK_CLASSIFICATION)
	{
		/* classes ascending, as the row store's canonical order gives them */
		schema->classes = palloc(sizeof(char *) * Max(b->n_keys, 1));
		for (int k = 0; k < b->n_keys; k++)
			schema->classes[k] = b->text ? pstrdup(b->text[k]) : pmed_class_text(schema->label_kind, b->num[k]);
		schema->n_classes = b->n_keys;
		if (b->n_keys < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("only one class in the training rows: %s", schema->classes[0]),
					 errdetail("Classification needs at least two distinct labels.")));
		if (set->common->positive != NULL)
		{
			for (int k = 0; k < b->n_keys; k++)
				if (strcmp(schema->classes[k], set->common->positive) == 0)
					schema->positive = k;
			if (schema->positive < 0)
				pmed_option_error("positive", psprintf("\"%s\" is not one of the training labels.",
													   set->common->positive));
		}
		else if (b->n_keys == 2)
			schema->positive = 1;
		model = pmed_baseline_from_stats(b->count, b->n_keys, b->n, NULL);
	}
	else
		model = pmed_baseline_from_stats(NULL, 0, b->n, &b->sum);
	pmed_baseline_write(algo, model);
	pmed_json_kv_string(meta, "strategy", b->n_keys > 0 ? "prior" : "mean");
	pmed_json_kv_bool(meta, "stores_training_rows", false);
}

const PmedStatsOps pmed_baseline_stats_ops = {
	.wanted = baseline_wanted,
	.create = baseline_create,
	.add = baseline_add,
	.merge = baseline_merge,
	.write = baseline_write,
	.read = baseline_read,
	.fit = baseline_stats_fit,
};

/* ---- interactions: the distinct pairs ---- */

typedef struct PairSet
{
	int64		self_pairs;		/* (x, x) rows */
	int64		n;				/* pairs held; the first n_sorted sorted and distinct */
	int64		n_sorted;
	int64		cap;
	int64	   *ab;				/* a < b, interleaved */
} PairSet;

static int
pair_cmp(const void *x, const void *y)
{
	const int64 *a = x;
	const int64 *b = y;

	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* Sort and drop duplicates. */
static void
pairs_compact(PairSet *s)
{
	int64		out = 0;

	if (s->n_sorted == s->n)
		return;
	pmed_sort(s->ab, s->n, sizeof(int64) * 2, pair_cmp);
	for (int64 i = 0; i < s->n; i++)
	{
		if (out > 0 && s->ab[2 * out - 2] == s->ab[2 * i] && s->ab[2 * out - 1] == s->ab[2 * i + 1])
			continue;
		s->ab[2 * out] = s->ab[2 * i];
		s->ab[2 * out + 1] = s->ab[2 * i + 1];
		out++;
	}
	s->n = s->n_sorted = out;
	CHECK_FOR_INTERRUPTS();
}

/* Add (a, b), a < b (current context: the state's).  At most twice the distinct pairs are held. */
static void
pairs_add(PairSet *s, int64 a, int64 b)
{
	if (s->n == s->cap)
	{
		pairs_compact(s);
		if (s->cap == 0 || s->n * 2 > s->cap)
		{
			s->cap = s->cap ? s->cap * 2 : 1024;
			if (s->cap > PMED_DDI_MAX_PAIRS * (int64) 2)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many interacting pairs"),
						 errdetail("At most %d distinct pairs are supported.", PMED_DDI_MAX_PAIRS)));
			s->ab = s->ab ? repalloc_huge(s->ab, sizeof(int64) * 2 * s->cap) :
				palloc_extended(sizeof(int64) * 2 * s->cap, MCXT_ALLOC_HUGE);
		}
	}
	s->ab[2 * s->n] = a;
	s->ab[2 * s->n + 1] = b;
	s->n++;
}

static bool
pairs_wanted(FunctionCallInfo fcinfo, Jsonb *options, bool named_features)
{
	return true;
}

static void *
pairs_create(void)
{
	return palloc0(sizeof(PairSet));
}

static int64
pairs_add_row(void *stats, FunctionCallInfo fcinfo, MemoryContext aggcontext, const PmedStatsInfo *info)
{
	PairSet    *s = stats;
	int64		a = PG_GETARG_INT64(1);
	int64		b = PG_GETARG_INT64(2);
	MemoryContext old;

	if (a == b)
	{
		s->self_pairs++;
		return 1;
	}
	old = MemoryContextSwitchTo(aggcontext);
	pairs_add(s, Min(a, b), Max(a, b));
	MemoryContextSwitchTo(old);
	return 1;
}

static void
pairs_merge(void *dst, const void *src, const PmedStatsInfo *info)
{
	PairSet    *d = dst;
	const PairSet *s = src;

	for (int64 i = 0; i < s->n; i++)
	{
		pairs_add(d, s->ab[2 * i], s->ab[2 * i + 1]);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	d->self_pairs += s->self_pairs;
}

/*   i64 self pairs, i64 n, then n (a, b) with a < b, strictly ascending */
static void
pairs_write(PmedWriter *w, void *stats)
{
	PairSet    *s = stats;

	pairs_compact(s);
	pmed_put_i64(w, s->self_pairs);
	pmed_put_i64(w, s->n);
	for (int64 i = 0; i < 2 * s->n; i++)
		pmed_put_i64(w, s->ab[i]);
}

static void *
pairs_read(PmedReader *r, const PmedStatsInfo *info)
{
	PairSet    *s = palloc0(sizeof(PairSet));
	int64		n;

	if (!pmed_get_i64(r, &s->self_pairs) || !pmed_get_i64(r, &n))
		return NULL;
	if (s->self_pairs < 0 || s->self_pairs > info->n_rows || n < 0 ||
		n > info->n_rows - s->self_pairs || n > PMED_DDI_MAX_PAIRS)
		return pmed_reader_fail(r, "bad pair counts"), NULL;
	if ((uint64) n > r->left / 16)
		return pmed_reader_fail(r, "truncated"), NULL;
	s->cap = Max(n, 1);
	s->ab = palloc_extended(sizeof(int64) * 2 * s->cap, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
	{
		if (!pmed_get_i64(r, &s->ab[2 * i]) || !pmed_get_i64(r, &s->ab[2 * i + 1]))
			return NULL;
		if (s->ab[2 * i] >= s->ab[2 * i + 1] ||
			(i > 0 && pair_cmp(&s->ab[2 * i - 2], &s->ab[2 * i]) >= 0))
			return pmed_reader_fail(r, "pairs not ascending"), NULL;
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	s->n = s->n_sorted = n;
	return s;
}

static void
pairs_fit(void *stats, const PmedTrainSet *set, PmedSchema *schema, PmedWriter *algo, PmedJson *meta)
{
	PairSet    *s = stats;
	PmedInteractions d = {0};
	int64	   *a,
			   *b;

	pairs_compact(s);
	a = palloc_extended(sizeof(int64) * Max(s->n, 1), MCXT_ALLOC_HUGE);
	b = palloc_extended(sizeof(int64) * Max(s->n, 1), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < s->n; i++)
	{
		a[i] = s->ab[2 * i];
		b[i] = s->ab[2 * i + 1];
	}
	pmed_ddi_build(&d, (int64_t *) a, (int64_t *) b, (uint64_t) s->n);
	d.self_pairs = (uint64_t) s->self_pairs;
	d.rows_skipped = schema->rows_skipped;
	pmed_ddi_encode(&d, algo);
	pmed_json_kv_uint(meta, "pairs", d.n_pairs);
	pmed_json_kv_uint(meta, "self_pairs_ignored", d.self_pairs);
	pmed_json_kv_uint(meta, "duplicate_rows_merged", (uint64) set->n_rows - d.self_pairs - d.n_pairs);
	pmed_json_kv_bool(meta, "stores_training_rows", false);
}

const PmedStatsOps pmed_interactions_stats_ops = {
	.wanted = pairs_wanted,
	.create = pairs_create,
	.add = pairs_add_row,
	.merge = pairs_merge,
	.write = pairs_write,
	.read = pairs_read,
	.fit = pairs_fit,
};
