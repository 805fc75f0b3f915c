/*
 * evaluate.c - SQL glue for the clinical evaluation aggregates:
 * pmed.auc_ci, pmed.auc_compare, pmed.calibration, pmed.threshold_metrics,
 * pmed.threshold_for, pmed.threshold_for_specificity, pmed.roc_curve,
 * pmed.pr_curve and pmed.calibration_curve (the math is in
 * core/evaluate.c).
 *
 * Their transition type is pmed.metric_state (metric_state.c).  Every
 * aggregate but auc_compare keeps, per distinct score (or probability), the
 * number of positive and negative rows, plus one constant argument (level,
 * threshold, target, max_points or bins) that must be the same in every
 * row; auc_compare keeps its rows (the paired DeLong test needs each row's
 * two scores).  The final functions expand the counts back into the sorted
 * per-class scores the cores read, so any plan gives the same bits, and
 * never change the value (PostgreSQL shares one state between
 * roc_curve(s, y) and pr_curve(s, y)).  A row with a NULL in any argument
 * is skipped.
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
#include "metric_state.h"

#define EVAL_DEFAULT_LEVEL		0.95
#define EVAL_DEFAULT_MAX_POINTS	1000
#define EVAL_DEFAULT_BINS		10
#define EVAL_MAX_BINS			1000

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

/*
 * Add one row (values[0..ncol)) of class positive to a state of the given
 * kind; NULL arguments are checked by the caller.
 */
static Datum
eval_add(FunctionCallInfo fcinfo, int kind, int ncol, const double *values, bool positive,
		 bool has_param, double param)
{
	MetricState *state;

	for (int c = 0; c < ncol; c++)
		eval_check_finite(values[c], "score");
	if (has_param)
		eval_check_finite(param, "the constant argument");
	state = ms_transition(fcinfo, kind);
	if (has_param)
		ms_set_param(state, param);
	if (ncol == 2)
		ms_add_pair(state, values[0], values[1], positive);
	else
		ms_add_score(state, values[0], positive);
	MS_RETURN(state);
}

/* Skip a row with a NULL input: return the state unchanged. */
#define EVAL_SKIP_IF_NULL(nargs) \
	do { \
		for (int a_ = 1; a_ <= (nargs); a_++) \
			if (PG_ARGISNULL(a_)) \
				return ms_skip_row(fcinfo); \
	} while (0)

/* (state, score float8, positive boolean) */
PG_FUNCTION_INFO_V1(eval_score_transfn);
Datum
eval_score_transfn(PG_FUNCTION_ARGS)
{
	double		v;

	EVAL_SKIP_IF_NULL(2);
	v = PG_GETARG_FLOAT8(1);
	return eval_add(fcinfo, MS_SCORE, 1, &v, PG_GETARG_BOOL(2), false, 0.0);
}

/* (state, score float8, positive boolean, param float8) */
PG_FUNCTION_INFO_V1(eval_score_param_transfn);
Datum
eval_score_param_transfn(PG_FUNCTION_ARGS)
{
	double		v;

	EVAL_SKIP_IF_NULL(3);
	v = PG_GETARG_FLOAT8(1);
	return eval_add(fcinfo, MS_SCORE_PARAM, 1, &v, PG_GETARG_BOOL(2), true, PG_GETARG_FLOAT8(3));
}

/* (state, score float8, positive boolean, param int) */
PG_FUNCTION_INFO_V1(eval_score_int_transfn);
Datum
eval_score_int_transfn(PG_FUNCTION_ARGS)
{
	double		v;

	EVAL_SKIP_IF_NULL(3);
	v = PG_GETARG_FLOAT8(1);
	return eval_add(fcinfo, MS_SCORE_INT, 1, &v, PG_GETARG_BOOL(2), true, (double) PG_GETARG_INT32(3));
}

/* (state, p float8, positive boolean): p in [0, 1] */
PG_FUNCTION_INFO_V1(eval_prob_transfn);
Datum
eval_prob_transfn(PG_FUNCTION_ARGS)
{
	double		v;

	EVAL_SKIP_IF_NULL(2);
	v = PG_GETARG_FLOAT8(1);
	eval_check_probability(v);
	return eval_add(fcinfo, MS_PROB, 1, &v, PG_GETARG_BOOL(2), false, 0.0);
}

