/*
 * test_cf.c - unit tests of the recommender cores: item-kNN cosine by hand,
 * ALS monotone objective and exact normal equations, fold-in, the greedy
 * interaction filter, DDI rate, content ranking, payload round trips and
 * truncation.
 */
#include "cf.h"
#include "content.h"
#include "interactions.h"
#include "model.h"
#include "rng.h"
#include "unit.h"

static double
nbr_sim(const PmedCfModel *m, int64_t a, int64_t b)
{
	int64_t		i = pmed_find_id(m->items, m->n_items, a);
	int64_t		j = pmed_find_id(m->items, m->n_items, b);

	for (uint32_t t = m->nbr_ptr[i]; t < m->nbr_ptr[i + 1]; t++)
		if (m->nbr_item[t] == (uint32_t) j)
			return m->nbr_sim[t];
	return -1;					/* not a neighbour */
}

/*
 * Patients x items (weights), items 10..13:
 *   p1: 10=1 11=1
 *   p2: 10=1       12=1
 *   p3:      11=1  12=1  13=1
 *   p4: 10=2 11=1  12=1
 * columns: 10 = (1,1,0,2) |.|=sqrt6; 11 = (1,0,1,1) sqrt3; 12 = (0,1,1,1) sqrt3;
 *          13 = (0,0,1,0) 1.
 */
static PmedCfTriple tri4[] = {
	{1, 10, 1}, {1, 11, 1}, {2, 10, 1}, {2, 12, 1},
	{3, 11, 1}, {3, 12, 1}, {3, 13, 1}, {4, 10, 2}, {4, 11, 1}, {4, 12, 1},
};

static void
test_knn_by_hand(void)
{
	PmedCfTriple t[10];
	PmedCfParams p;
	PmedCfModel *m;
	PmedError	err = {0};
	size_t		n;

	memcpy(t, tri4, sizeof(t));
	n = pmed_cf_canonicalize(t, 10);
	pmed_cf_default_params(&p);
	p.shrinkage = 0;
	p.neighbors = 3;
	CHECK(pmed_cf_fit(t, n, &p, &m, NULL, &err) == PMED_OK, "knn fit: %s", err.message);
	CHECK(m->n_items == 4 && m->n_patients == 4, "4 x 4");
	CHECK_NEAR(nbr_sim(m, 10, 11), 3 / sqrt(18), 1e-12, "sim(10,11)");
	CHECK_NEAR(nbr_sim(m, 11, 10), 3 / sqrt(18), 1e-12, "sim(11,10) symmetric");
	CHECK_NEAR(nbr_sim(m, 10, 12), 3 / sqrt(18), 1e-12, "sim(10,12)");
	CHECK_NEAR(nbr_sim(m, 11, 12), 2.0 / 3.0, 1e-12, "sim(11,12)");
	CHECK_NEAR(nbr_sim(m, 11, 13), 1 / sqrt(3), 1e-12, "sim(11,13)");
	CHECK_NEAR(nbr_sim(m, 12, 13), 1 / sqrt(3), 1e-12, "sim(12,13)");
	CHECK(nbr_sim(m, 10, 13) < 0, "10 and 13 never co-prescribed: no neighbour");
	CHECK(m->min_support_used == 1, "smallest support 1 (11-13 rests on p3), got %u",
		  m->min_support_used);
	/* neighbour lists sorted by similarity: 11's best is 10 (0.707) */
	CHECK(m->nbr_item[m->nbr_ptr[1]] == 0, "11's first neighbour is 10");

	/* shrinkage: 3 / (sqrt6 sqrt3 + 1) */
	p.shrinkage = 1;
	CHECK(pmed_cf_fit(t, n, &p, &m, NULL, &err) == PMED_OK, "knn fit shrink");
	CHECK_NEAR(nbr_sim(m, 10, 11), 3 / (sqrt(18) + 1), 1e-12, "shrunk sim(10,11)");
	CHECK_NEAR(nbr_sim(m, 11, 12), 2.0 / 4.0, 1e-12, "shrunk sim(11,12)");

	/* min_support 2: pairs with 13 rest on one patient and are dropped */
	p.shrinkage = 0;
	p.min_support = 2;
	CHECK(pmed_cf_fit(t, n, &p, &m, NULL, &err) == PMED_OK, "knn fit support");
	CHECK(nbr_sim(m, 11, 13) < 0 && nbr_sim(m, 12, 13) < 0, "support-1 pairs dropped");
	CHECK(m->nbr_ptr[4] - m->nbr_ptr[3] == 0, "13 has no neighbours");
	CHECK(m->min_support_used == 2, "smallest support used 2, got %u", m->min_support_used);
	CHECK(m->popularity[3] == 0 && m->popularity[0] == 3, "popularity under min_support hidden");

	/* neighbors = 1 keeps only the best */
	p.min_support = 1;
	p.neighbors = 1;
	CHECK(pmed_cf_fit(t, n, &p, &m, NULL, &err) == PMED_OK, "knn fit 1 nbr");
	CHECK(m->nbr_ptr[1] - m->nbr_ptr[0] == 1, "one neighbour");
	/* 10's best: tie 11 and 12 at 0.707, ties by id: 11 */
	CHECK(m->nbr_item[m->nbr_ptr[0]] == 1, "tie broken by item id");
}

