/*
 * metric_state.c - the pmed.metric_state type: expanded object, flat form,
 * INPUT / OUTPUT / RECEIVE / SEND, the shared combine function and the
 * state helpers of metrics.c, evaluate.c and recalibrate.c.
 *
 * Flat form (the bytes after the varlena header; also the binary form and,
 * in canonical base64, the text form).  Big-endian:
 *
 *   0   "PMS1" magic                      4   u8 version (1)
 *   5   u8 kind (MetricKind)              6   u8 flags (bit 0: has_param)
 *   7   u8 0                              8   f64 param (0 without one)
 *   16  body of the kind
 *   end u32 CRC32C of every byte before it
 *
 * Bodies:
 *   accuracy          i64 n, i64 correct (0 <= correct <= n)
 *   rmse/log_loss/brier  i64 n, then the exact sum in the canonical form of
 *                     pmed_exactsum_write (core/exactsum.h, little-endian:
 *                     9 bytes when a double holds the sum exactly, else
 *                     6 + 4 per digit); zero when n is 0, never negative,
 *                     below 2^1088 (n < 2^63 finite terms)
 *   score kinds       i64 n_runs, then per run f64 score, i64 pos, i64 neg
 *                     (scores strictly ascending, finite, no -0.0; in
 *                     [0, 1] for probabilities)
 *   auc_compare       i64 n_pos, i64 n_neg, then (n_pos + n_neg) rows of
 *                     f64 score_a, f64 score_b, positives first
 *   confusion_matrix  i32 n_labels (<= 1000), per label i32 length and its
 *                     bytes (strictly ascending byte-wise), i32 n_pairs,
 *                     per pair i32 actual, i32 predicted, i64 count > 0
 *                     (strictly ascending by (actual, predicted))
 *   recalibrate       i32 method, i32 max_steps, i64 skipped, i32 model
 *                     length, the model bytes, u32 model CRC, i64 model
 *                     size, then the runs of the score kinds (probabilities)
 *
 * The flat form is canonical: one value has one form (sorted runs, sorted
 * labels and pairs, normalized limbs), so equal statistics give equal text
 * whatever the plan.  Every byte read from outside is checked (lengths
 * before reading, magic, version, kind, flags, counts, finite floats, the
 * CRC); damage is ERROR XX001, bad text 22P02.
 */
#include "pmed.h"

#include <math.h>

#include "common/hashfn.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "core/codec.h"
#include "core/metrics.h"
#include "core/recalibrate.h"
#include "metric_state.h"
#include "state_io.h"

#define MS_MAGIC_MEM	0x4D534554	/* in-memory tag */
#define MS_HEADER		16
#define MS_TRAILER		4
#define MS_VERSION		1
#define MS_FLAG_PARAM	0x01
#define MS_RUN_BYTES	24
/* exact sums stay below 2^1088: limbs 0 .. 101 of core/exactsum.c */
#define MS_SUM_LIMBS	102
#define MS_TYPE_NAME	"pmed.metric_state"
/* Most distinct labels confusion_matrix() accepts (the matrix is dense). */
#define PMED_CM_MAX_LABELS 1000
/* rows buffered before they are folded into the sorted runs */
#define MS_MIN_BUFFER	65536

static const uint8 ms_magic[4] = {'P', 'M', 'S', '1'};

static Size ms_get_flat_size(ExpandedObjectHeader *eohptr);
static void ms_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods ms_methods = {
	ms_get_flat_size,
	ms_flatten_into
};

static void pg_attribute_noreturn()
ms_corrupt(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid %s value", MS_TYPE_NAME),
			 errdetail("%s", detail)));
}

static bool
kind_has_runs(int kind)
{
	return kind == MS_SCORE || kind == MS_SCORE_PARAM || kind == MS_SCORE_INT ||
		kind == MS_PROB || kind == MS_PROB_INT || kind == MS_RECAL_FEATURES ||
		kind == MS_RECAL_SCORE;
}

static bool
kind_is_prob(int kind)
{
	return kind == MS_PROB || kind == MS_PROB_INT || kind == MS_RECAL_FEATURES ||
		kind == MS_RECAL_SCORE;
}

static bool
kind_has_param(int kind)
{
	return kind == MS_SCORE_PARAM || kind == MS_SCORE_INT || kind == MS_PROB_INT;
}

static bool
kind_is_sum(int kind)
{
	return kind == MS_RMSE || kind == MS_LOG_LOSS || kind == MS_BRIER;
}

static bool
kind_is_recal(int kind)
{
	return kind == MS_RECAL_FEATURES || kind == MS_RECAL_SCORE;
}

static const char *
kind_name(int kind)
{
	switch (kind)
	{
		case MS_ACCURACY:
			return "accuracy";
		case MS_CONFUSION:
			return "confusion_matrix";
		case MS_RMSE:
			return "rmse";
		case MS_LOG_LOSS:
			return "log_loss";
		case MS_BRIER:
			return "brier";
		case MS_SCORE:
			return "score counts (auc, pr_auc, auc_ci, roc_curve, pr_curve)";
		case MS_SCORE_PARAM:
			return "score counts with a constant (auc_ci with level, threshold_metrics, threshold_for, threshold_for_specificity)";
		case MS_SCORE_INT:
			return "score counts with max_points (roc_curve, pr_curve)";
		case MS_PROB:
			return "probability counts (calibration, calibration_curve)";
		case MS_PROB_INT:
			return "probability counts with bins (calibration_curve)";
		case MS_PAIR:
			return "paired scores (auc_compare)";
		case MS_RECAL_FEATURES:
			return "recalibrate from features";
		case MS_RECAL_SCORE:
			return "recalibrate from scores";
	}
	return "unknown";
}

/* ---- the object ---- */

