/*
 * cf_stats.c - item-kNN statistics: per item and per co-occurring pair,
 * added one patient history at a time, merged, serialized, and turned into
 * the item-kNN model (see cf_stats.h).
 */
#include "cf_stats.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
pmed_cf_stats_init(PmedCfStats *s)
{
	memset(s, 0, sizeof(*s));
}

static inline uint64_t
mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static inline uint64_t
pair_hash(int64_t a, int64_t b)
{
	return mix64((uint64_t) a ^ mix64((uint64_t) b));
}

/* ---- open-addressing indexes (entry index + 1 per slot) ---- */

static size_t
pow2_at_least(size_t n)
{
	size_t		p = 64;

	while (p < n)
		p *= 2;
	return p;
}

/*
 * Rebuild an index with this many slots.  The same size reuses the array
 * (stats_sort runs at serialization, whose memory context may be shorter
 * lived than the state's).
 */
static void
item_rehash(PmedCfStats *s, size_t slots)
{
	if (s->item_slot != NULL && slots == s->item_mask + 1)
		memset(s->item_slot, 0, sizeof(uint32_t) * slots);
	else
	{
		pmed_free(s->item_slot);
		s->item_slot = pmed_alloc_array(slots, sizeof(uint32_t));
	}
	s->item_mask = slots - 1;
	for (size_t k = 0; k < s->n_items; k++)
	{
		size_t		h = mix64((uint64_t) s->items[k].id) & s->item_mask;

		while (s->item_slot[h] != 0)
			h = (h + 1) & s->item_mask;
		s->item_slot[h] = (uint32_t) (k + 1);
	}
}

static void
pair_rehash(PmedCfStats *s, size_t slots)
{
	if (s->pair_slot != NULL && slots == s->pair_mask + 1)
		memset(s->pair_slot, 0, sizeof(uint32_t) * slots);
	else
	{
		pmed_free(s->pair_slot);
		s->pair_slot = pmed_alloc_array(slots, sizeof(uint32_t));
	}
	s->pair_mask = slots - 1;
	for (size_t k = 0; k < s->n_pairs; k++)
	{
		size_t		h = pair_hash(s->pairs[k].a, s->pairs[k].b) & s->pair_mask;

		while (s->pair_slot[h] != 0)
			h = (h + 1) & s->pair_mask;
		s->pair_slot[h] = (uint32_t) (k + 1);
	}
}

static PmedCfItemStat *
item_get(PmedCfStats *s, int64_t id, PmedError *err)
{
	size_t		h;

	if (s->item_slot == NULL)
		item_rehash(s, 64);
	h = mix64((uint64_t) id) & s->item_mask;
	while (s->item_slot[h] != 0)
	{
		PmedCfItemStat *e = &s->items[s->item_slot[h] - 1];

		if (e->id == id)
			return e;
		h = (h + 1) & s->item_mask;
	}
	if (s->n_items >= PMED_CF_MAX_ITEMS)
	{
		pmed_fail(err, PMED_ERR_LIMIT, "too many items: more than %d", PMED_CF_MAX_ITEMS);
		return NULL;
	}
	if (s->n_items == s->cap_items)
	{
		s->cap_items = s->cap_items ? s->cap_items * 2 : 64;
		s->items = pmed_realloc(s->items, s->cap_items * sizeof(PmedCfItemStat));
	}
	memset(&s->items[s->n_items], 0, sizeof(PmedCfItemStat));
	s->items[s->n_items].id = id;
	s->item_slot[h] = (uint32_t) (++s->n_items);
	if (s->n_items * 2 > s->item_mask + 1)
		item_rehash(s, (s->item_mask + 1) * 2);
	return &s->items[s->n_items - 1];
}

