/*
 * evaluate.c - SQL glue for the clinical evaluation aggregates:
 * pmed.auc_ci, pmed.auc_compare, pmed.calibration, pmed.threshold_metrics,
 * pmed.threshold_for, pmed.threshold_for_specificity, pmed.roc_curve,
 * pmed.pr_curve and pmed.calibration_curve (the math is in
 * core/evaluate.c).
 *
 * Every one of them keeps its rows: one state type holds, per class, the
 * rows' one or two scores, plus one constant argument (level, threshold,
 * target, max_points or bins) that must be the same in every row.  The
 * state follows the metric aggregates of metrics.c: it lives in the
 * aggregate context, combine concatenates, serialize writes network byte
 * order and deserialize validates every byte (core check).  Final
 * functions sort copies of the rows, so serial and parallel plans see the
 * same sorted input and give the same bits, and never change the state
 * (PostgreSQL shares one state between roc_curve(s, y) and pr_curve(s, y)).
 * A row with a NULL in any argument is skipped.
 */
#include "pmed.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "core/evaluate.h"
#include "core/metrics.h"
#include "core/util.h"

#define EVAL_DEFAULT_LEVEL		0.95
#define EVAL_DEFAULT_MAX_POINTS	1000
#define EVAL_DEFAULT_BINS		10
#define EVAL_MAX_BINS			1000

typedef struct EvalList
{
	double	   *v;				/* n rows of ncol values */
	int64		n;
	int64		cap;			/* rows */
} EvalList;

typedef struct EvalState
{
	int			ncol;
	bool		has_param;
	double		param;
	EvalList	pos;
	EvalList	neg;
} EvalState;

static MemoryContext
eval_agg_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return aggcontext;
}

static void
eval_list_reserve(EvalList *l, int ncol, int64 extra, MemoryContext cxt)
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

static void
eval_check_finite(double v, const char *what)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("evaluation aggregate: %s must be finite, got %s", what,
						isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"))));
}

static void
eval_check_probability(double p)
{
	if (isnan(p) || p < 0.0 || p > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("calibration: probability must lie in [0, 1], got %g", p)));
}

static void
eval_param_merge(EvalState *s, bool has_param, double param)
{
	if (!has_param)
		return;
	if (s->has_param && s->param != param)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("evaluation aggregate: the constant argument must be the same in every row"),
				 errdetail("Got %g and %g.", s->param, param)));
	s->has_param = true;
	s->param = param;
}

/*
 * Add one row (values[0..ncol)) of class positive; NULL arguments are
 * checked by the caller.
 */
static Datum
eval_add(FunctionCallInfo fcinfo, int ncol, const double *values, bool positive,
		 bool has_param, double param)
{
	MemoryContext aggcontext = eval_agg_context(fcinfo, "evaluation transition function");
	EvalState  *state = PG_ARGISNULL(0) ? NULL : (EvalState *) PG_GETARG_POINTER(0);
	EvalList   *l;

	for (int c = 0; c < ncol; c++)
		eval_check_finite(values[c], "score");
	if (has_param)
		eval_check_finite(param, "the constant argument");
	if (state == NULL)
	{
		state = MemoryContextAllocZero(aggcontext, sizeof(EvalState));
		state->ncol = ncol;
	}
	eval_param_merge(state, has_param, param);
	l = positive ? &state->pos : &state->neg;
	if (l->n == l->cap)
		eval_list_reserve(l, ncol, 1, aggcontext);
	memcpy(l->v + l->n * ncol, values, ncol * sizeof(double));
	l->n++;
	PG_RETURN_POINTER(state);
}

/* Skip a row with a NULL input: return the state unchanged. */
#define EVAL_SKIP_IF_NULL(nargs) \
	do { \
		for (int a_ = 1; a_ <= (nargs); a_++) \
			if (PG_ARGISNULL(a_)) \
			{ \
				if (PG_ARGISNULL(0)) \
					PG_RETURN_NULL(); \
				PG_RETURN_POINTER(PG_GETARG_POINTER(0)); \
			} \
	} while (0)