static MetricState *
ms_new(MemoryContext parent, int kind)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "pmed.metric_state",
											  ALLOCSET_START_SMALL_SIZES);
	MetricState *s = MemoryContextAllocZero(cxt, sizeof(MetricState));

	EOH_init_header(&s->hdr, &ms_methods, cxt);
	s->magic = MS_MAGIC_MEM;
	s->kind = kind;
	pmed_exactsum_init(&s->sum);
	if (kind == MS_CONFUSION)
	{
		CmState    *cm = MemoryContextAllocZero(cxt, sizeof(CmState));

		cm->cap_labels = 8;
		cm->labels = MemoryContextAlloc(cxt, cm->cap_labels * sizeof(CmLabel));
		cm->n_label_slots = 16;
		cm->label_slots = MemoryContextAllocZero(cxt, cm->n_label_slots * sizeof(int32));
		cm->n_pair_slots = 16;
		cm->pair_keys = MemoryContextAllocZero(cxt, cm->n_pair_slots * sizeof(uint64));
		cm->pair_counts = MemoryContextAllocZero(cxt, cm->n_pair_slots * sizeof(int64));
		s->cm = cm;
	}
	return s;
}

/* Is d a pointer to one of our expanded objects? */
static MetricState *
ms_expanded(Datum d)
{
	MetricState *s;

	if (!VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
		return NULL;
	s = (MetricState *) DatumGetEOHP(d);
	if (s->hdr.eoh_methods != &ms_methods || s->magic != MS_MAGIC_MEM)
		elog(ERROR, "expanded object is not a pmed.metric_state");
	return s;
}

static MetricState *ms_parse(const uint8 *buf, Size len, MemoryContext parent);

/* The state behind a datum: ours when expanded, else parsed (validated). */
static MetricState *
ms_from_datum(Datum d, MemoryContext parent, bool *is_copy)
{
	MetricState *s = ms_expanded(d);
	struct varlena *v;

	*is_copy = false;
	if (s != NULL)
		return s;
	v = pg_detoast_datum((struct varlena *) DatumGetPointer(d));
	*is_copy = true;
	return ms_parse((const uint8 *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), parent);
}

static void ms_merge(MetricState *dst, MetricState *src);

MetricState *
ms_transition(FunctionCallInfo fcinfo, int kind)
{
	MemoryContext aggcontext;
	MetricState *s;
	Datum		d;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "pmed.metric_state transition function called in non-aggregate context");
	if (PG_ARGISNULL(0))
		return ms_new(aggcontext, kind);
	d = PG_GETARG_DATUM(0);
	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		(s = ms_expanded(d)) != NULL &&
		MemoryContextGetParent(MS_CXT(s)) == aggcontext)
	{
		if (s->kind != kind)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("pmed.metric_state of kind \"%s\" given to an aggregate of kind \"%s\"",
							kind_name(s->kind), kind_name(kind))));
		return s;
	}
	/* flat (an INITCOND, a strict copy) or read-only: our own R/W copy */
	{
		bool		is_copy;
		MetricState *src = ms_from_datum(d, CurrentMemoryContext, &is_copy);

		if (src->kind != kind)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("pmed.metric_state of kind \"%s\" given to an aggregate of kind \"%s\"",
							kind_name(src->kind), kind_name(kind))));
		s = ms_new(aggcontext, kind);
		ms_merge(s, src);
		if (is_copy)
			DeleteExpandedObject(EOHPGetRWDatum(&src->hdr));
		return s;
	}
}

Datum
ms_skip_row(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

MetricState *
ms_final_arg(FunctionCallInfo fcinfo, int argno, const int *kinds, int nk, const char *fname)
{
	MetricState *s;
	bool		is_copy;

	if (PG_ARGISNULL(argno))
		return NULL;
	s = ms_from_datum(PG_GETARG_DATUM(argno), CurrentMemoryContext, &is_copy);
	for (int k = 0; k < nk; k++)
		if (s->kind == kinds[k])
			return s;
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("%s cannot finish a pmed.metric_state of kind \"%s\"", fname, kind_name(s->kind))));
}

void
ms_set_param(MetricState *s, double param)
{
	if (s->has_param && s->param != param)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("evaluation aggregate: the constant argument must be the same in every row"),
				 errdetail("Got %g and %g.", s->param, param)));
	s->has_param = true;
	s->param = param;
}

/* ---- rows and runs ---- */

static void
ms_list_reserve(MsList *l, int ncol, int64 extra, MemoryContext cxt)
{
	int64		need = l->n + extra;
	int64		most = (int64) (MaxAllocHugeSize / (sizeof(double) * ncol));
	int64		cap;

	if (need <= l->cap)
		return;
	if (need > most)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for an evaluation aggregate")));
	cap = Max(l->cap * 2, 64);
	cap = Max(cap, need);
	cap = Min(cap, most);
	if (l->v == NULL)
		l->v = MemoryContextAllocHuge(cxt, cap * ncol * sizeof(double));
	else
		l->v = repalloc_huge(l->v, cap * ncol * sizeof(double));
	l->cap = cap;
}

