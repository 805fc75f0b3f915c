/*
 * cf_knn.c - the CF model shared machinery (canonical triples, id maps,
 * patient histories, payload encoding, recommending, top-k selection) and
 * the item-kNN method: cosine similarity on the co-prescription matrix,
 *
 *     sim(i, j) = <r_i, r_j> / (|r_i| |r_j| + shrinkage),
 *
 * where r_i is item i's column of weights over patients, keeping the top
 * `neighbors` per item and dropping pairs seen in fewer than `min_support`
 * patients.  ALS lives in cf_als.c, the top-k selection in topk.c.
 */
#include "cf.h"
#include "cf_stats.h"
#include "exactsum.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
pmed_cf_default_params(PmedCfParams *p)
{
	memset(p, 0, sizeof(*p));
	p->method = PMED_CF_ITEM_KNN;
	p->neighbors = 50;
	p->shrinkage = 10.0;
	p->min_support = 1;
	p->factors = 32;
	p->iterations = 15;
	p->regularization = 0.1;
	p->alpha = 40.0;
	p->explicit_feedback = false;
	p->seed = 0;
	p->store_patients = true;
}

static int
triple_cmp(const void *a, const void *b)
{
	const PmedCfTriple *x = a;
	const PmedCfTriple *y = b;

	if (x->patient != y->patient)
		return x->patient < y->patient ? -1 : 1;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	/* equal pairs: order the weights too, so sums are order-independent */
	if (x->weight != y->weight)
		return x->weight < y->weight ? -1 : 1;
	return 0;
}

size_t
pmed_cf_canonicalize(PmedCfTriple *t, size_t n)
{
	size_t		out = 0;

	pmed_check_interrupts();
	pmed_sort(t, n, sizeof(PmedCfTriple), triple_cmp);
	pmed_check_interrupts();
	for (size_t i = 0; i < n; i++)
	{
		if (out > 0 && t[out - 1].patient == t[i].patient && t[out - 1].item == t[i].item)
			t[out - 1].weight += t[i].weight;
		else
			t[out++] = t[i];
	}
	return out;
}

/* ---- fitting ---- */

/* Item i's column: the patients (indices) and weights, built by transposing. */
typedef struct Columns
{
	uint32_t   *ptr;
	uint32_t   *pat;
	double	   *w;
} Columns;

static void
build_columns(const PmedCfModel *m, const double *w, Columns *c)
{
	uint32_t   *fill;
	size_t		nnz = m->hist_ptr[m->n_patients];

	c->ptr = pmed_alloc_array((size_t) m->n_items + 1, sizeof(uint32_t));
	c->pat = pmed_alloc_array(nnz ? nnz : 1, sizeof(uint32_t));
	c->w = pmed_alloc_array(nnz ? nnz : 1, sizeof(double));
	for (size_t t = 0; t < nnz; t++)
		c->ptr[m->hist_item[t] + 1]++;
	for (uint32_t i = 0; i < m->n_items; i++)
		c->ptr[i + 1] += c->ptr[i];
	fill = pmed_alloc_array((size_t) m->n_items + 1, sizeof(uint32_t));
	memcpy(fill, c->ptr, ((size_t) m->n_items + 1) * sizeof(uint32_t));
	for (uint32_t u = 0; u < m->n_patients; u++)
		for (uint32_t t = m->hist_ptr[u]; t < m->hist_ptr[u + 1]; t++)
		{
			uint32_t	i = m->hist_item[t];

			c->pat[fill[i]] = u;
			c->w[fill[i]] = w[t];
			fill[i]++;
		}
	pmed_free(fill);
}

/*
 * True when plain double sums of products of these weights are exact in
 * any order: every weight is a multiple of 2^e_min, so every product and
 * partial sum is a multiple of 2^(2 e_min), and none exceeds
 * max_w^2 * patients < 2^(53 + 2 e_min).  (Integer or short dyadic
 * weights: the common case, and as fast as before.)  Otherwise the sums
 * use exactsum.h.  Either way the result is the exactly rounded sum.
 */