static void
test_canonical(void)
{
	PmedCfTriple t[] = {{2, 5, 1}, {1, 7, 2}, {2, 5, 3}, {1, 3, 1}, {2, 5, 0.5}};
	size_t		n = pmed_cf_canonicalize(t, 5);

	CHECK(n == 3, "three distinct pairs, got %zu", n);
	CHECK(t[0].patient == 1 && t[0].item == 3 && t[1].item == 7, "sorted");
	CHECK_NEAR(t[2].weight, 4.5, 0, "duplicate pair weights summed");
}

static void
test_recommend_knn(void)
{
	PmedCfTriple t[10];
	PmedCfParams p;
	PmedCfModel *m;
	PmedError	err = {0};
	PmedRecRequest req = {0};
	PmedRecResult res;
	size_t		n;
	int64_t		hist[] = {11};
	int64_t		excl[] = {10};

	memcpy(t, tri4, sizeof(t));
	n = pmed_cf_canonicalize(t, 10);
	pmed_cf_default_params(&p);
	p.shrinkage = 0;
	CHECK(pmed_cf_fit(t, n, &p, &m, NULL, &err) == PMED_OK, "fit");

	/* patient 2 has 10, 12: scores 11 = .707 + .667, 13 = .577 */
	req.k = 10;
	CHECK(pmed_cf_recommend_patient(m, 2, &req, &res, &err) == PMED_OK, "rec patient");
	CHECK(res.n == 2 && res.item[0] == 11 && res.item[1] == 13, "patient 2 gets 11, 13 (n=%d)",
		  res.n);
	CHECK_NEAR(res.score[0], 3 / sqrt(18) + 2.0 / 3.0, 1e-12, "score of 11");

	/* history path: same as the stored patient */
	{
		int64_t		h2[] = {12, 10, 12};

		req.history = h2;
		req.n_history = 3;
		CHECK(pmed_cf_recommend_history(m, &req, &res, &err) == PMED_OK, "rec history");
		CHECK(res.n == 2 && res.item[0] == 11 && res.item[1] == 13, "history = stored patient");
	}
	/* exclude */
	req.history = hist;
	req.n_history = 1;
	req.exclude = excl;
	req.n_exclude = 1;
	CHECK(pmed_cf_recommend_history(m, &req, &res, &err) == PMED_OK, "rec excl");
	for (int i = 0; i < res.n; i++)
		CHECK(res.item[i] != 10 && res.item[i] != 11, "no excluded or history item");
	CHECK(res.n == 2 && res.item[0] == 12, "11 -> 12 then 13");

	/* cold start: unknown patient -> popularity (10:3, 11:3, 12:3, 13:1) */
	req.exclude = NULL;
	req.n_exclude = 0;
	req.k = 2;
	CHECK(pmed_cf_recommend_patient(m, 999, &req, &res, &err) == PMED_OK, "cold");
	CHECK(res.n == 2 && res.item[0] == 10 && res.item[1] == 11 && res.score[0] == 3,
		  "cold start: most popular, ties by id");
	{
		int64_t		unknown[] = {777};

		req.history = unknown;
		req.n_history = 1;
		req.k = 4;
		CHECK(pmed_cf_recommend_history(m, &req, &res, &err) == PMED_OK, "cold hist");
		CHECK(res.n == 4 && res.item[3] == 13, "unknown history: popularity");
	}
}

