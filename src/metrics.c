/*
 * metrics.c - SQL glue for the evaluation aggregates and ranking scalars:
 * pmed.auc, pmed.pr_auc, pmed.accuracy, pmed.confusion_matrix, pmed.rmse,
 * pmed.log_loss, pmed.brier, pmed.jaccard, pmed.precision_at_k,
 * pmed.recall_at_k, pmed.ndcg_at_k.  (pmed.fold lives in fold.c.)
 *
 * The aggregates' transition type is pmed.metric_state (metric_state.c):
 * an expanded object holding statistics only - accuracy counts, the
 * confusion counts per (actual, predicted) label pair, exact sums for
 * rmse / log_loss / brier, and score -> (positives, negatives) counts for
 * auc and pr_auc.  Every combine is metric_state.c's ms_combine; final
 * functions never change the value (PostgreSQL may share one state between
 * auc() and pr_auc() and call both finals).  Rows with a NULL input are
 * skipped.
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
#include "metric_state.h"

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
 * Score counts: auc() and pr_auc()
 * ==================================================================== */

static const int score_kinds[] = {MS_SCORE};

PG_FUNCTION_INFO_V1(metrics_score_transfn);
Datum
metrics_score_transfn(PG_FUNCTION_ARGS)
{
	MetricState *state;
	double		score;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return ms_skip_row(fcinfo);
	score = PG_GETARG_FLOAT8(1);
	check_finite_arg(score, "score aggregate", "score");
	state = ms_transition(fcinfo, MS_SCORE);
	ms_add_score(state, score, PG_GETARG_BOOL(2));
	MS_RETURN(state);
}

PG_FUNCTION_INFO_V1(metrics_score_combine);
Datum
metrics_score_combine(PG_FUNCTION_ARGS)
{
	return ms_combine(fcinfo);
}

PG_FUNCTION_INFO_V1(metrics_auc_final);
Datum
metrics_auc_final(PG_FUNCTION_ARGS)
{
	MetricState *state = ms_final_arg(fcinfo, 0, score_kinds, 1, "pmed.auc");
	double		auc;

	if (state == NULL || state->total_pos == 0 || state->total_neg == 0)
		PG_RETURN_NULL();
	/* from the counts: the same exact U statistic as over sorted rows */
	ms_compact(state);
	if (!pmed_runs_auc(state->runs, state->n_runs, &auc))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(auc);
}

PG_FUNCTION_INFO_V1(metrics_pr_auc_final);
Datum
metrics_pr_auc_final(PG_FUNCTION_ARGS)
{
	MetricState *state = ms_final_arg(fcinfo, 0, score_kinds, 1, "pmed.pr_auc");
	double		ap;

	if (state == NULL || state->total_pos == 0)
		PG_RETURN_NULL();
	ms_compact(state);
	if (!pmed_runs_average_precision(state->runs, state->n_runs, &ap))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(ap);
}

/* ====================================================================
 * Counts: accuracy()
 * ==================================================================== */

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
	MetricState *state;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return ms_skip_row(fcinfo);
	state = ms_transition(fcinfo, MS_ACCURACY);
	state->n++;
	if (text_equal(PG_GETARG_TEXT_PP(1), PG_GETARG_TEXT_PP(2)))
		state->correct++;
	MS_RETURN(state);
}

PG_FUNCTION_INFO_V1(metrics_accuracy_combine);
Datum
metrics_accuracy_combine(PG_FUNCTION_ARGS)
{
	return ms_combine(fcinfo);
}

PG_FUNCTION_INFO_V1(metrics_accuracy_final);
Datum
metrics_accuracy_final(PG_FUNCTION_ARGS)
{
	static const int kinds[] = {MS_ACCURACY};
	MetricState *state = ms_final_arg(fcinfo, 0, kinds, 1, "pmed.accuracy");

	if (state == NULL || state->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) state->correct / (double) state->n);
}

/* ====================================================================
 * Exact sums: rmse(), log_loss(), brier()
 * ==================================================================== */

static Datum
sum_state_add(FunctionCallInfo fcinfo, int kind, const char *fname, double term)
{
	MetricState *state;
	MemoryContext old;

	if (!isfinite(term))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: value out of range: overflow", fname)));
	state = ms_transition(fcinfo, kind);
	state->n++;
	/* the exact sum's digits live with the state */
	old = MemoryContextSwitchTo(MS_CXT(state));
	pmed_exactsum_add(&state->sum, term);
	MemoryContextSwitchTo(old);
	MS_RETURN(state);
}

