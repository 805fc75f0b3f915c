/*
 * test_forest.c - random forest core: hand-checkable splits, missing-value
 * default directions, determinism, accuracy on separable data, importance,
 * limits and errors, encode/decode round trip and corrupted payloads.
 */
#include "forest.h"
#include "treeshap.h"
#include "rng.h"
#include "unit.h"

static PmedForestParams
params(int trees)
{
	PmedForestParams p;

	memset(&p, 0, sizeof(p));
	p.n_trees = trees;
	p.min_leaf = 1;
	p.replace = true;
	p.seed = 7;
	return p;
}

static PmedForest *
train(const double *x, const double *y, int n, int p, int k, const PmedForestParams *par)
{
	PmedDataset ds = {n, p, x, y, k};
	PmedError	err;
	PmedForest *f = NULL;
	PmedStatus	st = pmed_forest_train(&ds, par, &f, &err);

	CHECK(st == PMED_OK, "train failed: %s", st == PMED_OK ? "" : err.message);
	return f;
}

static PmedStatus
train_status(const double *x, const double *y, int n, int p, int k,
			 const PmedForestParams *par, PmedError *err)
{
	PmedDataset ds = {n, p, x, y, k};
	PmedForest *f = NULL;

	return pmed_forest_train(&ds, par, &f, err);
}

static void
test_hand_split(void)
{
	/* classes 0 at 1..4, class 1 at 6..9: the split is exactly at 5 */
	double		x[] = {1, 2, 3, 4, 6, 7, 8, 9};
	double		y[] = {0, 0, 0, 0, 1, 1, 1, 1};
	PmedForestParams par = params(1);
	PmedForest *f;
	double		q,
				pr[2];

	par.replace = false;
	par.sample_fraction = 1.0;
	f = train(x, y, 8, 1, 2, &par);
	CHECK(f->n_nodes == 3, "three nodes, got %d", f->n_nodes);
	CHECK(f->nodes[0].code >> 1 == 0, "root splits feature 0");
	CHECK_NEAR(f->nodes[0].threshold, 5.0, 0.0, "threshold between 4 and 6");
	CHECK_NEAR(f->cover[0], 8, 0, "root cover");
	CHECK_NEAR(f->cover[1], 4, 0, "left cover");
	q = 4.999;
	CHECK(pmed_forest_predict_one(f, &q) == 0, "4.999 is class 0");
	q = 5.0;
	CHECK(pmed_forest_predict_one(f, &q) == 0, "5 goes left (<=)");
	q = 5.001;
	CHECK(pmed_forest_predict_one(f, &q) == 1, "5.001 is class 1");
	pmed_forest_predict(f, &q, pr);
	CHECK_NEAR(pr[1], 1.0, 0, "pure leaf probability");
	CHECK_NEAR(f->importance[0], 1.0, 1e-15, "all impurity importance on feature 0");
	CHECK(f->max_depth == 1, "depth 1");

	/* regression: the leaf value is the mean of the rows in it */
	{
		double		yr[] = {1, 1, 2, 2, 10, 10, 12, 12};

		par.min_leaf = 4;
		f = train(x, yr, 8, 1, 0, &par);
		CHECK(f->n_nodes == 3, "regression: one split with min_leaf 4");
		CHECK_NEAR(f->nodes[0].threshold, 5.0, 0.0, "regression threshold");
		q = 0;
		CHECK_NEAR(pmed_forest_predict_one(f, &q), 1.5, 1e-15, "left mean");
		q = 100;
		CHECK_NEAR(pmed_forest_predict_one(f, &q), 11.0, 1e-15, "right mean");
	}
}