/* (state, p float8, positive boolean, bins int): p in [0, 1] */
PG_FUNCTION_INFO_V1(eval_prob_int_transfn);
Datum
eval_prob_int_transfn(PG_FUNCTION_ARGS)
{
	double		v;

	EVAL_SKIP_IF_NULL(3);
	v = PG_GETARG_FLOAT8(1);
	eval_check_probability(v);
	return eval_add(fcinfo, MS_PROB_INT, 1, &v, PG_GETARG_BOOL(2), true, (double) PG_GETARG_INT32(3));
}

/* (state, score_a float8, score_b float8, positive boolean) */
PG_FUNCTION_INFO_V1(eval_pair_transfn);
Datum
eval_pair_transfn(PG_FUNCTION_ARGS)
{
	double		v[2];

	EVAL_SKIP_IF_NULL(3);
	v[0] = PG_GETARG_FLOAT8(1);
	v[1] = PG_GETARG_FLOAT8(2);
	return eval_add(fcinfo, MS_PAIR, 2, v, PG_GETARG_BOOL(3), false, 0.0);
}

PG_FUNCTION_INFO_V1(eval_combine);
Datum
eval_combine(PG_FUNCTION_ARGS)
{
	return ms_combine(fcinfo);
}

/* ---- final functions ---- */

/* The state, or NULL when no row was aggregated. */
static MetricState *
eval_final_state(FunctionCallInfo fcinfo, const int *kinds, int nk, const char *fname)
{
	MetricState *state = ms_final_arg(fcinfo, 0, kinds, nk, fname);

	if (state == NULL || state->total_pos + state->total_neg == 0)
		return NULL;
	return state;
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
eval_sorted_pairs(const MsList *l, double **a, double **b)
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
	static const int kinds[] = {MS_SCORE, MS_SCORE_PARAM};
	MetricState *state = eval_final_state(fcinfo, kinds, 2, "pmed.auc_ci");
	double		level;
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
	if (state->total_pos == 0 || state->total_neg == 0)
		PG_RETURN_NULL();
	/* from the counts, the same bits as over the sorted rows */
	ms_compact(state);
	if (!pmed_runs_delong_auc(state->runs, state->n_runs, &ci))
		PG_RETURN_NULL();
	z = pmed_normal_quantile(0.5 + level / 2.0);
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	json_key_num(&out, "auc", ci.auc);
	json_key_num(&out, "se", ci.se);
	json_key_num(&out, "lower", isnan(ci.se) ? NAN : Max(0.0, ci.auc - z * ci.se));
	json_key_num(&out, "upper", isnan(ci.se) ? NAN : Min(1.0, ci.auc + z * ci.se));
	json_key_num(&out, "level", level);
	json_key_int(&out, "n_pos", state->total_pos);
	json_key_int(&out, "n_neg", state->total_neg);
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(json_result(&out));
}

PG_FUNCTION_INFO_V1(eval_auc_compare_final);
Datum
eval_auc_compare_final(PG_FUNCTION_ARGS)
{
	static const int kinds[] = {MS_PAIR};
	MetricState *state = eval_final_state(fcinfo, kinds, 1, "pmed.auc_compare");
	double	   *pa,
			   *pb,
			   *na,
			   *nb;
	PmedAucCompare c;
	StringInfoData out;

	if (state == NULL || state->total_pos == 0 || state->total_neg == 0)
		PG_RETURN_NULL();
	eval_sorted_pairs(&state->bpos, &pa, &pb);
	eval_sorted_pairs(&state->bneg, &na, &nb);
	if (!pmed_delong_compare(pa, pb, state->total_pos, na, nb, state->total_neg, &c))
		PG_RETURN_NULL();
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	json_key_num(&out, "auc_a", c.auc_a);
	json_key_num(&out, "auc_b", c.auc_b);
	json_key_num(&out, "difference", c.auc_a - c.auc_b);
	json_key_num(&out, "se", c.se);
	json_key_num(&out, "z", c.z);
	json_key_num(&out, "p_value", c.p_value);
	json_key_int(&out, "n_pos", state->total_pos);
	json_key_int(&out, "n_neg", state->total_neg);
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(json_result(&out));
}