static void
random_triples(PmedCfTriple *t, size_t *n, int n_pat, int n_item, double density, bool ones,
			   uint64_t seed)
{
	PmedRng		rng;

	pmed_rng_seed(&rng, seed);
	*n = 0;
	for (int u = 0; u < n_pat; u++)
	{
		int			had = 0;

		for (int i = 0; i < n_item; i++)
			if (pmed_rng_uniform(&rng) < density || (i == n_item - 1 && !had))
			{
				t[*n].patient = 100 + u;
				t[*n].item = 1000 + (i * 7) % n_item;
				t[*n].weight = ones ? 1.0 : 1 + (double) pmed_rng_below(&rng, 5);
				(*n)++;
				had = 1;
			}
	}
	*n = pmed_cf_canonicalize(t, *n);
}

/* Gaussian elimination with partial pivoting, for the brute-force check. */
static void
solve_dense(double *A, double *b, int k)
{
	for (int c = 0; c < k; c++)
	{
		int			piv = c;

		for (int r = c + 1; r < k; r++)
			if (fabs(A[r * k + c]) > fabs(A[piv * k + c]))
				piv = r;
		for (int j = 0; j < k; j++)
		{
			double		tmp = A[c * k + j];

			A[c * k + j] = A[piv * k + j];
			A[piv * k + j] = tmp;
		}
		{
			double		tmp = b[c];

			b[c] = b[piv];
			b[piv] = tmp;
		}
		for (int r = c + 1; r < k; r++)
		{
			double		f = A[r * k + c] / A[c * k + c];

			for (int j = c; j < k; j++)
				A[r * k + j] -= f * A[c * k + j];
			b[r] -= f * b[c];
		}
	}
	for (int r = k - 1; r >= 0; r--)
	{
		for (int j = r + 1; j < k; j++)
			b[r] -= A[r * k + j] * b[j];
		b[r] /= A[r * k + r];
	}
}

