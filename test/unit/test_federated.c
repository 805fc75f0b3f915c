/*
 * test_federated.c - federated forest fragments and their union: the
 * union predicts the row-weighted average of the partition forests, does
 * not depend on the fragments' order, caps trees by largest remainder,
 * names a partition that lacks a class, and every truncation of a fragment
 * is rejected (bit flips never crash the decoder).
 */
#include "federated.h"
#include "rng.h"
#include "treeshap.h"
#include "unit.h"

#define P 3

static void
make_rows(int n, uint64_t seed, int k, double *x, double *y)
{
	PmedRng		rng;

	pmed_rng_seed(&rng, seed);
	for (int i = 0; i < n; i++)
	{
		double		s = 0;

		for (int j = 0; j < P; j++)
		{
			x[i * P + j] = pmed_rng_normal(&rng);
			s += x[i * P + j] * (j + 1);
		}
		y[i] = k > 0 ? (double) ((int) (s > 0) + (k > 2 && s > 2 ? 1 : 0)) : s + 0.1 * pmed_rng_normal(&rng);
	}
}

static PmedFragment *
fragment(int n, uint64_t seed, int k, int trees, char **classes, PmedWriter *w)
{
	double	   *x = pmed_alloc_array((size_t) n * P, sizeof(double));
	double	   *y = pmed_alloc_array(n, sizeof(double));
	PmedDataset ds = {n, P, x, y, k};
	PmedForestParams par;
	PmedFragment fr;
	PmedError	err = {0};
	PmedFragment *back;

	make_rows(n, seed, k, x, y);
	memset(&par, 0, sizeof(par));
	par.n_trees = trees;
	par.min_leaf = 1;
	par.max_depth = 6;
	par.replace = true;
	par.seed = pmed_federated_seed(1, seed);
	memset(&fr, 0, sizeof(fr));
	CHECK(pmed_forest_train(&ds, &par, &fr.forest, &err) == PMED_OK, "train: %s", err.message);
	fr.digest = seed * 0x9E3779B97F4A7C15ULL;
	fr.n_rows = n;
	fr.task = k > 0 ? PMED_TASK_CLASSIFICATION : PMED_TASK_REGRESSION;
	fr.n_features = P;
	fr.n_classes = k;
	fr.classes = classes;
	fr.class_counts = pmed_alloc_array(k > 0 ? k : 1, sizeof(int64_t));
	for (int i = 0; i < n && k > 0; i++)
		fr.class_counts[(int) y[i]]++;
	fr.oob_error = fr.forest->oob_error;
	fr.oob_rows = fr.forest->oob_rows;
	pmed_writer_init(w);
	pmed_fragment_encode(w, &fr);
	back = pmed_fragment_decode(w->buf, w->len, &err);
	CHECK(back != NULL, "fragment decodes: %s", err.message);
	return back;
}

/* Encode and decode a forest (so that its leaf-value cache is filled). */
static PmedForest *
roundtrip(const PmedForest *f, int n_classes, PmedWriter *w)
{
	PmedReader	r;
	PmedError	err = {0};
	PmedForest *g;

	pmed_writer_init(w);
	pmed_forest_encode(f, w);
	pmed_reader_init(&r, w->buf, w->len, &err);
	g = pmed_forest_decode(&r, P, n_classes, &err);
	CHECK(g != NULL, "union forest decodes: %s", err.message);
	return g;
}

static void
test_weighted_union(int k)
{
	char	   *cls[] = {"a", "b", "c"};
	PmedWriter	w1,
				w2,
				w3,
				wu,
				wv;
	PmedFragment *fr[3];
	PmedFragment *rev[3];
	PmedForestUnion u,
				v;
	PmedError	err = {0};
	PmedForest *g;
	int			n[3] = {60, 150, 90};
	double		x[P],
				out[3],
				part[3],
				want[3];
	double		maxdiff = 0,
				shapdiff = 0;
	PmedRng		rng;

	fr[0] = fragment(n[0], 11, k, 7, cls, &w1);
	fr[1] = fragment(n[1], 12, k, 5, cls, &w2);
	fr[2] = fragment(n[2], 13, k, 9, cls, &w3);
	rev[0] = fr[2];
	rev[1] = fr[0];
	rev[2] = fr[1];
	{
		PmedFragment *keep[3] = {fr[0], fr[1], fr[2]};

		CHECK(pmed_forest_union(fr, 3, 0, &u, &err) == PMED_OK, "union: %s", err.message);
		CHECK(pmed_forest_union(rev, 3, 0, &v, &err) == PMED_OK, "union (other order): %s", err.message);
		CHECK(u.forest->n_trees == 21, "every tree kept: %d", u.forest->n_trees);
		CHECK(u.n_rows == 300, "rows add up: %lld", (long long) u.n_rows);
		g = roundtrip(u.forest, k, &wu);
		roundtrip(v.forest, k, &wv);
		CHECK(wu.len == wv.len && memcmp(wu.buf, wv.buf, wu.len) == 0, "the union does not depend on the order");
		pmed_rng_seed(&rng, 99);
		for (int r = 0; r < 200; r++)
		{
			int			kk = k > 0 ? k : 1;
			double		base,
						contrib[P],
						s;

			for (int j = 0; j < P; j++)
				x[j] = 1.5 * pmed_rng_normal(&rng);
			for (int c = 0; c < kk; c++)
				want[c] = 0;
			for (int i = 0; i < 3; i++)
			{
				/* fragment forests are decoded: their caches are filled */
				pmed_forest_predict(keep[i]->forest, x, part);
				for (int c = 0; c < kk; c++)
					want[c] += part[c] * n[i] / 300.0;
			}
			pmed_forest_predict(g, x, out);
			for (int c = 0; c < kk; c++)
				if (fabs(out[c] - want[c]) > maxdiff)
					maxdiff = fabs(out[c] - want[c]);
			pmed_treeshap(g, x, kk - 1, &base, contrib);
			s = base;
			for (int j = 0; j < P; j++)
				s += contrib[j];
			if (fabs(s - out[kk - 1]) > shapdiff)
				shapdiff = fabs(s - out[kk - 1]);
		}
		CHECK(maxdiff < 1e-12, "union = row-weighted average of the partitions (k=%d): %g", k, maxdiff);
		CHECK(shapdiff < 1e-9, "TreeSHAP of the union adds up (k=%d): %g", k, shapdiff);
	}
}

