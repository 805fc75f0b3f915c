/*
 * test_metrics.c - unit tests of src/core/metrics.c: sorting, ROC AUC and
 * average precision against brute-force definitions and scikit-learn,
 * compensated sums, ranking metrics, the fold hash and the serialized-state
 * checks (every truncation and corrupted field must be rejected).
 */
#include "hash.h"
#include "metrics.h"
#include "rng.h"
#include "unit.h"

#include <stdint.h>

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* ---- sorting ---- */

static void
test_sort(void)
{
	PmedRng		rng;
	size_t		n = 20000;
	double	   *v = malloc(n * sizeof(double));
	double	   *ref = malloc(n * sizeof(double));
	double	   *tmp = malloc(n * sizeof(double));
	bool		same = true;
	double		small[] = {3.0, -0.0, 0.0, -1e300, 1e-310, -1e-310, 2.5, 0.0, -0.0, 1e300};
	double		small_tmp[10];
	bool		ordered = true;

	pmed_rng_seed(&rng, 7);
	for (size_t i = 0; i < n; i++)
	{
		/* wide magnitudes, both signs, many exact duplicates */
		double		u = pmed_rng_uniform(&rng);

		v[i] = (i % 3 == 0) ? (double) (int) (u * 50) - 25 : (u - 0.5) * pow(10.0, (double) (i % 40) - 20);
		ref[i] = v[i];
	}
	qsort(ref, n, sizeof(double), cmp_double);
	pmed_sort_doubles(v, n, tmp);
	for (size_t i = 0; i < n; i++)
		if (v[i] != ref[i])
			same = false;
	CHECK(same, "radix sort agrees with qsort on 20000 values");

	pmed_sort_doubles(small, 10, small_tmp);
	for (int i = 1; i < 10; i++)
		if (small[i - 1] > small[i])
			ordered = false;
	CHECK(ordered, "radix sort orders subnormals, signed zeros and extremes");
	CHECK(small[0] == -1e300 && small[9] == 1e300, "extremes at the ends");
	/* -0.0 sorts before +0.0 and both zeros sit together */
	CHECK(small[2] == 0.0 && signbit(small[2]) && small[3] == 0.0 && signbit(small[3]) &&
		  small[4] == 0.0 && !signbit(small[4]) && small[5] == 0.0 && !signbit(small[5]),
		  "signed zeros adjacent, negative first");

	pmed_sort_doubles(v, 0, tmp);
	pmed_sort_doubles(v, 1, tmp);
	CHECK(true, "n = 0 and n = 1 are no-ops");
	free(v);
	free(ref);
	free(tmp);
}

/* ---- AUC and AP ---- */

static void
split_sorted(const double *s, const bool *y, size_t n, double **pos, size_t *np,
			 double **neg, size_t *nn)
{
	double	   *tmp = malloc((n + 1) * sizeof(double));

	*pos = malloc((n + 1) * sizeof(double));
	*neg = malloc((n + 1) * sizeof(double));
	*np = *nn = 0;
	for (size_t i = 0; i < n; i++)
	{
		if (y[i])
			(*pos)[(*np)++] = s[i];
		else
			(*neg)[(*nn)++] = s[i];
	}
	pmed_sort_doubles(*pos, *np, tmp);
	pmed_sort_doubles(*neg, *nn, tmp);
	free(tmp);
}

static double
brute_auc(const double *s, const bool *y, size_t n)
{
	double		u = 0;
	double		pairs = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (y[i] && !y[j])
			{
				pairs += 1;
				u += s[i] > s[j] ? 1.0 : (s[i] == s[j] ? 0.5 : 0.0);
			}
	return u / pairs;
}

/* AP straight from the definition: every distinct score is a threshold. */
static double
brute_ap(const double *s, const bool *y, size_t n)
{
	double	   *t = malloc(n * sizeof(double));
	double		ap = 0;
	double		prev_recall = 0;
	size_t		npos = 0;

	memcpy(t, s, n * sizeof(double));
	qsort(t, n, sizeof(double), cmp_double);
	for (size_t i = 0; i < n; i++)
		npos += y[i];
	for (size_t k = n; k-- > 0;)
	{
		size_t		tp = 0;
		size_t		fp = 0;
		double		recall;

		if (k + 1 < n && t[k] == t[k + 1])
			continue;
		for (size_t i = 0; i < n; i++)
			if (s[i] >= t[k])
			{
				tp += y[i];
				fp += !y[i];
			}
		recall = (double) tp / npos;
		ap += (recall - prev_recall) * ((double) tp / (tp + fp));
		prev_recall = recall;
	}
	free(t);
	return ap;
}

