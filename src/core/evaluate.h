/*
 * evaluate.h - clinical evaluation: DeLong AUC variance and the paired
 * DeLong test, threshold metrics, the threshold reaching a target
 * sensitivity or specificity, ROC / precision-recall / calibration curves
 * and their summary to at most N points, logistic recalibration fits
 * (calibration slope, intercept and calibration-in-the-large), ECE and the
 * binned Brier decomposition.
 *
 * Pure C.  Scores are finite doubles (the host rejects NaN and infinity).
 * "Sorted" inputs are ascending.  A score at or above the threshold t is a
 * positive prediction.  Functions that sum over rows do so in the order of
 * their (sorted) input, so the same rows give the same bits whatever order
 * they arrived in.
 */
#ifndef PMED_EVALUATE_H
#define PMED_EVALUATE_H

#include "pmed_core.h"

/* ---- the standard normal distribution ---- */

/* P(Z > z) = erfc(z / sqrt 2) / 2. */
double		pmed_normal_sf(double z);
/* The p-quantile, 0 < p < 1 (Acklam's rational approximation, refined by
 * one Halley step on erfc: relative error below 1e-15). */
double		pmed_normal_quantile(double p);

/* ---- DeLong ---- */

/*
 * Structural components (placements) of DeLong et al. (1988): for each
 * positive i, v10[i] = (#negatives below pos[i] + #tied / 2) / n_neg; for
 * each negative j, v01[j] = (#positives above neg[j] + #tied / 2) / n_pos.
 * pos and neg in any order; n_pos, n_neg >= 1.
 */
void		pmed_delong_placements(const double *pos, size_t n_pos,
								   const double *neg, size_t n_neg,
								   double *v10, double *v01);

typedef struct PmedAucCi
{
	double		auc;			/* Mann-Whitney AUC (exact U statistic) */
	double		se;				/* NaN when n_pos < 2 or n_neg < 2 */
} PmedAucCi;

/*
 * AUC and its DeLong standard error sqrt(S10 / n_pos + S01 / n_neg), S10
 * and S01 the sample variances (n - 1) of the placements, as R's pROC.
 * pos and neg sorted.  False when a class is empty.
 */
bool		pmed_delong_auc(const double *pos, size_t n_pos,
							const double *neg, size_t n_neg, PmedAucCi *out);

typedef struct PmedAucCompare
{
	double		auc_a;
	double		auc_b;
	double		se;				/* of auc_a - auc_b; NaN when undefined */
	double		z;				/* NaN when se is 0 or undefined */
	double		p_value;		/* two-sided normal; NaN with z */
} PmedAucCompare;

/*
 * Paired DeLong test of two scores a and b on the same rows: var(A - B) =
 * (S10_aa + S10_bb - 2 S10_ab) / n_pos + (S01_aa + S01_bb - 2 S01_ab) / n_neg
 * with the placement (co)variances (n - 1).  Rows of one class in any order
 * (sort them first for bit-reproducible sums).  False when a class is empty.
 */
bool		pmed_delong_compare(const double *pos_a, const double *pos_b, size_t n_pos,
								const double *neg_a, const double *neg_b, size_t n_neg,
								PmedAucCompare *out);

/* ---- thresholds ---- */

typedef struct PmedConfusion
{
	uint64_t	tp;
	uint64_t	fp;
	uint64_t	tn;
	uint64_t	fn;
} PmedConfusion;

/* Counts of the rule "score >= t" (sorted inputs). */
void		pmed_confusion_at(const double *pos, size_t n_pos, const double *neg, size_t n_neg,
							  double t, PmedConfusion *c);

/*
 * The largest observed score t whose rule "score >= t" reaches sensitivity
 * tp / n_pos >= target.  False when there is no positive (sensitivity
 * undefined).  Sorted inputs.
 */
bool		pmed_threshold_for_sensitivity(const double *pos, size_t n_pos,
										   const double *neg, size_t n_neg,
										   double target, double *t);

/*
 * The smallest observed score t whose rule "score >= t" reaches specificity
 * tn / n_neg >= target (the most sensitive such rule).  False when there is
 * no negative, or when no observed score reaches the target (the highest
 * scoring row is a negative and the target needs it below the threshold).
 */
bool		pmed_threshold_for_specificity(const double *pos, size_t n_pos,
										   const double *neg, size_t n_neg,
										   double target, double *t);

/* ---- curves ---- */

/*
 * One point per distinct score, in decreasing order of score: thr[k], and
 * tp[k], fp[k] the counts of the rule "score >= thr[k]".  The arrays hold
 * n_pos + n_neg entries; returns the number of points.  Sorted inputs.
 */
size_t		pmed_curve_points(const double *pos, size_t n_pos, const double *neg, size_t n_neg,
							  double *thr, uint64_t *tp, uint64_t *fp);

/*
 * Choose at most max_points (>= 2) of m points whose cumulative counts
 * cum[0..m) increase: the first and the last point always, and in between
 * the first point reaching each of max_points - 2 evenly spaced count
 * levels strictly between cum[0] and cum[m - 1].  Every chosen point is a
 * point of the full curve (nothing is interpolated).  Writes the chosen
 * indices in increasing order to idx (room for max_points); returns their
 * number.  All m when m <= max_points.
 */
size_t		pmed_curve_select(const uint64_t *cum, size_t m, size_t max_points, size_t *idx);

/*
 * Equal-width bins of probabilities in [0, 1]: bin k of bins holds
 * k / bins <= p < (k + 1) / bins, the last bin also p = 1.  count[k] rows,
 * positives[k] of them positive, sum_p[k] the sum of their p (in input
 * order).  Arrays of bins entries, zeroed by the function.
 */
int			pmed_prob_bin(double p, int bins);
void		pmed_calibration_bins(const double *pos, size_t n_pos, const double *neg, size_t n_neg,
								  int bins, uint64_t *count, uint64_t *positives, double *sum_p);

/* ---- calibration ---- */

typedef struct PmedCalibration
{
	uint64_t	n;
	uint64_t	n_extreme;		/* p = 0 or 1: left out of the logistic fits */
	double		brier;
	double		ece;			/* ten equal-width bins */
	double		reliability;	/* binned Murphy decomposition (ten bins) */
	double		resolution;
	double		uncertainty;
	bool		fit_ok;			/* slope and intercept exist */
	double		slope;
	double		intercept;
	bool		citl_ok;
	double		citl;			/* calibration-in-the-large */
} PmedCalibration;

/*
 * Probabilities p of the positive and negative rows (sorted, in [0, 1]).
 * Logistic recalibration y ~ a + b logit(p) and y ~ a + offset(logit(p))
 * fitted by Newton's method with step halving on the rows with 0 < p < 1;
 * a fit does not exist (fit_ok / citl_ok false) when those rows hold one
 * class only, when logit(p) is constant (slope), or when the likelihood has
 * no maximum (separation: no convergence in 100 iterations).
 */
void		pmed_calibration(const double *pos, size_t n_pos, const double *neg, size_t n_neg,
							 PmedCalibration *out);

#endif
