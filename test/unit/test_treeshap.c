/*
 * test_treeshap.c - TreeSHAP against brute-force Shapley values: the value
 * of a coalition S is the tree's path-dependent conditional expectation
 * (follow x on features in S, average the children by cover elsewhere),
 * and phi_i sums the weighted marginal contributions over all 2^p subsets.
 */
#include "treeshap.h"
#include "rng.h"
#include "unit.h"

/* E[tree output | x_S] following the training cover */
static double
cond_expect(const PmedForest *f, int32_t node, const double *x, unsigned mask, int output)
{
	const PmedForestNode *nd = &f->nodes[node];
	int			j;
	double		v;

	if (nd->code == PMED_FOREST_LEAF)
		return f->leaf_values[(size_t) nd->child * f->n_outputs + output];
	j = nd->code >> 1;
	if (mask & (1u << j))
	{
		v = x[j];
		if (isnan(v) ? (nd->code & 1) : v <= nd->threshold)
			return cond_expect(f, nd->child, x, mask, output);
		return cond_expect(f, nd->child + 1, x, mask, output);
	}
	return (f->cover[nd->child] * cond_expect(f, nd->child, x, mask, output) +
			f->cover[nd->child + 1] * cond_expect(f, nd->child + 1, x, mask, output)) /
		f->cover[node];
}

static double
forest_value(const PmedForest *f, const double *x, unsigned mask, int output)
{
	double		s = 0;

	for (int t = 0; t < f->n_trees; t++)
		s += cond_expect(f, f->tree_start[t], x, mask, output);
	return s / f->n_trees;
}

static void
brute_shap(const PmedForest *f, const double *x, int output, double *phi)
{
	int			p = f->n_features;
	double		fact[16];

	fact[0] = 1;
	for (int i = 1; i < 16; i++)
		fact[i] = fact[i - 1] * i;
	for (int i = 0; i < p; i++)
	{
		phi[i] = 0;
		for (unsigned s = 0; s < (1u << p); s++)
		{
			int			size = __builtin_popcount(s);

			if (s & (1u << i))
				continue;
			phi[i] += fact[size] * fact[p - size - 1] / fact[p] *
				(forest_value(f, x, s | (1u << i), output) - forest_value(f, x, s, output));
		}
	}
}

static void
run_case(int p, int k, int depth, int trees, double missing, uint64_t seed)
{
	enum
	{
	n = 400};
	static double x[n * 8],
				y[n];
	PmedRng		rng;
	PmedDataset ds;
	PmedForestParams par;
	PmedForest *f;
	PmedError	err;
	double		worst = 0,
				worst_add = 0;

	pmed_rng_seed(&rng, seed);
	for (int i = 0; i < n; i++)
	{
		double		s = 0;

		for (int j = 0; j < p; j++)
		{
			x[i * p + j] = floor(pmed_rng_normal(&rng) * 4) / 4;
			s += (j + 1) * x[i * p + j] * (j % 2 ? -1 : 1);
		}
		s += x[i * p] * x[i * p + 1];
		if (k > 0)
			y[i] = s + pmed_rng_normal(&rng) > 0 ? (k > 2 && s > 2 ? 2 : 1) : 0;
		else
			y[i] = s + 0.5 * pmed_rng_normal(&rng);
		for (int j = 0; j < p; j++)
			if (pmed_rng_uniform(&rng) < missing)
				x[i * p + j] = NAN;
	}
	ds = (PmedDataset)
	{
		n, p, x, y, k
	};
	memset(&par, 0, sizeof(par));
	par.n_trees = trees;
	par.max_depth = depth;
	par.min_leaf = 3;
	par.replace = true;
	par.mtry = p > 2 ? p - 1 : p;
	par.seed = seed;
	if (pmed_forest_train(&ds, &par, &f, &err) != PMED_OK)
	{
		CHECK(false, "train: %s", err.message);
		return;
	}
	for (int i = 0; i < 25; i++)
	{
		const double *xi = x + i * p;
		int			out = k > 0 ? (i % k) : 0;
		double		phi[8],
					bf[8],
					base,
					pred[3],
					sum;

		pmed_treeshap(f, xi, out, &base, phi);
		brute_shap(f, xi, out, bf);
		pmed_forest_predict(f, xi, pred);
		sum = base;
		for (int j = 0; j < p; j++)
		{
			sum += phi[j];
			if (fabs(phi[j] - bf[j]) > worst)
				worst = fabs(phi[j] - bf[j]);
		}
		if (fabs(sum - pred[out]) > worst_add)
			worst_add = fabs(sum - pred[out]);
		if (fabs(base - forest_value(f, xi, 0, out)) > worst_add)
			worst_add = fabs(base - forest_value(f, xi, 0, out));
	}
	CHECK(worst <= 1e-12, "p=%d k=%d depth=%d: TreeSHAP vs brute force, worst %.3g", p, k, depth, worst);
	CHECK(worst_add <= 1e-12, "p=%d k=%d: base + sum(phi) = prediction, worst %.3g", p, k, worst_add);
}

int
main(void)
{
	run_case(2, 2, 3, 3, 0.0, 1);
	run_case(3, 0, 4, 4, 0.0, 2);
	run_case(4, 2, 5, 5, 0.1, 3);
	run_case(5, 3, 6, 4, 0.15, 4);
	run_case(6, 0, 6, 3, 0.1, 5);
	run_case(6, 2, 8, 3, 0.2, 6);
	return unit_finish("test_treeshap.c");
}