static PmedCfPairStat *
pair_get(PmedCfStats *s, int64_t a, int64_t b, PmedError *err)
{
	size_t		h;

	if (s->pair_slot == NULL)
		pair_rehash(s, 256);
	h = pair_hash(a, b) & s->pair_mask;
	while (s->pair_slot[h] != 0)
	{
		PmedCfPairStat *e = &s->pairs[s->pair_slot[h] - 1];

		if (e->a == a && e->b == b)
			return e;
		h = (h + 1) & s->pair_mask;
	}
	if (s->n_pairs >= PMED_CF_STATS_MAX_PAIRS / 2)
	{
		pmed_fail(err, PMED_ERR_LIMIT, "too many co-occurring item pairs: %zu", s->n_pairs);
		return NULL;
	}
	if (s->n_pairs == s->cap_pairs)
	{
		s->cap_pairs = s->cap_pairs ? s->cap_pairs * 2 : 256;
		s->pairs = pmed_realloc(s->pairs, s->cap_pairs * sizeof(PmedCfPairStat));
	}
	memset(&s->pairs[s->n_pairs], 0, sizeof(PmedCfPairStat));
	s->pairs[s->n_pairs].a = a;
	s->pairs[s->n_pairs].b = b;
	s->pair_slot[h] = (uint32_t) (++s->n_pairs);
	if (s->n_pairs * 2 > s->pair_mask + 1)
		pair_rehash(s, (s->pair_mask + 1) * 2);
	return &s->pairs[s->n_pairs - 1];
}

/* ---- adding and merging ---- */

PmedStatus
pmed_cf_stats_add_history(PmedCfStats *s, const int64_t *items, const double *weights,
						  size_t n, PmedError *err)
{
	PmedCfTriple *t;
	size_t		m;

	if (n == 0)
		return PMED_OK;
	t = pmed_alloc_array(n, sizeof(PmedCfTriple));
	for (size_t i = 0; i < n; i++)
	{
		t[i].patient = 0;
		t[i].item = items[i];
		t[i].weight = weights ? weights[i] : 1.0;
	}
	/* the same sort and duplicate sums as the (patient, item, weight) rows */
	m = pmed_cf_canonicalize(t, n);
	for (size_t i = 0; i < m; i++)
		if (!(t[i].weight >= 0 && isfinite(t[i].weight)))
		{
			double		w = t[i].weight;
			long long	item = (long long) t[i].item;

			pmed_free(t);
			return pmed_fail(err, PMED_ERR_INVALID, "invalid weight %g for item %lld", w, item);
		}
	for (size_t i = 0; i < m; i++)
	{
		PmedCfItemStat *e = item_get(s, t[i].item, err);

		if (e == NULL)
		{
			pmed_free(t);
			return err->status;
		}
		e->patients++;
		pmed_exactsum_add_product(&e->sumsq, t[i].weight, t[i].weight);
	}
	for (size_t i = 0; i < m; i++)
	{
		if ((i & 255) == 255)
			pmed_check_interrupts();	/* a long history: m^2 / 2 pairs */
		for (size_t j = i + 1; j < m; j++)
		{
			PmedCfPairStat *e = pair_get(s, t[i].item, t[j].item, err);

			if (e == NULL)
			{
				pmed_free(t);
				return err->status;
			}
			e->count++;
			pmed_exactsum_add_product(&e->dot, t[i].weight, t[j].weight);
		}
	}
	s->histories++;
	s->interactions += (int64_t) m;
	pmed_free(t);
	return PMED_OK;
}

PmedStatus
pmed_cf_stats_merge(PmedCfStats *dst, const PmedCfStats *src, PmedError *err)
{
	for (size_t k = 0; k < src->n_items; k++)
	{
		const PmedCfItemStat *x = &src->items[k];
		PmedCfItemStat *e = item_get(dst, x->id, err);

		if (e == NULL)
			return err->status;
		e->patients += x->patients;
		pmed_exactsum_merge(&e->sumsq, &x->sumsq);
	}
	for (size_t k = 0; k < src->n_pairs; k++)
	{
		const PmedCfPairStat *x = &src->pairs[k];
		PmedCfPairStat *e;

		if ((k & 0xFFFF) == 0xFFFF)
			pmed_check_interrupts();
		e = pair_get(dst, x->a, x->b, err);
		if (e == NULL)
			return err->status;
		e->count += x->count;
		pmed_exactsum_merge(&e->dot, &x->dot);
	}
	dst->histories += src->histories;
	dst->interactions += src->interactions;
	return PMED_OK;
}