void
ms_compact(MetricState *s)
{
	double	   *tmp;
	PmedScoreRun *out;
	int64		room;
	int64		m;

	if (!kind_has_runs(s->kind) || (s->bpos.n == 0 && s->bneg.n == 0))
		return;
	tmp = MemoryContextAllocHuge(CurrentMemoryContext, Max(Max(s->bpos.n, s->bneg.n), 1) * sizeof(double));
	pmed_sort_doubles(s->bpos.v, s->bpos.n, tmp);
	pmed_sort_doubles(s->bneg.v, s->bneg.n, tmp);
	pfree(tmp);
	room = s->n_runs + s->bpos.n + s->bneg.n;
	if (room > (int64) (MaxAllocHugeSize / sizeof(PmedScoreRun)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct scores for an evaluation aggregate")));
	out = MemoryContextAllocHuge(MS_CXT(s), room * sizeof(PmedScoreRun));
	m = (int64) pmed_runs_absorb(s->runs, s->n_runs, s->bpos.v, s->bpos.n,
								 s->bneg.v, s->bneg.n, out);
	if (s->runs)
		pfree(s->runs);
	s->runs = m < room ? repalloc_huge(out, Max(m, 1) * sizeof(PmedScoreRun)) : out;
	s->n_runs = m;
	s->bpos.n = 0;
	s->bneg.n = 0;
	/* keep the buffers: they are reused (at most one buffer size each) */
}

static inline void
ms_buffer_push(MetricState *s, MsList *l, double v)
{
	if (l->n == l->cap)
	{
		/* fold the buffered rows into the runs once the buffer is large
		 * relative to them: amortised O(1) per row, memory O(distinct
		 * scores) when scores repeat */
		if (!s->keep_rows && l->n >= MS_MIN_BUFFER && l->n >= s->n_runs)
		{
			ms_compact(s);
			/* counts of nearly distinct scores (24 bytes each) take more room
			 * than the raw rows (8 bytes): buffer the rest until the end */
			if (s->n_runs * 3 > s->total_pos + s->total_neg)
				s->keep_rows = true;
		}
		if (l->n == l->cap)
			ms_list_reserve(l, 1, 1, MS_CXT(s));
	}
	l->v[l->n++] = v;
}

void
ms_add_score(MetricState *s, double score, bool positive)
{
	if (score == 0.0)
		score = 0.0;			/* one zero: -0.0 and +0.0 are the same score */
	if (positive)
	{
		ms_buffer_push(s, &s->bpos, score);
		s->total_pos++;
	}
	else
	{
		ms_buffer_push(s, &s->bneg, score);
		s->total_neg++;
	}
}

void
ms_add_pair(MetricState *s, double a, double b, bool positive)
{
	MsList	   *l = positive ? &s->bpos : &s->bneg;

	if (l->n == l->cap)
		ms_list_reserve(l, 2, 1, MS_CXT(s));
	l->v[2 * l->n] = a;
	l->v[2 * l->n + 1] = b;
	l->n++;
	if (positive)
		s->total_pos++;
	else
		s->total_neg++;
}

void
ms_sorted_scores(MetricState *s, double **pos, double **neg)
{
	ms_compact(s);
	*pos = MemoryContextAllocHuge(CurrentMemoryContext, Max(s->total_pos, 1) * sizeof(double));
	*neg = MemoryContextAllocHuge(CurrentMemoryContext, Max(s->total_neg, 1) * sizeof(double));
	pmed_runs_expand(s->runs, s->n_runs, *pos, *neg);
}

/* ---- confusion matrix tables ---- */

static void
cm_label_slot_put(CmState *s, int32 idx)
{
	uint32		mask = s->n_label_slots - 1;
	uint32		i = s->labels[idx].hash & mask;

	while (s->label_slots[i] != 0)
		i = (i + 1) & mask;
	s->label_slots[i] = idx + 1;
}

/* Index of a label, added (copied into cxt) when new. */
static int32
cm_label(CmState *s, const char *str, int32 len, MemoryContext cxt)
{
	uint32		hash = hash_bytes((const unsigned char *) str, len);
	uint32		mask = s->n_label_slots - 1;
	uint32		i = hash & mask;
	CmLabel    *l;

	while (s->label_slots[i] != 0)
	{
		l = &s->labels[s->label_slots[i] - 1];
		if (l->hash == hash && l->len == len && memcmp(l->str, str, len) == 0)
			return s->label_slots[i] - 1;
		i = (i + 1) & mask;
	}
	if (s->n_labels >= PMED_CM_MAX_LABELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("confusion_matrix: more than %d distinct labels", PMED_CM_MAX_LABELS)));
	if (s->n_labels == s->cap_labels)
	{
		s->cap_labels *= 2;
		s->labels = repalloc(s->labels, s->cap_labels * sizeof(CmLabel));
	}
	l = &s->labels[s->n_labels];
	l->str = MemoryContextAlloc(cxt, Max(len, 1));
	memcpy(l->str, str, len);
	l->len = len;
	l->hash = hash;
	s->n_labels++;
	if (s->n_labels * 2 > s->n_label_slots)
	{
		s->n_label_slots *= 2;
		pfree(s->label_slots);
		s->label_slots = MemoryContextAllocZero(cxt, s->n_label_slots * sizeof(int32));
		for (int32 k = 0; k < s->n_labels; k++)
			cm_label_slot_put(s, k);
	}
	else
		s->label_slots[i] = s->n_labels;
	return s->n_labels - 1;
}

static inline uint32
cm_pair_hash(uint64 key)
{
	return (uint32) (hash_bytes_uint32((uint32) key) ^ (hash_bytes_uint32((uint32) (key >> 32)) * 0x9E3779B1u));
}

static int32
cm_pair_slot(const CmState *s, uint64 stored)
{
	uint32		mask = s->n_pair_slots - 1;
	uint32		i = cm_pair_hash(stored) & mask;

	while (s->pair_keys[i] != 0 && s->pair_keys[i] != stored)
		i = (i + 1) & mask;
	return i;
}

static void
cm_pair_add(CmState *s, int32 actual, int32 predicted, int64 count, MemoryContext cxt)
{
	uint64		stored = (((uint64) actual << 32) | (uint32) predicted) + 1;
	int32		i = cm_pair_slot(s, stored);

	if (s->pair_keys[i] == stored)
	{
		if (pg_add_s64_overflow(s->pair_counts[i], count, &s->pair_counts[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("confusion_matrix: count out of range")));
		return;
	}
	s->pair_keys[i] = stored;
	s->pair_counts[i] = count;
	s->n_pairs++;
	if (s->n_pairs * 2 > s->n_pair_slots)
	{
		uint64	   *old_keys = s->pair_keys;
		int64	   *old_counts = s->pair_counts;
		int32		old_n = s->n_pair_slots;

		s->n_pair_slots *= 2;
		s->pair_keys = MemoryContextAllocZero(cxt, s->n_pair_slots * sizeof(uint64));
		s->pair_counts = MemoryContextAllocZero(cxt, s->n_pair_slots * sizeof(int64));
		for (int32 k = 0; k < old_n; k++)
			if (old_keys[k] != 0)
			{
				int32		j = cm_pair_slot(s, old_keys[k]);

				s->pair_keys[j] = old_keys[k];
				s->pair_counts[j] = old_counts[k];
			}
		pfree(old_keys);
		pfree(old_counts);
	}
}

void
ms_cm_add(MetricState *s, const char *pred, int32 plen, const char *act, int32 alen)
{
	MemoryContext cxt = MS_CXT(s);
	int32		p = cm_label(s->cm, pred, plen, cxt);
	int32		a = cm_label(s->cm, act, alen, cxt);

	cm_pair_add(s->cm, a, p, 1, cxt);
}

/* Byte-wise order of two labels. */
static int
cm_label_cmp_raw(const CmLabel *a, const CmLabel *b)
{
	int			c = memcmp(a->str, b->str, Min(a->len, b->len));

	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

static int
cm_label_cmp(const void *x, const void *y, void *arg)
{
	const CmState *state = arg;

	return cm_label_cmp_raw(&state->labels[*(const int32 *) x], &state->labels[*(const int32 *) y]);
}

typedef struct CmPair
{
	int32		actual;
	int32		predicted;
	int64		count;
} CmPair;

static int
cm_pair_cmp(const void *x, const void *y)
{
	const CmPair *a = x;
	const CmPair *b = y;

	if (a->actual != b->actual)
		return a->actual < b->actual ? -1 : 1;
	if (a->predicted != b->predicted)
		return a->predicted < b->predicted ? -1 : 1;
	return 0;
}

/* Labels in byte-wise order (order[k] = index) and the pairs in that
 * ranking, sorted: the canonical form. */
static CmPair *
cm_canonical(const CmState *cm, int32 **order_out)
{
	int32		n = cm->n_labels;
	int32	   *order = palloc(Max(n, 1) * sizeof(int32));
	int32	   *rank = palloc(Max(n, 1) * sizeof(int32));
	CmPair	   *pairs = palloc(Max(cm->n_pairs, 1) * sizeof(CmPair));
	int32		m = 0;

	for (int32 k = 0; k < n; k++)
		order[k] = k;
	qsort_arg(order, n, sizeof(int32), cm_label_cmp, (void *) cm);
	for (int32 k = 0; k < n; k++)
		rank[order[k]] = k;
	for (int32 k = 0; k < cm->n_pair_slots; k++)
		if (cm->pair_keys[k] != 0)
		{
			uint64		key = cm->pair_keys[k] - 1;

			pairs[m].actual = rank[(int32) (key >> 32)];
			pairs[m].predicted = rank[(int32) (uint32) key];
			pairs[m].count = cm->pair_counts[k];
			m++;
		}
	qsort(pairs, m, sizeof(CmPair), cm_pair_cmp);
	pfree(rank);
	*order_out = order;
	return pairs;
}

/* ---- merge (combine) ---- */

static void
ms_list_append(MsList *dst, const MsList *src, int ncol, MemoryContext cxt)
{
	if (src->n == 0)
		return;
	ms_list_reserve(dst, ncol, src->n, cxt);
	memcpy(dst->v + dst->n * ncol, src->v, src->n * ncol * sizeof(double));
	dst->n += src->n;
}

/* dst += src (same kind); src may be compacted, is otherwise unchanged. */
static void
ms_merge(MetricState *dst, MetricState *src)
{
	MemoryContext cxt = MS_CXT(dst);

	if (dst->kind != src->kind)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("cannot combine a pmed.metric_state of kind \"%s\" with one of kind \"%s\"",
						kind_name(dst->kind), kind_name(src->kind)),
				 errdetail("Partial states of different aggregates were mixed.")));
	if (src->has_param)
		ms_set_param(dst, src->param);
	switch (dst->kind)
	{
		case MS_ACCURACY:
			dst->n += src->n;
			dst->correct += src->correct;
			break;
		case MS_RMSE:
		case MS_LOG_LOSS:
		case MS_BRIER:
			{
				MemoryContext old = MemoryContextSwitchTo(cxt);

				dst->n += src->n;
				pmed_exactsum_merge(&dst->sum, &src->sum);
				MemoryContextSwitchTo(old);
				break;
			}
		case MS_CONFUSION:
			{
				int32	   *map = palloc(Max(src->cm->n_labels, 1) * sizeof(int32));

				for (int32 k = 0; k < src->cm->n_labels; k++)
					map[k] = cm_label(dst->cm, src->cm->labels[k].str, src->cm->labels[k].len, cxt);
				for (int32 k = 0; k < src->cm->n_pair_slots; k++)
					if (src->cm->pair_keys[k] != 0)
					{
						uint64		key = src->cm->pair_keys[k] - 1;

						cm_pair_add(dst->cm, map[(int32) (key >> 32)], map[(int32) (uint32) key],
									src->cm->pair_counts[k], cxt);
					}
				pfree(map);
				break;
			}
		case MS_PAIR:
			ms_list_append(&dst->bpos, &src->bpos, 2, cxt);
			ms_list_append(&dst->bneg, &src->bneg, 2, cxt);
			dst->total_pos += src->bpos.n;
			dst->total_neg += src->bneg.n;
			break;
		default:
			if (kind_is_recal(dst->kind))
			{
				if (!dst->configured)
				{
					dst->configured = true;
					dst->method = src->method;
					dst->max_steps = src->max_steps;
				}
				else if (src->configured &&
						 (dst->method != src->method || dst->max_steps != src->max_steps))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("pmed.recalibrate options must be the same for every row")));
				if (src->model != NULL)
				{
					if (dst->model == NULL)
					{
						dst->model = MemoryContextAlloc(cxt, VARSIZE(src->model));
						memcpy(dst->model, src->model, VARSIZE(src->model));
						dst->model_crc = src->model_crc;
						dst->model_size = src->model_size;
					}
					else if (VARSIZE(dst->model) != VARSIZE(src->model) ||
							 memcmp(dst->model, src->model, VARSIZE(dst->model)) != 0)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("pmed.recalibrate needs the same model in every row")));
				}
				dst->skipped += src->skipped;
			}
			/* runs: fold both buffers, then merge the sorted runs */
			ms_compact(dst);
			ms_compact(src);
			if (src->n_runs > 0)
			{
				PmedScoreRun *out = MemoryContextAllocHuge(cxt, (dst->n_runs + src->n_runs) * sizeof(PmedScoreRun));
				int64		m = (int64) pmed_runs_merge(dst->runs, dst->n_runs, src->runs, src->n_runs, out);

				if (dst->runs)
					pfree(dst->runs);
				dst->runs = out;
				dst->n_runs = m;
			}
			dst->total_pos += src->total_pos;
			dst->total_neg += src->total_neg;
			break;
	}
}