static void
check_scores(const double *s, const bool *y, size_t n, const char *name)
{
	double	   *pos;
	double	   *neg;
	size_t		np;
	size_t		nn;
	double		auc = -1;
	double		ap = -1;
	char		label[128];

	split_sorted(s, y, n, &pos, &np, &neg, &nn);
	CHECK(pmed_roc_auc_sorted(pos, np, neg, nn, &auc), "%s: auc defined", name);
	snprintf(label, sizeof(label), "%s: auc = brute-force Mann-Whitney", name);
	CHECK_NEAR(auc, brute_auc(s, y, n), 1e-14, label);
	CHECK(pmed_average_precision_sorted(pos, np, neg, nn, &ap), "%s: ap defined", name);
	snprintf(label, sizeof(label), "%s: ap = brute-force definition", name);
	CHECK_NEAR(ap, brute_ap(s, y, n), 1e-12, label);
	free(pos);
	free(neg);
}

static void
test_auc_ap(void)
{
	double		s1[] = {0.1, 0.4, 0.35, 0.8};
	bool		y1[] = {false, false, true, true};
	double		s2[] = {0.5, 0.7, 0.2, 0.5, 0.7};
	bool		y2[] = {true, true, false, false, false};
	double		pos[] = {1.0, 2.0};
	double		neg[] = {0.0};
	double		v = -1;
	PmedRng		rng;

	/* by hand: 3 of 4 pairs ordered -> 0.75; AP = 1/2 * 1 + 1/2 * 2/3 = 5/6 */
	check_scores(s1, y1, 4, "hand 1");
	{
		double		p[] = {0.35, 0.8};
		double		q[] = {0.1, 0.4};

		pmed_roc_auc_sorted(p, 2, q, 2, &v);
		CHECK_NEAR(v, 0.75, 0, "hand 1: auc 0.75");
		pmed_average_precision_sorted(p, 2, q, 2, &v);
		CHECK_NEAR(v, 5.0 / 6.0, 1e-15, "hand 1: ap 5/6");
	}
	/* ties: (1 + 1/2 + 0 + 1 + 1 + 1/2) / 6 = 2/3; AP = 1/4 + 1/4 */
	check_scores(s2, y2, 5, "hand ties");
	{
		double		p[] = {0.5, 0.7};
		double		q[] = {0.2, 0.5, 0.7};

		pmed_roc_auc_sorted(p, 2, q, 3, &v);
		CHECK_NEAR(v, 4.0 / 6.0, 1e-15, "hand ties: auc 2/3");
		pmed_average_precision_sorted(p, 2, q, 3, &v);
		CHECK_NEAR(v, 0.5, 1e-15, "hand ties: ap 1/2");
	}

	/* undefined cases */
	v = 42;
	CHECK(!pmed_roc_auc_sorted(pos, 2, neg, 0, &v) && v == 42, "auc without negatives is undefined");
	CHECK(!pmed_roc_auc_sorted(pos, 0, neg, 1, &v) && v == 42, "auc without positives is undefined");
	CHECK(!pmed_average_precision_sorted(pos, 0, neg, 1, &v), "ap without positives is undefined");
	CHECK(pmed_average_precision_sorted(pos, 2, neg, 0, &v) && v == 1.0, "ap without negatives is 1");
	CHECK(pmed_roc_auc_sorted(pos, 2, neg, 1, &v) && v == 1.0, "perfect separation gives 1");
	CHECK(pmed_roc_auc_sorted(neg, 1, pos, 2, &v) && v == 0.0, "reversed separation gives 0");

	/* random data, with and without heavy ties */
	pmed_rng_seed(&rng, 2024);
	for (int round = 0; round < 6; round++)
	{
		size_t		n = 50 + 150 * round;
		double	   *s = malloc(n * sizeof(double));
		bool	   *y = malloc(n * sizeof(bool));
		char		name[64];

		for (size_t i = 0; i < n; i++)
		{
			y[i] = pmed_rng_uniform(&rng) < 0.3 + 0.1 * round;
			s[i] = pmed_rng_normal(&rng) + (y[i] ? 0.7 : 0.0);
			if (round % 2 == 1)
				s[i] = floor(s[i] * 2);	/* few distinct values: many ties */
		}
		y[0] = true;
		y[1] = false;
		snprintf(name, sizeof(name), "random n=%zu%s", n, round % 2 ? " ties" : "");
		check_scores(s, y, n, name);
		free(s);
		free(y);
	}

	/*
	 * scikit-learn 1.2.1 (/usr/bin/python3) on data made by integer
	 * arithmetic: i = 1..2000, a = i*7919 mod 10007, b = i*104729 mod 7001,
	 * score = a / 10007, tie = floor(a / 100), positive = a + b > 8500.
	 * roc_auc_score: 0.9183069576739418 (score), 0.9182254556363909 (tie);
	 * average_precision_score: 0.9234009925613478, 0.9215386826216218.
	 */
	{
		size_t		n = 2000;
		double	   *s = malloc(n * sizeof(double));
		double	   *t = malloc(n * sizeof(double));
		bool	   *y = malloc(n * sizeof(bool));
		double	   *pos;
		double	   *neg;
		size_t		np;
		size_t		nn;

		for (size_t i = 1; i <= n; i++)
		{
			int64_t		a = ((int64_t) i * 7919) % 10007;
			int64_t		b = ((int64_t) i * 104729) % 7001;

			s[i - 1] = a / 10007.0;
			t[i - 1] = (double) (a / 100);
			y[i - 1] = a + b > 8500;
		}
		split_sorted(s, y, n, &pos, &np, &neg, &nn);
		CHECK(np == 1005, "sklearn data: 1005 positives (got %zu)", np);
		pmed_roc_auc_sorted(pos, np, neg, nn, &v);
		CHECK_NEAR(v, 0.9183069576739418, 1e-12, "sklearn roc_auc_score");
		pmed_average_precision_sorted(pos, np, neg, nn, &v);
		CHECK_NEAR(v, 0.9234009925613478, 1e-12, "sklearn average_precision_score");
		free(pos);
		free(neg);
		split_sorted(t, y, n, &pos, &np, &neg, &nn);
		pmed_roc_auc_sorted(pos, np, neg, nn, &v);
		CHECK_NEAR(v, 0.9182254556363909, 1e-12, "sklearn roc_auc_score, tied scores");
		pmed_average_precision_sorted(pos, np, neg, nn, &v);
		CHECK_NEAR(v, 0.9215386826216218, 1e-12, "sklearn average_precision_score, tied scores");
		free(pos);
		free(neg);
		free(s);
		free(t);
		free(y);
	}
}

