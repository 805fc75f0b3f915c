/*
 * metrics.c - SQL glue for the evaluation aggregates and ranking scalars:
 * pmed.auc, pmed.pr_auc, pmed.accuracy, pmed.confusion_matrix, pmed.rmse,
 * pmed.log_loss, pmed.brier, pmed.jaccard, pmed.precision_at_k,
 * pmed.recall_at_k, pmed.ndcg_at_k.  (pmed.fold lives in fold.c.)
 *
 * Aggregate states follow array_agg / avg(numeric): the state lives in the
 * aggregate context found with AggCheckCallContext; combine copies the
 * second state into that context when the first is NULL; serialize writes
 * a flat bytea in network byte order and deserialize checks every length
 * and value against what is left; final functions never change the state
 * (PostgreSQL may share one state between auc() and pr_auc() and call
 * both finals).  Rows with a NULL input are skipped.
 */
#include "pmed.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "core/metrics.h"

/* Most distinct labels confusion_matrix() accepts (the matrix is dense). */
#define PMED_CM_MAX_LABELS 1000

static MemoryContext
metrics_agg_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return aggcontext;
}

static void
state_corrupt(const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid %s aggregate state", what),
			 errdetail("%s", detail)));
}

/* Raise the error a core state check recorded (SQLSTATE XX001). */
static void
state_check(PmedStatus status, const PmedError *err)
{
	if (status != PMED_OK)
		pmed_report(err);
}

/* A StringInfo reading the bytes of a bytea argument (not copied). */
static void
state_reader(bytea *b, StringInfo buf)
{
	buf->data = VARDATA_ANY(b);
	buf->len = VARSIZE_ANY_EXHDR(b);
	buf->maxlen = buf->len;
	buf->cursor = 0;
}

static void
check_finite_arg(double v, const char *fname, const char *arg)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must be finite, got %s", fname, arg,
						isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"))));
}

