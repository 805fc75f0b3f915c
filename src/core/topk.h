/*
 * topk.h - recommending: the request and result every recommender (CF,
 * content) shares, candidate marking, and one top-k selection (a bounded
 * heap, best = higher score then lower index) with the greedy drug-
 * interaction filter.  CF's item-kNN fit keeps its neighbours with the
 * same heap.
 *
 * Pure C: no postgres.h.  Allocation and interrupts go through pmed_core.h.
 */
#ifndef PMED_TOPK_H
#define PMED_TOPK_H

#include "interactions.h"

/* ---- bounded top-k heap ---- */

typedef struct PmedScored
{
	uint32_t	idx;
	double		s;
} PmedScored;

/* a ranks before b: higher score, then lower index. */
static inline bool
pmed_scored_better(const PmedScored *a, const PmedScored *b)
{
	return a->s > b->s || (a->s == b->s && a->idx < b->idx);
}

/* Add e to a heap of *n (at most cap) kept elements; see pmed_topk_push. */
void		pmed_topk_insert(PmedScored *heap, int *n, int cap, PmedScored e);

/*
 * Keep the cap best elements pushed so far in heap (a min-heap on
 * "better": heap[0] is the worst kept), *n of them.  Inline: the common
 * case, an element worse than all kept, costs one comparison.
 */
static inline void
pmed_topk_push(PmedScored *heap, int *n, int cap, PmedScored e)
{
	if (*n < cap || (cap > 0 && pmed_scored_better(&e, &heap[0])))
		pmed_topk_insert(heap, n, cap, e);
}

/* Sort n elements best first (a heap's contents, or any array). */
void		pmed_topk_sort(PmedScored *v, int n);

/* ---- recommending ---- */

typedef struct PmedRecRequest
{
	const int64_t *history;		/* item ids the patient has (any ids) */
	size_t		n_history;
	const int64_t *exclude;		/* ids never to recommend */
	size_t		n_exclude;
	int			k;
	const PmedInteractions *ddi;	/* NULL: no interaction filter */
} PmedRecRequest;

typedef struct PmedRecResult
{
	int			n;
	int64_t    *item;
	double	   *score;
} PmedRecResult;

/*
 * Top-k of the candidates (cand[i] != 0) by score desc, ties by id asc,
 * skipping any item that interacts with the history or an earlier pick.
 * ids are the model's ascending item ids, scores one per item.
 */
void		pmed_rec_select(const int64_t *ids, const double *scores, const uint8_t *cand,
							uint32_t n, const PmedRecRequest *req, PmedRecResult *res);

/*
 * Marks cand[i] = 0 for items in the history or exclude list (others 1);
 * fills known[] (may be NULL) with the model indices of history items
 * and returns how many history ids the model knows (distinct).
 */
size_t		pmed_rec_mark(const int64_t *ids, uint32_t n, const PmedRecRequest *req,
						  uint8_t *cand, uint32_t *known);

#endif