static bool
plain_sums_exact(const double *w, size_t n, uint32_t patients)
{
	int			e_min = 1024;
	double		max_w = 0;

	for (size_t i = 0; i < n; i++)
	{
		uint64_t	bits;
		uint64_t	mant;
		int			ex,
					low;

		if (w[i] == 0)
			continue;
		memcpy(&bits, &w[i], 8);
		ex = (int) ((bits >> 52) & 0x7FF);
		mant = bits & (((uint64_t) 1 << 52) - 1);
		if (ex == 0)
			return false;		/* subnormal weights: leave it to exactsum */
		mant |= (uint64_t) 1 << 52;
		low = ex - 1075 + __builtin_ctzll(mant);
		if (low < e_min)
			e_min = low;
		if (w[i] > max_w)
			max_w = w[i];
	}
	if (max_w == 0)
		return true;
	if (e_min < -400)
		return false;
	return max_w * max_w * (double) patients < ldexp(1.0, 53 + 2 * e_min);
}

static void
fit_knn(PmedCfModel *m, const double *w, const PmedCfParams *p)
{
	Columns		c;
	uint32_t	n = m->n_items;
	/* exact sums: the same bits as the statistics path (cf_stats.c) in any order */
	bool		plain = plain_sums_exact(w, m->hist_ptr[m->n_patients], m->n_patients);
	PmedExactSum *dot = plain ? NULL : pmed_alloc_array(n, sizeof(PmedExactSum));
	double	   *pdot = plain ? pmed_alloc_array(n, sizeof(double)) : NULL;
	uint32_t   *cnt = pmed_alloc_array(n, sizeof(uint32_t));
	uint32_t   *touched = pmed_alloc_array(n, sizeof(uint32_t));
	double	   *norm = pmed_alloc_array(n, sizeof(double));
	int			cap = p->neighbors < (int) n ? p->neighbors : (int) n;
	PmedScored *heap = pmed_alloc_array(cap > 0 ? cap : 1, sizeof(PmedScored));
	size_t		kept = 0,
				room;

	build_columns(m, w, &c);
	for (uint32_t i = 0; i < n; i++)
	{
		PmedExactSum s = PMED_EXACTSUM_INIT;

		double		ps = 0;

		for (uint32_t t = c.ptr[i]; t < c.ptr[i + 1]; t++)
		{
			if (plain)
				ps += c.w[t] * c.w[t];
			else
				pmed_exactsum_add_product(&s, c.w[t], c.w[t]);
		}
		norm[i] = sqrt(plain ? ps : pmed_exactsum_value(&s));
		pmed_exactsum_reset(&s);
	}

	room = (size_t) n * (size_t) cap;
	m->nbr_ptr = pmed_alloc_array((size_t) n + 1, sizeof(uint32_t));
	m->nbr_item = pmed_alloc_array(room ? room : 1, sizeof(uint32_t));
	m->nbr_sim = pmed_alloc_array(room ? room : 1, sizeof(double));
	m->min_support_used = 0;

	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t	n_touched = 0;
		int			h = 0;

		pmed_check_interrupts();
		for (uint32_t t = c.ptr[i]; t < c.ptr[i + 1]; t++)
		{
			uint32_t	u = c.pat[t];
			double		wi = c.w[t];

			for (uint32_t s = m->hist_ptr[u]; s < m->hist_ptr[u + 1]; s++)
			{
				uint32_t	j = m->hist_item[s];

				if (cnt[j] == 0)
					touched[n_touched++] = j;
				cnt[j]++;
				if (plain)
					pdot[j] += wi * w[s];
				else
					pmed_exactsum_add_product(&dot[j], wi, w[s]);
			}
		}
		for (uint32_t t = 0; t < n_touched; t++)
		{
			uint32_t	j = touched[t];
			double		sim = j == i ? -1 :
				pmed_cf_knn_similarity(plain ? pdot[j] : pmed_exactsum_value(&dot[j]),
									   norm[i], norm[j], cnt[j], p);

			if (sim >= 0)
				pmed_topk_push(heap, &h, cap, (PmedScored) {j, sim});
		}
		pmed_topk_sort(heap, h);
		m->nbr_ptr[i] = (uint32_t) kept;
		for (int t = 0; t < h; t++)
		{
			uint32_t	support = cnt[heap[t].idx];

			m->nbr_item[kept] = heap[t].idx;
			m->nbr_sim[kept] = heap[t].s;
			if (m->min_support_used == 0 || support < m->min_support_used)
				m->min_support_used = support;
			kept++;
		}
		for (uint32_t t = 0; t < n_touched; t++)
		{
			if (plain)
				pdot[touched[t]] = 0;
			else
				pmed_exactsum_reset(&dot[touched[t]]);
			cnt[touched[t]] = 0;
		}
	}
	m->nbr_ptr[n] = (uint32_t) kept;
	m->neighbors = (uint32_t) p->neighbors;
	m->shrinkage = p->shrinkage;
	m->min_support = (uint32_t) p->min_support;
	pmed_free(dot);
	pmed_free(pdot);
	pmed_free(cnt);
	pmed_free(touched);
	pmed_free(norm);
	pmed_free(heap);
	pmed_free(c.ptr);
	pmed_free(c.pat);
	pmed_free(c.w);
}

