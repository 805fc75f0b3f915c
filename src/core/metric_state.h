/*
 * metric_state.h - pure helpers behind pmed.metric_state, the transition
 * type of the metric, evaluation, curve, threshold and recalibration
 * aggregates (src/metric_state.c is the PostgreSQL glue).
 *
 * - PmedScoreRun: a sorted distinct score with its positive and negative
 *   counts; merging, absorbing sorted raw scores and expanding back to the
 *   sorted per-row arrays the final functions read.
 * - The flat form's byte order (big-endian) helpers and its CRC check.
 *
 * The exact sums of rmse, log_loss and brier are the PmedExactSum of
 * exactsum.h (shared with the training statistics).
 */
#ifndef PMED_METRIC_STATE_H
#define PMED_METRIC_STATE_H

#include "evaluate.h"
#include "pmed_core.h"

/* ---- score counts ---- */

typedef struct PmedScoreRun
{
	double		score;			/* finite, never -0.0 */
	uint64_t	pos;
	uint64_t	neg;
} PmedScoreRun;

/*
 * out = runs (strictly ascending scores) + the raw sorted scores pos[] and
 * neg[] (ascending, may repeat); out has room for n_runs + n_pos + n_neg
 * runs and must not alias the inputs.  Returns the runs written.
 */
size_t		pmed_runs_absorb(const PmedScoreRun *runs, size_t n_runs,
							 const double *pos, size_t n_pos,
							 const double *neg, size_t n_neg, PmedScoreRun *out);

/* out = a + b (both strictly ascending); room for na + nb. */
size_t		pmed_runs_merge(const PmedScoreRun *a, size_t na,
							const PmedScoreRun *b, size_t nb, PmedScoreRun *out);

/* The sorted per-row scores behind runs: pos gets sum(pos) values, neg
 * sum(neg), both ascending. */
void		pmed_runs_expand(const PmedScoreRun *runs, size_t n, double *pos, double *neg);

/*
 * Check runs read from untrusted bytes: scores finite, not -0.0, strictly
 * ascending, within [0, 1] when probabilities, each run non-empty, totals
 * below 2^62.  Fills the totals.
 */
PmedStatus	pmed_runs_check(const PmedScoreRun *runs, size_t n, bool probabilities,
							uint64_t *n_pos, uint64_t *n_neg, PmedError *err);

/*
 * Metrics straight from the runs (ascending), equal bit for bit to the
 * sorted-array functions of metrics.h / evaluate.h on the rows the runs
 * count: ROC AUC (false when a class is empty), average precision (false
 * without positives), curve points (one per run, highest score first; thr,
 * tp, fp hold n entries), confusion counts of "score >= t", and the
 * thresholds reaching a target sensitivity / specificity.
 */
bool		pmed_runs_auc(const PmedScoreRun *runs, size_t n, double *auc);
bool		pmed_runs_average_precision(const PmedScoreRun *runs, size_t n, double *ap);
size_t		pmed_runs_curve_points(const PmedScoreRun *runs, size_t n,
								   double *thr, uint64_t *tp, uint64_t *fp);
void		pmed_runs_confusion_at(const PmedScoreRun *runs, size_t n, double t,
								   uint64_t *tp, uint64_t *fp, uint64_t *tn, uint64_t *fn);
bool		pmed_runs_threshold_for_sensitivity(const PmedScoreRun *runs, size_t n,
												double target, double *t);
bool		pmed_runs_threshold_for_specificity(const PmedScoreRun *runs, size_t n,
												double target, double *t);
/* pmed_delong_auc of the rows behind the runs, bit for bit (each row's
 * placement is added as often as the run counts it: O(rows) time, O(1)
 * memory beyond the runs). */
bool		pmed_runs_delong_auc(const PmedScoreRun *runs, size_t n, PmedAucCi *out);

/* ---- flat form helpers (big-endian) ---- */

void		pmed_put_be64(uint8_t *p, uint64_t v);
void		pmed_put_be32(uint8_t *p, uint32_t v);
void		pmed_put_be_f64(uint8_t *p, double v);

#endif