static void
check_probability(double p, const char *fname)
{
	if (isnan(p) || p < 0.0 || p > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: probability must lie in [0, 1], got %g", fname, p)));
}

/* ====================================================================
 * Scores of positives and negatives: auc() and pr_auc()
 * ==================================================================== */

typedef struct ScoreList
{
	double	   *v;
	int64		n;
	int64		cap;
} ScoreList;

typedef struct ScoreState
{
	ScoreList	pos;
	ScoreList	neg;
} ScoreState;

/* Room for extra more scores; the list lives in cxt. */
static void
score_list_reserve(ScoreList *l, int64 extra, MemoryContext cxt)
{
	int64		need = l->n + extra;
	int64		cap;

	if (need <= l->cap)
		return;
	if (need > (int64) (MaxAllocHugeSize / sizeof(double)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for a score aggregate")));
	cap = Max(l->cap * 2, 64);
	cap = Max(cap, need);
	cap = Min(cap, (int64) (MaxAllocHugeSize / sizeof(double)));
	if (l->v == NULL)
		l->v = MemoryContextAllocHuge(cxt, cap * sizeof(double));
	else
		l->v = repalloc_huge(l->v, cap * sizeof(double));
	l->cap = cap;
}

static void
score_list_append(ScoreList *l, const double *v, int64 n, MemoryContext cxt)
{
	if (n == 0)
		return;
	score_list_reserve(l, n, cxt);
	memcpy(l->v + l->n, v, n * sizeof(double));
	l->n += n;
}

PG_FUNCTION_INFO_V1(metrics_score_transfn);
Datum
metrics_score_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = metrics_agg_context(fcinfo, "metrics_score_transfn");
	ScoreState *state = PG_ARGISNULL(0) ? NULL : (ScoreState *) PG_GETARG_POINTER(0);
	double		score;
	ScoreList  *l;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	score = PG_GETARG_FLOAT8(1);
	check_finite_arg(score, "score aggregate", "score");
	if (state == NULL)
		state = MemoryContextAllocZero(aggcontext, sizeof(ScoreState));
	l = PG_GETARG_BOOL(2) ? &state->pos : &state->neg;
	if (l->n == l->cap)
		score_list_reserve(l, 1, aggcontext);
	l->v[l->n++] = score;
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(metrics_score_combine);
Datum
metrics_score_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = metrics_agg_context(fcinfo, "metrics_score_combine");
	ScoreState *s1 = PG_ARGISNULL(0) ? NULL : (ScoreState *) PG_GETARG_POINTER(0);
	ScoreState *s2 = PG_ARGISNULL(1) ? NULL : (ScoreState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = MemoryContextAllocZero(aggcontext, sizeof(ScoreState));
	score_list_append(&s1->pos, s2->pos.v, s2->pos.n, aggcontext);
	score_list_append(&s1->neg, s2->neg.v, s2->neg.n, aggcontext);
	PG_RETURN_POINTER(s1);
}

/*
 * Serialized: int64 n_pos, int64 n_neg, then n_pos + n_neg float8 (network
 * byte order), positives first.
 */
PG_FUNCTION_INFO_V1(metrics_score_serialize);
Datum
metrics_score_serialize(PG_FUNCTION_ARGS)
{
	ScoreState *state;
	StringInfoData buf;
	int64		total;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "metrics_score_serialize called in non-aggregate context");
	state = (ScoreState *) PG_GETARG_POINTER(0);
	total = state->pos.n + state->neg.n;
	if (total > (int64) ((MaxAllocSize - VARHDRSZ - 16) / sizeof(double)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for a parallel score aggregate state"),
				 errhint("Disable parallel query for this aggregate.")));
	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, 16 + total * sizeof(double));
	pq_sendint64(&buf, state->pos.n);
	pq_sendint64(&buf, state->neg.n);
	for (int64 i = 0; i < state->pos.n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		pq_sendfloat8(&buf, state->pos.v[i]);
	}
	for (int64 i = 0; i < state->neg.n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		pq_sendfloat8(&buf, state->neg.v[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
score_read_list(StringInfo buf, ScoreList *l, int64 n)
{
	l->n = l->cap = n;
	l->v = n > 0 ? MemoryContextAllocHuge(CurrentMemoryContext, n * sizeof(double)) : NULL;
	for (int64 i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		l->v[i] = pq_getmsgfloat8(buf);
	}
}

PG_FUNCTION_INFO_V1(metrics_score_deserialize);
Datum
metrics_score_deserialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	ScoreState *state;
	PmedError	err;
	uint64_t	n_pos;
	uint64_t	n_neg;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "metrics_score_deserialize called in non-aggregate context");
	state_reader(PG_GETARG_BYTEA_PP(0), &buf);
	state_check(pmed_score_state_check((const uint8 *) buf.data, buf.len, &n_pos, &n_neg, &err),
				&err);
	state = palloc0(sizeof(ScoreState));
	buf.cursor = PMED_SCORE_STATE_HEADER;
	score_read_list(&buf, &state->pos, (int64) n_pos);
	score_read_list(&buf, &state->neg, (int64) n_neg);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* Sorted copies of the state's scores (the state itself stays as it is). */
static void
score_sorted_copies(const ScoreState *state, double **pos, double **neg)
{
	int64		most = Max(state->pos.n, state->neg.n);
	double	   *tmp = MemoryContextAllocHuge(CurrentMemoryContext, Max(most, 1) * sizeof(double));

	*pos = MemoryContextAllocHuge(CurrentMemoryContext, Max(state->pos.n, 1) * sizeof(double));
	*neg = MemoryContextAllocHuge(CurrentMemoryContext, Max(state->neg.n, 1) * sizeof(double));
	if (state->pos.n > 0)
		memcpy(*pos, state->pos.v, state->pos.n * sizeof(double));
	if (state->neg.n > 0)
		memcpy(*neg, state->neg.v, state->neg.n * sizeof(double));
	pmed_sort_doubles(*pos, state->pos.n, tmp);
	pmed_sort_doubles(*neg, state->neg.n, tmp);
	pfree(tmp);
}

PG_FUNCTION_INFO_V1(metrics_auc_final);
Datum
metrics_auc_final(PG_FUNCTION_ARGS)
{
	ScoreState *state = PG_ARGISNULL(0) ? NULL : (ScoreState *) PG_GETARG_POINTER(0);
	double	   *pos;
	double	   *neg;
	double		auc;
	bool		defined;

	if (state == NULL || state->pos.n == 0 || state->neg.n == 0)
		PG_RETURN_NULL();
	score_sorted_copies(state, &pos, &neg);
	defined = pmed_roc_auc_sorted(pos, state->pos.n, neg, state->neg.n, &auc);
	pfree(pos);
	pfree(neg);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(auc);
}

PG_FUNCTION_INFO_V1(metrics_pr_auc_final);
Datum
metrics_pr_auc_final(PG_FUNCTION_ARGS)
{
	ScoreState *state = PG_ARGISNULL(0) ? NULL : (ScoreState *) PG_GETARG_POINTER(0);
	double	   *pos;
	double	   *neg;
	double		ap;
	bool		defined;

	if (state == NULL || state->pos.n == 0)
		PG_RETURN_NULL();
	score_sorted_copies(state, &pos, &neg);
	defined = pmed_average_precision_sorted(pos, state->pos.n, neg, state->neg.n, &ap);
	pfree(pos);
	pfree(neg);
	if (!defined)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(ap);
}

/* ====================================================================
 * Counts: accuracy()
 * ==================================================================== */

typedef struct CountState
{
	int64		n;
	int64		correct;
} CountState;

static bool
text_equal(text *a, text *b)
{
	Size		la = VARSIZE_ANY_EXHDR(a);

	return la == VARSIZE_ANY_EXHDR(b) && memcmp(VARDATA_ANY(a), VARDATA_ANY(b), la) == 0;
}

PG_FUNCTION_INFO_V1(metrics_accuracy_transfn);
Datum
metrics_accuracy_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = metrics_agg_context(fcinfo, "metrics_accuracy_transfn");
	CountState *state = PG_ARGISNULL(0) ? NULL : (CountState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	if (state == NULL)
		state = MemoryContextAllocZero(aggcontext, sizeof(CountState));
	state->n++;
	if (text_equal(PG_GETARG_TEXT_PP(1), PG_GETARG_TEXT_PP(2)))
		state->correct++;
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(metrics_accuracy_combine);
Datum
metrics_accuracy_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = metrics_agg_context(fcinfo, "metrics_accuracy_combine");
	CountState *s1 = PG_ARGISNULL(0) ? NULL : (CountState *) PG_GETARG_POINTER(0);
	CountState *s2 = PG_ARGISNULL(1) ? NULL : (CountState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = MemoryContextAllocZero(aggcontext, sizeof(CountState));
	s1->n += s2->n;
	s1->correct += s2->correct;
	PG_RETURN_POINTER(s1);
}

/* Serialized: int64 n, int64 correct. */
PG_FUNCTION_INFO_V1(metrics_accuracy_serialize);
Datum
metrics_accuracy_serialize(PG_FUNCTION_ARGS)
{
	CountState *state;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "metrics_accuracy_serialize called in non-aggregate context");
	state = (CountState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->n);
	pq_sendint64(&buf, state->correct);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(metrics_accuracy_deserialize);
Datum
metrics_accuracy_deserialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	CountState *state;
	PmedError	err;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "metrics_accuracy_deserialize called in non-aggregate context");
	state_reader(PG_GETARG_BYTEA_PP(0), &buf);
	state_check(pmed_count_state_check((const uint8 *) buf.data, buf.len, &err), &err);
	state = palloc0(sizeof(CountState));
	state->n = pq_getmsgint64(&buf);
	state->correct = pq_getmsgint64(&buf);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(metrics_accuracy_final);
Datum
metrics_accuracy_final(PG_FUNCTION_ARGS)
{
	CountState *state = PG_ARGISNULL(0) ? NULL : (CountState *) PG_GETARG_POINTER(0);

	if (state == NULL || state->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) state->correct / (double) state->n);
}

/* ====================================================================
 * Compensated sums: rmse(), log_loss(), brier()
 * ==================================================================== */

typedef struct SumState
{
	int64		n;
	PmedSum		sum;
} SumState;

static SumState *
sum_state_add(FunctionCallInfo fcinfo, const char *fname, double term)
{
	MemoryContext aggcontext = metrics_agg_context(fcinfo, fname);
	SumState   *state = PG_ARGISNULL(0) ? NULL : (SumState *) PG_GETARG_POINTER(0);

	if (!isfinite(term))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: value out of range: overflow", fname)));
	if (state == NULL)
		state = MemoryContextAllocZero(aggcontext, sizeof(SumState));
	state->n++;
	pmed_sum_add(&state->sum, term);
	return state;
}

/* Return the state unchanged (a row with a NULL input). */
#define SUM_SKIP_ROW() \
	do { \
		if (PG_ARGISNULL(0)) \
			PG_RETURN_NULL(); \
		PG_RETURN_POINTER(PG_GETARG_POINTER(0)); \
	} while (0)

PG_FUNCTION_INFO_V1(metrics_rmse_transfn);
Datum
metrics_rmse_transfn(PG_FUNCTION_ARGS)
{
	double		predicted;
	double		actual;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SUM_SKIP_ROW();
	predicted = PG_GETARG_FLOAT8(1);
	actual = PG_GETARG_FLOAT8(2);
	check_finite_arg(predicted, "rmse", "predicted");
	check_finite_arg(actual, "rmse", "actual");
	PG_RETURN_POINTER(sum_state_add(fcinfo, "rmse", (predicted - actual) * (predicted - actual)));
}

PG_FUNCTION_INFO_V1(metrics_log_loss_transfn);
Datum
metrics_log_loss_transfn(PG_FUNCTION_ARGS)
{
	double		p;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SUM_SKIP_ROW();
	p = PG_GETARG_FLOAT8(1);
	check_probability(p, "log_loss");
	PG_RETURN_POINTER(sum_state_add(fcinfo, "log_loss", pmed_log_loss_term(p, PG_GETARG_BOOL(2))));
}

PG_FUNCTION_INFO_V1(metrics_brier_transfn);
Datum
metrics_brier_transfn(PG_FUNCTION_ARGS)
{
	double		p;
	double		d;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		SUM_SKIP_ROW();
	p = PG_GETARG_FLOAT8(1);
	check_probability(p, "brier");
	d = p - (PG_GETARG_BOOL(2) ? 1.0 : 0.0);
	PG_RETURN_POINTER(sum_state_add(fcinfo, "brier", d * d));
}

PG_FUNCTION_INFO_V1(metrics_sum_combine);
Datum
metrics_sum_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = metrics_agg_context(fcinfo, "metrics_sum_combine");
	SumState   *s1 = PG_ARGISNULL(0) ? NULL : (SumState *) PG_GETARG_POINTER(0);
	SumState   *s2 = PG_ARGISNULL(1) ? NULL : (SumState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = MemoryContextAllocZero(aggcontext, sizeof(SumState));
	s1->n += s2->n;
	pmed_sum_merge(&s1->sum, &s2->sum);
	PG_RETURN_POINTER(s1);
}

/* Serialized: int64 n, float8 sum, float8 compensation. */
PG_FUNCTION_INFO_V1(metrics_sum_serialize);
Datum
metrics_sum_serialize(PG_FUNCTION_ARGS)
{
	SumState   *state;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "metrics_sum_serialize called in non-aggregate context");
	state = (SumState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->n);
	pq_sendfloat8(&buf, state->sum.sum);
	pq_sendfloat8(&buf, state->sum.comp);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(metrics_sum_deserialize);
Datum
metrics_sum_deserialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	SumState   *state;
	PmedError	err;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "metrics_sum_deserialize called in non-aggregate context");
	state_reader(PG_GETARG_BYTEA_PP(0), &buf);
	state_check(pmed_sum_state_check((const uint8 *) buf.data, buf.len, &err), &err);
	state = palloc0(sizeof(SumState));
	state->n = pq_getmsgint64(&buf);
	state->sum.sum = pq_getmsgfloat8(&buf);
	state->sum.comp = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

static SumState *
sum_final_state(FunctionCallInfo fcinfo)
{
	SumState   *state = PG_ARGISNULL(0) ? NULL : (SumState *) PG_GETARG_POINTER(0);

	if (state == NULL || state->n == 0)
		return NULL;
	return state;
}

PG_FUNCTION_INFO_V1(metrics_rmse_final);
Datum
metrics_rmse_final(PG_FUNCTION_ARGS)
{
	SumState   *state = sum_final_state(fcinfo);
	double		mean;

	if (state == NULL)
		PG_RETURN_NULL();
	mean = pmed_sum_value(&state->sum) / (double) state->n;
	PG_RETURN_FLOAT8(sqrt(Max(mean, 0.0)));
}

/* log_loss and brier: the mean term. */
PG_FUNCTION_INFO_V1(metrics_mean_final);
Datum
metrics_mean_final(PG_FUNCTION_ARGS)
{
	SumState   *state = sum_final_state(fcinfo);

	if (state == NULL)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(Max(pmed_sum_value(&state->sum), 0.0) / (double) state->n);
}

/* ====================================================================
 * Label pairs: confusion_matrix()
 * ==================================================================== */

typedef struct CmLabel
{
	char	   *str;			/* not NUL-terminated */
	int32		len;
	uint32		hash;
} CmLabel;

typedef struct CmState
{
	/* distinct labels, with an open-addressing index (slot = label + 1) */
	CmLabel    *labels;
	int32		n_labels;
	int32		cap_labels;
	int32	   *label_slots;
	int32		n_label_slots;	/* power of 2 */
	/* pair counts keyed by (actual << 32 | predicted); 0 marks a free slot */
	uint64	   *pair_keys;		/* stored as key + 1 */
	int64	   *pair_counts;
	int32		n_pairs;
	int32		n_pair_slots;	/* power of 2 */
} CmState;

static CmState *
cm_create(MemoryContext cxt)
{
	CmState    *s = MemoryContextAllocZero(cxt, sizeof(CmState));

	s->cap_labels = 8;
	s->labels = MemoryContextAlloc(cxt, s->cap_labels * sizeof(CmLabel));
	s->n_label_slots = 16;
	s->label_slots = MemoryContextAllocZero(cxt, s->n_label_slots * sizeof(int32));
	s->n_pair_slots = 16;
	s->pair_keys = MemoryContextAllocZero(cxt, s->n_pair_slots * sizeof(uint64));
	s->pair_counts = MemoryContextAllocZero(cxt, s->n_pair_slots * sizeof(int64));
	return s;
}

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

/* The slot of a pair key (stored form: key + 1), free or holding it. */
static int32
cm_pair_slot(const CmState *s, uint64 stored)
{
	uint32		mask = s->n_pair_slots - 1;
	uint32		i = cm_pair_hash(stored) & mask;

	while (s->pair_keys[i] != 0 && s->pair_keys[i] != stored)
		i = (i + 1) & mask;
	return i;
}

/* Add count to a pair; returns true when the pair was new. */
static bool
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
		return false;
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
	return true;
}

PG_FUNCTION_INFO_V1(metrics_confusion_transfn);
Datum
metrics_confusion_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = metrics_agg_context(fcinfo, "metrics_confusion_transfn");
	CmState    *state = PG_ARGISNULL(0) ? NULL : (CmState *) PG_GETARG_POINTER(0);
	text	   *predicted;
	text	   *actual;
	int32		p;
	int32		a;
	MemoryContext old;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	predicted = PG_GETARG_TEXT_PP(1);
	actual = PG_GETARG_TEXT_PP(2);
	old = MemoryContextSwitchTo(aggcontext);
	if (state == NULL)
		state = cm_create(aggcontext);
	p = cm_label(state, VARDATA_ANY(predicted), VARSIZE_ANY_EXHDR(predicted), aggcontext);
	a = cm_label(state, VARDATA_ANY(actual), VARSIZE_ANY_EXHDR(actual), aggcontext);
	cm_pair_add(state, a, p, 1, aggcontext);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

/* dst += src; dst lives in cxt. */
static void
cm_merge(CmState *dst, const CmState *src, MemoryContext cxt)
{
	int32	   *map = palloc(Max(src->n_labels, 1) * sizeof(int32));
	MemoryContext old = MemoryContextSwitchTo(cxt);

	for (int32 k = 0; k < src->n_labels; k++)
		map[k] = cm_label(dst, src->labels[k].str, src->labels[k].len, cxt);
	for (int32 k = 0; k < src->n_pair_slots; k++)
		if (src->pair_keys[k] != 0)
		{
			uint64		key = src->pair_keys[k] - 1;

			cm_pair_add(dst, map[(int32) (key >> 32)], map[(int32) (uint32) key],
						src->pair_counts[k], cxt);
		}
	MemoryContextSwitchTo(old);
	pfree(map);
}

PG_FUNCTION_INFO_V1(metrics_confusion_combine);
Datum
metrics_confusion_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = metrics_agg_context(fcinfo, "metrics_confusion_combine");
	CmState    *s1 = PG_ARGISNULL(0) ? NULL : (CmState *) PG_GETARG_POINTER(0);
	CmState    *s2 = PG_ARGISNULL(1) ? NULL : (CmState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = cm_create(aggcontext);
	cm_merge(s1, s2, aggcontext);
	PG_RETURN_POINTER(s1);
}

/*
 * Serialized: int32 n_labels, then per label int32 length and its bytes;
 * int32 n_pairs, then per pair int32 actual, int32 predicted, int64 count.
 */
PG_FUNCTION_INFO_V1(metrics_confusion_serialize);
Datum
metrics_confusion_serialize(PG_FUNCTION_ARGS)
{
	CmState    *state;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "metrics_confusion_serialize called in non-aggregate context");
	state = (CmState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendint32(&buf, state->n_labels);
	for (int32 k = 0; k < state->n_labels; k++)
	{
		pq_sendint32(&buf, state->labels[k].len);
		pq_sendbytes(&buf, state->labels[k].str, state->labels[k].len);
	}
	pq_sendint32(&buf, state->n_pairs);
	for (int32 k = 0; k < state->n_pair_slots; k++)
		if (state->pair_keys[k] != 0)
		{
			uint64		key = state->pair_keys[k] - 1;

			pq_sendint32(&buf, (int32) (key >> 32));
			pq_sendint32(&buf, (int32) (uint32) key);
			pq_sendint64(&buf, state->pair_counts[k]);
		}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(metrics_confusion_deserialize);
Datum
metrics_confusion_deserialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	CmState    *state;
	PmedError	err;
	int32		n_labels;
	int32		n_pairs;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "metrics_confusion_deserialize called in non-aggregate context");
	state_reader(PG_GETARG_BYTEA_PP(0), &buf);
	state_check(pmed_confusion_state_check((const uint8 *) buf.data, buf.len,
										   PMED_CM_MAX_LABELS, &err), &err);
	/* the layout is sound: rebuild the tables, checking what needs them */
	state = cm_create(CurrentMemoryContext);
	n_labels = pq_getmsgint(&buf, 4);
	for (int32 k = 0; k < n_labels; k++)
	{
		int32		len = pq_getmsgint(&buf, 4);
		const char *str = pq_getmsgbytes(&buf, len);

		if (!pg_verifymbstr(str, len, true))
			state_corrupt("confusion_matrix", "A label is not valid text in the server encoding.");
		if (cm_label(state, str, len, CurrentMemoryContext) != k)
			state_corrupt("confusion_matrix", "A label appears twice.");
	}
	n_pairs = pq_getmsgint(&buf, 4);
	for (int32 k = 0; k < n_pairs; k++)
	{
		int32		a = pq_getmsgint(&buf, 4);
		int32		p = pq_getmsgint(&buf, 4);
		int64		count = pq_getmsgint64(&buf);

		if (!cm_pair_add(state, a, p, count, CurrentMemoryContext))
			state_corrupt("confusion_matrix", "A pair appears twice.");
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* Byte-wise order of two label indices (qsort_arg with the state). */
static int
cm_label_cmp(const void *x, const void *y, void *arg)
{
	const CmState *state = arg;
	const CmLabel *a = &state->labels[*(const int32 *) x];
	const CmLabel *b = &state->labels[*(const int32 *) y];
	int			c = memcmp(a->str, b->str, Min(a->len, b->len));

	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

PG_FUNCTION_INFO_V1(metrics_confusion_final);
Datum
metrics_confusion_final(PG_FUNCTION_ARGS)
{
	CmState    *state = PG_ARGISNULL(0) ? NULL : (CmState *) PG_GETARG_POINTER(0);
	int32		n;
	int32	   *order;
	int32	   *rank;
	int64	   *matrix;
	PmedJson	out;
	PmedError	err = {0};

	if (state == NULL || state->n_pairs == 0)
		PG_RETURN_NULL();
	n = state->n_labels;
	order = palloc(n * sizeof(int32));
	rank = palloc(n * sizeof(int32));
	for (int32 k = 0; k < n; k++)
		order[k] = k;
	qsort_arg(order, n, sizeof(int32), cm_label_cmp, state);
	for (int32 k = 0; k < n; k++)
		rank[order[k]] = k;
	matrix = palloc0((Size) n * n * sizeof(int64));
	for (int32 k = 0; k < state->n_pair_slots; k++)
		if (state->pair_keys[k] != 0)
		{
			uint64		key = state->pair_keys[k] - 1;
			int32		a = rank[(int32) (key >> 32)];
			int32		p = rank[(int32) (uint32) key];

			matrix[(Size) a * n + p] = state->pair_counts[k];
		}

	pmed_json_init(&out);
	pmed_json_begin_object(&out);
	pmed_json_key(&out, "labels");
	pmed_json_begin_array(&out);
	for (int32 k = 0; k < n; k++)
	{
		const CmLabel *l = &state->labels[order[k]];
		char	   *s = pnstrdup(l->str, l->len);

		pmed_json_string(&out, s);
		pfree(s);
	}
	pmed_json_end_array(&out);
	pmed_json_key(&out, "matrix");
	pmed_json_begin_array(&out);
	for (int32 a = 0; a < n; a++)
	{
		CHECK_FOR_INTERRUPTS();
		pmed_json_begin_array(&out);
		for (int32 p = 0; p < n; p++)
			pmed_json_int(&out, matrix[(Size) a * n + p]);
		pmed_json_end_array(&out);
	}
	pmed_json_end_array(&out);
	pmed_json_end_object(&out);
	if (pmed_json_finish(&out, &err) != PMED_OK)
		pmed_report(&err);
	pfree(matrix);
	pfree(order);
	pfree(rank);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.buf)));
}