PmedStatus
pmed_cf_fit(const PmedCfTriple *t, size_t n, const PmedCfParams *p,
			PmedCfModel **out, double *loss_trace, PmedError *err)
{
	PmedCfModel *m;
	int64_t    *ids;
	size_t		n_items = 0,
				n_patients = 0;
	double	   *w;

	*out = NULL;
	if (n == 0)
		return pmed_fail(err, PMED_ERR_INVALID, "no (patient, item) rows to train on");
	if (n > UINT32_MAX - 1)
		return pmed_fail(err, PMED_ERR_LIMIT, "too many (patient, item) pairs: %zu", n);
	if (p->method == PMED_CF_ITEM_KNN && (p->neighbors < 1 || p->min_support < 1 ||
										  !(p->shrinkage >= 0)))
		return pmed_fail(err, PMED_ERR_INVALID, "invalid item_knn parameters");
	if (p->method == PMED_CF_ALS && (p->factors < 1 || p->factors > PMED_CF_MAX_FACTORS ||
									 p->iterations < 1 || !(p->regularization >= 0) ||
									 !(p->alpha >= 0)))
		return pmed_fail(err, PMED_ERR_INVALID, "invalid als parameters");

	for (size_t i = 0; i < n; i++)
		if (!(p->explicit_feedback ? isfinite(t[i].weight) :
			  (t[i].weight >= 0 && isfinite(t[i].weight))))
			return pmed_fail(err, PMED_ERR_INVALID, "invalid weight %g for patient %lld item %lld",
							 t[i].weight, (long long) t[i].patient, (long long) t[i].item);

	m = pmed_alloc(sizeof(PmedCfModel));
	m->method = (uint8_t) p->method;
	m->explicit_feedback = p->explicit_feedback;
	m->interactions = n;

	/* item ids */
	ids = pmed_alloc_array(n, sizeof(int64_t));
	for (size_t i = 0; i < n; i++)
		ids[i] = t[i].item;
	n_items = pmed_sort_unique_int64(ids, n);
	if (n_items > PMED_CF_MAX_ITEMS)
		return pmed_fail(err, PMED_ERR_LIMIT, "too many items: %zu", n_items);
	m->n_items = (uint32_t) n_items;
	m->items = ids;

	/* patients and histories (triples are sorted by patient, item) */
	for (size_t i = 0; i < n; i++)
		if (i == 0 || t[i].patient != t[i - 1].patient)
			n_patients++;
	if (n_patients > PMED_CF_MAX_PATIENTS)
		return pmed_fail(err, PMED_ERR_LIMIT, "too many patients: %zu", n_patients);
	m->n_patients = (uint32_t) n_patients;
	m->patients = pmed_alloc_array(n_patients, sizeof(int64_t));
	m->hist_ptr = pmed_alloc_array(n_patients + 1, sizeof(uint32_t));
	m->hist_item = pmed_alloc_array(n, sizeof(uint32_t));
	m->popularity = pmed_alloc_array(n_items, sizeof(double));
	w = pmed_alloc_array(n, sizeof(double));
	n_patients = 0;
	for (size_t i = 0; i < n; i++)
	{
		int64_t		j;

		if ((i & 65535) == 0)
			pmed_check_interrupts();
		if (i > 0 && (t[i].patient < t[i - 1].patient ||
					  (t[i].patient == t[i - 1].patient && t[i].item <= t[i - 1].item)))
			return pmed_fail(err, PMED_ERR_INTERNAL, "cf triples are not canonical");
		if (i == 0 || t[i].patient != t[i - 1].patient)
		{
			m->patients[n_patients] = t[i].patient;
			m->hist_ptr[n_patients] = (uint32_t) i;
			n_patients++;
		}
		j = pmed_find_id(m->items, n_items, t[i].item);
		m->hist_item[i] = (uint32_t) j;
		m->popularity[j] += 1;
		w[i] = t[i].weight;
	}
	m->hist_ptr[n_patients] = (uint32_t) n;
	m->has_patients = 1;

	if (p->method == PMED_CF_ITEM_KNN)
	{
		fit_knn(m, w, p);
		/* a drug given to fewer than min_support patients: count not revealed */
		for (size_t i = 0; i < n_items; i++)
			if (m->popularity[i] < p->min_support)
				m->popularity[i] = 0;
	}
	else
		pmed_cf_fit_als(m, w, p, loss_trace);
	pmed_free(w);

	if (!p->store_patients)
	{
		m->has_patients = 0;
		m->n_patients = 0;
		pmed_free(m->patients);
		pmed_free(m->hist_ptr);
		pmed_free(m->hist_item);
		pmed_free(m->X);
		m->patients = NULL;
		m->hist_ptr = NULL;
		m->hist_item = NULL;
		m->X = NULL;
	}
	*out = m;
	return PMED_OK;
}

