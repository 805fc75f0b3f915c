/*
 * test_metric_state.c - unit tests of src/core/metric_state.c: the
 * score-count runs (absorb, merge, expand, check) against brute force.
 * (The exact sums of the metric states are tested in test_exactsum.c.)
 */
#include "metric_state.h"
#include "evaluate.h"
#include "metrics.h"
#include "rng.h"
#include "unit.h"

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

static void
test_runs(void)
{
	PmedRng		rng;
	size_t		n = 20000;
	double	   *pos = malloc(n * sizeof(double));
	double	   *neg = malloc(n * sizeof(double));
	double	   *epos = malloc(n * sizeof(double));
	double	   *eneg = malloc(n * sizeof(double));
	size_t		np = 0,
				nn = 0;
	PmedScoreRun *r1 = malloc(n * sizeof(PmedScoreRun));
	PmedScoreRun *r2 = malloc(n * sizeof(PmedScoreRun));
	PmedScoreRun *rall = malloc(n * sizeof(PmedScoreRun));
	PmedScoreRun *rm = malloc(2 * n * sizeof(PmedScoreRun));
	size_t		n1,
				n2,
				nall,
				nm,
				h;
	uint64_t	tp,
				tn;
	PmedError	err;
	bool		same = true;

	pmed_rng_seed(&rng, 11);
	for (size_t i = 0; i < n; i++)
	{
		/* few distinct scores, -0.0 and +0.0 among them */
		double		s = floor(pmed_rng_uniform(&rng) * 50) / 10 - 1.0;

		if (s == 0.0 && i % 2)
			s = -0.0;
		if (pmed_rng_uniform(&rng) < 0.3)
			pos[np++] = s;
		else
			neg[nn++] = s;
	}
	/* two halves absorbed separately, merged; versus all at once */
	qsort(pos, np / 2, sizeof(double), cmp_double);
	qsort(neg, nn / 2, sizeof(double), cmp_double);
	n1 = pmed_runs_absorb(NULL, 0, pos, np / 2, neg, nn / 2, r1);
	qsort(pos + np / 2, np - np / 2, sizeof(double), cmp_double);
	qsort(neg + nn / 2, nn - nn / 2, sizeof(double), cmp_double);
	n2 = pmed_runs_absorb(NULL, 0, pos + np / 2, np - np / 2, neg + nn / 2, nn - nn / 2, r2);
	nm = pmed_runs_merge(r1, n1, r2, n2, rm);
	qsort(pos, np, sizeof(double), cmp_double);
	qsort(neg, nn, sizeof(double), cmp_double);
	nall = pmed_runs_absorb(NULL, 0, pos, np, neg, nn, rall);
	CHECK(nall == 50 && nm == nall, "runs: 50 distinct scores (-0 = +0), got %zu and %zu", nall, nm);
	CHECK(memcmp(rm, rall, nall * sizeof(PmedScoreRun)) == 0, "runs: merge of halves = all at once");
	/* absorb into existing runs = all at once */
	h = pmed_runs_absorb(r1, n1, pos, 0, neg, 0, r2);
	CHECK(h == n1 && memcmp(r1, r2, h * sizeof(PmedScoreRun)) == 0, "runs: absorbing nothing keeps the runs");
	CHECK(pmed_runs_check(rall, nall, false, &tp, &tn, &err) == PMED_OK && tp == np && tn == nn,
		  "runs: check passes and counts every row");
	pmed_runs_expand(rall, nall, epos, eneg);
	for (size_t i = 0; i < np; i++)
		same = same && epos[i] == pos[i];
	for (size_t i = 0; i < nn; i++)
		same = same && eneg[i] == neg[i];
	CHECK(same, "runs: expand gives back the sorted rows");
	for (size_t i = 0; i < nall; i++)
		CHECK(!(rall[i].score == 0.0 && signbit(rall[i].score)), "runs: no -0.0 kept");

	/* the check rejects every kind of damage */
	rm[0] = rall[0];
	rm[1] = rall[0];
	CHECK(pmed_runs_check(rm, 2, false, &tp, &tn, &err) == PMED_ERR_CORRUPT, "runs: duplicate score rejected");
	rm[1] = rall[1];
	rm[1].pos = rm[1].neg = 0;
	CHECK(pmed_runs_check(rm, 2, false, &tp, &tn, &err) == PMED_ERR_CORRUPT, "runs: empty run rejected");
	rm[1] = rall[1];
	rm[1].score = NAN;
	CHECK(pmed_runs_check(rm, 2, false, &tp, &tn, &err) == PMED_ERR_CORRUPT, "runs: NaN rejected");
	rm[0].score = -0.0;
	rm[1] = rall[nall - 1];
	CHECK(pmed_runs_check(rm, 2, false, &tp, &tn, &err) == PMED_ERR_CORRUPT, "runs: -0.0 rejected");
	CHECK(pmed_runs_check(rall, nall, true, &tp, &tn, &err) == PMED_ERR_CORRUPT, "runs: probability below 0 rejected");
	rm[0] = rall[nall - 1];
	rm[0].pos = UINT64_C(1) << 62;
	CHECK(pmed_runs_check(rm, 1, false, &tp, &tn, &err) == PMED_ERR_CORRUPT, "runs: huge count rejected");
	free(pos); free(neg); free(epos); free(eneg); free(r1); free(r2); free(rall); free(rm);
}