/* (internal, score float8, positive boolean) */
PG_FUNCTION_INFO_V1(eval_score_transfn);
Datum
eval_score_transfn(PG_FUNCTION_ARGS)
{
	double		v;

	EVAL_SKIP_IF_NULL(2);
	v = PG_GETARG_FLOAT8(1);
	return eval_add(fcinfo, 1, &v, PG_GETARG_BOOL(2), false, 0.0);
}

/* (internal, score float8, positive boolean, param float8) */
PG_FUNCTION_INFO_V1(eval_score_param_transfn);
Datum
eval_score_param_transfn(PG_FUNCTION_ARGS)
{
	double		v;

	EVAL_SKIP_IF_NULL(3);
	v = PG_GETARG_FLOAT8(1);
	return eval_add(fcinfo, 1, &v, PG_GETARG_BOOL(2), true, PG_GETARG_FLOAT8(3));
}

/* (internal, score float8, positive boolean, param int) */
PG_FUNCTION_INFO_V1(eval_score_int_transfn);
Datum
eval_score_int_transfn(PG_FUNCTION_ARGS)
{
	double		v;

	EVAL_SKIP_IF_NULL(3);
	v = PG_GETARG_FLOAT8(1);
	return eval_add(fcinfo, 1, &v, PG_GETARG_BOOL(2), true, (double) PG_GETARG_INT32(3));
}

/* (internal, p float8, positive boolean): p in [0, 1] */
PG_FUNCTION_INFO_V1(eval_prob_transfn);
Datum
eval_prob_transfn(PG_FUNCTION_ARGS)
{
	double		v;

	EVAL_SKIP_IF_NULL(2);
	v = PG_GETARG_FLOAT8(1);
	eval_check_probability(v);
	return eval_add(fcinfo, 1, &v, PG_GETARG_BOOL(2), false, 0.0);
}

/* (internal, p float8, positive boolean, bins int): p in [0, 1] */
PG_FUNCTION_INFO_V1(eval_prob_int_transfn);
Datum
eval_prob_int_transfn(PG_FUNCTION_ARGS)
{
	double		v;

	EVAL_SKIP_IF_NULL(3);
	v = PG_GETARG_FLOAT8(1);
	eval_check_probability(v);
	return eval_add(fcinfo, 1, &v, PG_GETARG_BOOL(2), true, (double) PG_GETARG_INT32(3));
}

/* (internal, score_a float8, score_b float8, positive boolean) */
PG_FUNCTION_INFO_V1(eval_pair_transfn);
Datum
eval_pair_transfn(PG_FUNCTION_ARGS)
{
	double		v[2];

	EVAL_SKIP_IF_NULL(3);
	v[0] = PG_GETARG_FLOAT8(1);
	v[1] = PG_GETARG_FLOAT8(2);
	return eval_add(fcinfo, 2, v, PG_GETARG_BOOL(3), false, 0.0);
}

static void
eval_list_append(EvalList *dst, const EvalList *src, int ncol, MemoryContext cxt)
{
	if (src->n == 0)
		return;
	eval_list_reserve(dst, ncol, src->n, cxt);
	memcpy(dst->v + dst->n * ncol, src->v, src->n * ncol * sizeof(double));
	dst->n += src->n;
}

PG_FUNCTION_INFO_V1(eval_combine);
Datum
eval_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = eval_agg_context(fcinfo, "eval_combine");
	EvalState  *s1 = PG_ARGISNULL(0) ? NULL : (EvalState *) PG_GETARG_POINTER(0);
	EvalState  *s2 = PG_ARGISNULL(1) ? NULL : (EvalState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
	{
		s1 = MemoryContextAllocZero(aggcontext, sizeof(EvalState));
		s1->ncol = s2->ncol;
	}
	if (s1->ncol != s2->ncol)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid evaluation aggregate state"),
				 errdetail("Partial states with different numbers of scores cannot be combined.")));
	eval_param_merge(s1, s2->has_param, s2->param);
	eval_list_append(&s1->pos, &s2->pos, s1->ncol, aggcontext);
	eval_list_append(&s1->neg, &s2->neg, s1->ncol, aggcontext);
	PG_RETURN_POINTER(s1);
}