Datum
ms_combine(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext;
	MetricState *dst;
	MetricState *src;
	bool		is_copy;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "pmed.metric_state combine function called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	src = ms_from_datum(PG_GETARG_DATUM(1), CurrentMemoryContext, &is_copy);
	if (PG_ARGISNULL(0))
		dst = ms_new(aggcontext, src->kind);
	else
	{
		Datum		d = PG_GETARG_DATUM(0);

		if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
			(dst = ms_expanded(d)) != NULL &&
			MemoryContextGetParent(MS_CXT(dst)) == aggcontext)
			;					/* ours: update in place */
		else
		{
			bool		c2;
			MetricState *old = ms_from_datum(d, CurrentMemoryContext, &c2);

			dst = ms_new(aggcontext, old->kind);
			ms_merge(dst, old);
		}
	}
	ms_merge(dst, src);
	if (is_copy)
		DeleteExpandedObject(EOHPGetRWDatum(&src->hdr));
	MS_RETURN(dst);
}

/* ---- flat form ---- */

typedef struct MsWriter
{
	uint8	   *p;
	Size		len;
	Size		cap;
} MsWriter;

static inline void
w_bytes(MsWriter *w, const void *b, Size n)
{
	if (w->p)
		memcpy(w->p + w->len, b, n);
	w->len += n;
}