static void
test_als(void)
{
	static PmedCfTriple t[40 * 25];
	size_t		n;
	PmedCfParams p;
	PmedCfModel *m;
	PmedError	err = {0};
	double		trace[12];
	int			k = 5;
	bool		mono = true;

	random_triples(t, &n, 40, 25, 0.2, false, 7);
	pmed_cf_default_params(&p);
	p.method = PMED_CF_ALS;
	p.factors = k;
	p.iterations = 12;
	p.regularization = 0.5;
	p.alpha = 2.0;
	p.seed = 3;
	CHECK(pmed_cf_fit(t, n, &p, &m, trace, &err) == PMED_OK, "als fit: %s", err.message);
	for (int it = 1; it < 12; it++)
		if (!(trace[it] <= trace[it - 1] + 1e-9 * fabs(trace[it - 1])))
		{
			mono = false;
			printf("# loss went up at iteration %d: %.12g -> %.12g\n", it, trace[it - 1], trace[it]);
		}
	CHECK(mono, "als objective never increases");
	CHECK(trace[11] < trace[0], "als objective decreases overall: %g -> %g", trace[0], trace[11]);
	CHECK_NEAR(pmed_cf_als_objective(m, t, n), m->final_loss, 1e-9 * m->final_loss,
			   "objective of stored factors");

	/* brute force: x_u = (sum_i c_ui y_i y_i' + lambda I)^-1 sum_i c_ui p_ui y_i over ALL items */
	for (uint32_t u = 0; u < m->n_patients; u += 13)
	{
		double		A[25],
					b[5];

		memset(A, 0, sizeof(A));
		memset(b, 0, sizeof(b));
		for (uint32_t i = 0; i < m->n_items; i++)
		{
			const double *y = m->Y + (size_t) i * k;
			double		c = 1,
						pp = 0;

			for (uint32_t s = m->hist_ptr[u]; s < m->hist_ptr[u + 1]; s++)
				if (m->hist_item[s] == i)
				{
					size_t		row = s;	/* triples and histories share order */

					c = 1 + p.alpha * t[row].weight;
					pp = 1;
				}
			for (int a = 0; a < k; a++)
			{
				for (int q = 0; q < k; q++)
					A[a * k + q] += c * y[a] * y[q];
				b[a] += c * pp * y[a];
			}
		}
		for (int a = 0; a < k; a++)
			A[a * k + a] += p.regularization;
		solve_dense(A, b, k);
		for (int a = 0; a < k; a++)
			CHECK_NEAR(m->X[(size_t) u * k + a], b[a], 1e-9, "x_u matches the normal equations");
	}

	/* fold-in of a training patient reproduces its factor */
	for (uint32_t u = 0; u < m->n_patients; u += 7)
	{
		double		x[5];
		double		w[64];
		uint32_t	len = m->hist_ptr[u + 1] - m->hist_ptr[u];

		for (uint32_t s = 0; s < len; s++)
			w[s] = t[m->hist_ptr[u] + s].weight;
		CHECK(pmed_cf_als_fold_in(m, m->hist_item + m->hist_ptr[u], w, len, x), "fold-in solves");
		for (int a = 0; a < k; a++)
			CHECK_NEAR(x[a], m->X[(size_t) u * k + a], 1e-9, "fold-in = training factor");
	}

	/* explicit feedback: objective monotone too */
	p.explicit_feedback = true;
	CHECK(pmed_cf_fit(t, n, &p, &m, trace, &err) == PMED_OK, "explicit fit");
	mono = true;
	for (int it = 1; it < 12; it++)
		if (!(trace[it] <= trace[it - 1] + 1e-9 * fabs(trace[it - 1])))
			mono = false;
	CHECK(mono, "explicit als objective never increases");
}

static void
test_als_recommend_consistent(void)
{
	static PmedCfTriple t[60 * 30];
	size_t		n;
	PmedCfParams p;
	PmedCfModel *m;
	PmedError	err = {0};
	PmedRecRequest req = {0};
	PmedRecResult a,
				b;
	int			same = 1;

	/* weight 1: fold-in of the stored history equals the stored patient */
	random_triples(t, &n, 60, 30, 0.25, true, 11);
	pmed_cf_default_params(&p);
	p.method = PMED_CF_ALS;
	p.factors = 6;
	p.iterations = 8;
	CHECK(pmed_cf_fit(t, n, &p, &m, NULL, &err) == PMED_OK, "als fit");
	for (uint32_t u = 0; u < m->n_patients; u++)
	{
		int64_t		hist[64];
		uint32_t	len = m->hist_ptr[u + 1] - m->hist_ptr[u];

		for (uint32_t s = 0; s < len; s++)
			hist[s] = m->items[m->hist_item[m->hist_ptr[u] + s]];
		req.k = 5;
		req.history = NULL;
		req.n_history = 0;
		pmed_cf_recommend_patient(m, m->patients[u], &req, &a, &err);
		req.history = hist;
		req.n_history = len;
		pmed_cf_recommend_history(m, &req, &b, &err);
		if (a.n != b.n)
			same = 0;
		for (int i = 0; i < a.n && i < b.n; i++)
			if (a.item[i] != b.item[i] || fabs(a.score[i] - b.score[i]) > 1e-9)
				same = 0;
		for (int i = 0; i < a.n; i++)
			for (uint32_t s = 0; s < len; s++)
				if (a.item[i] == hist[s])
					same = 0;
	}
	CHECK(same, "als: patient and fold-in recommendations agree, no history items");
}