/* The format is described in core/evaluate.h. */
PG_FUNCTION_INFO_V1(eval_serialize);
Datum
eval_serialize(PG_FUNCTION_ARGS)
{
	EvalState  *state;
	StringInfoData buf;
	int64		values;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "eval_serialize called in non-aggregate context");
	state = (EvalState *) PG_GETARG_POINTER(0);
	values = (state->pos.n + state->neg.n) * state->ncol;
	if (values > (int64) ((MaxAllocSize - VARHDRSZ - PMED_EVAL_STATE_HEADER) / sizeof(double)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for a parallel evaluation aggregate state"),
				 errhint("Disable parallel query for this aggregate.")));
	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, PMED_EVAL_STATE_HEADER + values * sizeof(double));
	pq_sendint32(&buf, state->ncol);
	pq_sendint32(&buf, state->has_param ? 1 : 0);
	pq_sendfloat8(&buf, state->has_param ? state->param : 0.0);
	pq_sendint64(&buf, state->pos.n);
	pq_sendint64(&buf, state->neg.n);
	for (int64 i = 0; i < state->pos.n * state->ncol; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		pq_sendfloat8(&buf, state->pos.v[i]);
	}
	for (int64 i = 0; i < state->neg.n * state->ncol; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		pq_sendfloat8(&buf, state->neg.v[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
eval_read_list(StringInfo buf, EvalList *l, int ncol, int64 n)
{
	l->n = l->cap = n;
	l->v = n > 0 ? MemoryContextAllocHuge(CurrentMemoryContext, n * ncol * sizeof(double)) : NULL;
	for (int64 i = 0; i < n * ncol; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		l->v[i] = pq_getmsgfloat8(buf);
	}
}

PG_FUNCTION_INFO_V1(eval_deserialize);
Datum
eval_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b;
	StringInfoData buf;
	EvalState  *state;
	PmedError	err;
	int			ncol;
	uint64_t	n_pos;
	uint64_t	n_neg;
	PmedStatus	status;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "eval_deserialize called in non-aggregate context");
	b = PG_GETARG_BYTEA_PP(0);
	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	status = pmed_eval_state_check((const uint8 *) buf.data, buf.len, &ncol, &n_pos, &n_neg, &err);
	if (status != PMED_OK)
		pmed_report(&err);
	state = palloc0(sizeof(EvalState));
	state->ncol = pq_getmsgint(&buf, 4);
	state->has_param = pq_getmsgint(&buf, 4) != 0;
	state->param = pq_getmsgfloat8(&buf);
	buf.cursor = PMED_EVAL_STATE_HEADER;
	eval_read_list(&buf, &state->pos, ncol, (int64) n_pos);
	eval_read_list(&buf, &state->neg, ncol, (int64) n_neg);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* ---- final functions ---- */

/*
 * The state, or NULL when no row was aggregated.  A state from deserialize
 * (untrusted bytes) may claim another number of scores per row than the
 * aggregate keeps: reading it would overrun.
 */
static EvalState *
eval_final_state(FunctionCallInfo fcinfo, int ncol)
{
	EvalState  *state = PG_ARGISNULL(0) ? NULL : (EvalState *) PG_GETARG_POINTER(0);

	if (state == NULL || state->pos.n + state->neg.n == 0)
		return NULL;
	if (state->ncol != ncol)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid evaluation aggregate state"),
				 errdetail("The state holds %d scores per row, the aggregate %d.", state->ncol, ncol)));
	return state;
}

/* Probabilities from a deserialized state are untrusted: check the range. */
static void
eval_check_state_probabilities(const EvalState *state)
{
	const EvalList *lists[2] = {&state->pos, &state->neg};

	for (int k = 0; k < 2; k++)
		for (int64 i = 0; i < lists[k]->n; i++)
			if (!(lists[k]->v[i] >= 0.0 && lists[k]->v[i] <= 1.0))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("invalid evaluation aggregate state"),
						 errdetail("A probability lies outside [0, 1].")));
}