static inline void
w_u8(MsWriter *w, uint8 v)
{
	w_bytes(w, &v, 1);
}

static inline void
w_u32(MsWriter *w, uint32 v)
{
	if (w->p)
		pmed_put_be32(w->p + w->len, v);
	w->len += 4;
}

static inline void
w_u64(MsWriter *w, uint64 v)
{
	if (w->p)
		pmed_put_be64(w->p + w->len, v);
	w->len += 8;
}

static inline void
w_f64(MsWriter *w, double v)
{
	if (w->p)
		pmed_put_be_f64(w->p + w->len, v);
	w->len += 8;
}

static void
w_runs(MsWriter *w, const MetricState *s)
{
	w_u64(w, (uint64) s->n_runs);
	if (w->p == NULL)
	{
		w->len += (Size) s->n_runs * MS_RUN_BYTES;
		return;
	}
	for (int64 i = 0; i < s->n_runs; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		w_f64(w, s->runs[i].score);
		w_u64(w, s->runs[i].pos);
		w_u64(w, s->runs[i].neg);
	}
}

/* Write (or, with w->p NULL, measure) the flat bytes of a compacted state. */
static void
ms_write(MetricState *s, MsWriter *w)
{
	w_bytes(w, ms_magic, 4);
	w_u8(w, MS_VERSION);
	w_u8(w, (uint8) s->kind);
	w_u8(w, s->has_param ? MS_FLAG_PARAM : 0);
	w_u8(w, 0);
	w_f64(w, s->has_param ? s->param : 0.0);
	switch (s->kind)
	{
		case MS_ACCURACY:
			w_u64(w, s->n);
			w_u64(w, s->correct);
			break;
		case MS_RMSE:
		case MS_LOG_LOSS:
		case MS_BRIER:
			w_u64(w, s->n);
			if (w->p == NULL)
				w->len += pmed_exactsum_size(&s->sum);
			else
			{
				PmedWriter	sw;

				pmed_writer_init(&sw);
				pmed_exactsum_write(&sw, &s->sum);
				w_bytes(w, sw.buf, sw.len);
				pfree(sw.buf);
			}
			break;
		case MS_PAIR:
			w_u64(w, s->bpos.n);
			w_u64(w, s->bneg.n);
			if (w->p == NULL)
				w->len += (Size) (s->bpos.n + s->bneg.n) * 16;
			else
			{
				for (int64 i = 0; i < 2 * s->bpos.n; i++)
					w_f64(w, s->bpos.v[i]);
				for (int64 i = 0; i < 2 * s->bneg.n; i++)
					w_f64(w, s->bneg.v[i]);
			}
			break;
		case MS_CONFUSION:
			{
				int32	   *order;
				CmPair	   *pairs = cm_canonical(s->cm, &order);

				w_u32(w, s->cm->n_labels);
				for (int32 k = 0; k < s->cm->n_labels; k++)
				{
					const CmLabel *l = &s->cm->labels[order[k]];

					w_u32(w, l->len);
					w_bytes(w, l->str, l->len);
				}
				w_u32(w, s->cm->n_pairs);
				for (int32 k = 0; k < s->cm->n_pairs; k++)
				{
					w_u32(w, pairs[k].actual);
					w_u32(w, pairs[k].predicted);
					w_u64(w, pairs[k].count);
				}
				pfree(order);
				pfree(pairs);
				break;
			}
		default:
			if (kind_is_recal(s->kind))
			{
				Size		mlen = s->model ? VARSIZE(s->model) - VARHDRSZ : 0;

				w_u32(w, s->method);
				w_u32(w, s->max_steps);
				w_u64(w, s->skipped);
				w_u32(w, (uint32) mlen);
				if (mlen > 0)
					w_bytes(w, VARDATA(s->model), mlen);
				w_u32(w, s->model_crc);
				w_u64(w, s->model_size);
			}
			w_runs(w, s);
			break;
	}
	if (w->p)
		pmed_put_be32(w->p + w->len, pmed_crc32c(0, w->p, w->len));
	w->len += MS_TRAILER;
}

