/*
 * test_forest_tasks.c - the forest fit as independent tasks (one per
 * tree): trees grown in any order, by several growers (as parallel workers
 * would), passed through their flat form and appended in tree order give
 * the very forest of the serial fit, bit for bit (encoded payload, OOB
 * error, importance); relocation of split children, leaves and categorical
 * level bitsets by the tree's offsets; misuse is rejected.
 */
#include "forest.h"
#include "rng.h"
#include "unit.h"

#define N	700
#define P	6

static double X[N * P];
static double Y[N];
static double YR[N];

static void
make_data(void)
{
	PmedRng		rng;

	pmed_rng_seed(&rng, 99);
	for (int i = 0; i < N; i++)
	{
		for (int j = 0; j < P; j++)
			X[i * P + j] = pmed_rng_uniform(&rng) - 0.5;
		/* feature 5: a categorical level index 0..4 */
		X[i * P + 5] = (double) (i * 7 % 5);
		/* missing values in feature 2 */
		if (i % 9 == 0)
			X[i * P + 2] = NAN;
		Y[i] = X[i * P] + X[i * P + 1] * 0.5 + (i * 7 % 5 == 2 ? 0.4 : 0.0) > 0.1 ? 1 : (X[i * P + 3] > 0.2 ? 2 : 0);
		YR[i] = X[i * P] * 2 + X[i * P + 3] + (i * 7 % 5) * 0.1;
	}
}

static PmedWriter
encode(const PmedForest *f)
{
	PmedWriter	w;

	pmed_writer_init(&w);
	pmed_forest_encode(f, &w);
	return w;
}

/*
 * Grow every tree with `growers` growers taking trees in reverse order
 * (grower t % growers grows tree t), keep each in its flat form, append in
 * tree order.
 */
static PmedForest *
train_tasks(const PmedDataset *ds, const PmedForestParams *par, int growers)
{
	PmedForestFit *fit;
	PmedForestGrower *g[4];
	void	   *flat[64];
	PmedError	err;
	PmedForest *f = NULL;

	CHECK(par->n_trees <= 64 && growers <= 4, "test sizes");
	CHECK(pmed_forest_prepare(ds, par, &fit, &err) == PMED_OK, "prepare");
	for (int i = 0; i < growers; i++)
		g[i] = pmed_forest_grower_new(pmed_forest_fit_shared(fit));
	for (int t = par->n_trees - 1; t >= 0; t--)
	{
		PmedForestTree tr;

		CHECK(pmed_forest_grow(g[t % growers], t, &tr, &err) == PMED_OK, "grow %d", t);
		flat[t] = malloc(pmed_forest_tree_flat_size(&tr));
		pmed_forest_tree_flatten(&tr, flat[t]);
	}
	for (int t = 0; t < par->n_trees; t++)
	{
		PmedForestTree tr;

		pmed_forest_tree_unflatten(flat[t], &tr);
		CHECK(pmed_forest_append(fit, &tr, &err) == PMED_OK, "append %d", t);
		free(flat[t]);
	}
	for (int i = 0; i < growers; i++)
		pmed_forest_grower_free(g[i]);
	CHECK(pmed_forest_finish(fit, &f, &err) == PMED_OK, "finish");
	return f;
}

static void
same_forest(const PmedForest *a, const PmedForest *b, const char *what)
{
	PmedWriter	wa = encode(a),
				wb = encode(b);
	bool		imp_same = memcmp(a->importance, b->importance, sizeof(double) * a->n_features) == 0;

	CHECK(wa.len == wb.len && memcmp(wa.buf, wb.buf, wa.len) == 0,
		  "%s: the encoded forests differ (%zu and %zu bytes)", what, wa.len, wb.len);
	CHECK(memcmp(&a->oob_error, &b->oob_error, sizeof(double)) == 0 && a->oob_rows == b->oob_rows,
		  "%s: out-of-bag error %.17g / %.17g", what, a->oob_error, b->oob_error);
	CHECK(imp_same, "%s: importance differs", what);
	CHECK(a->mean_depth == b->mean_depth && a->min_depth == b->min_depth && a->max_depth == b->max_depth,
		  "%s: depth statistics differ", what);
	CHECK(a->n_cat_splits == b->n_cat_splits, "%s: categorical split counts differ", what);
}