static void
test_cap(void)
{
	char	   *cls[] = {"a", "b"};
	PmedWriter	w1,
				w2,
				w3;
	PmedFragment *fr[3];
	PmedForestUnion u;
	PmedError	err = {0};
	int			total = 0;

	fr[0] = fragment(100, 21, 2, 10, cls, &w1);
	fr[1] = fragment(50, 22, 2, 10, cls, &w2);
	fr[2] = fragment(50, 23, 2, 10, cls, &w3);
	CHECK(pmed_forest_union(fr, 3, 9, &u, &err) == PMED_OK, "capped union: %s", err.message);
	CHECK(u.forest->n_trees == 9, "cap: 9 trees, got %d", u.forest->n_trees);
	for (int i = 0; i < 3; i++)
	{
		total += u.trees[i];
		CHECK(u.trees[i] == (u.order[i]->n_rows == 100 ? 4 : (u.trees[i] == 3 ? 3 : 2)),
			  "largest remainder by rows: partition of %lld rows keeps %d",
			  (long long) u.order[i]->n_rows, u.trees[i]);
	}
	CHECK(total == 9, "allocation adds up: %d", total);
	CHECK(pmed_forest_union(fr, 3, 2, &u, &err) == PMED_ERR_INVALID, "a cap below the partitions is refused");
}

static void
test_missing_class(void)
{
	char	   *ab[] = {"a", "b"};
	char	   *abc[] = {"a", "b", "c"};
	PmedWriter	w1,
				w2;
	PmedFragment *fr[2];
	PmedForestUnion u;
	PmedError	err = {0};

	fr[0] = fragment(80, 31, 2, 3, ab, &w1);
	fr[1] = fragment(80, 32, 3, 3, abc, &w2);
	CHECK(pmed_forest_union(fr, 2, 0, &u, &err) == PMED_ERR_INVALID, "classes differ: refused");
	CHECK(strstr(err.message, "has no row of class \"c\"") != NULL, "names the missing class: %s", err.message);
}

static void
test_corrupt(void)
{
	char	   *cls[] = {"a", "b"};
	PmedWriter	w;
	PmedFragment *fr = fragment(30, 41, 2, 2, cls, &w);
	int			cut_ok = 0,
				flips_decoded = 0;
	uint8_t    *buf = pmed_alloc(w.len);

	CHECK(fr != NULL, "small fragment");
	for (size_t len = 0; len < w.len; len++)
	{
		PmedError	err = {0};

		memcpy(buf, w.buf, w.len);
		if (pmed_fragment_decode(buf, len, &err) == NULL && err.status == PMED_ERR_CORRUPT)
			cut_ok++;
	}
	CHECK(cut_ok == (int) w.len, "every truncation rejected: %d of %zu", cut_ok, w.len);
	for (size_t bit = 0; bit < w.len * 8; bit++)
	{
		PmedError	err = {0};
		PmedFragment *g;

		memcpy(buf, w.buf, w.len);
		buf[bit / 8] ^= (uint8_t) (1 << (bit % 8));
		g = pmed_fragment_decode(buf, w.len, &err);
		if (g != NULL)
			flips_decoded++;
		else if (err.status != PMED_ERR_CORRUPT)
			CHECK(false, "flip %zu: status %d", bit, err.status);
	}
	/* the state's CRC32C catches these in the server; here: no crash */
	CHECK(flips_decoded < (int) w.len * 8, "most flips are caught by the decoder itself: %d decoded", flips_decoded);
}

int
main(void)
{
	test_weighted_union(2);
	test_weighted_union(3);
	test_weighted_union(0);
	test_cap();
	test_missing_class();
	test_corrupt();
	return unit_finish("test_federated.c");
}