static void
test_greedy_ddi(void)
{
	int64_t		ids[] = {1, 2, 3, 4, 5, 6};
	double		scores[] = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4};
	uint8_t		cand[] = {1, 1, 1, 1, 1, 1};
	int64_t		a[] = {2, 4, 6, 1, 9},
				b[] = {1, 3, 9, 1, 6};	/* (1,2) (3,4) (6,9) dup (1,1) self */
	PmedInteractions d = {0};
	PmedRecRequest req = {0};
	PmedRecResult res;
	int64_t		hist[] = {9};

	pmed_ddi_build(&d, a, b, 5);
	CHECK(d.n_pairs == 3 && d.self_pairs == 1, "3 distinct pairs, 1 self pair (got %llu)",
		  (unsigned long long) d.n_pairs);
	CHECK(pmed_ddi_has(&d, 1, 2) && pmed_ddi_has(&d, 2, 1) && pmed_ddi_has(&d, 9, 6),
		  "symmetric lookup");
	CHECK(!pmed_ddi_has(&d, 1, 3) && !pmed_ddi_has(&d, 1, 1), "absent pairs");

	req.k = 4;
	req.ddi = &d;
	req.history = hist;
	req.n_history = 1;
	pmed_rec_select(ids, scores, cand, 6, &req, &res);
	/* 1 chosen; 2 interacts with 1; 3 chosen; 4 interacts with 3; 5; 6 interacts with 9 */
	CHECK(res.n == 3 && res.item[0] == 1 && res.item[1] == 3 && res.item[2] == 5,
		  "greedy skips interacting items (n=%d)", res.n);
	req.ddi = NULL;
	pmed_rec_select(ids, scores, cand, 6, &req, &res);
	CHECK(res.n == 4 && res.item[1] == 2, "without interactions: plain top-k");

	{
		int64_t		set1[] = {1, 2, 3, 4};
		int64_t		set2[] = {1, 1, 2};
		int64_t		set3[] = {5};

		CHECK_NEAR(pmed_ddi_rate(&d, set1, 4), 2.0 / 6.0, 1e-15, "ddi rate 2 of 6 pairs");
		CHECK_NEAR(pmed_ddi_rate(&d, set2, 3), 1.0, 1e-15, "duplicates counted once");
		CHECK_NEAR(pmed_ddi_rate(&d, set3, 1), 0.0, 0, "one drug: rate 0");
	}
}

static void
test_content(void)
{
	int64_t		ids[] = {30, 10, 20, 40};
	double		x[] = {
		0, 1, 1,
		1, 0, 0,
		1, 1, 0,
		0, 0, 2,
	};
	PmedContentModel *m;
	PmedError	err = {0};
	PmedRecRequest req = {0};
	PmedRecResult res;
	int64_t		hist[] = {10};

	CHECK(pmed_content_fit(ids, x, 4, 3, false, &m, &err) == PMED_OK, "content fit");
	CHECK(m->items[0] == 10 && m->items[3] == 40, "sorted by id");
	CHECK_NEAR(m->v[1 * 3 + 0], 1 / sqrt(2), 1e-15, "row normalised");
	req.k = 3;
	req.history = hist;
	req.n_history = 1;
	CHECK(pmed_content_recommend(m, &req, &res, &err) == PMED_OK, "content rec");
	CHECK(res.n == 3 && res.item[0] == 20 && res.item[1] == 30, "20 closest to 10");
	CHECK_NEAR(res.score[0], 1 / sqrt(2), 1e-12, "cosine(10,20)");
	CHECK_NEAR(res.score[1], 0, 1e-12, "cosine(10,30)");
	{
		int64_t		dup[] = {1, 1};
		double		xx[] = {1, 2};

		CHECK(pmed_content_fit(dup, xx, 2, 1, false, &m, &err) == PMED_ERR_INVALID,
			  "repeated item rejected");
	}
}