PG_FUNCTION_INFO_V1(eval_calibration_final);
Datum
eval_calibration_final(PG_FUNCTION_ARGS)
{
	static const int kinds[] = {MS_PROB};
	MetricState *state = eval_final_state(fcinfo, kinds, 1, "pmed.calibration");
	double	   *pos,
			   *neg;
	PmedCalibration c;
	StringInfoData out;

	if (state == NULL)
		PG_RETURN_NULL();
	ms_sorted_scores(state, &pos, &neg);
	pmed_calibration(pos, state->total_pos, neg, state->total_neg, &c);
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
	json_key_int(&out, "n_pos", state->total_pos);
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
	static const int kinds[] = {MS_SCORE_PARAM};
	MetricState *state = eval_final_state(fcinfo, kinds, 1, "pmed.threshold_metrics");
	PmedConfusion c;
	StringInfoData out;

	if (state == NULL || !state->has_param)
		PG_RETURN_NULL();
	ms_compact(state);
	pmed_runs_confusion_at(state->runs, state->n_runs, state->param, &c.tp, &c.fp, &c.tn, &c.fn);
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	json_confusion(&out, &c);
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(json_result(&out));
}

static Datum
threshold_for_final(FunctionCallInfo fcinfo, bool sensitivity)
{
	static const int kinds[] = {MS_SCORE_PARAM};
	const char *fname = sensitivity ? "threshold_for" : "threshold_for_specificity";
	MetricState *state = eval_final_state(fcinfo, kinds, 1, fname);
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
	ms_compact(state);
	if (sensitivity)
		found = pmed_runs_threshold_for_sensitivity(state->runs, state->n_runs, state->param, &t);
	else
		found = pmed_runs_threshold_for_specificity(state->runs, state->n_runs, state->param, &t);
	if (!found)
		PG_RETURN_NULL();
	pmed_runs_confusion_at(state->runs, state->n_runs, t, &c.tp, &c.fp, &c.tn, &c.fn);
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
eval_int_param(const MetricState *state, int def, int min, int max, const char *fname,
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
	static const int kinds[] = {MS_SCORE, MS_SCORE_INT};
	MetricState *state = eval_final_state(fcinfo, kinds, 2, roc ? "pmed.roc_curve" : "pmed.pr_curve");
	int			max_points;
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
	if (state->total_pos == 0 || (roc && state->total_neg == 0))
		PG_RETURN_NULL();
	/* one point per distinct score, straight from the counts */
	ms_compact(state);
	n = state->n_runs;
	/* ROC: one leading point (nothing predicted positive) */
	first = roc ? 1 : 0;
	thr = MemoryContextAllocHuge(CurrentMemoryContext, (n + 1) * sizeof(double));
	tp = MemoryContextAllocHuge(CurrentMemoryContext, (n + 1) * sizeof(uint64));
	fp = MemoryContextAllocHuge(CurrentMemoryContext, (n + 1) * sizeof(uint64));
	cum = MemoryContextAllocHuge(CurrentMemoryContext, (n + 1) * sizeof(uint64));
	m = pmed_runs_curve_points(state->runs, state->n_runs, thr + first, tp + first, fp + first);
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
			json_num(&out, (double) tp[i] / (double) state->total_pos);
			appendStringInfoString(&out, ", \"fpr\": ");
			json_num(&out, (double) fp[i] / (double) state->total_neg);
		}
		else
		{
			appendStringInfoString(&out, ", \"precision\": ");
			json_num(&out, (double) tp[i] / (double) (tp[i] + fp[i]));
			appendStringInfoString(&out, ", \"recall\": ");
			json_num(&out, (double) tp[i] / (double) state->total_pos);
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
	static const int kinds[] = {MS_PROB, MS_PROB_INT};
	MetricState *state = eval_final_state(fcinfo, kinds, 2, "pmed.calibration_curve");
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
	ms_sorted_scores(state, &pos, &neg);
	count = palloc(bins * sizeof(uint64));
	positives = palloc(bins * sizeof(uint64));
	sum_p = palloc(bins * sizeof(double));
	pmed_calibration_bins(pos, state->total_pos, neg, state->total_neg, bins, count, positives, sum_p);
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