/* ====================================================================
 * Ranking metrics over bigint[] (scalars)
 * ==================================================================== */

typedef struct ItemList
{
	int64	   *items;
	bool	   *valid;
	int			n;
} ItemList;

/* Elements of a one-dimensional bigint[]; NULL elements are kept invalid. */
static void
item_list(ArrayType *arr, const char *fname, const char *arg, ItemList *out)
{
	Datum	   *elems;
	bool	   *nulls;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must be a one-dimensional array", fname, arg)));
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &out->n);
	out->items = palloc(Max(out->n, 1) * sizeof(int64));
	out->valid = palloc(Max(out->n, 1) * sizeof(bool));
	for (int i = 0; i < out->n; i++)
	{
		out->valid[i] = !nulls[i];
		out->items[i] = nulls[i] ? 0 : DatumGetInt64(elems[i]);
	}
}

/* The relevant set: NULL elements are dropped. */
static void
actual_list(ArrayType *arr, const char *fname, ItemList *out)
{
	int			m = 0;

	item_list(arr, fname, "actual", out);
	for (int i = 0; i < out->n; i++)
		if (out->valid[i])
			out->items[m++] = out->items[i];
	out->n = m;
}

static int64 *
ranking_work(const ItemList *rec, const ItemList *act)
{
	return palloc(pmed_ranking_work_size(rec->n, act->n) * sizeof(int64));
}

