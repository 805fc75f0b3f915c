/*
 * metrics.c - ROC AUC, average precision, compensated sums, ranking
 * metrics.  See metrics.h.
 */
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- sorting ---- */

/* Map a double to a uint64 whose unsigned order is the numeric order. */
static inline uint64_t
double_key(double d)
{
	uint64_t	u;

	memcpy(&u, &d, sizeof(u));
	return (u & UINT64_C(0x8000000000000000)) ? ~u : (u | UINT64_C(0x8000000000000000));
}

void
pmed_sort_doubles(double *v, size_t n, double *tmp)
{
	size_t		count[8][256];
	double	   *src = v;
	double	   *dst = tmp;

	if (n < 2)
		return;
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	k = double_key(v[i]);

		if ((i & 0xFFFF) == 0)
			pmed_check_interrupts();
		for (int b = 0; b < 8; b++)
			count[b][(k >> (8 * b)) & 0xFF]++;
	}
	for (int b = 0; b < 8; b++)
	{
		size_t		pos = 0;
		double	   *swap;

		/* a pass where every key has the same byte changes nothing */
		if (count[b][(double_key(v[0]) >> (8 * b)) & 0xFF] == n)
			continue;
		for (int d = 0; d < 256; d++)
		{
			size_t		c = count[b][d];

			count[b][d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
		{
			uint64_t	k = double_key(src[i]);

			if ((i & 0xFFFF) == 0)
				pmed_check_interrupts();
			dst[count[b][(k >> (8 * b)) & 0xFF]++] = src[i];
		}
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(double));
}

/* ---- ROC AUC and average precision ---- */

bool
pmed_roc_auc_sorted(const double *pos, size_t n_pos,
					const double *neg, size_t n_neg, double *auc)
{
	/* twice the Mann-Whitney U: each pair counts 2 (pos above) or 1 (tie) */
	PmedU128	u2 = {0, 0};
	size_t		below = 0;		/* negatives strictly below the current score */
	size_t		i = 0;

	if (n_pos == 0 || n_neg == 0)
		return false;
	while (i < n_pos)
	{
		double		s = pos[i];
		size_t		group = 0;
		size_t		tied = 0;

		if ((i & 0xFFFF) == 0)
			pmed_check_interrupts();
		while (i < n_pos && pos[i] == s)
		{
			group++;
			i++;
		}
		while (below < n_neg && neg[below] < s)
			below++;
		while (below + tied < n_neg && neg[below + tied] == s)
			tied++;
		pmed_u128_add_mul(&u2, group, 2 * (uint64_t) below + tied);
	}
	*auc = ((double) u2.hi * 18446744073709551616.0 + (double) u2.lo) /
		(2.0 * (double) n_pos * (double) n_neg);
	return true;
}

bool
pmed_average_precision_sorted(const double *pos, size_t n_pos,
							  const double *neg, size_t n_neg, double *ap)
{
	size_t		i = n_pos;		/* pos[0..i) not yet passed */
	size_t		j = n_neg;
	size_t		tp = 0;
	size_t		fp = 0;
	double		sum = 0.0;

	if (n_pos == 0)
		return false;
	/* thresholds in decreasing order until every positive is predicted */
	while (i > 0)
	{
		double		s = pos[i - 1];
		size_t		dp = 0;

		if ((tp & 0xFFFF) == 0)
			pmed_check_interrupts();
		/* negatives above s were counted at earlier (higher) thresholds */
		while (j > 0 && neg[j - 1] > s)
		{
			j--;
			fp++;
		}
		while (i > 0 && pos[i - 1] == s)
		{
			i--;
			dp++;
		}
		while (j > 0 && neg[j - 1] == s)
		{
			j--;
			fp++;
		}
		tp += dp;
		sum += ((double) dp / (double) n_pos) * ((double) tp / (double) (tp + fp));
	}
	*ap = sum;
	return true;
}

/* ---- compensated sums ---- */

void
pmed_sum_add(PmedSum *s, double x)
{
	double		t = s->sum + x;

	if (fabs(s->sum) >= fabs(x))
		s->comp += (s->sum - t) + x;
	else
		s->comp += (x - t) + s->sum;
	s->sum = t;
}

void
pmed_sum_merge(PmedSum *a, const PmedSum *b)
{
	pmed_sum_add(a, b->sum);
	a->comp += b->comp;
}

double
pmed_sum_value(const PmedSum *s)
{
	return s->sum + s->comp;
}

double
pmed_log_loss_term(double p, bool positive)
{
	if (p < PMED_LOG_LOSS_EPS)
		p = PMED_LOG_LOSS_EPS;
	if (p > 1.0 - PMED_LOG_LOSS_EPS)
		p = 1.0 - PMED_LOG_LOSS_EPS;
	return positive ? -log(p) : -log(1.0 - p);
}

/* ---- ranking metrics ---- */

size_t
pmed_ranking_work_size(size_t n_rec, size_t n_actual)
{
	return n_rec + 2 * n_actual + 1;
}

/*
 * Walk the first min(k, n_rec) recommended items; for each first
 * occurrence of a relevant item call back with its 1-based rank.
 * Returns the number of hits; *n_relevant gets |actual| (distinct).
 */
static size_t
walk_hits(const int64_t *rec, const bool *rec_valid, size_t n_rec,
		  const int64_t *actual, size_t n_actual, size_t k,
		  int64_t *work, size_t *n_relevant, double *dcg)
{
	int64_t    *set = work;
	int64_t    *used;
	size_t		m;
	size_t		hits = 0;
	size_t		limit = k < n_rec ? k : n_rec;

	memcpy(set, actual, n_actual * sizeof(int64_t));
	m = pmed_sort_unique_int64(set, n_actual);
	used = work + n_actual;
	memset(used, 0, m * sizeof(int64_t));
	for (size_t i = 0; i < limit; i++)
	{
		int64_t		at;

		if (rec_valid != NULL && !rec_valid[i])
			continue;
		at = pmed_find_id(set, m, rec[i]);
		if (at < 0 || used[at])
			continue;
		used[at] = 1;
		hits++;
		if (dcg != NULL)
			*dcg += 1.0 / log2((double) (i + 2));
	}
	*n_relevant = m;
	return hits;
}

size_t
pmed_hits_at_k(const int64_t *rec, const bool *rec_valid, size_t n_rec,
			   const int64_t *actual, size_t n_actual, size_t k,
			   int64_t *work, size_t *n_relevant)
{
	return walk_hits(rec, rec_valid, n_rec, actual, n_actual, k, work, n_relevant, NULL);
}

double
pmed_precision_at_k(const int64_t *rec, const bool *rec_valid, size_t n_rec,
					const int64_t *actual, size_t n_actual, size_t k,
					int64_t *work)
{
	size_t		m;
	size_t		hits = walk_hits(rec, rec_valid, n_rec, actual, n_actual, k, work, &m, NULL);

	return (double) hits / (double) k;
}

bool
pmed_recall_at_k(const int64_t *rec, const bool *rec_valid, size_t n_rec,
				 const int64_t *actual, size_t n_actual, size_t k,
				 int64_t *work, double *out)
{
	size_t		m;
	size_t		hits = walk_hits(rec, rec_valid, n_rec, actual, n_actual, k, work, &m, NULL);

	if (m == 0)
		return false;
	*out = (double) hits / (double) m;
	return true;
}

bool
pmed_ndcg_at_k(const int64_t *rec, const bool *rec_valid, size_t n_rec,
			   const int64_t *actual, size_t n_actual, size_t k,
			   int64_t *work, double *out)
{
	size_t		m;
	double		dcg = 0.0;
	double		idcg = 0.0;
	size_t		ideal;

	walk_hits(rec, rec_valid, n_rec, actual, n_actual, k, work, &m, &dcg);
	if (m == 0)
		return false;
	ideal = m < k ? m : k;
	for (size_t i = 0; i < ideal; i++)
		idcg += 1.0 / log2((double) (i + 2));
	*out = dcg / idcg;
	return true;
}

bool
pmed_jaccard(const int64_t *rec, const bool *rec_valid, size_t n_rec,
			 const int64_t *actual, size_t n_actual,
			 int64_t *work, double *out)
{
	int64_t    *a = work;
	int64_t    *r = work + n_actual;
	size_t		na;
	size_t		nr = 0;
	size_t		i = 0;
	size_t		j = 0;
	size_t		inter = 0;

	memcpy(a, actual, n_actual * sizeof(int64_t));
	na = pmed_sort_unique_int64(a, n_actual);
	for (size_t t = 0; t < n_rec; t++)
		if (rec_valid == NULL || rec_valid[t])
			r[nr++] = rec[t];
	nr = pmed_sort_unique_int64(r, nr);
	if (na + nr == 0)
		return false;
	while (i < na && j < nr)
	{
		if (a[i] < r[j])
			i++;
		else if (a[i] > r[j])
			j++;
		else
		{
			inter++;
			i++;
			j++;
		}
	}
	*out = (double) inter / (double) (na + nr - inter);
	return true;
}

/* ---- serialized aggregate states ---- */

uint64_t
pmed_be64(const uint8_t *p)
{
	uint64_t	v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

uint32_t
pmed_be32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

double
pmed_be_f64(const uint8_t *p)
{
	uint64_t	u = pmed_be64(p);
	double		d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

