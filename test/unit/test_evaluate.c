/*
 * test_evaluate.c - unit tests of src/core/evaluate.c: the normal quantile
 * against tabulated values, DeLong placements and variance on a hand-worked
 * case and against the O(n_pos n_neg) definition on random tied data,
 * thresholds, curve points and their summary, the logistic calibration fit
 * on a saturated case, and the serialized-state check (every truncation and
 * corrupted field rejected).
 */
#include "evaluate.h"
#include "metrics.h"
#include "rng.h"
#include "unit.h"

#include <stdint.h>

static void
test_normal(void)
{
	/* scipy.stats.norm.ppf of 0.975, 0.95, 0.5, 1e-10, 0.999999 */
	CHECK_NEAR(pmed_normal_quantile(0.975), 1.959963984540054, 1e-14, "qnorm(0.975)");
	CHECK_NEAR(pmed_normal_quantile(0.95), 1.6448536269514722, 1e-14, "qnorm(0.95)");
	CHECK_NEAR(pmed_normal_quantile(0.5), 0.0, 1e-15, "qnorm(0.5)");
	CHECK_NEAR(pmed_normal_quantile(1e-10), -6.361340902404056, 1e-12, "qnorm(1e-10)");
	CHECK_NEAR(pmed_normal_quantile(0.999999), 4.753424308817087, 1e-10, "qnorm(0.999999): p near 1 is ill-conditioned");
	CHECK_NEAR(2 * pmed_normal_sf(1.959963984540054), 0.05, 1e-15, "two-sided p at 1.96");
}

static void
test_delong_hand(void)
{
	/* positives 0.9 0.8 0.6 0.4, negatives 0.7 0.4 0.3 0.2 0.1 (sorted) */
	double		pos[] = {0.4, 0.6, 0.8, 0.9};
	double		neg[] = {0.1, 0.2, 0.3, 0.4, 0.7};
	double		v10[4],
				v01[5];
	double		e10[] = {0.7, 0.8, 1, 1};
	double		e01[] = {1, 1, 1, 0.875, 0.5};
	PmedAucCi	ci;
	PmedConfusion c;
	double		t;

	pmed_delong_placements(pos, 4, neg, 5, v10, v01);
	for (int i = 0; i < 4; i++)
		CHECK_NEAR(v10[i], e10[i], 1e-15, "v10");
	for (int j = 0; j < 5; j++)
		CHECK_NEAR(v01[j], e01[j], 1e-15, "v01");
	CHECK(pmed_delong_auc(pos, 4, neg, 5, &ci), "auc defined");
	CHECK_NEAR(ci.auc, 0.875, 0, "auc");
	CHECK_NEAR(ci.se, sqrt(0.015), 1e-16, "se");
	CHECK(!pmed_delong_auc(pos, 4, neg, 0, &ci), "no negatives: undefined");
	CHECK(pmed_delong_auc(pos, 1, neg, 1, &ci) && isnan(ci.se), "one of each: se NaN");

	pmed_confusion_at(pos, 4, neg, 5, 0.6, &c);
	CHECK(c.tp == 3 && c.fp == 1 && c.tn == 4 && c.fn == 1, "confusion at 0.6");
	CHECK(pmed_threshold_for_sensitivity(pos, 4, neg, 5, 0.95, &t) && t == 0.4, "sens 0.95 -> 0.4");
	CHECK(pmed_threshold_for_sensitivity(pos, 4, neg, 5, 0.75, &t) && t == 0.6, "sens 0.75 -> 0.6");
	CHECK(pmed_threshold_for_specificity(pos, 4, neg, 5, 0.8, &t) && t == 0.6, "spec 0.8 -> 0.6");
	CHECK(pmed_threshold_for_specificity(pos, 4, neg, 5, 1.0, &t) && t == 0.8, "spec 1 -> 0.8");
	CHECK(!pmed_threshold_for_sensitivity(pos, 0, neg, 5, 0.5, &t), "no positives: none");
}