/* Ascending copy of a one-score list. */
static double *
eval_sorted(const EvalList *l)
{
	double	   *v = MemoryContextAllocHuge(CurrentMemoryContext, Max(l->n, 1) * sizeof(double));
	double	   *tmp = MemoryContextAllocHuge(CurrentMemoryContext, Max(l->n, 1) * sizeof(double));

	if (l->n > 0)
		memcpy(v, l->v, l->n * sizeof(double));
	pmed_sort_doubles(v, l->n, tmp);
	pfree(tmp);
	return v;
}

static int
pair_cmp(const void *x, const void *y)
{
	const double *a = x;
	const double *b = y;

	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	if (a[1] != b[1])
		return a[1] < b[1] ? -1 : 1;
	return 0;
}

/* Rows of a two-score list sorted by (a, b), split into two columns. */
static void
eval_sorted_pairs(const EvalList *l, double **a, double **b)
{
	double	   *rows = MemoryContextAllocHuge(CurrentMemoryContext, Max(l->n, 1) * 2 * sizeof(double));

	if (l->n > 0)
		memcpy(rows, l->v, l->n * 2 * sizeof(double));
	pmed_sort(rows, l->n, 2 * sizeof(double), pair_cmp);
	*a = MemoryContextAllocHuge(CurrentMemoryContext, Max(l->n, 1) * sizeof(double));
	*b = MemoryContextAllocHuge(CurrentMemoryContext, Max(l->n, 1) * sizeof(double));
	for (int64 i = 0; i < l->n; i++)
	{
		(*a)[i] = rows[2 * i];
		(*b)[i] = rows[2 * i + 1];
	}
	pfree(rows);
}

/* JSON output: shortest round-trip decimal; null when not finite. */
static void
json_num(StringInfo out, double v)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (!isfinite(v))
	{
		appendStringInfoString(out, "null");
		return;
	}
	if (v == 0.0)
		v = 0.0;				/* no "-0" */
	double_to_shortest_decimal_buf(v, tmp);
	appendStringInfoString(out, tmp);
}

static void
json_key_num(StringInfo out, const char *key, double v)
{
	if (out->len > 1)
		appendStringInfoString(out, ", ");
	appendStringInfo(out, "\"%s\": ", key);
	json_num(out, v);
}

static void
json_key_int(StringInfo out, const char *key, uint64 v)
{
	if (out->len > 1)
		appendStringInfoString(out, ", ");
	appendStringInfo(out, "\"%s\": " UINT64_FORMAT, key, v);
}

static Datum
json_result(StringInfo out)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(out->data));
}

/* a / b, NaN (JSON null) when b is 0 */
static double
ratio(uint64 a, uint64 b)
{
	return b == 0 ? NAN : (double) a / (double) b;
}

PG_FUNCTION_INFO_V1(eval_auc_ci_final);
Datum
eval_auc_ci_final(PG_FUNCTION_ARGS)
{
	EvalState  *state = eval_final_state(fcinfo, 1);
	double		level;
	double	   *pos,
			   *neg;
	PmedAucCi	ci;
	double		z;
	StringInfoData out;

	if (state == NULL)
		PG_RETURN_NULL();
	level = state->has_param ? state->param : EVAL_DEFAULT_LEVEL;
	if (!(level > 0.0 && level < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("auc_ci: level must lie strictly between 0 and 1, got %g", level)));
	if (state->pos.n == 0 || state->neg.n == 0)
		PG_RETURN_NULL();
	pos = eval_sorted(&state->pos);
	neg = eval_sorted(&state->neg);
	if (!pmed_delong_auc(pos, state->pos.n, neg, state->neg.n, &ci))
		PG_RETURN_NULL();
	z = pmed_normal_quantile(0.5 + level / 2.0);
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	json_key_num(&out, "auc", ci.auc);
	json_key_num(&out, "se", ci.se);
	json_key_num(&out, "lower", isnan(ci.se) ? NAN : Max(0.0, ci.auc - z * ci.se));
	json_key_num(&out, "upper", isnan(ci.se) ? NAN : Min(1.0, ci.auc + z * ci.se));
	json_key_num(&out, "level", level);
	json_key_int(&out, "n_pos", state->pos.n);
	json_key_int(&out, "n_neg", state->neg.n);
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(json_result(&out));
}