static void
test_missing_direction(void)
{
	/* missing rows share the class of the high values: they go right */
	double		x[] = {1, 2, 3, 7, 8, 9, NAN, NAN};
	double		y[] = {0, 0, 0, 1, 1, 1, 1, 1};
	double		y2[] = {0, 0, 0, 1, 1, 1, 0, 0};
	PmedForestParams par = params(1);
	PmedForest *f;
	double		q = NAN;

	par.replace = false;
	par.sample_fraction = 1.0;
	f = train(x, y, 8, 1, 2, &par);
	CHECK(f->n_nodes == 3, "one split, got %d nodes", f->n_nodes);
	CHECK_NEAR(f->nodes[0].threshold, 5.0, 0.0, "threshold 5");
	CHECK((f->nodes[0].code & 1) == 0, "missing goes right");
	CHECK_NEAR(f->cover[2], 5, 0, "right cover counts the missing rows");
	CHECK(pmed_forest_predict_one(f, &q) == 1, "missing predicted class 1");

	f = train(x, y2, 8, 1, 2, &par);
	CHECK((f->nodes[0].code & 1) == 1, "missing goes left");
	CHECK(pmed_forest_predict_one(f, &q) == 0, "missing predicted class 0");

	/* no missing value at training: default is the larger child */
	{
		double		x3[] = {1, 2, 3, 4, 5, 8, 9};
		double		y3[] = {0, 0, 0, 0, 0, 1, 1};

		f = train(x3, y3, 7, 1, 2, &par);
		CHECK((f->nodes[0].code & 1) == 1, "larger child (left) is the default");
		CHECK(pmed_forest_predict_one(f, &q) == 0, "missing follows it");
	}
}

/* n rows, p features, label depends on x0 + x1 (and x2 for regression) */
static void
make_data(int n, int p, double missing, uint64_t seed, double *x, double *yc, double *yr)
{
	PmedRng		rng;

	pmed_rng_seed(&rng, seed);
	for (int i = 0; i < n; i++)
	{
		double		s;

		for (int j = 0; j < p; j++)
			x[i * p + j] = pmed_rng_normal(&rng);
		s = x[i * p] + x[i * p + 1];
		yc[i] = s + 0.3 * pmed_rng_normal(&rng) > 0 ? 1 : 0;
		yr[i] = 3 * x[i * p] - 2 * x[i * p + 1] * x[i * p + 2] + 0.1 * pmed_rng_normal(&rng);
		for (int j = 0; j < p; j++)
			if (pmed_rng_uniform(&rng) < missing)
				x[i * p + j] = NAN;
	}
}

