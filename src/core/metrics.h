/*
 * metrics.h - evaluation metrics (the fold hash is in hash.h).
 *
 * Pure C: no allocation happens here.  Callers pass every buffer (sorting
 * needs one scratch array as large as its input), so the functions can run
 * under any allocator and never leak when the host aborts a query.
 *
 * Binary scores: the caller keeps the scores of positive rows and of
 * negative rows in two arrays.  Every score must be finite (the caller
 * rejects NaN and infinity when rows arrive).
 */
#ifndef PMED_METRICS_H
#define PMED_METRICS_H

#include "pmed_core.h"

/*
 * Unsigned 128-bit accumulator made of two 64-bit halves, so the exact
 * Mann-Whitney U statistic needs no compiler extension (32-bit platforms
 * have no __int128).  pmed_u128_add_mul: acc += a * b.
 */
typedef struct PmedU128
{
	uint64_t	hi;
	uint64_t	lo;
} PmedU128;

static inline void
pmed_u128_add_mul(PmedU128 *acc, uint64_t a, uint64_t b)
{
	uint64_t	a_lo = a & 0xFFFFFFFFu;
	uint64_t	a_hi = a >> 32;
	uint64_t	b_lo = b & 0xFFFFFFFFu;
	uint64_t	b_hi = b >> 32;
	uint64_t	ll = a_lo * b_lo;
	uint64_t	lh = a_lo * b_hi;
	uint64_t	hl = a_hi * b_lo;
	uint64_t	hh = a_hi * b_hi;
	uint64_t	mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
	uint64_t	lo = (mid << 32) | (ll & 0xFFFFFFFFu);
	uint64_t	hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);

	acc->lo += lo;
	acc->hi += hi + (acc->lo < lo);
}

/*
 * Sort n finite doubles ascending in O(n) (LSD radix sort on the order-
 * preserving bit pattern); tmp must hold n doubles.  -0.0 sorts directly
 * before +0.0, so equal values stay adjacent.  Calls pmed_check_interrupts().
 */
void		pmed_sort_doubles(double *v, size_t n, double *tmp);

/*
 * ROC AUC from ascending-sorted positive and negative scores: the Mann-
 * Whitney U statistic over n_pos * n_neg, a tied (positive, negative) pair
 * counting 1/2.  U is accumulated exactly in integers.  Returns false (and
 * leaves *auc alone) when n_pos or n_neg is 0: AUC is undefined then.
 */
bool		pmed_roc_auc_sorted(const double *pos, size_t n_pos,
								const double *neg, size_t n_neg, double *auc);

/*
 * Average precision from ascending-sorted scores, as scikit-learn's
 * average_precision_score: AP = sum_k (R_k - R_{k-1}) * P_k over the
 * distinct score thresholds taken in decreasing order, where P_k and R_k
 * are the precision and recall of predicting "positive" for score >= the
 * k-th threshold (no interpolation).  Returns false when n_pos is 0.
 * With no negatives every precision is 1 and AP is 1.
 */
bool		pmed_average_precision_sorted(const double *pos, size_t n_pos,
										  const double *neg, size_t n_neg, double *ap);

/* ---- compensated sums (Neumaier), used by rmse, log_loss and brier ---- */

typedef struct PmedSum
{
	double		sum;
	double		comp;			/* running compensation */
} PmedSum;

void		pmed_sum_add(PmedSum *s, double x);
/* a += b (both compensated sums). */
void		pmed_sum_merge(PmedSum *a, const PmedSum *b);
double		pmed_sum_value(const PmedSum *s);

/* p clipped to [1e-15, 1 - 1e-15] as scikit-learn's log_loss(eps=1e-15). */
#define PMED_LOG_LOSS_EPS	1e-15
/* The log loss term -log(p) (positive) or -log(1 - p) (negative). */
double		pmed_log_loss_term(double p, bool positive);

/* ---- ranking metrics over item lists (binary relevance) ---- */

/*
 * Items are int64 ids.  rec is the recommended list in rank order; an
 * element with rec_valid[i] false (a SQL NULL) holds its rank but is never
 * relevant; rec_valid may be NULL (all valid).  actual is the relevant set
 * (duplicates count once).  Only the first occurrence of a recommended item
 * can be a hit: a repeat holds its rank but scores nothing.
 *
 * Scratch: every function takes work, a buffer of at least
 * pmed_ranking_work_size(n_rec, n_actual) int64 values.
 */
size_t		pmed_ranking_work_size(size_t n_rec, size_t n_actual);

/* Hits among the first min(k, n_rec) recommended items. */
size_t		pmed_hits_at_k(const int64_t *rec, const bool *rec_valid, size_t n_rec,
						   const int64_t *actual, size_t n_actual, size_t k,
						   int64_t *work, size_t *n_relevant);

/* hits@k / k.  k > 0. */
double		pmed_precision_at_k(const int64_t *rec, const bool *rec_valid, size_t n_rec,
								const int64_t *actual, size_t n_actual, size_t k,
								int64_t *work);

/* hits@k / |actual|; false when actual is empty (undefined). */
bool		pmed_recall_at_k(const int64_t *rec, const bool *rec_valid, size_t n_rec,
							 const int64_t *actual, size_t n_actual, size_t k,
							 int64_t *work, double *out);

/*
 * DCG@k / IDCG@k with DCG = sum over ranks i = 1..min(k, n_rec) of
 * rel_i / log2(i + 1) and IDCG the DCG of min(k, |actual|) hits in the top
 * ranks.  False when actual is empty (undefined).
 */
bool		pmed_ndcg_at_k(const int64_t *rec, const bool *rec_valid, size_t n_rec,
						   const int64_t *actual, size_t n_actual, size_t k,
						   int64_t *work, double *out);

/* |R n A| / |R u A| as sets; false when both are empty (undefined). */
bool		pmed_jaccard(const int64_t *rec, const bool *rec_valid, size_t n_rec,
						 const int64_t *actual, size_t n_actual,
						 int64_t *work, double *out);

/* Big-endian readers (no bounds check: check first). */
uint64_t	pmed_be64(const uint8_t *p);
uint32_t	pmed_be32(const uint8_t *p);
double		pmed_be_f64(const uint8_t *p);

#endif