PG_FUNCTION_INFO_V1(eval_auc_compare_final);
Datum
eval_auc_compare_final(PG_FUNCTION_ARGS)
{
	EvalState  *state = eval_final_state(fcinfo, 2);
	double	   *pa,
			   *pb,
			   *na,
			   *nb;
	PmedAucCompare c;
	StringInfoData out;

	if (state == NULL || state->pos.n == 0 || state->neg.n == 0)
		PG_RETURN_NULL();
	eval_sorted_pairs(&state->pos, &pa, &pb);
	eval_sorted_pairs(&state->neg, &na, &nb);
	if (!pmed_delong_compare(pa, pb, state->pos.n, na, nb, state->neg.n, &c))
		PG_RETURN_NULL();
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	json_key_num(&out, "auc_a", c.auc_a);
	json_key_num(&out, "auc_b", c.auc_b);
	json_key_num(&out, "difference", c.auc_a - c.auc_b);
	json_key_num(&out, "se", c.se);
	json_key_num(&out, "z", c.z);
	json_key_num(&out, "p_value", c.p_value);
	json_key_int(&out, "n_pos", state->pos.n);
	json_key_int(&out, "n_neg", state->neg.n);
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(json_result(&out));
}

PG_FUNCTION_INFO_V1(eval_calibration_final);
Datum
eval_calibration_final(PG_FUNCTION_ARGS)
{
	EvalState  *state = eval_final_state(fcinfo, 1);
	double	   *pos,
			   *neg;
	PmedCalibration c;
	StringInfoData out;

	if (state == NULL)
		PG_RETURN_NULL();
	eval_check_state_probabilities(state);
	pos = eval_sorted(&state->pos);
	neg = eval_sorted(&state->neg);
	pmed_calibration(pos, state->pos.n, neg, state->neg.n, &c);
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	json_key_num(&out, "slope", c.fit_ok ? c.slope : NAN);
	json_key_num(&out, "intercept", c.fit_ok ? c.intercept : NAN);
	json_key_num(&out, "calibration_in_the_large", c.citl_ok ? c.citl : NAN);
	json_key_num(&out, "ece", c.ece);
	json_key_num(&out, "brier", c.brier);
	json_key_num(&out, "brier_reliability", c.reliability);
	json_key_num(&out, "brier_resolution", c.resolution);
	json_key_num(&out, "brier_uncertainty", c.uncertainty);
	json_key_int(&out, "n", c.n);
	json_key_int(&out, "n_pos", state->pos.n);
	json_key_int(&out, "n_extreme", c.n_extreme);
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(json_result(&out));
}

static void
json_confusion(StringInfo out, const PmedConfusion *c)
{
	json_key_num(out, "sensitivity", ratio(c->tp, c->tp + c->fn));
	json_key_num(out, "specificity", ratio(c->tn, c->tn + c->fp));
	json_key_num(out, "ppv", ratio(c->tp, c->tp + c->fp));
	json_key_num(out, "npv", ratio(c->tn, c->tn + c->fn));
	json_key_num(out, "f1", ratio(2 * c->tp, 2 * c->tp + c->fp + c->fn));
	json_key_num(out, "accuracy", ratio(c->tp + c->tn, c->tp + c->tn + c->fp + c->fn));
	json_key_int(out, "tp", c->tp);
	json_key_int(out, "fp", c->fp);
	json_key_int(out, "tn", c->tn);
	json_key_int(out, "fn", c->fn);
}