/* Every proper prefix of a payload must be rejected, and one trailing byte. */
static bool
all_truncations_fail(const PmedWriter *w, int which)
{
	for (size_t len = 0; len <= w->len; len++)
	{
		PmedError	err = {0};
		PmedReader	r;
		void	   *got;
		uint8_t    *buf = malloc(w->len + 1);

		memcpy(buf, w->buf, w->len);
		buf[w->len] = 0;
		pmed_reader_init(&r, buf, len == w->len ? len + 1 : len, &err);
		got = which == 0 ? (void *) pmed_cf_decode(&r, &err) :
			which == 1 ? (void *) pmed_content_decode(&r, &err) :
			(void *) pmed_ddi_decode(&r, &err);
		free(buf);
		if (got != NULL || err.status != PMED_ERR_CORRUPT)
		{
			printf("# accepted a payload of %zu of %zu bytes\n", len, w->len);
			return false;
		}
	}
	return true;
}

static PmedCfModel *
round_trip(const PmedCfModel *m, PmedWriter *w)
{
	PmedWriter	model;
	PmedModel	dm;
	PmedReader	algo;
	PmedError	err = {0};
	PmedSchema	s = {0};
	PmedCfModel *back;

	s.task = PMED_TASK_RECOMMENDATION;
	s.label_kind = PMED_LABEL_NONE;
	s.positive = -1;
	pmed_writer_init(w);
	pmed_cf_encode(m, w);
	CHECK(pmed_model_encode(&model, PMED_KIND_CF, &s, "{}", w, &err) == PMED_OK, "encode");
	CHECK(pmed_model_decode_common(model.buf, model.len, &dm, &algo, &err) == PMED_OK,
		  "decode container: %s", err.message);
	CHECK(dm.kind == PMED_KIND_CF && dm.schema.task == PMED_TASK_RECOMMENDATION, "kind, task");
	back = pmed_cf_decode(&algo, &err);
	CHECK(back != NULL, "decode cf payload: %s", err.message);
	/* a flipped bit anywhere in the container is caught */
	{
		bool		all = true;

		for (size_t i = 0; i < model.len; i += 7)
		{
			PmedModel	dm2;
			PmedReader	a2;

			model.buf[i] ^= 0x10;
			if (pmed_model_decode_common(model.buf, model.len, &dm2, &a2, &err) == PMED_OK)
				all = false;
			model.buf[i] ^= 0x10;
		}
		CHECK(all, "bit flips rejected");
	}
	return back;
}