static void
test_accuracy_and_determinism(void)
{
	enum
	{
	n = 2000, p = 6};
	static double x[n * p],
				yc[n],
				yr[n];
	PmedForestParams par = params(50);
	PmedForest *f,
			   *g;
	int			correct = 0;
	double		se = 0,
				var = 0,
				mean = 0;
	PmedWriter	w1,
				w2;

	make_data(n, p, 0.0, 11, x, yc, yr);
	f = train(x, yc, n / 2, p, 2, &par);
	for (int i = n / 2; i < n; i++)
		correct += pmed_forest_predict_one(f, x + i * p) == yc[i];
	CHECK(correct > 0.88 * (n / 2), "held-out accuracy %.3f", correct / (double) (n / 2));
	CHECK(f->oob_error < 0.12 && f->oob_rows > n / 2 - 5, "oob error %.3f on %lld rows",
		  f->oob_error, (long long) f->oob_rows);
	CHECK(f->importance[0] > 3 * f->importance[3], "x0 more important than noise x3");

	/* determinism: same seed, same bytes; other seed, other forest */
	g = train(x, yc, n / 2, p, 2, &par);
	pmed_writer_init(&w1);
	pmed_writer_init(&w2);
	pmed_forest_encode(f, &w1);
	pmed_forest_encode(g, &w2);
	CHECK(w1.len == w2.len && memcmp(w1.buf, w2.buf, w1.len) == 0, "same seed, same forest");
	par.seed = 8;
	g = train(x, yc, n / 2, p, 2, &par);
	pmed_writer_init(&w2);
	pmed_forest_encode(g, &w2);
	CHECK(w1.len != w2.len || memcmp(w1.buf, w2.buf, w1.len) != 0, "other seed, other forest");

	/* regression */
	par = params(50);
	par.min_leaf = 5;
	f = train(x, yr, n / 2, p, 0, &par);
	for (int i = n / 2; i < n; i++)
		mean += yr[i] / (n / 2);
	for (int i = n / 2; i < n; i++)
	{
		double		d = pmed_forest_predict_one(f, x + i * p) - yr[i];

		se += d * d;
		var += (yr[i] - mean) * (yr[i] - mean);
	}
	CHECK(1 - se / var > 0.7, "regression held-out R^2 %.3f", 1 - se / var);
	CHECK(f->mtry == 2, "regression mtry p/3 = 2, got %d", f->mtry);

	/* permutation importance puts the informative features first */
	par.importance = PMED_FOREST_IMPORTANCE_PERMUTATION;
	par.n_trees = 20;
	f = train(x, yr, n / 2, p, 0, &par);
	CHECK(f->importance[0] > 10 * fabs(f->importance[4]), "permutation: x0 %.3f vs x4 %.3f",
		  f->importance[0], f->importance[4]);

	/* 20% missing values everywhere: still learns */
	make_data(n, p, 0.2, 12, x, yc, yr);
	par = params(50);
	f = train(x, yc, n / 2, p, 2, &par);
	correct = 0;
	for (int i = n / 2; i < n; i++)
		correct += pmed_forest_predict_one(f, x + i * p) == yc[i];
	CHECK(correct > 0.72 * (n / 2), "accuracy with 20%% missing %.3f", correct / (double) (n / 2));

	/* sampling without replacement, depth cap */
	par.replace = false;
	par.max_depth = 3;
	f = train(x, yc, n / 2, p, 2, &par);
	CHECK(f->max_depth <= 3 && f->max_depth >= 2, "max_depth respected: %d", f->max_depth);
}

static void
test_errors(void)
{
	double		x[] = {1, 2, 3, 4, 5, 6};
	double		xc[] = {1, 1, 1, 1, 1, 1};
	double		xn[] = {NAN, NAN, NAN, NAN, NAN, NAN};
	double		xi[] = {1, INFINITY, 3, 4, 5, 6};
	double		y1[] = {1, 1, 1, 1, 1, 1};
	double		y[] = {0, 1, 0, 1, 0, 1};
	double		yn[] = {0, 1, NAN, 1, 0, 1};
	PmedForestParams par = params(5);
	PmedError	err;

	CHECK(train_status(x, y1, 6, 1, 2, &par, &err) == PMED_ERR_INVALID &&
		  strstr(err.message, "two classes"), "one class: %s", err.message);
	CHECK(train_status(xc, y, 6, 1, 2, &par, &err) == PMED_ERR_INVALID &&
		  strstr(err.message, "varies"), "constant feature: %s", err.message);
	CHECK(train_status(xn, y, 6, 1, 2, &par, &err) == PMED_ERR_INVALID,
		  "all-missing feature: %s", err.message);
	CHECK(train_status(xi, y, 6, 1, 2, &par, &err) == PMED_ERR_INVALID, "infinite feature");
	CHECK(train_status(x, yn, 6, 1, 0, &par, &err) == PMED_ERR_INVALID &&
		  strstr(err.message, "finite"), "NaN regression label: %s", err.message);
	par.n_trees = PMED_FOREST_MAX_TREES + 1;
	CHECK(train_status(x, y, 6, 1, 2, &par, &err) == PMED_ERR_LIMIT, "too many trees");
	par = params(5);
	par.max_depth = PMED_FOREST_MAX_DEPTH + 1;
	CHECK(train_status(x, y, 6, 1, 2, &par, &err) == PMED_ERR_INVALID, "max_depth too large");
	par = params(5);
	par.mtry = 2;
	CHECK(train_status(x, y, 6, 1, 2, &par, &err) == PMED_ERR_INVALID, "mtry above p");
}