/*
 * Every tree's split children lie inside the tree, its leaves and level
 * bitsets after those of the trees before it.
 */
static void
check_relocation(const PmedForest *f, const char *what)
{
	int32_t		leaf_lo = 0,
				word_lo = 0;
	int			bad = 0;

	for (int t = 0; t < f->n_trees; t++)
	{
		int32_t		lo = f->tree_start[t],
					hi = f->tree_start[t + 1],
					leaves = 0,
					word_hi = word_lo;

		for (int32_t i = lo; i < hi; i++)
			leaves += f->nodes[i].code == PMED_FOREST_LEAF;
		for (int32_t i = lo; i < hi; i++)
		{
			const PmedForestNode *nd = &f->nodes[i];

			if (nd->code == PMED_FOREST_LEAF)
				bad += nd->child < leaf_lo || nd->child >= leaf_lo + leaves;
			else
			{
				bad += nd->child <= i || nd->child + 1 >= hi;
				if (nd->code < -1)
				{
					bad += nd->threshold < word_lo;
					if (nd->threshold + 1 > word_hi)
						word_hi = (int32_t) nd->threshold + 1;
				}
			}
		}
		leaf_lo += leaves;
		word_lo = word_hi;
	}
	CHECK(bad == 0 && leaf_lo == f->n_leaves, "%s: %d indices outside their tree", what, bad);
}

static void
test_tasks_equal_serial(void)
{
	int32_t		levels[P] = {0, 0, 0, 0, 0, 5};
	PmedDataset cls = {N, P, X, Y, 3};
	PmedDataset reg = {N, P, X, YR, 0};

	for (int variant = 0; variant < 5; variant++)
	{
		PmedForestParams par;
		PmedForest *serial,
				   *tasks;
		PmedError	err;
		const PmedDataset *ds = variant == 2 || variant == 3 ? &reg : &cls;
		const char *names[] = {"classification", "classification, categorical", "regression",
		"regression, without replacement", "permutation importance"};

		memset(&par, 0, sizeof(par));
		par.n_trees = 9;
		par.min_leaf = variant == 2 ? 5 : 1;
		par.replace = variant != 3;
		par.seed = 11;
		if (variant == 1)
			par.cat_levels = levels;
		if (variant == 4)
			par.importance = PMED_FOREST_IMPORTANCE_PERMUTATION;
		CHECK(pmed_forest_train(ds, &par, &serial, &err) == PMED_OK, "%s: serial fit", names[variant]);
		for (int growers = 1; growers <= 3; growers++)
		{
			tasks = train_tasks(ds, &par, growers);
			same_forest(serial, tasks, names[variant]);
		}
		check_relocation(serial, names[variant]);
		CHECK(serial->n_trees == 9 && serial->tree_start[1] > 0 && serial->tree_start[9] == serial->n_nodes,
			  "%s: tree offsets", names[variant]);
		if (variant == 1)
			CHECK(serial->n_cat_splits > 0 && serial->n_cat_words > 0, "categorical splits were made");
		CHECK(serial->oob_rows > N / 2 && serial->oob_error >= 0 && serial->oob_error < (ds == &cls ? 0.5 : 1.0),
			  "%s: out-of-bag error %.3f on %lld rows", names[variant], serial->oob_error, (long long) serial->oob_rows);
	}
}

