/*
 * cf_stats.h - item-kNN from statistics instead of (patient, item) rows.
 *
 * Each input is one patient's complete history (items, weights).  The
 * statistics are, per item, the number of patients and the exact sum of
 * squared weights, and per co-occurring pair i < j the number of patients
 * with both and the exact sum of w_i * w_j: everything item-kNN's cosine
 * needs, no patient id, merged by adding.  min_support is applied only by
 * pmed_cf_fit_stats.  Sums are exact (exactsum.h), so the model does not
 * depend on the order of histories or merges, and equals pmed_cf_fit on
 * the triples of the same histories with store_patients off.
 *
 * Pure C: no postgres.h.
 */
#ifndef PMED_CF_STATS_H
#define PMED_CF_STATS_H

#include "cf.h"
#include "exactsum.h"

typedef struct PmedCfItemStat
{
	int64_t		id;
	int64_t		patients;		/* histories with this item */
	PmedExactSum sumsq;			/* sum of w^2 */
} PmedCfItemStat;

typedef struct PmedCfPairStat
{
	int64_t		a;				/* item ids, a < b */
	int64_t		b;
	int64_t		count;			/* histories with both */
	PmedExactSum dot;			/* sum of w_a * w_b */
} PmedCfPairStat;

typedef struct PmedCfStats
{
	int64_t		histories;		/* histories with at least one item (patients) */
	int64_t		interactions;	/* distinct (history, item) pairs */
	size_t		n_items,
				cap_items;
	PmedCfItemStat *items;
	uint32_t   *item_slot;		/* open addressing: entry index + 1, 0 = empty */
	size_t		item_mask;
	size_t		n_pairs,
				cap_pairs;
	PmedCfPairStat *pairs;
	uint32_t   *pair_slot;
	size_t		pair_mask;
} PmedCfStats;

/* Most items and pairs a statistics state holds (entry indices are u32). */
#define PMED_CF_STATS_MAX_PAIRS	((size_t) UINT32_MAX - 2)

void		pmed_cf_stats_init(PmedCfStats *s);

/*
 * One patient's whole history: n items with weights (NULL: 1 each).
 * Duplicate items are summed as pmed_cf_canonicalize sums them; weights
 * must be finite and >= 0.  items / weights are not modified.
 */
PmedStatus	pmed_cf_stats_add_history(PmedCfStats *s, const int64_t *items, const double *weights,
									  size_t n, PmedError *err);

/* dst += src. */
PmedStatus	pmed_cf_stats_merge(PmedCfStats *dst, const PmedCfStats *src, PmedError *err);

/*
 * Serialized form (entries sorted first, so the bytes depend only on the
 * statistics):
 *   i64 histories, i64 interactions, u32 n_items,
 *   per item (ascending id): i64 id, i64 patients, exact sum,
 *   u64 n_pairs, per pair (ascending (a, b)): i64 a, i64 b, i64 count, exact sum
 * read validates every field: ids ascending, pairs of known items, counts
 * within the patients of both items and of the histories, sums >= 0.
 */
void		pmed_cf_stats_write(PmedWriter *w, PmedCfStats *s);
bool		pmed_cf_stats_read(PmedReader *r, PmedCfStats *s);

/*
 * The item-kNN model of the statistics (p->method item_knn): the model
 * pmed_cf_fit gives on the same histories' triples with store_patients off.
 */
PmedStatus	pmed_cf_fit_stats(PmedCfStats *s, const PmedCfParams *p, PmedCfModel **out,
							  PmedError *err);

/*
 * Shared with the rows path (cf_knn.c): the similarity of items i, j from
 * their exact sums, or -1 when the pair is not kept.
 */
double		pmed_cf_knn_similarity(double dot, double norm_i, double norm_j, int64_t support,
								   const PmedCfParams *p);

#endif
