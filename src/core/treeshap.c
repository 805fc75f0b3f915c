/*
 * treeshap.c - exact path-dependent TreeSHAP (Lundberg et al. 2020,
 * Algorithm 2), O(leaves * depth^2) per tree.
 *
 * The recursion keeps the "unique path" of features met from the root:
 * for each, the fraction of zero paths (cover ratio) and one paths (does x
 * follow this branch) that flow through it and the permutation weights.
 * Entering a node extends the path; meeting a feature again first unwinds
 * its earlier entry, so each feature appears at most once.  At a leaf each
 * feature's contribution is the unwound weight sum times (one - zero)
 * times the leaf value.
 */
#include "treeshap.h"

#include <math.h>
#include <string.h>

typedef struct PathElem
{
	int			feature;
	double		zero;			/* fraction of cover flowing this way */
	double		one;			/* 1 when x follows this way, else 0 */
	double		weight;
} PathElem;

typedef struct ShapState
{
	const PmedForest *f;
	const double *x;
	int			output;
	double		scale;			/* 1 / n_trees */
	double	   *phi;
} ShapState;

static void
extend_path(PathElem *path, int depth, double zero, double one, int feature)
{
	path[depth].feature = feature;
	path[depth].zero = zero;
	path[depth].one = one;
	path[depth].weight = depth == 0 ? 1.0 : 0.0;
	for (int i = depth - 1; i >= 0; i--)
	{
		path[i + 1].weight += one * path[i].weight * (i + 1) / (double) (depth + 1);
		path[i].weight = zero * path[i].weight * (depth - i) / (double) (depth + 1);
	}
}

static void
unwind_path(PathElem *path, int depth, int index)
{
	double		one = path[index].one;
	double		zero = path[index].zero;
	double		next = path[depth].weight;

	for (int i = depth - 1; i >= 0; i--)
	{
		if (one != 0.0)
		{
			double		tmp = path[i].weight;

			path[i].weight = next * (depth + 1) / ((i + 1) * one);
			next = tmp - path[i].weight * zero * (depth - i) / (double) (depth + 1);
		}
		else
			path[i].weight = path[i].weight * (depth + 1) / (zero * (depth - i));
	}
	for (int i = index; i < depth; i++)
	{
		path[i].feature = path[i + 1].feature;
		path[i].zero = path[i + 1].zero;
		path[i].one = path[i + 1].one;
	}
}

/* Sum of the weights the path would have with element index unwound. */
static double
unwound_sum(const PathElem *path, int depth, int index)
{
	double		one = path[index].one;
	double		zero = path[index].zero;
	double		next = path[depth].weight;
	double		total = 0.0;

	for (int i = depth - 1; i >= 0; i--)
	{
		if (one != 0.0)
		{
			double		tmp = next * (depth + 1) / ((i + 1) * one);

			total += tmp;
			next = path[i].weight - tmp * zero * (depth - i) / (double) (depth + 1);
		}
		else
			total += path[i].weight / zero * (depth + 1) / (double) (depth - i);
	}
	return total;
}

static void
recurse(ShapState *st, int32_t node, int depth, const PathElem *parent_path,
		double zero, double one, int feature)
{
	const PmedForest *f = st->f;
	const PmedForestNode *nd = &f->nodes[node];
	PathElem   *path = (PathElem *) parent_path + depth + 1;
	double		in_zero = 1.0,
				in_one = 1.0;
	int32_t		hot,
				cold;
	int			split;
	double		v;
	int			k;

	memcpy(path, parent_path, sizeof(PathElem) * (depth + 1));
	extend_path(path, depth, zero, one, feature);

	if (nd->code == PMED_FOREST_LEAF)
	{
		double		value = f->leaf_values[(size_t) nd->child * f->n_outputs + st->output];

		for (int i = 1; i <= depth; i++)
		{
			double		w = unwound_sum(path, depth, i);

			st->phi[path[i].feature] += w * (path[i].one - path[i].zero) * value * st->scale;
		}
		return;
	}

	split = pmed_forest_node_feature(nd);
	v = st->x[split];
	hot = pmed_forest_node_step(f, nd, v);
	cold = 2 * nd->child + 1 - hot;

	for (k = 0; k <= depth; k++)
		if (path[k].feature == split)
			break;
	if (k <= depth)
	{
		in_zero = path[k].zero;
		in_one = path[k].one;
		unwind_path(path, depth, k);
		depth--;
	}
	recurse(st, hot, depth + 1, path, f->cover[hot] / f->cover[node] * in_zero, in_one, split);
	recurse(st, cold, depth + 1, path, f->cover[cold] / f->cover[node] * in_zero, 0.0, split);
}

double
pmed_tree_expected_value(const PmedForest *f, int t, int output)
{
	int32_t		lo = f->tree_start[t],
				hi = f->tree_start[t + 1];
	double	   *reach = pmed_alloc_array((size_t) (hi - lo), sizeof(double));
	double		e = 0.0;

	/* children follow their parent, so one forward pass carries the ratios */
	reach[0] = 1.0;
	for (int32_t i = lo; i < hi; i++)
	{
		const PmedForestNode *nd = &f->nodes[i];

		if (nd->code == PMED_FOREST_LEAF)
			e += reach[i - lo] * f->leaf_values[(size_t) nd->child * f->n_outputs + output];
		else
		{
			reach[nd->child - lo] = reach[i - lo] * f->cover[nd->child] / f->cover[i];
			reach[nd->child + 1 - lo] = reach[i - lo] * f->cover[nd->child + 1] / f->cover[i];
		}
	}
	pmed_free(reach);
	return e;
}

void
pmed_treeshap(const PmedForest *f, const double *x, int output, double *base, double *contrib)
{
	ShapState	st;
	size_t		d = (size_t) f->max_depth + 2;
	PathElem   *buf = pmed_alloc_array(d * (d + 1) / 2 + d, sizeof(PathElem));

	st.f = f;
	st.x = x;
	st.output = output;
	st.scale = 1.0 / f->n_trees;
	st.phi = contrib;
	for (int j = 0; j < f->n_features; j++)
		contrib[j] = 0.0;
	*base = 0.0;
	for (int t = 0; t < f->n_trees; t++)
	{
		pmed_check_interrupts();
		*base += pmed_tree_expected_value(f, t, output) * st.scale;
		recurse(&st, f->tree_start[t], 0, buf, 1.0, 1.0, -1);
	}
	pmed_free(buf);
}