/* The merged tree t is tree t grown alone, shifted by its offsets. */
static void
test_relocation_offsets(void)
{
	int32_t		levels[P] = {0, 0, 0, 0, 0, 5};
	PmedDataset ds = {N, P, X, Y, 3};
	PmedForestParams par;
	PmedForestFit *fit;
	PmedForestGrower *g;
	PmedForestTree tr;
	PmedForest *f;
	PmedError	err;
	int			bad = 0;

	memset(&par, 0, sizeof(par));
	par.n_trees = 4;
	par.min_leaf = 1;
	par.replace = true;
	par.seed = 3;
	par.cat_levels = levels;
	CHECK(pmed_forest_train(&ds, &par, &f, &err) == PMED_OK, "fit");
	CHECK(pmed_forest_prepare(&ds, &par, &fit, &err) == PMED_OK, "prepare");
	g = pmed_forest_grower_new(pmed_forest_fit_shared(fit));
	{
		int32_t		leaf0 = 0,
					word0 = 0;

		for (int t = 0; t < 4; t++)
		{
			int32_t		n0 = f->tree_start[t];

			CHECK(pmed_forest_grow(g, t, &tr, &err) == PMED_OK, "grow");
			CHECK(tr.n_nodes == f->tree_start[t + 1] - n0, "tree %d: node count", t);
			for (int32_t i = 0; i < tr.n_nodes; i++)
			{
				const PmedForestNode *a = &tr.nodes[i],
						   *b = &f->nodes[n0 + i];

				if (a->code != b->code)
					bad++;
				else if (a->code == PMED_FOREST_LEAF)
					bad += b->child != a->child + leaf0;
				else
				{
					bad += b->child != a->child + n0;
					if (a->code < -1)
						bad += b->threshold != a->threshold + word0;
					else
						bad += b->threshold != a->threshold;
				}
			}
			leaf0 += tr.n_leaves;
			word0 += tr.n_cat_words;
		}
	}
	CHECK(bad == 0, "%d nodes not relocated by their tree's offsets", bad);
	pmed_forest_grower_free(g);
	pmed_forest_fit_free(fit);
}

static void
test_misuse(void)
{
	PmedDataset ds = {N, P, X, Y, 3};
	PmedForestParams par;
	PmedForestFit *fit;
	PmedForestGrower *g;
	PmedForestTree tr;
	PmedForest *f;
	PmedError	err;

	memset(&par, 0, sizeof(par));
	par.n_trees = 2;
	par.min_leaf = 1;
	par.replace = true;
	CHECK(pmed_forest_prepare(&ds, &par, &fit, &err) == PMED_OK, "prepare");
	g = pmed_forest_grower_new(pmed_forest_fit_shared(fit));
	CHECK(pmed_forest_grow(g, 0, &tr, &err) == PMED_OK, "grow");
	CHECK(pmed_forest_append(fit, &tr, &err) == PMED_OK, "append");
	pmed_forest_grower_free(g);
	CHECK(pmed_forest_finish(fit, &f, &err) == PMED_ERR_INTERNAL, "finish with a tree missing is refused");
	CHECK(pmed_forest_prepare(&ds, &par, &fit, &err) == PMED_OK, "prepare");
	g = pmed_forest_grower_new(pmed_forest_fit_shared(fit));
	for (int t = 0; t < 2; t++)
	{
		CHECK(pmed_forest_grow(g, t, &tr, &err) == PMED_OK, "grow");
		CHECK(pmed_forest_append(fit, &tr, &err) == PMED_OK, "append");
	}
	CHECK(pmed_forest_append(fit, &tr, &err) == PMED_ERR_INTERNAL, "a tree past the last is refused");
	pmed_forest_grower_free(g);
	CHECK(pmed_forest_finish(fit, &f, &err) == PMED_OK && f->n_trees == 2, "finish");
}

int
main(void)
{
	make_data();
	test_tasks_equal_serial();
	test_relocation_offsets();
	test_misuse();
	return unit_finish("test_forest_tasks.c");
}