/* ---- payload ----
 *
 *   u8 method, u8 explicit, u8 has_patients, u64 interactions
 *   u32 n_items, i64 items[] (strictly ascending), f64 popularity[] (>= 0)
 *   u32 n_patients, i64 patients[] (strictly ascending),
 *       u32 nnz, u32 row lengths[n_patients], u32 items[nnz] (ascending per row)
 *   item_knn: u32 neighbors, f64 shrinkage, u32 min_support, u32 min_support_used,
 *       u32 row lengths[n_items], then per neighbour u32 item, f64 sim
 *   als: u32 factors, u32 iterations, f64 regularization, f64 alpha, f64 loss,
 *       f64 Y[n_items * factors], f64 X[n_patients * factors]
 */
void
pmed_cf_encode(const PmedCfModel *m, PmedWriter *w)
{
	pmed_put_u8(w, m->method);
	pmed_put_u8(w, m->explicit_feedback);
	pmed_put_u8(w, m->has_patients);
	pmed_put_u64(w, m->interactions);
	pmed_put_u32(w, m->n_items);
	pmed_put_ids(w, m->items, m->n_items);
	pmed_put_f64_array(w, m->popularity, m->n_items);
	pmed_put_u32(w, m->n_patients);
	pmed_put_ids(w, m->patients, m->n_patients);
	pmed_put_u32(w, m->n_patients ? m->hist_ptr[m->n_patients] : 0);
	for (uint32_t u = 0; u < m->n_patients; u++)
		pmed_put_u32(w, m->hist_ptr[u + 1] - m->hist_ptr[u]);
	for (uint32_t u = 0; m->n_patients && u < m->hist_ptr[m->n_patients]; u++)
	{
		if ((u & 0xFFFFF) == 0xFFFFF)
			pmed_check_interrupts();	/* millions of (patient, item) pairs */
		pmed_put_u32(w, m->hist_item[u]);
	}
	if (m->method == PMED_CF_ITEM_KNN)
	{
		pmed_put_u32(w, m->neighbors);
		pmed_put_f64(w, m->shrinkage);
		pmed_put_u32(w, m->min_support);
		pmed_put_u32(w, m->min_support_used);
		for (uint32_t i = 0; i < m->n_items; i++)
			pmed_put_u32(w, m->nbr_ptr[i + 1] - m->nbr_ptr[i]);
		for (uint32_t t = 0; t < m->nbr_ptr[m->n_items]; t++)
		{
			if ((t & 0xFFFFF) == 0xFFFFF)
				pmed_check_interrupts();
			pmed_put_u32(w, m->nbr_item[t]);
			pmed_put_f64(w, m->nbr_sim[t]);
		}
	}
	else
	{
		pmed_put_u32(w, m->factors);
		pmed_put_u32(w, m->iterations);
		pmed_put_f64(w, m->regularization);
		pmed_put_f64(w, m->alpha);
		pmed_put_f64(w, m->final_loss);
		pmed_put_f64_array(w, m->Y, (size_t) m->n_items * m->factors);
		pmed_put_f64_array(w, m->X, (size_t) m->n_patients * m->factors);
	}
}

void
pmed_put_ids(PmedWriter *w, const int64_t *ids, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		pmed_put_i64(w, ids[i]);
}