PG_FUNCTION_INFO_V1(metrics_rmse_transfn);
Datum
metrics_rmse_transfn(PG_FUNCTION_ARGS)
{
	double		predicted;
	double		actual;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return ms_skip_row(fcinfo);
	predicted = PG_GETARG_FLOAT8(1);
	actual = PG_GETARG_FLOAT8(2);
	check_finite_arg(predicted, "rmse", "predicted");
	check_finite_arg(actual, "rmse", "actual");
	return sum_state_add(fcinfo, MS_RMSE, "rmse", (predicted - actual) * (predicted - actual));
}

PG_FUNCTION_INFO_V1(metrics_log_loss_transfn);
Datum
metrics_log_loss_transfn(PG_FUNCTION_ARGS)
{
	double		p;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return ms_skip_row(fcinfo);
	p = PG_GETARG_FLOAT8(1);
	check_probability(p, "log_loss");
	return sum_state_add(fcinfo, MS_LOG_LOSS, "log_loss", pmed_log_loss_term(p, PG_GETARG_BOOL(2)));
}

PG_FUNCTION_INFO_V1(metrics_brier_transfn);
Datum
metrics_brier_transfn(PG_FUNCTION_ARGS)
{
	double		p;
	double		d;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return ms_skip_row(fcinfo);
	p = PG_GETARG_FLOAT8(1);
	check_probability(p, "brier");
	d = p - (PG_GETARG_BOOL(2) ? 1.0 : 0.0);
	return sum_state_add(fcinfo, MS_BRIER, "brier", d * d);
}

PG_FUNCTION_INFO_V1(metrics_sum_combine);
Datum
metrics_sum_combine(PG_FUNCTION_ARGS)
{
	return ms_combine(fcinfo);
}

PG_FUNCTION_INFO_V1(metrics_rmse_final);
Datum
metrics_rmse_final(PG_FUNCTION_ARGS)
{
	static const int kinds[] = {MS_RMSE};
	MetricState *state = ms_final_arg(fcinfo, 0, kinds, 1, "pmed.rmse");
	double		mean;

	if (state == NULL || state->n == 0)
		PG_RETURN_NULL();
	mean = pmed_exactsum_value(&state->sum) / (double) state->n;
	PG_RETURN_FLOAT8(sqrt(Max(mean, 0.0)));
}

/* log_loss and brier: the mean term. */
PG_FUNCTION_INFO_V1(metrics_mean_final);
Datum
metrics_mean_final(PG_FUNCTION_ARGS)
{
	static const int kinds[] = {MS_LOG_LOSS, MS_BRIER};
	MetricState *state = ms_final_arg(fcinfo, 0, kinds, 2, "pmed.log_loss or pmed.brier");

	if (state == NULL || state->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(Max(pmed_exactsum_value(&state->sum), 0.0) / (double) state->n);
}

/* ====================================================================
 * Label pairs: confusion_matrix()
 * ==================================================================== */

PG_FUNCTION_INFO_V1(metrics_confusion_transfn);
Datum
metrics_confusion_transfn(PG_FUNCTION_ARGS)
{
	MetricState *state;
	text	   *predicted;
	text	   *actual;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return ms_skip_row(fcinfo);
	predicted = PG_GETARG_TEXT_PP(1);
	actual = PG_GETARG_TEXT_PP(2);
	state = ms_transition(fcinfo, MS_CONFUSION);
	ms_cm_add(state, VARDATA_ANY(predicted), VARSIZE_ANY_EXHDR(predicted),
			  VARDATA_ANY(actual), VARSIZE_ANY_EXHDR(actual));
	MS_RETURN(state);
}

PG_FUNCTION_INFO_V1(metrics_confusion_combine);
Datum
metrics_confusion_combine(PG_FUNCTION_ARGS)
{
	return ms_combine(fcinfo);
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
	static const int kinds[] = {MS_CONFUSION};
	MetricState *ms = ms_final_arg(fcinfo, 0, kinds, 1, "pmed.confusion_matrix");
	CmState    *state;
	int32		n;
	int32	   *order;
	int32	   *rank;
	int64	   *matrix;
	PmedJson	out;
	PmedError	err = {0};

	if (ms == NULL || ms->cm->n_pairs == 0)
		PG_RETURN_NULL();
	state = ms->cm;
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