/* Flat bytes (no varlena header) of a state, palloc'd. */
static uint8 *
ms_flat_bytes(MetricState *s, Size *len)
{
	MsWriter	w = {NULL, 0, 0};

	ms_compact(s);
	ms_write(s, &w);
	if (w.len > MaxAllocHugeSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("pmed.metric_state too large: %zu bytes", (size_t) w.len)));
	w.cap = w.len;
	w.p = MemoryContextAllocHuge(CurrentMemoryContext, Max(w.cap, 1));
	w.len = 0;
	ms_write(s, &w);
	*len = w.len;
	return w.p;
}

static Size
ms_get_flat_size(ExpandedObjectHeader *eohptr)
{
	MetricState *s = (MetricState *) eohptr;
	MsWriter	w = {NULL, 0, 0};

	ms_compact(s);
	ms_write(s, &w);
	if (w.len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("pmed.metric_state too large to flatten: %zu bytes", (size_t) w.len),
				 errdetail("A flat state must stay under 1 GB."),
				 errhint("auc_compare keeps its rows: disable parallel query for it, or aggregate fewer rows per partial state.")));
	return w.len + VARHDRSZ;
}

static void
ms_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	MetricState *s = (MetricState *) eohptr;
	MsWriter	w = {(uint8 *) VARDATA(result), 0, allocated_size - VARHDRSZ};

	ms_write(s, &w);
	if (w.len + VARHDRSZ != allocated_size)
		elog(ERROR, "pmed.metric_state flattened to %zu bytes, expected %zu",
			 (size_t) w.len + VARHDRSZ, (size_t) allocated_size);
	SET_VARSIZE(result, allocated_size);
}

/* ---- parsing (every byte untrusted) ---- */

typedef struct MsReader
{
	const uint8 *p;
	Size		len;
	Size		pos;
} MsReader;

static inline void
r_need(MsReader *r, Size n)
{
	if (n > r->len - r->pos)
		ms_corrupt("The state is truncated.");
}

static inline uint32
r_u32(MsReader *r)
{
	uint32		v;

	r_need(r, 4);
	v = pmed_be32(r->p + r->pos);
	r->pos += 4;
	return v;
}

static inline uint64
r_u64(MsReader *r)
{
	uint64		v;

	r_need(r, 8);
	v = pmed_be64(r->p + r->pos);
	r->pos += 8;
	return v;
}

static inline double
r_f64(MsReader *r)
{
	double		v;

	r_need(r, 8);
	v = pmed_be_f64(r->p + r->pos);
	r->pos += 8;
	return v;
}

static int64
r_count(MsReader *r, Size elem_bytes, const char *what)
{
	uint64		n = r_u64(r);

	if (n > (uint64) (r->len - r->pos) / elem_bytes)
		ms_corrupt(what);
	return (int64) n;
}

