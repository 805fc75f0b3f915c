/*
 * treeshap.h - exact SHAP values of a tree ensemble (Lundberg et al. 2020,
 * "From local explanations to global understanding with explainable AI for
 * trees", Algorithm 2: polynomial-time TreeSHAP with path-dependent feature
 * perturbation).  Conditional expectations follow the training cover of
 * each node; a missing value (NAN) follows the split's default direction.
 */
#ifndef PMED_TREESHAP_H
#define PMED_TREESHAP_H

#include "forest.h"

/*
 * Explain output (a class index for classification, 0 for regression) of
 * the forest at x: *base is the expected value (cover-weighted mean over
 * the leaves of each tree, averaged over the trees) and contrib[j] the
 * SHAP value of feature j, so base + sum(contrib) = the forest's output.
 */
void		pmed_treeshap(const PmedForest *f, const double *x, int output,
						  double *base, double *contrib);

/* The expected value of one tree's output (path-dependent: cover ratios). */
double		pmed_tree_expected_value(const PmedForest *f, int t, int output);

#endif