/* ---- sums and probability terms ---- */

static void
test_sums(void)
{
	PmedSum		a = {0, 0};
	PmedSum		b = {0, 0};
	PmedSum		c = {0, 0};

	pmed_sum_add(&a, 1e16);
	pmed_sum_add(&a, 1.0);
	pmed_sum_add(&a, -1e16);
	CHECK(pmed_sum_value(&a) == 1.0, "compensated sum keeps the 1 in 1e16 + 1 - 1e16");

	/* 0.1 ten thousand times: the naive sum drifts, the compensated one does not */
	for (int i = 0; i < 10000; i++)
		pmed_sum_add(&b, 0.1);
	CHECK_NEAR(pmed_sum_value(&b), 1000.0, 1e-12, "10000 * 0.1");

	/* merging two halves gives the same as one pass, to rounding */
	for (int i = 0; i < 5000; i++)
		pmed_sum_add(&c, 0.1);
	{
		PmedSum		d = {0, 0};

		for (int i = 0; i < 5000; i++)
			pmed_sum_add(&d, 0.1);
		pmed_sum_merge(&c, &d);
	}
	CHECK_NEAR(pmed_sum_value(&c), pmed_sum_value(&b), 1e-12, "merged halves equal one pass");

	CHECK_NEAR(pmed_log_loss_term(0.9, true), -log(0.9), 1e-15, "log loss positive");
	CHECK_NEAR(pmed_log_loss_term(0.2, false), -log(0.8), 1e-15, "log loss negative");
	CHECK_NEAR(pmed_log_loss_term(0.0, true), -log(1e-15), 1e-12, "p = 0 clipped to 1e-15");
	CHECK_NEAR(pmed_log_loss_term(1.0, false), -log(1e-15), 1e-2, "p = 1 for a negative clipped");
	CHECK(pmed_log_loss_term(1.0, true) > 0 && pmed_log_loss_term(1.0, true) < 2e-15,
		  "p = 1 for a positive: tiny positive loss");
}