bool
pmed_get_ascending_ids(PmedReader *r, uint32_t n, int64_t **out)
{
	int64_t    *v = pmed_alloc_array(n ? n : 1, sizeof(int64_t));

	*out = v;
	for (uint32_t i = 0; i < n; i++)
	{
		if (!pmed_get_i64(r, &v[i]))
			return false;
		if (i > 0 && v[i] <= v[i - 1])
			return pmed_reader_fail(r, "ids not strictly ascending");
	}
	return true;
}

/* Row lengths -> pointer array, checking they add up to total. */
static bool
get_rows(PmedReader *r, uint32_t rows, uint64_t total, uint32_t **out)
{
	uint32_t   *ptr = pmed_alloc_array((size_t) rows + 1, sizeof(uint32_t));
	uint64_t	sum = 0;

	*out = ptr;
	if (rows > r->left / 4)
		return pmed_reader_fail(r, "truncated");
	for (uint32_t i = 0; i < rows; i++)
	{
		uint32_t	len;

		if (!pmed_get_u32(r, &len))
			return false;
		ptr[i] = (uint32_t) sum;
		sum += len;
		if (sum > total)
			return pmed_reader_fail(r, "row lengths exceed the stored count");
	}
	if (sum != total)
		return pmed_reader_fail(r, "row lengths do not match the stored count");
	ptr[rows] = (uint32_t) sum;
	return true;
}