static MetricState *
ms_parse(const uint8 *buf, Size len, MemoryContext parent)
{
	MsReader	r = {buf, len, 0};
	MetricState *s;
	int			kind;
	uint8		flags;
	double		param;
	PmedError	err;

	if (len < MS_HEADER + MS_TRAILER)
		ms_corrupt("The state is truncated.");
	if (memcmp(buf, ms_magic, 4) != 0)
		ms_corrupt("The state does not start with the pmed.metric_state magic.");
	if (buf[4] != MS_VERSION)
		ms_corrupt("Unknown pmed.metric_state format version.");
	kind = buf[5];
	flags = buf[6];
	if (kind < MS_ACCURACY || kind > MS_KIND_MAX)
		ms_corrupt("Unknown pmed.metric_state kind.");
	if ((flags & ~MS_FLAG_PARAM) != 0 || buf[7] != 0)
		ms_corrupt("Reserved bits of the header are set.");
	if (pmed_crc32c(0, buf, len - MS_TRAILER) != pmed_be32(buf + len - MS_TRAILER))
		ms_corrupt("The checksum does not match: the state was damaged.");
	r.len = len - MS_TRAILER;
	r.pos = 8;
	param = r_f64(&r);
	if (((flags & MS_FLAG_PARAM) != 0) != kind_has_param(kind))
		ms_corrupt("The constant argument flag does not match the kind.");
	if (!isfinite(param) || (!(flags & MS_FLAG_PARAM) && (param != 0.0 || signbit(param))))
		ms_corrupt("The constant argument is not valid.");
	if ((kind == MS_SCORE_INT || kind == MS_PROB_INT) &&
		!(param == floor(param) && param >= PG_INT32_MIN && param <= PG_INT32_MAX))
		ms_corrupt("The integer constant argument is not an integer.");

	s = ms_new(parent, kind);
	s->has_param = (flags & MS_FLAG_PARAM) != 0;
	s->param = s->has_param ? param : 0.0;
	switch (kind)
	{
		case MS_ACCURACY:
			s->n = (int64) r_u64(&r);
			s->correct = (int64) r_u64(&r);
			if (s->n < 0 || s->correct < 0 || s->correct > s->n)
				ms_corrupt("The accuracy counts are out of range.");
			break;
		case MS_RMSE:
		case MS_LOG_LOSS:
		case MS_BRIER:
			{
				PmedReader	sr;
				MemoryContext old;
				bool		ok;
				int			sign;

				s->n = (int64) r_u64(&r);
				/* the reader checks every length, the window and the canonical form */
				pmed_reader_init(&sr, r.p + r.pos, r.len - r.pos, &err);
				old = MemoryContextSwitchTo(MS_CXT(s));
				ok = pmed_exactsum_read(&sr, &s->sum);
				MemoryContextSwitchTo(old);
				if (!ok)
					ms_corrupt("The exact sum is not valid.");
				r.pos = r.len - sr.left;
				sign = pmed_exactsum_sign(&s->sum);
				/* digits above limb MS_SUM_LIMBS would weigh 2^1088 or more */
				if (s->n < 0 || sign < 0 || (s->n == 0 && sign != 0) ||
					(s->sum.limbs != NULL && s->sum.lo + s->sum.n > MS_SUM_LIMBS))
					ms_corrupt("The exact sum is out of range.");
				break;
			}
		case MS_PAIR:
			{
				int64		np = r_count(&r, 16, "The row count does not fit the state.");
				int64		nn = r_count(&r, 16, "The row count does not fit the state.");

				if ((uint64) np + (uint64) nn > (uint64) (r.len - r.pos) / 16)
					ms_corrupt("The row count does not fit the state.");
				ms_list_reserve(&s->bpos, 2, Max(np, 1), MS_CXT(s));
				ms_list_reserve(&s->bneg, 2, Max(nn, 1), MS_CXT(s));
				for (int64 i = 0; i < 2 * np; i++)
					if (!isfinite(s->bpos.v[i] = r_f64(&r)))
						ms_corrupt("A score is not finite.");
				for (int64 i = 0; i < 2 * nn; i++)
					if (!isfinite(s->bneg.v[i] = r_f64(&r)))
						ms_corrupt("A score is not finite.");
				s->bpos.n = s->total_pos = np;
				s->bneg.n = s->total_neg = nn;
				break;
			}
		case MS_CONFUSION:
			{
				uint32		nl = r_u32(&r);
				uint32		np;
				CmLabel		prev = {NULL, 0, 0};
				CmPair		last = {-1, -1, 0};

				if (nl > PMED_CM_MAX_LABELS)
					ms_corrupt("Too many labels.");
				for (uint32 k = 0; k < nl; k++)
				{
					uint32		l = r_u32(&r);
					CmLabel		cur;

					r_need(&r, l);
					cur.str = (char *) r.p + r.pos;
					cur.len = (int32) l;
					if (memchr(cur.str, 0, l) != NULL || !pg_verifymbstr(cur.str, l, true))
						ms_corrupt("A label is not valid text in the server encoding.");
					if (k > 0 && cm_label_cmp_raw(&prev, &cur) >= 0)
						ms_corrupt("The labels are not in strictly ascending order.");
					if (cm_label(s->cm, cur.str, cur.len, MS_CXT(s)) != (int32) k)
						ms_corrupt("A label appears twice.");
					prev = cur;
					r.pos += l;
				}
				np = r_u32(&r);
				if ((uint64) np > (uint64) nl * nl || (uint64) np * 16 > r.len - r.pos)
					ms_corrupt("The pair count does not fit the state.");
				for (uint32 k = 0; k < np; k++)
				{
					CmPair		c;

					c.actual = (int32) r_u32(&r);
					c.predicted = (int32) r_u32(&r);
					c.count = (int64) r_u64(&r);
					if (c.actual < 0 || c.actual >= (int32) nl || c.predicted < 0 ||
						c.predicted >= (int32) nl || c.count <= 0)
						ms_corrupt("A pair is out of range.");
					if (k > 0 && cm_pair_cmp(&last, &c) >= 0)
						ms_corrupt("The pairs are not in strictly ascending order.");
					cm_pair_add(s->cm, c.actual, c.predicted, c.count, MS_CXT(s));
					last = c;
				}
				break;
			}
		default:
			{
				int64		nr;
				uint64		tp,
							tn;

				if (kind_is_recal(kind))
				{
					uint32		mlen;

					s->configured = true;
					s->method = (int32) r_u32(&r);
					s->max_steps = (int32) r_u32(&r);
					s->skipped = (int64) r_u64(&r);
					if ((s->method != PMED_RECAL_PLATT && s->method != PMED_RECAL_ISOTONIC) ||
						s->max_steps < 1 || s->max_steps > PMED_RECAL_MAX_KNOTS || s->skipped < 0)
						ms_corrupt("The recalibration options are out of range.");
					mlen = r_u32(&r);
					r_need(&r, mlen);
					if (mlen > 0)
					{
						s->model = MemoryContextAlloc(MS_CXT(s), mlen + VARHDRSZ);
						SET_VARSIZE(s->model, mlen + VARHDRSZ);
						memcpy(VARDATA(s->model), r.p + r.pos, mlen);
						r.pos += mlen;
					}
					s->model_crc = r_u32(&r);
					s->model_size = r_u64(&r);
				}
				nr = r_count(&r, MS_RUN_BYTES, "The run count does not fit the state.");
				s->runs = MemoryContextAllocHuge(MS_CXT(s), Max(nr, 1) * sizeof(PmedScoreRun));
				for (int64 i = 0; i < nr; i++)
				{
					s->runs[i].score = r_f64(&r);
					s->runs[i].pos = r_u64(&r);
					s->runs[i].neg = r_u64(&r);
				}
				s->n_runs = nr;
				if (pmed_runs_check(s->runs, nr, kind_is_prob(kind), &tp, &tn, &err) != PMED_OK)
					ms_corrupt(err.message);
				s->total_pos = (int64) tp;
				s->total_neg = (int64) tn;
				break;
			}
	}
	if (r.pos != r.len)
		ms_corrupt("The state has trailing bytes.");
	return s;
}