/* ---- serialized form ---- */

/* Index of id among the sorted items, or -1. */
static int64_t
find_item(const PmedCfStats *s, int64_t id)
{
	size_t		lo = 0,
				hi = s->n_items;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (s->items[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n_items && s->items[lo].id == id ? (int64_t) lo : -1;
}

static int
item_cmp(const void *a, const void *b)
{
	int64_t		x = ((const PmedCfItemStat *) a)->id;
	int64_t		y = ((const PmedCfItemStat *) b)->id;

	return x < y ? -1 : x > y;
}

static int
pair_cmp(const void *a, const void *b)
{
	const PmedCfPairStat *x = a;
	const PmedCfPairStat *y = b;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	return x->b < y->b ? -1 : x->b > y->b;
}

/* Entries in key order (the indexes are rebuilt). */
static void
stats_sort(PmedCfStats *s)
{
	pmed_sort(s->items, s->n_items, sizeof(PmedCfItemStat), item_cmp);
	pmed_sort(s->pairs, s->n_pairs, sizeof(PmedCfPairStat), pair_cmp);
	if (s->item_slot)
		item_rehash(s, s->item_mask + 1);
	if (s->pair_slot)
		pair_rehash(s, s->pair_mask + 1);
}

void
pmed_cf_stats_write(PmedWriter *w, PmedCfStats *s)
{
	stats_sort(s);
	pmed_put_i64(w, s->histories);
	pmed_put_i64(w, s->interactions);
	pmed_put_u32(w, (uint32_t) s->n_items);
	for (size_t k = 0; k < s->n_items; k++)
	{
		pmed_put_i64(w, s->items[k].id);
		pmed_put_i64(w, s->items[k].patients);
		pmed_exactsum_write(w, &s->items[k].sumsq);
	}
	pmed_put_u64(w, s->n_pairs);
	for (size_t k = 0; k < s->n_pairs; k++)
	{
		if ((k & 0xFFFF) == 0xFFFF)
			pmed_check_interrupts();
		pmed_put_i64(w, s->pairs[k].a);
		pmed_put_i64(w, s->pairs[k].b);
		pmed_put_i64(w, s->pairs[k].count);
		pmed_exactsum_write(w, &s->pairs[k].dot);
	}
}

bool
pmed_cf_stats_read(PmedReader *r, PmedCfStats *s)
{
	uint32_t	n_items;
	uint64_t	n_pairs;
	int64_t		sum_patients = 0;

	pmed_cf_stats_init(s);
	if (!pmed_get_i64(r, &s->histories) || !pmed_get_i64(r, &s->interactions))
		return false;
	if (s->histories < 0 || s->interactions < s->histories)
		return pmed_reader_fail(r, "bad history counts");
	/* an item takes at least 8 + 8 + 9 bytes */
	if (!pmed_get_count(r, PMED_CF_MAX_ITEMS, 25, &n_items))
		return false;
	s->cap_items = n_items ? n_items : 1;
	s->items = pmed_alloc_array(s->cap_items, sizeof(PmedCfItemStat));
	for (uint32_t k = 0; k < n_items; k++)
	{
		PmedCfItemStat *e = &s->items[k];

		if (!pmed_get_i64(r, &e->id) || !pmed_get_i64(r, &e->patients) ||
			!pmed_exactsum_read(r, &e->sumsq))
			return false;
		s->n_items = k + 1;
		if (k > 0 && e->id <= s->items[k - 1].id)
			return pmed_reader_fail(r, "item ids not ascending");
		if (e->patients < 1 || e->patients > s->histories)
			return pmed_reader_fail(r, "bad item patient count");
		if (pmed_exactsum_sign(&e->sumsq) < 0)
			return pmed_reader_fail(r, "negative sum of squared weights");
		sum_patients += e->patients;
	}
	if (sum_patients != s->interactions)
		return pmed_reader_fail(r, "item counts do not add up to the interactions");
	if (!pmed_get_u64(r, &n_pairs))
		return false;
	/* a pair takes at least 8 + 8 + 8 + 9 bytes */
	if (n_pairs > PMED_CF_STATS_MAX_PAIRS / 2 || n_pairs > r->left / 33)
		return pmed_reader_fail(r, "truncated");
	s->cap_pairs = n_pairs ? (size_t) n_pairs : 1;
	s->pairs = pmed_alloc_array(s->cap_pairs, sizeof(PmedCfPairStat));
	for (uint64_t k = 0; k < n_pairs; k++)
	{
		PmedCfPairStat *e = &s->pairs[k];
		int64_t		ia,
					ib;

		if ((k & 0xFFFF) == 0xFFFF)
			pmed_check_interrupts();
		if (!pmed_get_i64(r, &e->a) || !pmed_get_i64(r, &e->b) || !pmed_get_i64(r, &e->count) ||
			!pmed_exactsum_read(r, &e->dot))
			return false;
		s->n_pairs = (size_t) k + 1;
		if (e->a >= e->b || (k > 0 && pair_cmp(&s->pairs[k - 1], e) >= 0))
			return pmed_reader_fail(r, "item pairs not ascending");
		ia = find_item(s, e->a);
		ib = find_item(s, e->b);
		if (ia < 0 || ib < 0)
			return pmed_reader_fail(r, "pair of an unknown item");
		if (e->count < 1 || e->count > s->items[ia].patients || e->count > s->items[ib].patients)
			return pmed_reader_fail(r, "bad pair count");
		if (pmed_exactsum_sign(&e->dot) < 0)
			return pmed_reader_fail(r, "negative co-occurrence sum");
	}
	/* the indexes, for merging into this state */
	item_rehash(s, pow2_at_least(s->n_items * 2 + 64));
	pair_rehash(s, pow2_at_least(s->n_pairs * 2 + 256));
	return true;
}

/* ---- the model ---- */

double
pmed_cf_knn_similarity(double dot, double norm_i, double norm_j, int64_t support,
					   const PmedCfParams *p)
{
	double		den = norm_i * norm_j + p->shrinkage;
	double		sim;

	if (support < p->min_support || !(den > 0) || !(dot > 0))
		return -1;
	/* cosine is at most 1; rounding can overshoot by an ulp */
	sim = dot / den;
	return sim > 1.0 ? 1.0 : sim;
}

PmedStatus
pmed_cf_fit_stats(PmedCfStats *s, const PmedCfParams *p, PmedCfModel **out, PmedError *err)
{
	PmedCfModel *m;
	size_t		n = s->n_items;
	double	   *norm;
	uint32_t   *ptr,
			   *fill,
			   *adj_item;
	int64_t    *adj_count;
	double	   *adj_dot;
	int			cap;
	PmedScored *heap;
	size_t		kept = 0,
				room;

	*out = NULL;
	if (p->method != PMED_CF_ITEM_KNN)
		return pmed_fail(err, PMED_ERR_INVALID, "statistics train item_knn models only");
	if (s->interactions == 0)
		return pmed_fail(err, PMED_ERR_INVALID, "no (patient, item) rows to train on");
	if ((uint64_t) s->interactions > UINT32_MAX - 1)
		return pmed_fail(err, PMED_ERR_LIMIT, "too many (patient, item) pairs: %lld",
						 (long long) s->interactions);
	if (p->neighbors < 1 || p->min_support < 1 || !(p->shrinkage >= 0))
		return pmed_fail(err, PMED_ERR_INVALID, "invalid item_knn parameters");
	stats_sort(s);

	m = pmed_alloc(sizeof(PmedCfModel));
	m->method = PMED_CF_ITEM_KNN;
	m->interactions = (uint64_t) s->interactions;
	m->n_items = (uint32_t) n;
	m->items = pmed_alloc_array(n, sizeof(int64_t));
	m->popularity = pmed_alloc_array(n, sizeof(double));
	norm = pmed_alloc_array(n, sizeof(double));
	for (size_t i = 0; i < n; i++)
	{
		m->items[i] = s->items[i].id;
		m->popularity[i] = (double) s->items[i].patients;
		norm[i] = sqrt(pmed_exactsum_value(&s->items[i].sumsq));
	}

	/* both directions of every pair, by item; pairs are sorted so rows are too */
	ptr = pmed_alloc_array(n + 1, sizeof(uint32_t));
	for (size_t k = 0; k < s->n_pairs; k++)
	{
		ptr[find_item(s, s->pairs[k].a) + 1]++;
		ptr[find_item(s, s->pairs[k].b) + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		ptr[i + 1] += ptr[i];
	fill = pmed_alloc_array(n + 1, sizeof(uint32_t));
	memcpy(fill, ptr, sizeof(uint32_t) * (n + 1));
	adj_item = pmed_alloc_array(ptr[n] ? ptr[n] : 1, sizeof(uint32_t));
	adj_count = pmed_alloc_array(ptr[n] ? ptr[n] : 1, sizeof(int64_t));
	adj_dot = pmed_alloc_array(ptr[n] ? ptr[n] : 1, sizeof(double));
	for (size_t k = 0; k < s->n_pairs; k++)
	{
		uint32_t	a = (uint32_t) find_item(s, s->pairs[k].a);
		uint32_t	b = (uint32_t) find_item(s, s->pairs[k].b);
		double		d = pmed_exactsum_value(&s->pairs[k].dot);

		if ((k & 0xFFFF) == 0xFFFF)
			pmed_check_interrupts();
		adj_item[fill[a]] = b;
		adj_count[fill[a]] = s->pairs[k].count;
		adj_dot[fill[a]++] = d;
		adj_item[fill[b]] = a;
		adj_count[fill[b]] = s->pairs[k].count;
		adj_dot[fill[b]++] = d;
	}

	cap = p->neighbors < (int) n ? p->neighbors : (int) n;
	heap = pmed_alloc_array(cap > 0 ? cap : 1, sizeof(PmedScored));
	room = n * (size_t) cap;
	m->nbr_ptr = pmed_alloc_array(n + 1, sizeof(uint32_t));
	m->nbr_item = pmed_alloc_array(room ? room : 1, sizeof(uint32_t));
	m->nbr_sim = pmed_alloc_array(room ? room : 1, sizeof(double));
	m->min_support_used = 0;
	for (size_t i = 0; i < n; i++)
	{
		int			h = 0;

		pmed_check_interrupts();
		for (uint32_t t = ptr[i]; t < ptr[i + 1]; t++)
		{
			uint32_t	j = adj_item[t];
			double		sim = pmed_cf_knn_similarity(adj_dot[t], norm[i], norm[j], adj_count[t], p);

			if (sim >= 0)
				pmed_topk_push(heap, &h, cap, (PmedScored) {j, sim});
		}
		pmed_topk_sort(heap, h);
		m->nbr_ptr[i] = (uint32_t) kept;
		for (int t = 0; t < h; t++)
		{
			uint32_t	j = heap[t].idx;
			int64_t		support = 0;

			/* the support of (i, j): find it in i's row (sorted by j) */
			for (uint32_t q = ptr[i]; q < ptr[i + 1]; q++)
				if (adj_item[q] == j)
				{
					support = adj_count[q];
					break;
				}
			m->nbr_item[kept] = j;
			m->nbr_sim[kept] = heap[t].s;
			if (m->min_support_used == 0 || (uint32_t) support < m->min_support_used)
				m->min_support_used = (uint32_t) support;
			kept++;
		}
	}
	m->nbr_ptr[n] = (uint32_t) kept;
	m->neighbors = (uint32_t) p->neighbors;
	m->shrinkage = p->shrinkage;
	m->min_support = (uint32_t) p->min_support;
	/* a drug given to fewer than min_support patients: count not revealed */
	for (size_t i = 0; i < n; i++)
		if (m->popularity[i] < p->min_support)
			m->popularity[i] = 0;
	m->has_patients = 0;
	m->n_patients = 0;
	pmed_free(norm);
	pmed_free(ptr);
	pmed_free(fill);
	pmed_free(adj_item);
	pmed_free(adj_count);
	pmed_free(adj_dot);
	pmed_free(heap);
	*out = m;
	return PMED_OK;
}