static void
test_codec(void)
{
	static PmedCfTriple t[30 * 12];
	size_t		n;
	PmedCfParams p;
	PmedCfModel *m,
			   *b;
	PmedError	err = {0};
	PmedWriter	w,
				w2;

	random_triples(t, &n, 30, 12, 0.3, false, 5);
	pmed_cf_default_params(&p);
	p.neighbors = 4;
	CHECK(pmed_cf_fit(t, n, &p, &m, NULL, &err) == PMED_OK, "fit knn");
	b = round_trip(m, &w);
	CHECK(b->n_items == m->n_items && b->n_patients == m->n_patients &&
		  b->nbr_ptr[b->n_items] == m->nbr_ptr[m->n_items] &&
		  memcmp(b->nbr_sim, m->nbr_sim, sizeof(double) * m->nbr_ptr[m->n_items]) == 0 &&
		  memcmp(b->hist_item, m->hist_item, sizeof(uint32_t) * m->hist_ptr[m->n_patients]) == 0,
		  "knn round trip");
	pmed_writer_init(&w2);
	pmed_cf_encode(b, &w2);
	CHECK(w2.len == w.len && memcmp(w.buf, w2.buf, w.len) == 0, "knn re-encode identical");
	CHECK(all_truncations_fail(&w, 0), "knn truncations rejected");

	p.method = PMED_CF_ALS;
	p.factors = 3;
	p.iterations = 3;
	CHECK(pmed_cf_fit(t, n, &p, &m, NULL, &err) == PMED_OK, "fit als");
	b = round_trip(m, &w);
	CHECK(memcmp(b->Y, m->Y, sizeof(double) * m->n_items * 3) == 0 &&
		  memcmp(b->X, m->X, sizeof(double) * m->n_patients * 3) == 0, "als round trip");
	CHECK(all_truncations_fail(&w, 0), "als truncations rejected");

	/* no patients stored */
	p.store_patients = false;
	CHECK(pmed_cf_fit(t, n, &p, &m, NULL, &err) == PMED_OK, "fit als, no patients");
	b = round_trip(m, &w);
	CHECK(b->n_patients == 0 && !b->has_patients, "patient-less model");
	{
		PmedRecRequest req = {0};
		PmedRecResult res;

		req.k = 3;
		CHECK(pmed_cf_recommend_patient(b, 100, &req, &res, &err) == PMED_ERR_INVALID,
			  "patient-less model refuses a patient id");
	}

	{
		int64_t		ids[] = {3, 1, 2};
		double		x[] = {1, 2, 3, 4, 5, 6};
		PmedContentModel *c,
				   *cb;
		PmedReader	r;

		CHECK(pmed_content_fit(ids, x, 3, 2, true, &c, &err) == PMED_OK, "content fit");
		pmed_writer_init(&w);
		pmed_content_encode(c, &w);
		pmed_reader_init(&r, w.buf, w.len, &err);
		cb = pmed_content_decode(&r, &err);
		CHECK(cb != NULL && memcmp(cb->v, c->v, sizeof(double) * 6) == 0, "content round trip");
		CHECK(all_truncations_fail(&w, 1), "content truncations rejected");
	}
	{
		int64_t		a[] = {5, 1, 3},
					bb[] = {1, 5, 4};
		PmedInteractions d = {0},
				   *db;
		PmedReader	r;

		pmed_ddi_build(&d, a, bb, 3);
		pmed_writer_init(&w);
		pmed_ddi_encode(&d, &w);
		pmed_reader_init(&r, w.buf, w.len, &err);
		db = pmed_ddi_decode(&r, &err);
		CHECK(db != NULL && db->n_pairs == 2 && pmed_ddi_has(db, 5, 1), "ddi round trip");
		CHECK(all_truncations_fail(&w, 2), "ddi truncations rejected");
		/* unordered pair rejected */
		w.buf[24] = 9;
		pmed_reader_init(&r, w.buf, w.len, &err);
		CHECK(pmed_ddi_decode(&r, &err) == NULL, "unordered stored pair rejected");
	}
}

static void
test_bad_input(void)
{
	PmedCfTriple t[] = {{1, 2, -1}};
	PmedCfTriple tn[] = {{1, 2, NAN}};
	PmedCfParams p;
	PmedCfModel *m;
	PmedError	err = {0};

	pmed_cf_default_params(&p);
	CHECK(pmed_cf_fit(t, 1, &p, &m, NULL, &err) == PMED_ERR_INVALID, "negative weight");
	CHECK(pmed_cf_fit(tn, 1, &p, &m, NULL, &err) == PMED_ERR_INVALID, "NaN weight");
	CHECK(pmed_cf_fit(t, 0, &p, &m, NULL, &err) == PMED_ERR_INVALID, "no rows");
}

int
main(void)
{
	test_canonical();
	test_knn_by_hand();
	test_recommend_knn();
	test_als();
	test_als_recommend_consistent();
	test_greedy_ddi();
	test_content();
	test_codec();
	test_bad_input();
	return unit_finish("test_cf.c");
}
