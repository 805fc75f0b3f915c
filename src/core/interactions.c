/*
 * interactions.c - sorted symmetric drug-pair sets and the DDI rate.
 */
#include "interactions.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

typedef struct DdiPair
{
	int64_t		a;
	int64_t		b;
} DdiPair;

static int
pair_cmp(const void *x, const void *y)
{
	const DdiPair *p = x;
	const DdiPair *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return 0;
}

void
pmed_ddi_build(PmedInteractions *d, int64_t *a, int64_t *b, uint64_t n)
{
	DdiPair    *p = pmed_alloc_array(n ? n : 1, sizeof(DdiPair));
	uint64_t	m = 0,
				out = 0;

	for (uint64_t i = 0; i < n; i++)
	{
		if (a[i] == b[i])
		{
			d->self_pairs++;
			continue;
		}
		p[m].a = a[i] < b[i] ? a[i] : b[i];
		p[m].b = a[i] < b[i] ? b[i] : a[i];
		m++;
	}
	pmed_check_interrupts();
	pmed_sort(p, m, sizeof(DdiPair), pair_cmp);
	for (uint64_t i = 0; i < m; i++)
	{
		if (out > 0 && p[i].a == a[out - 1] && p[i].b == b[out - 1])
			continue;
		a[out] = p[i].a;
		b[out] = p[i].b;
		out++;
	}
	pmed_free(p);
	d->a = a;
	d->b = b;
	d->n_pairs = out;
}

bool
pmed_ddi_has(const PmedInteractions *d, int64_t x, int64_t y)
{
	int64_t		lo_id = x < y ? x : y;
	int64_t		hi_id = x < y ? y : x;
	uint64_t	lo = 0,
				hi = d->n_pairs;

	if (x == y)
		return false;
	while (lo < hi)
	{
		uint64_t	mid = lo + (hi - lo) / 2;

		if (d->a[mid] < lo_id || (d->a[mid] == lo_id && d->b[mid] < hi_id))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n_pairs && d->a[lo] == lo_id && d->b[lo] == hi_id;
}

double
pmed_ddi_rate(const PmedInteractions *d, const int64_t *drugs, size_t n)
{
	int64_t    *v;
	size_t		m = 0;
	uint64_t	hits = 0,
				pairs;

	if (n < 2)
		return 0.0;
	v = pmed_alloc_array(n, sizeof(int64_t));
	memcpy(v, drugs, n * sizeof(int64_t));
	m = pmed_sort_unique_int64(v, n);
	if (m < 2)
	{
		pmed_free(v);
		return 0.0;
	}
	for (size_t i = 0; i < m; i++)
	{
		if ((i & 255) == 0)
			pmed_check_interrupts();
		for (size_t j = i + 1; j < m; j++)
			if (pmed_ddi_has(d, v[i], v[j]))
				hits++;
	}
	pairs = (uint64_t) m * (m - 1) / 2;
	pmed_free(v);
	return (double) hits / (double) pairs;
}

/*
 * Payload: u64 pair count, u64 self pairs, u64 rows skipped, then the pairs
 * as (i64 a, i64 b), strictly ascending with a < b.
 */
void
pmed_ddi_encode(const PmedInteractions *d, PmedWriter *w)
{
	pmed_put_u64(w, d->n_pairs);
	pmed_put_u64(w, d->self_pairs);
	pmed_put_u64(w, d->rows_skipped);
	for (uint64_t i = 0; i < d->n_pairs; i++)
	{
		pmed_put_i64(w, d->a[i]);
		pmed_put_i64(w, d->b[i]);
	}
}

PmedInteractions *
pmed_ddi_decode(PmedReader *r, PmedError *err)
{
	PmedInteractions *d = pmed_alloc(sizeof(PmedInteractions));
	uint64_t	n;

	if (!pmed_get_u64(r, &n) || !pmed_get_u64(r, &d->self_pairs) ||
		!pmed_get_u64(r, &d->rows_skipped))
		return NULL;
	if (n > PMED_DDI_MAX_PAIRS)
	{
		pmed_reader_fail(r, "pair count out of range");
		return NULL;
	}
	if (n > r->left / 16)
	{
		pmed_reader_fail(r, "truncated");
		return NULL;
	}
	d->n_pairs = n;
	d->a = pmed_alloc_array(n ? n : 1, sizeof(int64_t));
	d->b = pmed_alloc_array(n ? n : 1, sizeof(int64_t));
	for (uint64_t i = 0; i < n; i++)
	{
		if (!pmed_get_i64(r, &d->a[i]) || !pmed_get_i64(r, &d->b[i]))
			return NULL;
		if (d->a[i] >= d->b[i])
		{
			pmed_reader_fail(r, "interaction pair not ordered");
			return NULL;
		}
		if (i > 0 && (d->a[i] < d->a[i - 1] ||
					  (d->a[i] == d->a[i - 1] && d->b[i] <= d->b[i - 1])))
		{
			pmed_reader_fail(r, "interaction pairs not ascending");
			return NULL;
		}
	}
	if (!pmed_reader_done(r))
		return NULL;
	(void) err;
	return d;
}