/* ---- ranking ---- */

static void
test_ranking(void)
{
	int64_t		work[64];
	int64_t		rec[] = {1, 2, 3, 4};
	int64_t		act[] = {2, 4, 9};
	int64_t		dup[] = {2, 2, 2};
	int64_t		act2[] = {2, 3};
	bool		valid[] = {false, true};
	int64_t		rec_null[] = {0, 2};
	int64_t		act_null[] = {2};
	double		v = -1;
	double		l3 = 1.0 / log2(3.0);
	double		l5 = 1.0 / log2(5.0);
	size_t		m;

	CHECK(pmed_ranking_work_size(4, 3) <= 64, "work fits");
	CHECK_NEAR(pmed_precision_at_k(rec, NULL, 4, act, 3, 3, work), 1.0 / 3, 1e-15, "precision@3");
	CHECK(pmed_recall_at_k(rec, NULL, 4, act, 3, 3, work, &v), "recall@3 defined");
	CHECK_NEAR(v, 1.0 / 3, 1e-15, "recall@3");
	CHECK(pmed_ndcg_at_k(rec, NULL, 4, act, 3, 3, work, &v), "ndcg@3 defined");
	CHECK_NEAR(v, l3 / (1 + l3 + 0.5), 1e-15, "ndcg@3 = (1/log2 3) / (1 + 1/log2 3 + 1/2)");
	CHECK_NEAR(v, 0.2960819109658652, 1e-15, "ndcg@3 by hand");
	CHECK_NEAR(pmed_precision_at_k(rec, NULL, 4, act, 3, 4, work), 0.5, 0, "precision@4");
	pmed_ndcg_at_k(rec, NULL, 4, act, 3, 4, work, &v);
	CHECK_NEAR(v, (l3 + l5) / (1 + l3 + 0.5), 1e-15, "ndcg@4");
	CHECK_NEAR(v, 0.4981892574664129, 1e-15, "ndcg@4 by hand");
	/* k beyond the list */
	CHECK_NEAR(pmed_precision_at_k(act2, NULL, 1, act2, 2, 5, work), 0.2, 0, "precision@5 of 1 item");
	pmed_ndcg_at_k(act2, NULL, 1, act2, 2, 5, work, &v);
	CHECK_NEAR(v, 1.0 / (1 + l3), 1e-15, "ndcg beyond the list");
	/* duplicates in recommended hold ranks but score once */
	CHECK(pmed_hits_at_k(dup, NULL, 3, act2, 2, 3, work, &m) == 1 && m == 2, "a repeated item is one hit");
	CHECK_NEAR(pmed_precision_at_k(dup, NULL, 3, act2, 2, 3, work), 1.0 / 3, 1e-15, "precision with repeats");
	pmed_ndcg_at_k(dup, NULL, 3, act2, 2, 3, work, &v);
	CHECK_NEAR(v, 0.6131471927654584, 1e-15, "ndcg with repeats");
	/* duplicates in actual count once */
	CHECK(pmed_recall_at_k(act2, NULL, 2, dup, 3, 2, work, &v) && v == 1.0, "actual {2,2,2} is the set {2}");
	/* invalid (NULL) elements hold a rank */
	CHECK_NEAR(pmed_precision_at_k(rec_null, valid, 2, act_null, 1, 2, work), 0.5, 0, "NULL holds a rank");
	pmed_ndcg_at_k(rec_null, valid, 2, act_null, 1, 2, work, &v);
	CHECK_NEAR(v, l3, 1e-15, "NULL at rank 1, hit at rank 2");
	/* the item 0 behind a NULL must not match an actual 0 */
	{
		int64_t		zero[] = {0};

		CHECK(pmed_precision_at_k(rec_null, valid, 1, zero, 1, 1, work) == 0.0, "NULL never matches");
	}
	/* empty sets */
	CHECK(!pmed_recall_at_k(rec, NULL, 4, act, 0, 2, work, &v), "recall with empty actual undefined");
	CHECK(!pmed_ndcg_at_k(rec, NULL, 4, act, 0, 2, work, &v), "ndcg with empty actual undefined");
	CHECK(pmed_precision_at_k(rec, NULL, 4, act, 0, 2, work) == 0.0, "precision with empty actual is 0");
	CHECK(pmed_ndcg_at_k(rec, NULL, 0, act, 3, 2, work, &v) && v == 0.0, "ndcg of nothing is 0");
	/* jaccard */
	{
		int64_t		r[] = {1, 2, 2};

		CHECK(pmed_jaccard(r, NULL, 3, act2, 2, work, &v), "jaccard defined");
		CHECK_NEAR(v, 1.0 / 3, 1e-15, "jaccard {1,2,2} {2,3}");
		CHECK(!pmed_jaccard(r, NULL, 0, act2, 0, work, &v), "jaccard of two empty sets undefined");
		CHECK(pmed_jaccard(rec_null, valid, 2, act_null, 1, work, &v) && v == 1.0, "jaccard ignores NULLs");
	}
}