static int
check_k(int32 k, const char *fname)
{
	if (k <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: k must be positive, got %d", fname, k)));
	return k;
}

PG_FUNCTION_INFO_V1(jaccard);
Datum
jaccard(PG_FUNCTION_ARGS)
{
	ItemList	rec;
	ItemList	act;
	double		v;

	item_list(PG_GETARG_ARRAYTYPE_P(0), "jaccard", "recommended", &rec);
	actual_list(PG_GETARG_ARRAYTYPE_P(1), "jaccard", &act);
	if (!pmed_jaccard(rec.items, rec.valid, rec.n, act.items, act.n,
					  ranking_work(&rec, &act), &v))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}

PG_FUNCTION_INFO_V1(precision_at_k);
Datum
precision_at_k(PG_FUNCTION_ARGS)
{
	ItemList	rec;
	ItemList	act;
	int			k = check_k(PG_GETARG_INT32(2), "precision_at_k");

	item_list(PG_GETARG_ARRAYTYPE_P(0), "precision_at_k", "recommended", &rec);
	actual_list(PG_GETARG_ARRAYTYPE_P(1), "precision_at_k", &act);
	PG_RETURN_FLOAT8(pmed_precision_at_k(rec.items, rec.valid, rec.n, act.items, act.n, k,
										 ranking_work(&rec, &act)));
}

PG_FUNCTION_INFO_V1(recall_at_k);
Datum
recall_at_k(PG_FUNCTION_ARGS)
{
	ItemList	rec;
	ItemList	act;
	int			k = check_k(PG_GETARG_INT32(2), "recall_at_k");
	double		v;

	item_list(PG_GETARG_ARRAYTYPE_P(0), "recall_at_k", "recommended", &rec);
	actual_list(PG_GETARG_ARRAYTYPE_P(1), "recall_at_k", &act);
	if (!pmed_recall_at_k(rec.items, rec.valid, rec.n, act.items, act.n, k,
						  ranking_work(&rec, &act), &v))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}

PG_FUNCTION_INFO_V1(ndcg_at_k);
Datum
ndcg_at_k(PG_FUNCTION_ARGS)
{
	ItemList	rec;
	ItemList	act;
	int			k = check_k(PG_GETARG_INT32(2), "ndcg_at_k");
	double		v;

	item_list(PG_GETARG_ARRAYTYPE_P(0), "ndcg_at_k", "recommended", &rec);
	actual_list(PG_GETARG_ARRAYTYPE_P(1), "ndcg_at_k", &act);
	if (!pmed_ndcg_at_k(rec.items, rec.valid, rec.n, act.items, act.n, k,
						ranking_work(&rec, &act), &v))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}