PG_FUNCTION_INFO_V1(eval_threshold_metrics_final);
Datum
eval_threshold_metrics_final(PG_FUNCTION_ARGS)
{
	EvalState  *state = eval_final_state(fcinfo, 1);
	double	   *pos,
			   *neg;
	PmedConfusion c;
	StringInfoData out;

	if (state == NULL || !state->has_param)
		PG_RETURN_NULL();
	pos = eval_sorted(&state->pos);
	neg = eval_sorted(&state->neg);
	pmed_confusion_at(pos, state->pos.n, neg, state->neg.n, state->param, &c);
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	json_confusion(&out, &c);
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(json_result(&out));
}

static Datum
threshold_for_final(FunctionCallInfo fcinfo, bool sensitivity)
{
	EvalState  *state = eval_final_state(fcinfo, 1);
	const char *fname = sensitivity ? "threshold_for" : "threshold_for_specificity";
	double	   *pos,
			   *neg;
	double		t;
	bool		found;
	PmedConfusion c;
	StringInfoData out;

	if (state == NULL || !state->has_param)
		PG_RETURN_NULL();
	if (!(state->param >= 0.0 && state->param <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: target must lie in [0, 1], got %g", fname, state->param)));
	pos = eval_sorted(&state->pos);
	neg = eval_sorted(&state->neg);
	if (sensitivity)
		found = pmed_threshold_for_sensitivity(pos, state->pos.n, neg, state->neg.n,
											   state->param, &t);
	else
		found = pmed_threshold_for_specificity(pos, state->pos.n, neg, state->neg.n,
											   state->param, &t);
	if (!found)
		PG_RETURN_NULL();
	pmed_confusion_at(pos, state->pos.n, neg, state->neg.n, t, &c);
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	json_key_num(&out, "threshold", t);
	json_confusion(&out, &c);
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(json_result(&out));
}

PG_FUNCTION_INFO_V1(eval_threshold_for_final);
Datum
eval_threshold_for_final(PG_FUNCTION_ARGS)
{
	return threshold_for_final(fcinfo, true);
}

PG_FUNCTION_INFO_V1(eval_threshold_for_specificity_final);
Datum
eval_threshold_for_specificity_final(PG_FUNCTION_ARGS)
{
	return threshold_for_final(fcinfo, false);
}

static int
eval_int_param(const EvalState *state, int def, int min, int max, const char *fname,
			   const char *what)
{
	double		v = state->has_param ? state->param : def;

	if (!(v >= min && v <= max) || v != floor(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must be an integer in [%d, %d], got %g", fname, what, min, max, v)));
	return (int) v;
}

/* ROC (roc true) or precision-recall points as a jsonb array. */
static Datum
curve_final(FunctionCallInfo fcinfo, bool roc)
{
	EvalState  *state = eval_final_state(fcinfo, 1);
	int			max_points;
	double	   *pos,
			   *neg;
	int64		n;
	double	   *thr;
	uint64	   *tp,
			   *fp,
			   *cum;
	size_t	   *idx;
	size_t		m,
				first,
				k_out;
	StringInfoData out;

	if (state == NULL)
		PG_RETURN_NULL();
	max_points = eval_int_param(state, EVAL_DEFAULT_MAX_POINTS, 2, 100000000,
								roc ? "roc_curve" : "pr_curve", "max_points");
	/* ROC needs both classes, precision-recall needs positives */
	if (state->pos.n == 0 || (roc && state->neg.n == 0))
		PG_RETURN_NULL();
	pos = eval_sorted(&state->pos);
	neg = eval_sorted(&state->neg);
	n = state->pos.n + state->neg.n;
	/* ROC: one leading point (nothing predicted positive) */
	first = roc ? 1 : 0;
	thr = MemoryContextAllocHuge(CurrentMemoryContext, (n + 1) * sizeof(double));
	tp = MemoryContextAllocHuge(CurrentMemoryContext, (n + 1) * sizeof(uint64));
	fp = MemoryContextAllocHuge(CurrentMemoryContext, (n + 1) * sizeof(uint64));
	cum = MemoryContextAllocHuge(CurrentMemoryContext, (n + 1) * sizeof(uint64));
	m = pmed_curve_points(pos, state->pos.n, neg, state->neg.n, thr + first, tp + first, fp + first);
	if (roc)
	{
		thr[0] = NAN;
		tp[0] = fp[0] = 0;
	}
	m += first;
	for (size_t k = 0; k < m; k++)
		cum[k] = tp[k] + fp[k];
	idx = palloc(Min((size_t) max_points, m) * sizeof(size_t));
	k_out = pmed_curve_select(cum, m, Min((size_t) max_points, m), idx);

	initStringInfo(&out);
	appendStringInfoChar(&out, '[');
	for (size_t k = 0; k < k_out; k++)
	{
		size_t		i = idx[k];

		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		appendStringInfoString(&out, k > 0 ? ", {\"threshold\": " : "{\"threshold\": ");
		json_num(&out, thr[i]);
		if (roc)
		{
			appendStringInfoString(&out, ", \"tpr\": ");
			json_num(&out, (double) tp[i] / (double) state->pos.n);
			appendStringInfoString(&out, ", \"fpr\": ");
			json_num(&out, (double) fp[i] / (double) state->neg.n);
		}
		else
		{
			appendStringInfoString(&out, ", \"precision\": ");
			json_num(&out, (double) tp[i] / (double) (tp[i] + fp[i]));
			appendStringInfoString(&out, ", \"recall\": ");
			json_num(&out, (double) tp[i] / (double) state->pos.n);
		}
		appendStringInfoChar(&out, '}');
	}
	appendStringInfoChar(&out, ']');
	PG_RETURN_DATUM(json_result(&out));
}

PG_FUNCTION_INFO_V1(eval_roc_curve_final);
Datum
eval_roc_curve_final(PG_FUNCTION_ARGS)
{
	return curve_final(fcinfo, true);
}

PG_FUNCTION_INFO_V1(eval_pr_curve_final);
Datum
eval_pr_curve_final(PG_FUNCTION_ARGS)
{
	return curve_final(fcinfo, false);
}

PG_FUNCTION_INFO_V1(eval_calibration_curve_final);
Datum
eval_calibration_curve_final(PG_FUNCTION_ARGS)
{
	EvalState  *state = eval_final_state(fcinfo, 1);
	int			bins;
	double	   *pos,
			   *neg;
	uint64	   *count,
			   *positives;
	double	   *sum_p;
	bool		any = false;
	StringInfoData out;

	if (state == NULL)
		PG_RETURN_NULL();
	bins = eval_int_param(state, EVAL_DEFAULT_BINS, 1, EVAL_MAX_BINS, "calibration_curve", "bins");
	eval_check_state_probabilities(state);
	pos = eval_sorted(&state->pos);
	neg = eval_sorted(&state->neg);
	count = palloc(bins * sizeof(uint64));
	positives = palloc(bins * sizeof(uint64));
	sum_p = palloc(bins * sizeof(double));
	pmed_calibration_bins(pos, state->pos.n, neg, state->neg.n, bins, count, positives, sum_p);
	initStringInfo(&out);
	appendStringInfoChar(&out, '[');
	for (int k = 0; k < bins; k++)
	{
		if (count[k] == 0)
			continue;
		appendStringInfo(&out, "%s{\"bin\": %d, \"lower\": ", any ? ", " : "", k + 1);
		json_num(&out, (double) k / bins);
		appendStringInfoString(&out, ", \"upper\": ");
		json_num(&out, (double) (k + 1) / bins);
		appendStringInfoString(&out, ", \"mean_predicted\": ");
		json_num(&out, sum_p[k] / (double) count[k]);
		appendStringInfoString(&out, ", \"observed_rate\": ");
		json_num(&out, (double) positives[k] / (double) count[k]);
		appendStringInfo(&out, ", \"count\": " UINT64_FORMAT "}", count[k]);
		any = true;
	}
	appendStringInfoChar(&out, ']');
	PG_RETURN_DATUM(json_result(&out));
}