PmedCfModel *
pmed_cf_decode(PmedReader *r, PmedError *err)
{
	PmedCfModel *m = pmed_alloc(sizeof(PmedCfModel));
	uint32_t	nnz;

	(void) err;
	if (!pmed_get_u8(r, &m->method) || !pmed_get_u8(r, &m->explicit_feedback) ||
		!pmed_get_u8(r, &m->has_patients) || !pmed_get_u64(r, &m->interactions))
		return NULL;
	if (m->method != PMED_CF_ITEM_KNN && m->method != PMED_CF_ALS)
		return pmed_reader_fail(r, "unknown cf method"), NULL;
	if (m->explicit_feedback > 1 || m->has_patients > 1)
		return pmed_reader_fail(r, "bad cf flag"), NULL;
	if (m->explicit_feedback && m->method != PMED_CF_ALS)
		return pmed_reader_fail(r, "explicit feedback needs als"), NULL;
	if (!pmed_get_count(r, PMED_CF_MAX_ITEMS, 16, &m->n_items))
		return NULL;
	if (m->n_items == 0)
		return pmed_reader_fail(r, "model has no items"), NULL;
	if (!pmed_get_ascending_ids(r, m->n_items, &m->items) ||
		!pmed_get_f64_array(r, m->n_items, &m->popularity))
		return NULL;
	for (uint32_t i = 0; i < m->n_items; i++)
		if (m->popularity[i] < 0)
			return pmed_reader_fail(r, "negative popularity"), NULL;
	if (!pmed_get_count(r, PMED_CF_MAX_PATIENTS, 8, &m->n_patients))
		return NULL;
	if ((m->n_patients > 0) != (m->has_patients == 1))
		return pmed_reader_fail(r, "patient count does not match the flag"), NULL;
	if (!pmed_get_ascending_ids(r, m->n_patients, &m->patients) ||
		!pmed_get_count(r, UINT32_MAX - 1, 4, &nnz) ||
		!get_rows(r, m->n_patients, nnz, &m->hist_ptr))
		return NULL;
	if (nnz > r->left / 4)
		return pmed_reader_fail(r, "truncated"), NULL;
	m->hist_item = pmed_alloc_array(nnz ? nnz : 1, sizeof(uint32_t));
	for (uint32_t u = 0; u < m->n_patients; u++)
		for (uint32_t t = m->hist_ptr[u]; t < m->hist_ptr[u + 1]; t++)
		{
			if ((t & 0xFFFFF) == 0xFFFFF)
				pmed_check_interrupts();	/* millions of pairs */
			if (!pmed_get_u32(r, &m->hist_item[t]))
				return NULL;
			if (m->hist_item[t] >= m->n_items)
				return pmed_reader_fail(r, "history item out of range"), NULL;
			if (t > m->hist_ptr[u] && m->hist_item[t] <= m->hist_item[t - 1])
				return pmed_reader_fail(r, "history items not ascending"), NULL;
		}

	if (m->method == PMED_CF_ITEM_KNN)
	{
		uint32_t	total;

		if (!pmed_get_u32(r, &m->neighbors) || !pmed_get_f64(r, &m->shrinkage) ||
			!pmed_get_u32(r, &m->min_support) || !pmed_get_u32(r, &m->min_support_used))
			return NULL;
		if (m->neighbors < 1 || m->neighbors > PMED_CF_MAX_NEIGHBORS || m->shrinkage < 0 ||
			m->min_support < 1)
			return pmed_reader_fail(r, "bad item_knn parameters"), NULL;
		if ((uint64_t) m->n_items * 4 > r->left)
			return pmed_reader_fail(r, "truncated"), NULL;
		/* total neighbours: at most n_items * neighbors, 12 bytes each */
		{
			const uint8_t *save_p = r->p;
			size_t		save_left = r->left;
			uint64_t	sum = 0;

			for (uint32_t i = 0; i < m->n_items; i++)
			{
				uint32_t	len;

				pmed_get_u32(r, &len);
				if (len > m->neighbors || len >= m->n_items)
					return pmed_reader_fail(r, "too many neighbours"), NULL;
				sum += len;
			}
			if (sum > r->left / 12)
				return pmed_reader_fail(r, "truncated"), NULL;
			total = (uint32_t) sum;
			r->p = save_p;
			r->left = save_left;
		}
		if (!get_rows(r, m->n_items, total, &m->nbr_ptr))
			return NULL;
		m->nbr_item = pmed_alloc_array(total ? total : 1, sizeof(uint32_t));
		m->nbr_sim = pmed_alloc_array(total ? total : 1, sizeof(double));
		for (uint32_t i = 0; i < m->n_items; i++)
			for (uint32_t t = m->nbr_ptr[i]; t < m->nbr_ptr[i + 1]; t++)
			{
				if (!pmed_get_u32(r, &m->nbr_item[t]) || !pmed_get_f64(r, &m->nbr_sim[t]))
					return NULL;
				if (m->nbr_item[t] >= m->n_items || m->nbr_item[t] == i)
					return pmed_reader_fail(r, "neighbour out of range"), NULL;
				if (m->nbr_sim[t] < 0 || m->nbr_sim[t] > 1)
					return pmed_reader_fail(r, "similarity out of range"), NULL;
			}
	}
	else
	{
		size_t		ny,
					nx;

		if (!pmed_get_u32(r, &m->factors) || !pmed_get_u32(r, &m->iterations) ||
			!pmed_get_f64(r, &m->regularization) || !pmed_get_f64(r, &m->alpha) ||
			!pmed_get_f64(r, &m->final_loss))
			return NULL;
		if (m->factors < 1 || m->factors > PMED_CF_MAX_FACTORS || m->regularization < 0 ||
			m->alpha < 0)
			return pmed_reader_fail(r, "bad als parameters"), NULL;
		ny = (size_t) m->n_items * m->factors;
		nx = (size_t) m->n_patients * m->factors;
		if (ny > r->left / 8 || nx > r->left / 8)
			return pmed_reader_fail(r, "truncated"), NULL;
		if (!pmed_get_f64_array(r, ny, &m->Y) || !pmed_get_f64_array(r, nx, &m->X))
			return NULL;
		pmed_cf_als_prepare(m);
	}
	if (!pmed_reader_done(r))
		return NULL;
	return m;
}

/* ---- recommending ---- */

static void
score_knn(const PmedCfModel *m, const uint32_t *hist, size_t n_hist, double *scores,
		  uint8_t *cand)
{
	uint8_t    *reached = pmed_alloc(m->n_items);

	memset(scores, 0, sizeof(double) * m->n_items);
	for (size_t h = 0; h < n_hist; h++)
	{
		uint32_t	i = hist[h];

		for (uint32_t t = m->nbr_ptr[i]; t < m->nbr_ptr[i + 1]; t++)
		{
			scores[m->nbr_item[t]] += m->nbr_sim[t];
			reached[m->nbr_item[t]] = 1;
		}
	}
	/* only items reached through a neighbour list are candidates */
	for (uint32_t j = 0; j < m->n_items; j++)
		if (!reached[j])
			cand[j] = 0;
	pmed_free(reached);
}