static PmedForest *
decode_bytes(const uint8_t *buf, size_t len, int p, int k, PmedError *err)
{
	PmedReader	r;

	pmed_reader_init(&r, buf, len, err);
	return pmed_forest_decode(&r, p, k, err);
}

static void
test_codec(void)
{
	enum
	{
	n = 300, p = 4};
	static double x[n * p],
				yc[n],
				yr[n];
	PmedForestParams par = params(3);
	PmedForest *f,
			   *g;
	PmedWriter	w,
				w2;
	PmedError	err;
	bool		same = true;
	int			rejected = 0;
	size_t		nodes_at;
	uint8_t    *copy;

	make_data(n, p, 0.1, 5, x, yc, yr);
	par.max_depth = 4;
	f = train(x, yc, n, p, 2, &par);
	pmed_writer_init(&w);
	pmed_forest_encode(f, &w);
	g = decode_bytes(w.buf, w.len, p, 2, &err);
	CHECK(g != NULL, "decode: %s", g ? "" : err.message);
	if (g == NULL)
		return;
	pmed_writer_init(&w2);
	pmed_forest_encode(g, &w2);
	CHECK(w.len == w2.len && memcmp(w.buf, w2.buf, w.len) == 0, "re-encoding is identical");
	for (int i = 0; i < n; i++)
	{
		double		a[2],
					b[2];

		pmed_forest_predict(f, x + i * p, a);
		pmed_forest_predict(g, x + i * p, b);
		if (a[0] != b[0] || a[1] != b[1])
			same = false;
	}
	CHECK(same, "decoded forest predicts the same");
	CHECK(g->max_depth == f->max_depth, "decoded depth %d vs %d", g->max_depth, f->max_depth);

	/* the wrong schema */
	CHECK(decode_bytes(w.buf, w.len, p + 1, 2, &err) == NULL, "feature count mismatch");
	CHECK(decode_bytes(w.buf, w.len, p, 3, &err) == NULL, "class count mismatch");
	CHECK(decode_bytes(w.buf, w.len, p, 0, &err) == NULL, "task mismatch");

	/* every truncation */
	for (size_t len = 0; len < w.len; len++)
		if (decode_bytes(w.buf, len, p, 2, &err) == NULL && err.status == PMED_ERR_CORRUPT)
			rejected++;
	CHECK(rejected == (int) w.len, "all %zu truncations rejected (%d)", w.len, rejected);

	/* corrupted structure */
	nodes_at = 14 + 4 * (size_t) f->n_trees;
	copy = malloc(w.len);
#define PATCH_I32(node, field_off, val) \
	do { int32_t _v = (val); memcpy(copy, w.buf, w.len); \
		 memcpy(copy + nodes_at + 24 * (node) + (field_off), &_v, 4); } while (0)
	PATCH_I32(0, 4, 0);
	CHECK(decode_bytes(copy, w.len, p, 2, &err) == NULL && strstr(err.message, "child"),
		  "child pointing at itself: %s", err.message);
	PATCH_I32(0, 4, f->tree_start[1] - 1);
	CHECK(decode_bytes(copy, w.len, p, 2, &err) == NULL, "child pair past the tree");
	PATCH_I32(0, 4, 1000000);
	CHECK(decode_bytes(copy, w.len, p, 2, &err) == NULL, "child index far out of range");
	PATCH_I32(0, 4, -5);
	CHECK(decode_bytes(copy, w.len, p, 2, &err) == NULL, "negative child");
	PATCH_I32(0, 0, 2 * p);
	CHECK(decode_bytes(copy, w.len, p, 2, &err) == NULL && strstr(err.message, "feature"),
		  "split feature out of range: %s", err.message);
	PATCH_I32(0, 0, -2);
	CHECK(decode_bytes(copy, w.len, p, 2, &err) == NULL, "bad node code");
	/* a leaf pointing past the leaf values */
	for (int32_t i = 0; i < f->n_nodes; i++)
		if (f->nodes[i].code == PMED_FOREST_LEAF)
		{
			PATCH_I32(i, 4, f->n_leaves);
			CHECK(decode_bytes(copy, w.len, p, 2, &err) == NULL && strstr(err.message, "leaf"),
				  "leaf index out of range: %s", err.message);
			break;
		}
	/* the root pointing at a grandchild pair: nodes without a parent */
	if (f->nodes[1].code >= 0)
	{
		PATCH_I32(0, 4, f->nodes[1].child);
		CHECK(decode_bytes(copy, w.len, p, 2, &err) == NULL && strstr(err.message, "parent"),
			  "orphaned nodes rejected: %s", err.message);
	}
	else
		CHECK(false, "test forest should split twice");
	/* zero cover */
	{
		double		zero = 0.0;

		memcpy(copy, w.buf, w.len);
		memcpy(copy + nodes_at + 16, &zero, 8);
		CHECK(decode_bytes(copy, w.len, p, 2, &err) == NULL, "zero cover rejected");
	}
	/* trailing byte */
	{
		uint8_t    *longer = malloc(w.len + 1);

		memcpy(longer, w.buf, w.len);
		longer[w.len] = 0;
		CHECK(decode_bytes(longer, w.len + 1, p, 2, &err) == NULL, "trailing byte rejected");
		free(longer);
	}
	/* every single-byte change either fails to decode or gives a forest that still scores */
	{
		int			decoded = 0,
					failed = 0;

		for (size_t pos = 0; pos < w.len; pos++)
			for (int bit = 0; bit < 8; bit += 3)
			{
				PmedForest *h;

				memcpy(copy, w.buf, w.len);
				copy[pos] ^= (uint8_t) (1 << bit);
				h = decode_bytes(copy, w.len, p, 2, &err);
				if (h == NULL)
					failed++;
				else
				{
					double		pr[2],
								phi[4],
								base;

					pmed_forest_predict(h, x, pr);
					pmed_treeshap(h, x, 1, &base, phi);
					decoded++;
				}
			}
		CHECK(failed > 0 && decoded + failed == (int) w.len * 3,
			  "bit flips: %d rejected, %d decoded and scored without a crash", failed, decoded);
	}
	free(copy);
}


