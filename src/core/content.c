/*
 * content.c - content-based item profiles and cosine ranking.
 */
#include "content.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct IdRow
{
	int64_t		id;
	size_t		row;
} IdRow;

static int
idrow_cmp(const void *a, const void *b)
{
	const IdRow *x = a;
	const IdRow *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

static void
normalize(double *v, uint32_t d)
{
	double		s = 0;

	for (uint32_t f = 0; f < d; f++)
		s += v[f] * v[f];
	s = sqrt(s);
	if (s > 0)
		for (uint32_t f = 0; f < d; f++)
			v[f] /= s;
}

PmedStatus
pmed_content_fit(const int64_t *ids, const double *x, size_t n, uint32_t d,
				 bool standardize, PmedContentModel **out, PmedError *err)
{
	PmedContentModel *m;
	IdRow	   *order;

	*out = NULL;
	if (n == 0)
		return pmed_fail(err, PMED_ERR_INVALID, "no items to train on");
	if (d == 0)
		return pmed_fail(err, PMED_ERR_INVALID, "item features must not be empty");
	if (n > PMED_CONTENT_MAX_ITEMS)
		return pmed_fail(err, PMED_ERR_LIMIT, "too many items: %zu", n);
	for (size_t i = 0; i < n * d; i++)
		if (!isfinite(x[i]))
			return pmed_fail(err, PMED_ERR_INVALID, "item features must be finite");

	order = pmed_alloc_array(n, sizeof(IdRow));
	for (size_t i = 0; i < n; i++)
	{
		order[i].id = ids[i];
		order[i].row = i;
	}
	pmed_sort(order, n, sizeof(IdRow), idrow_cmp);
	for (size_t i = 1; i < n; i++)
		if (order[i].id == order[i - 1].id)
			return pmed_fail(err, PMED_ERR_INVALID, "item %lld appears more than once",
							 (long long) order[i].id);

	m = pmed_alloc(sizeof(PmedContentModel));
	m->n_items = (uint32_t) n;
	m->n_features = d;
	m->standardized = standardize;
	m->items = pmed_alloc_array(n, sizeof(int64_t));
	m->v = pmed_alloc_array(n * d, sizeof(double));
	for (size_t i = 0; i < n; i++)
	{
		m->items[i] = order[i].id;
		memcpy(m->v + i * d, x + order[i].row * d, sizeof(double) * d);
	}
	pmed_free(order);

	if (standardize)
	{
		for (uint32_t f = 0; f < d; f++)
		{
			double		mean = 0,
						var = 0,
						sd;

			for (size_t i = 0; i < n; i++)
				mean += m->v[i * d + f];
			mean /= (double) n;
			for (size_t i = 0; i < n; i++)
				var += (m->v[i * d + f] - mean) * (m->v[i * d + f] - mean);
			sd = sqrt(var / (double) n);
			for (size_t i = 0; i < n; i++)
				m->v[i * d + f] = sd > 0 ? (m->v[i * d + f] - mean) / sd : 0.0;
		}
	}
	for (size_t i = 0; i < n; i++)
		normalize(m->v + i * d, d);
	*out = m;
	return PMED_OK;
}

/* Payload: u32 n_items, u32 n_features, u8 standardized, i64 ids[], f64 v[]. */
void
pmed_content_encode(const PmedContentModel *m, PmedWriter *w)
{
	pmed_put_u32(w, m->n_items);
	pmed_put_u32(w, m->n_features);
	pmed_put_u8(w, m->standardized);
	pmed_put_ids(w, m->items, m->n_items);
	pmed_put_f64_array(w, m->v, (size_t) m->n_items * m->n_features);
}

PmedContentModel *
pmed_content_decode(PmedReader *r, PmedError *err)
{
	PmedContentModel *m = pmed_alloc(sizeof(PmedContentModel));
	size_t		nv;

	(void) err;
	if (!pmed_get_count(r, PMED_CONTENT_MAX_ITEMS, 16, &m->n_items) ||
		!pmed_get_u32(r, &m->n_features) || !pmed_get_u8(r, &m->standardized))
		return NULL;
	if (m->n_items == 0 || m->n_features == 0 || m->n_features > 100000)
		return pmed_reader_fail(r, "bad content model size"), NULL;
	if (m->standardized > 1)
		return pmed_reader_fail(r, "bad content flag"), NULL;
	if (!pmed_get_ascending_ids(r, m->n_items, &m->items))
		return NULL;
	nv = (size_t) m->n_items * m->n_features;
	if (nv > r->left / 8)
		return pmed_reader_fail(r, "truncated"), NULL;
	if (!pmed_get_f64_array(r, nv, &m->v))
		return NULL;
	for (uint32_t i = 0; i < m->n_items; i++)
	{
		double		s = 0;

		for (uint32_t f = 0; f < m->n_features; f++)
			s += m->v[(size_t) i * m->n_features + f] * m->v[(size_t) i * m->n_features + f];
		if (s != 0 && fabs(s - 1.0) > 1e-6)
			return pmed_reader_fail(r, "item vector not normalised"), NULL;
	}
	if (!pmed_reader_done(r))
		return NULL;
	return m;
}

PmedStatus
pmed_content_recommend(const PmedContentModel *m, const PmedRecRequest *req,
					   PmedRecResult *res, PmedError *err)
{
	uint32_t	d = m->n_features;
	uint8_t    *cand = pmed_alloc(m->n_items);
	uint32_t   *known = pmed_alloc_array(req->n_history ? req->n_history : 1, sizeof(uint32_t));
	double	   *profile = pmed_alloc_array(d, sizeof(double));
	double	   *scores = pmed_alloc_array(m->n_items, sizeof(double));
	size_t		n_known;

	(void) err;
	n_known = pmed_rec_mark(m->items, m->n_items, req, cand, known);
	if (n_known == 0)
		memset(cand, 0, m->n_items);	/* no profile: nothing to rank */
	for (size_t h = 0; h < n_known; h++)
		for (uint32_t f = 0; f < d; f++)
			profile[f] += m->v[(size_t) known[h] * d + f] / (double) n_known;
	normalize(profile, d);
	for (uint32_t i = 0; i < m->n_items; i++)
	{
		const double *v = m->v + (size_t) i * d;
		double		s = 0;

		for (uint32_t f = 0; f < d; f++)
			s += v[f] * profile[f];
		scores[i] = s;
	}
	pmed_rec_select(m->items, scores, cand, m->n_items, req, res);
	pmed_free(cand);
	pmed_free(known);
	pmed_free(profile);
	pmed_free(scores);
	return PMED_OK;
}