static void
score_factor(const PmedCfModel *m, const double *x, double *scores)
{
	uint32_t	k = m->factors;

	for (uint32_t j = 0; j < m->n_items; j++)
	{
		const double *y = m->Y + (size_t) j * k;
		double		s = 0;

		for (uint32_t f = 0; f < k; f++)
			s += x[f] * y[f];
		scores[j] = s;
	}
}

static PmedStatus
recommend_known(const PmedCfModel *m, const uint32_t *hist, size_t n_hist, const double *x,
				const PmedRecRequest *req, uint8_t *cand, PmedRecResult *res, PmedError *err)
{
	double	   *scores = pmed_alloc_array(m->n_items, sizeof(double));

	if (n_hist == 0)
	{
		/* cold start: popularity; drugs hidden by min_support never come up */
		memcpy(scores, m->popularity, sizeof(double) * m->n_items);
		for (uint32_t j = 0; j < m->n_items; j++)
			if (m->popularity[j] <= 0)
				cand[j] = 0;
	}
	else if (m->method == PMED_CF_ITEM_KNN)
		score_knn(m, hist, n_hist, scores, cand);
	else if (x != NULL)
		score_factor(m, x, scores);
	else
	{
		double	   *fx = pmed_alloc_array(m->factors, sizeof(double));

		if (!pmed_cf_als_fold_in(m, hist, NULL, n_hist, fx))
			return pmed_fail(err, PMED_ERR_INTERNAL, "als fold-in solve failed");
		score_factor(m, fx, scores);
		pmed_free(fx);
	}
	pmed_rec_select(m->items, scores, cand, m->n_items, req, res);
	pmed_free(scores);
	return PMED_OK;
}

PmedStatus
pmed_cf_recommend_patient(const PmedCfModel *m, int64_t patient,
						  const PmedRecRequest *req, PmedRecResult *res, PmedError *err)
{
	uint8_t    *cand;
	int64_t		u;
	PmedRecRequest r2 = *req;
	int64_t    *hist_ids;
	uint32_t	n_hist;
	PmedStatus	st;

	if (!m->has_patients)
	{
		pmed_fail(err, PMED_ERR_INVALID, "this model stores no patients");
		pmed_fail_detail(err, "It was trained with store_patients false; pass the patient's drugs as a bigint[] history instead.");
		return PMED_ERR_INVALID;
	}
	u = pmed_find_id(m->patients, m->n_patients, patient);
	cand = pmed_alloc(m->n_items);
	if (u < 0)
	{
		/* an unknown patient: nothing known, most popular items */
		r2.history = NULL;
		r2.n_history = 0;
		pmed_rec_mark(m->items, m->n_items, &r2, cand, NULL);
		st = recommend_known(m, NULL, 0, NULL, &r2, cand, res, err);
		pmed_free(cand);
		return st;
	}
	n_hist = m->hist_ptr[u + 1] - m->hist_ptr[u];
	hist_ids = pmed_alloc_array(n_hist ? n_hist : 1, sizeof(int64_t));
	for (uint32_t t = 0; t < n_hist; t++)
		hist_ids[t] = m->items[m->hist_item[m->hist_ptr[u] + t]];
	r2.history = hist_ids;
	r2.n_history = n_hist;
	pmed_rec_mark(m->items, m->n_items, &r2, cand, NULL);
	st = recommend_known(m, m->hist_item + m->hist_ptr[u], n_hist,
						 m->method == PMED_CF_ALS ? m->X + (size_t) u * m->factors : NULL,
						 &r2, cand, res, err);
	pmed_free(hist_ids);
	pmed_free(cand);
	return st;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *) a;
	uint32_t	y = *(const uint32_t *) b;

	return x < y ? -1 : x > y;
}

PmedStatus
pmed_cf_recommend_history(const PmedCfModel *m, const PmedRecRequest *req,
						  PmedRecResult *res, PmedError *err)
{
	uint8_t    *cand = pmed_alloc(m->n_items);
	uint32_t   *known = pmed_alloc_array(req->n_history ? req->n_history : 1, sizeof(uint32_t));
	size_t		n_known;
	PmedStatus	st;

	n_known = pmed_rec_mark(m->items, m->n_items, req, cand, known);
	/* fold-in wants ascending indices, like a stored history */
	qsort(known, n_known, sizeof(uint32_t), u32_cmp);
	st = recommend_known(m, known, n_known, NULL, req, cand, res, err);
	pmed_free(cand);
	pmed_free(known);
	return st;
}