/*
 * A categorical feature whose signal is a non-ordered subset of its levels
 * ({1, 4, 6} of 0..7): a native split separates it at depth 1, a numeric
 * split on the level index cannot.  Then the codec round trip (identical
 * bytes and predictions), every truncation rejected, corrupted categorical
 * nodes rejected, and TreeSHAP summing to the prediction.
 */
static void
test_categorical(void)
{
	enum
	{
	n = 400, p = 2, L = 8};
	static double x[n * p],
				y[n];
	int32_t		levels[p] = {L, 0};
	PmedForestParams par = params(1);
	PmedForest *f,
			   *g,
			   *h;
	PmedWriter	w,
				w2;
	PmedError	err;
	PmedRng		rng;
	int			right = 0,
				right_num = 0,
				rejected = 0;
	bool		same = true;
	double		worst = 0.0;
	uint8_t    *copy;

	pmed_rng_seed(&rng, 11);
	for (int i = 0; i < n; i++)
	{
		int			l = (int) pmed_rng_below(&rng, L);

		x[i * p] = (i % 37 == 0) ? NAN : l;
		x[i * p + 1] = pmed_rng_uniform(&rng);
		y[i] = (l == 1 || l == 4 || l == 6) ? 1 : 0;
		if (isnan(x[i * p]))
			y[i] = 1;
	}
	par.replace = false;
	par.sample_fraction = 1.0;
	par.max_depth = 1;
	par.mtry = 2;
	par.cat_levels = levels;
	f = train(x, y, n, p, 2, &par);
	CHECK(f->n_nodes == 3 && f->nodes[0].code <= -2, "one categorical split at the root (code %d)",
		  f->nodes[0].code);
	CHECK(f->n_cat_splits == 1 && f->n_cat_words == 1, "one bitset word (%d)", f->n_cat_words);
	par.cat_levels = NULL;
	h = train(x, y, n, p, 2, &par);
	for (int i = 0; i < n; i++)
	{
		right += pmed_forest_predict_one(f, x + i * p) == y[i];
		right_num += pmed_forest_predict_one(h, x + i * p) == y[i];
	}
	CHECK(right == n, "native split separates the level subset: %d of %d", right, n);
	CHECK(right_num < n * 0.9, "a numeric split on the index cannot: %d of %d", right_num, n);
	printf("# categorical subset: native depth-1 accuracy %d/%d, numeric %d/%d\n", right, n, right_num, n);

	/* a deeper forest, then the codec */
	par = params(5);
	par.cat_levels = levels;
	par.max_depth = 4;
	f = train(x, y, n, p, 2, &par);
	pmed_writer_init(&w);
	pmed_forest_encode(f, &w);
	g = decode_bytes(w.buf, w.len, p, 2, &err);
	CHECK(g != NULL, "categorical decode: %s", g ? "" : err.message);
	if (g == NULL)
		return;
	CHECK(g->n_cat_splits == f->n_cat_splits && g->n_cat_splits > 0, "categorical splits kept (%d)",
		  g->n_cat_splits);
	pmed_writer_init(&w2);
	pmed_forest_encode(g, &w2);
	CHECK(w.len == w2.len && memcmp(w.buf, w2.buf, w.len) == 0, "categorical re-encoding is identical");
	for (int i = 0; i < n; i++)
	{
		double		a[2],
					b[2],
					base,
					phi[p],
					sum;

		pmed_forest_predict(f, x + i * p, a);
		pmed_forest_predict(g, x + i * p, b);
		if (a[0] != b[0] || a[1] != b[1])
			same = false;
		pmed_treeshap(g, x + i * p, 1, &base, phi);
		sum = base + phi[0] + phi[1];
		if (fabs(sum - b[1]) > worst)
			worst = fabs(sum - b[1]);
	}
	CHECK(same, "decoded categorical forest predicts the same");
	CHECK(worst < 1e-12, "TreeSHAP sums to the prediction: worst gap %.3g", worst);
	for (size_t len = 0; len < w.len; len++)
		if (decode_bytes(w.buf, len, p, 2, &err) == NULL && err.status == PMED_ERR_CORRUPT)
			rejected++;
	CHECK(rejected == (int) w.len, "all %zu categorical truncations rejected (%d)", w.len, rejected);

	/* the root's bitset offset past the words, then a level count of 0 */
	copy = malloc(w.len);
	{
		size_t		nodes_at = 14 + 4 * (size_t) f->n_trees;
		double		off = 1e6;
		uint32_t	zero = 0;
		size_t		levels_at = w.len - 4 * (size_t) f->n_cat_words - 4 - 4 * p;

		memcpy(copy, w.buf, w.len);
		CHECK(f->nodes[0].code <= -2, "root is categorical");
		memcpy(copy + nodes_at + 8, &off, 8);
		CHECK(decode_bytes(copy, w.len, p, 2, &err) == NULL, "bitset offset out of range rejected");
		memcpy(copy, w.buf, w.len);
		memcpy(copy + levels_at, &zero, 4);
		CHECK(decode_bytes(copy, w.len, p, 2, &err) == NULL, "categorical node on a numeric feature rejected");
	}
	free(copy);

	/* bad level counts and values */
	{
		int32_t		bad[p] = {1, 0};

		par.cat_levels = bad;
		CHECK(train_status(x, y, n, p, 2, &par, &err) == PMED_ERR_INVALID, "one level rejected");
		levels[0] = 4;
		par.cat_levels = levels;
		CHECK(train_status(x, y, n, p, 2, &par, &err) == PMED_ERR_INVALID, "level index out of range rejected");
		levels[0] = L;
	}
}

int
main(void)
{
	test_hand_split();
	test_missing_direction();
	test_accuracy_and_determinism();
	test_errors();
	test_codec();
	test_categorical();
	return unit_finish("test_forest.c");
}
