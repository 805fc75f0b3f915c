/*
 * topk.c - candidate marking and top-k selection for every recommender
 * (see topk.h).
 */
#include "topk.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int
scored_cmp(const void *a, const void *b)
{
	const PmedScored *x = a;
	const PmedScored *y = b;

	if (pmed_scored_better(x, y))
		return -1;
	if (pmed_scored_better(y, x))
		return 1;
	return 0;
}

void
pmed_topk_sort(PmedScored *v, int n)
{
	qsort(v, n, sizeof(PmedScored), scored_cmp);
}

static inline void
swap(PmedScored *h, int i, int j)
{
	PmedScored	tmp = h[i];

	h[i] = h[j];
	h[j] = tmp;
}

/* Min-heap on "better": the root is the worst kept element. */
static void
sift_down(PmedScored *h, int n, int i)
{
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					w = i;

		if (l < n && pmed_scored_better(&h[w], &h[l]))
			w = l;
		if (r < n && pmed_scored_better(&h[w], &h[r]))
			w = r;
		if (w == i)
			return;
		swap(h, i, w);
		i = w;
	}
}

void
pmed_topk_insert(PmedScored *h, int *n, int cap, PmedScored e)
{
	if (*n < cap)
	{
		int			i = (*n)++;

		h[i] = e;
		while (i > 0)
		{
			int			p = (i - 1) / 2;

			if (!pmed_scored_better(&h[p], &h[i]))
				break;
			swap(h, i, p);
			i = p;
		}
	}
	else if (cap > 0 && pmed_scored_better(&e, &h[0]))
	{
		h[0] = e;
		sift_down(h, *n, 0);
	}
}

size_t
pmed_rec_mark(const int64_t *ids, uint32_t n, const PmedRecRequest *req,
			  uint8_t *cand, uint32_t *known)
{
	size_t		n_known = 0;

	memset(cand, 1, n);
	for (size_t i = 0; i < req->n_exclude; i++)
	{
		int64_t		j = pmed_find_id(ids, n, req->exclude[i]);

		if (j >= 0)
			cand[j] = 0;
	}
	for (size_t i = 0; i < req->n_history; i++)
	{
		int64_t		j = pmed_find_id(ids, n, req->history[i]);

		if (j < 0)
			continue;
		/* a duplicate history id is counted once (cand already 2) */
		if (cand[j] != 2)
		{
			if (known != NULL)
				known[n_known] = (uint32_t) j;
			n_known++;
		}
		cand[j] = 2;
	}
	for (uint32_t i = 0; i < n; i++)
		if (cand[i] == 2)
			cand[i] = 0;
	return n_known;
}

static bool
interacts(const PmedRecRequest *req, const PmedRecResult *res, int64_t id)
{
	for (size_t i = 0; i < req->n_history; i++)
		if (pmed_ddi_has(req->ddi, id, req->history[i]))
			return true;
	for (int i = 0; i < res->n; i++)
		if (pmed_ddi_has(req->ddi, id, res->item[i]))
			return true;
	return false;
}

void
pmed_rec_select(const int64_t *ids, const double *scores, const uint8_t *cand,
				uint32_t n, const PmedRecRequest *req, PmedRecResult *res)
{
	int			k = req->k;
	PmedScored *buf;
	int			m = 0;

	if (k > (int) n)
		k = (int) n;
	res->n = 0;
	res->item = pmed_alloc_array(k > 0 ? k : 1, sizeof(int64_t));
	res->score = pmed_alloc_array(k > 0 ? k : 1, sizeof(double));
	if (k <= 0)
		return;

	if (req->ddi == NULL)
	{
		buf = pmed_alloc_array(k, sizeof(PmedScored));
		for (uint32_t i = 0; i < n; i++)
			if (cand[i])
				pmed_topk_push(buf, &m, k, (PmedScored) {i, scores[i]});
		pmed_topk_sort(buf, m);
		for (int i = 0; i < m; i++)
		{
			res->item[i] = ids[buf[i].idx];
			res->score[i] = buf[i].s;
		}
		res->n = m;
	}
	else
	{
		/* greedy: walk all candidates by score, skip interacting ones */
		buf = pmed_alloc_array(n, sizeof(PmedScored));
		for (uint32_t i = 0; i < n; i++)
			if (cand[i])
				buf[m++] = (PmedScored) {i, scores[i]};
		pmed_topk_sort(buf, m);
		for (int i = 0; i < m && res->n < k; i++)
		{
			int64_t		id = ids[buf[i].idx];

			if ((i & 1023) == 0)
				pmed_check_interrupts();
			if (interacts(req, res, id))
				continue;
			res->item[res->n] = id;
			res->score[res->n] = buf[i].s;
			res->n++;
		}
	}
	pmed_free(buf);
}
