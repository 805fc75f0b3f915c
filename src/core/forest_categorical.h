/*
 * forest_categorical.h - the best split of a categorical feature in a tree
 * node: a subset of its levels goes left, the rest right, instead of one
 * one-hot column per level.
 *
 * The search treats each level present in the node, and the node's missing
 * rows as one more "atom", as an indivisible group of rows.  For binary
 * classification (Gini) and regression (squared error) ordering the atoms
 * by their mean target (positive-class share, mean label) and trying every
 * prefix finds the best partition of all 2^(m-1) - 1 (Fisher 1958, "On
 * grouping for maximum homogeneity"; Breiman et al. 1984, CART, Thm 4.5);
 * LightGBM orders categories the same way.  For more than two classes no
 * such ordering exists (Coppersmith, Hong and Hosking 1999): up to
 * PMED_CAT_EXHAUSTIVE_ATOMS atoms every partition is tried, beyond that the
 * prefixes of k orderings (by each class's share) are.  The minimum leaf
 * size is a constraint the ordering theorem does not cover: with it the
 * result is the best prefix that satisfies it.
 *
 * Score conventions are those of forest.c: a side's score is
 * sum_c s_c^2 / w (s_c = class weights, or the label sum with k = 1) and
 * gain = score(left) + score(right) - score(node).
 *
 * Levels absent from the node go to the heavier child (as the missing
 * value does when the node has none), so a level seen only elsewhere, or
 * "other" at scoring, follows the majority of the node's training weight.
 */
#ifndef PMED_FOREST_CATEGORICAL_H
#define PMED_FOREST_CATEGORICAL_H

#include "pmed_core.h"

#define PMED_CAT_EXHAUSTIVE_ATOMS	12

/* Per-level statistics of the rows in one node. */
typedef struct PmedCatNodeStats
{
	int			n_levels;		/* level indices 0 .. n_levels-1 */
	int			k;				/* classes, or 1 for regression */
	const double *sum;			/* n_levels * k: class weights, or label sums */
	const double *weight;		/* n_levels: total weight (classification: sum over classes) */
	const int32_t *rows;		/* n_levels: distinct rows (min_leaf counts these) */
	const double *miss_sum;		/* k: the same for the missing rows */
	double		miss_weight;
	int32_t		miss_rows;
} PmedCatNodeStats;

typedef struct PmedCatSplit
{
	bool		found;			/* false: fewer than two atoms, or min_leaf unmet */
	double		gain;
	bool		default_left;	/* where missing values go */
	uint32_t   *left;			/* caller's bitset, PMED_CAT_WORDS(n_levels) words */
} PmedCatSplit;

#define PMED_CAT_WORDS(n)	(((size_t) (n) + 31) / 32)

/* Bytes of scratch pmed_cat_split_search needs. */
size_t		pmed_cat_scratch_size(int n_levels, int k);

/*
 * Find the best partition.  scratch holds pmed_cat_scratch_size() bytes;
 * out->left must point to PMED_CAT_WORDS(n_levels) words.  Ties keep the
 * first candidate found, so the result is deterministic.
 */
void		pmed_cat_split_search(const PmedCatNodeStats *s, int32_t min_leaf, void *scratch,
								  PmedCatSplit *out);

/* Where a row goes: x is the level index, NAN when missing. */
static inline bool
pmed_cat_goes_left(const uint32_t *left, int n_levels, double x, bool default_left)
{
	int			l;

	if (x != x)
		return default_left;
	l = (int) x;
	if (l < 0 || l >= n_levels)
		return default_left;
	return (left[l >> 5] >> (l & 31)) & 1;
}

#endif