/* Validate flat bytes; returns them as a flat pmed.metric_state datum. */
static Datum
ms_validated_datum(const char *bytes, Size len)
{
	MetricState *s = ms_parse((const uint8 *) bytes, len, CurrentMemoryContext);
	bytea	   *out;

	DeleteExpandedObject(EOHPGetRWDatum(&s->hdr));
	if (len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("pmed.metric_state too large: %zu bytes", (size_t) len)));
	out = palloc(len + VARHDRSZ);
	SET_VARSIZE(out, len + VARHDRSZ);
	memcpy(VARDATA(out), bytes, len);
	PG_RETURN_POINTER(out);
}

/* The flat bytes of any state datum. */
static const char *
ms_datum_bytes(Datum d, Size *len)
{
	MetricState *s = ms_expanded(d);
	struct varlena *v;

	if (s != NULL)
		return (const char *) ms_flat_bytes(s, len);
	v = pg_detoast_datum((struct varlena *) DatumGetPointer(d));
	*len = VARSIZE_ANY_EXHDR(v);
	return VARDATA_ANY(v);
}

/* ---- SQL: type I/O ---- */

PG_FUNCTION_INFO_V1(metric_state_in);
Datum
metric_state_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	Size		len;
	char	   *bytes = pmed_state_from_text(text, &len, MS_TYPE_NAME);

	return ms_validated_datum(bytes, len);
}

PG_FUNCTION_INFO_V1(metric_state_out);
Datum
metric_state_out(PG_FUNCTION_ARGS)
{
	Size		len;
	const char *bytes = ms_datum_bytes(PG_GETARG_DATUM(0), &len);

	PG_RETURN_CSTRING(pmed_state_to_text(bytes, len, MS_TYPE_NAME));
}

PG_FUNCTION_INFO_V1(metric_state_recv);
Datum
metric_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	Size		len = buf->len - buf->cursor;
	const char *bytes = pq_getmsgbytes(buf, (int) len);

	return ms_validated_datum(bytes, len);
}

PG_FUNCTION_INFO_V1(metric_state_send);
Datum
metric_state_send(PG_FUNCTION_ARGS)
{
	Size		len;
	const char *bytes = ms_datum_bytes(PG_GETARG_DATUM(0), &len);
	bytea	   *out = palloc(len + VARHDRSZ);

	SET_VARSIZE(out, len + VARHDRSZ);
	memcpy(VARDATA(out), bytes, len);
	PG_RETURN_BYTEA_P(out);
}

/* pmed.metric_state_info(state): what a partial state holds (no rows). */
PG_FUNCTION_INFO_V1(metric_state_info);
Datum
metric_state_info(PG_FUNCTION_ARGS)
{
	bool		is_copy;
	MetricState *s = ms_from_datum(PG_GETARG_DATUM(0), CurrentMemoryContext, &is_copy);
	Size		len;
	StringInfoData out;

	(void) ms_flat_bytes(s, &len);
	initStringInfo(&out);
	appendStringInfo(&out, "{\"kind\": \"%s\", \"bytes\": %zu", kind_name(s->kind), (size_t) len);
	if (s->kind == MS_ACCURACY || kind_is_sum(s->kind))
		appendStringInfo(&out, ", \"rows\": " INT64_FORMAT, s->n);
	else if (s->kind == MS_CONFUSION)
		appendStringInfo(&out, ", \"labels\": %d, \"pairs\": %d", s->cm->n_labels, s->cm->n_pairs);
	else
	{
		appendStringInfo(&out, ", \"positives\": " INT64_FORMAT ", \"negatives\": " INT64_FORMAT,
						 s->total_pos, s->total_neg);
		if (s->kind != MS_PAIR)
			appendStringInfo(&out, ", \"distinct_scores\": " INT64_FORMAT, s->n_runs);
	}
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}

/* ---- the entry points of older install scripts (internal states) ---- */

/*
 * pmed 0.1.0 / 0.2.0 declared these aggregates with STYPE internal and
 * serialize / deserialize functions; a database that has not run ALTER
 * EXTENSION pmed UPDATE keeps that catalog but loads this library.  The
 * transition functions return the expanded object pointer, which an
 * internal state carries just as well; serialize writes the flat form and
 * deserialize validates it and expands it in the aggregate context.
 */
PG_FUNCTION_INFO_V1(metric_state_compat_serialize);
Datum
metric_state_compat_serialize(PG_FUNCTION_ARGS)
{
	Size		len;
	const char *bytes = ms_datum_bytes(PG_GETARG_DATUM(0), &len);
	bytea	   *out = palloc(len + VARHDRSZ);

	SET_VARSIZE(out, len + VARHDRSZ);
	memcpy(VARDATA(out), bytes, len);
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(metric_state_compat_deserialize);
Datum
metric_state_compat_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MetricState *s;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "pmed.metric_state deserialize function called in non-aggregate context");
	s = ms_parse((const uint8 *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), aggcontext);
	MS_RETURN(s);
}