/* DeLong against the O(n m) definition, random tied scores. */
static void
test_delong_random(void)
{
	PmedRng		rng;
	size_t		np = 37,
				nn = 53;
	double		pa[37],
				pb[37],
				na[53],
				nb[53];
	double		a10[37],
				b10[37],
				a01[53],
				b01[53];
	PmedAucCompare cmp;
	double		ma10 = 0,
				mb10 = 0,
				ma01 = 0,
				mb01 = 0,
				s10[3] = {0},
				s01[3] = {0},
				var;

	pmed_rng_seed(&rng, 11);
	for (size_t i = 0; i < np; i++)
	{
		pa[i] = floor(pmed_rng_uniform(&rng) * 10 + 2) / 10;
		pb[i] = floor(pmed_rng_uniform(&rng) * 8 + 1) / 10;
	}
	for (size_t j = 0; j < nn; j++)
	{
		na[j] = floor(pmed_rng_uniform(&rng) * 10) / 10;
		nb[j] = floor(pmed_rng_uniform(&rng) * 8) / 10;
	}
	for (size_t i = 0; i < np; i++)
	{
		a10[i] = b10[i] = 0;
		for (size_t j = 0; j < nn; j++)
		{
			a10[i] += (pa[i] > na[j]) + 0.5 * (pa[i] == na[j]);
			b10[i] += (pb[i] > nb[j]) + 0.5 * (pb[i] == nb[j]);
		}
		a10[i] /= nn;
		b10[i] /= nn;
		ma10 += a10[i] / np;
		mb10 += b10[i] / np;
	}
	for (size_t j = 0; j < nn; j++)
	{
		a01[j] = b01[j] = 0;
		for (size_t i = 0; i < np; i++)
		{
			a01[j] += (pa[i] > na[j]) + 0.5 * (pa[i] == na[j]);
			b01[j] += (pb[i] > nb[j]) + 0.5 * (pb[i] == nb[j]);
		}
		a01[j] /= np;
		b01[j] /= np;
		ma01 += a01[j] / nn;
		mb01 += b01[j] / nn;
	}
	for (size_t i = 0; i < np; i++)
	{
		s10[0] += (a10[i] - ma10) * (a10[i] - ma10) / (np - 1);
		s10[1] += (b10[i] - mb10) * (b10[i] - mb10) / (np - 1);
		s10[2] += (a10[i] - ma10) * (b10[i] - mb10) / (np - 1);
	}
	for (size_t j = 0; j < nn; j++)
	{
		s01[0] += (a01[j] - ma01) * (a01[j] - ma01) / (nn - 1);
		s01[1] += (b01[j] - mb01) * (b01[j] - mb01) / (nn - 1);
		s01[2] += (a01[j] - ma01) * (b01[j] - mb01) / (nn - 1);
	}
	var = (s10[0] + s10[1] - 2 * s10[2]) / np + (s01[0] + s01[1] - 2 * s01[2]) / nn;
	CHECK(pmed_delong_compare(pa, pb, np, na, nb, nn, &cmp), "compare defined");
	CHECK_NEAR(cmp.auc_a, ma10, 1e-12, "auc_a = mean placement");
	CHECK_NEAR(cmp.auc_b, mb10, 1e-12, "auc_b = mean placement");
	CHECK_NEAR(cmp.se, sqrt(var), 1e-12, "paired se");
	CHECK_NEAR(cmp.p_value, erfc(fabs(ma10 - mb10) / sqrt(var) / sqrt(2.0)), 1e-10, "p-value");
}

static void
test_curves(void)
{
	double		pos[] = {0.4, 0.6, 0.8, 0.9};
	double		neg[] = {0.1, 0.2, 0.3, 0.4, 0.7};
	double		thr[9];
	uint64_t	tp[9],
				fp[9],
				cum[10];
	size_t		idx[10];
	size_t		m = pmed_curve_points(pos, 4, neg, 5, thr, tp, fp);
	size_t		k;

	CHECK(m == 8, "8 distinct scores, got %zu", m);
	CHECK(thr[0] == 0.9 && tp[0] == 1 && fp[0] == 0, "first point");
	CHECK(thr[4] == 0.4 && tp[4] == 4 && fp[4] == 2, "tied point");
	CHECK(thr[7] == 0.1 && tp[7] == 4 && fp[7] == 5, "last point");
	cum[0] = 0;
	for (size_t i = 0; i < m; i++)
		cum[i + 1] = tp[i] + fp[i];
	k = pmed_curve_select(cum, m + 1, 4, idx);
	CHECK(k == 4 && idx[0] == 0 && idx[1] == 3 && idx[2] == 5 && idx[3] == 8, "select 4 of 9");
	k = pmed_curve_select(cum, m + 1, 2, idx);
	CHECK(k == 2 && idx[0] == 0 && idx[1] == 8, "select the two ends");
	k = pmed_curve_select(cum, m + 1, 100, idx);
	CHECK(k == 9, "all points when they fit");
	CHECK(pmed_prob_bin(1.0, 10) == 9 && pmed_prob_bin(0.0, 10) == 0 && pmed_prob_bin(0.35, 10) == 3,
		  "bins");
}

static void
test_calibration(void)
{
	/* p 0.2: 3 of 10 positive; p 0.6: 6 of 10: b = ln 3.5 / ln 6 */
	double		pos[9],
				neg[11];
	PmedCalibration c;
	size_t		np = 0,
				nn = 0;

	for (int i = 0; i < 10; i++)
	{
		if (i < 3)
			pos[np++] = 0.2;
		else
			neg[nn++] = 0.2;
	}
	for (int i = 0; i < 10; i++)
	{
		if (i < 6)
			pos[np++] = 0.6;
		else
			neg[nn++] = 0.6;
	}
	pmed_calibration(pos, np, neg, nn, &c);
	CHECK(c.fit_ok && c.citl_ok, "fits exist");
	CHECK_NEAR(c.slope, log(3.5) / log(6.0), 1e-10, "slope");
	CHECK_NEAR(c.intercept, log(1.5) * (1 - log(3.5) / log(6.0)), 1e-10, "intercept");
	CHECK_NEAR(c.ece, 0.05, 1e-15, "ece");
	CHECK_NEAR(c.brier, (3 * 0.64 + 7 * 0.04 + 6 * 0.16 + 4 * 0.36) / 20, 1e-15, "brier");
	CHECK_NEAR(c.reliability - c.resolution + c.uncertainty, c.brier, 1e-15,
			   "binned decomposition exact when p is constant in each bin");
	/* separation: no fit */
	{
		double		sp[] = {0.7, 0.8},
					sn[] = {0.1, 0.2};

		pmed_calibration(sp, 2, sn, 2, &c);
		CHECK(!c.fit_ok, "separated: no slope");
	}
}

int
main(void)
{
	test_normal();
	test_delong_hand();
	test_delong_random();
	test_curves();
	test_calibration();
	return unit_finish("test_evaluate.c");
}