/* metrics from runs = the sorted-array functions, bit for bit */
static void
test_runs_metrics(void)
{
	PmedRng		rng;
	int			same_auc = 1,
				same_ap = 1,
				same_curve = 1,
				same_cm = 1,
				same_thr = 1,
				same_delong = 1;

	pmed_rng_seed(&rng, 23);
	for (int trial = 0; trial < 200; trial++)
	{
		size_t		n = 1 + (size_t) (pmed_rng_uniform(&rng) * 300);
		int			levels = 1 + (int) (pmed_rng_uniform(&rng) * (trial % 2 ? 1000 : 8));
		double		rate = pmed_rng_uniform(&rng);
		double	   *pos = malloc(n * sizeof(double));
		double	   *neg = malloc(n * sizeof(double));
		size_t		np = 0,
					nn = 0,
					nr,
					m1,
					m2;
		PmedScoreRun *runs = malloc(n * sizeof(PmedScoreRun));
		double		a1 = -1,
					a2 = -2,
					t1 = -1,
					t2 = -2;
		double	   *thr1 = malloc(n * sizeof(double)),
				   *thr2 = malloc(n * sizeof(double));
		uint64_t   *tp1 = malloc(n * 8),
				   *tp2 = malloc(n * 8),
				   *fp1 = malloc(n * 8),
				   *fp2 = malloc(n * 8);
		PmedConfusion c;
		uint64_t	tp,
					fp,
					tn,
					fn;
		bool		b1,
					b2;

		for (size_t i = 0; i < n; i++)
		{
			double		s = floor(pmed_rng_uniform(&rng) * levels) / levels;

			if (pmed_rng_uniform(&rng) < rate)
				pos[np++] = s;
			else
				neg[nn++] = s;
		}
		qsort(pos, np, sizeof(double), cmp_double);
		qsort(neg, nn, sizeof(double), cmp_double);
		nr = pmed_runs_absorb(NULL, 0, pos, np, neg, nn, runs);
		b1 = pmed_roc_auc_sorted(pos, np, neg, nn, &a1);
		b2 = pmed_runs_auc(runs, nr, &a2);
		same_auc &= b1 == b2 && (!b1 || a1 == a2);
		b1 = pmed_average_precision_sorted(pos, np, neg, nn, &a1);
		b2 = pmed_runs_average_precision(runs, nr, &a2);
		same_ap &= b1 == b2 && (!b1 || a1 == a2);
		m1 = pmed_curve_points(pos, np, neg, nn, thr1, tp1, fp1);
		m2 = pmed_runs_curve_points(runs, nr, thr2, tp2, fp2);
		same_curve &= m1 == m2 && memcmp(thr1, thr2, m1 * 8) == 0 && memcmp(tp1, tp2, m1 * 8) == 0 &&
			memcmp(fp1, fp2, m1 * 8) == 0;
		{
			PmedAucCi	c1,
						c2;

			b1 = pmed_delong_auc(pos, np, neg, nn, &c1);
			b2 = pmed_runs_delong_auc(runs, nr, &c2);
			same_delong &= b1 == b2 && (!b1 || (c1.auc == c2.auc && memcmp(&c1.se, &c2.se, 8) == 0));
		}
		for (double t = -0.1; t < 1.1; t += 0.05)
		{
			pmed_confusion_at(pos, np, neg, nn, t, &c);
			pmed_runs_confusion_at(runs, nr, t, &tp, &fp, &tn, &fn);
			same_cm &= c.tp == tp && c.fp == fp && c.tn == tn && c.fn == fn;
		}
		for (double target = 0.0; target <= 1.0; target += 0.1)
		{
			b1 = pmed_threshold_for_sensitivity(pos, np, neg, nn, target, &t1);
			b2 = pmed_runs_threshold_for_sensitivity(runs, nr, target, &t2);
			same_thr &= b1 == b2 && (!b1 || t1 == t2);
			b1 = pmed_threshold_for_specificity(pos, np, neg, nn, target, &t1);
			b2 = pmed_runs_threshold_for_specificity(runs, nr, target, &t2);
			same_thr &= b1 == b2 && (!b1 || t1 == t2);
		}
		free(pos); free(neg); free(runs); free(thr1); free(thr2); free(tp1); free(tp2); free(fp1); free(fp2);
	}
	CHECK(same_auc, "runs: AUC = pmed_roc_auc_sorted bit for bit on 200 random tied sets");
	CHECK(same_ap, "runs: AP = pmed_average_precision_sorted bit for bit");
	CHECK(same_curve, "runs: curve points = pmed_curve_points");
	CHECK(same_cm, "runs: confusion counts = pmed_confusion_at");
	CHECK(same_delong, "runs: DeLong AUC and se = pmed_delong_auc bit for bit");
	CHECK(same_thr, "runs: thresholds = pmed_threshold_for_sensitivity / specificity");
}

int
main(void)
{
	test_runs();
	test_runs_metrics();
	printf("# unit test_metric_state.c: %d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}