/* ---- fold hash ---- */

static void
test_fold(void)
{
	uint8_t		le42[8] = {42, 0, 0, 0, 0, 0, 0, 0};
	size_t		counts[7] = {0};
	double		chi = 0;
	uint64_t	h1;
	uint64_t	h2;

	/*
	 * Pinned: SQL pmed.fold(42, 5) = 3, pmed.fold(42, 5, 1) = 4,
	 * pmed.fold('patient-1'::text, 10) = 6 (sql/10_metrics.sql).  A change
	 * here moves every user's train/test split: never change the hash.
	 */
	CHECK(pmed_fold_of(pmed_fold_hash(le42, 8, 0), 5) == 3, "fold(42, 5) = 3");
	CHECK(pmed_fold_of(pmed_fold_hash(le42, 8, 1), 5) == 4, "fold(42, 5, seed 1) = 4");
	CHECK(pmed_fold_of(pmed_fold_hash("patient-1", 9, 0), 10) == 6, "fold('patient-1', 10) = 6");
	h1 = pmed_fold_hash("", 0, 0);
	h2 = pmed_fold_hash("", 0, 1);
	CHECK(h1 != h2, "seed changes the hash of the empty string");
	CHECK(pmed_fold_hash("abc", 3, 0) != pmed_fold_hash("abc\0", 4, 0), "length is hashed");
	CHECK(pmed_fold_hash("abcdefghi", 9, 0) != pmed_fold_hash("abcdefghj", 9, 0), "tail byte counts");
	CHECK(pmed_fold_of(UINT64_MAX, 2147483647) == 2147483646, "top hash -> last fold");
	CHECK(pmed_fold_of(0, 2) == 0, "zero hash -> fold 0");
#ifdef __SIZEOF_INT128__
	{
		PmedRng		rng;
		bool		same = true;

		pmed_rng_seed(&rng, 99);
		for (int i = 0; i < 100000; i++)
		{
			uint64_t	h = pmed_rng_next(&rng);
			int			folds = 2 + (int) pmed_rng_below(&rng, i % 2 ? 100 : 2147483646);

			if (pmed_fold_of(h, folds) != (int) (((unsigned __int128) h * (uint64_t) folds) >> 64))
				same = false;
		}
		CHECK(same, "64-bit fold reduction equals floor(h * folds / 2^64) computed in 128 bits");
	}
#endif

	/* uniformity: 70000 sequential int64 keys into 7 folds, chi-square df 6 */
	for (int64_t k = 0; k < 70000; k++)
	{
		uint8_t		b[8];

		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t) ((uint64_t) k >> (8 * i));
		counts[pmed_fold_of(pmed_fold_hash(b, 8, 0), 7)]++;
	}
	for (int f = 0; f < 7; f++)
		chi += (counts[f] - 10000.0) * (counts[f] - 10000.0) / 10000.0;
	/* chi2(6) exceeds 22.46 with probability 0.001 */
	CHECK(chi < 22.46, "fold counts uniform (chi-square %.2f)", chi);
}

int
main(void)
{
	test_sort();
	test_auc_ap();
	test_sums();
	test_ranking();
	test_fold();
	return unit_finish("test_metrics");
}
