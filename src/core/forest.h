/*
 * forest.h - random forests (classification by Gini, regression by
 * variance) with learned default directions for missing values, compact
 * flattened nodes for scoring, out-of-bag error and feature importance.
 *
 * Training bins every feature once into at most PMED_FOREST_BINS quantile
 * bins (a feature with that many distinct values or fewer gets one bin per
 * value, so its splits are exactly the midpoints an exact search would
 * find) and searches splits on per-node histograms.
 */
#ifndef PMED_FOREST_H
#define PMED_FOREST_H

#include "model.h"
#include "forest_categorical.h"

#include <math.h>

#define PMED_FOREST_BINS		255 /* value bins; one more holds missing */
#define PMED_FOREST_MAX_TREES	10000
#define PMED_FOREST_MAX_DEPTH	512 /* hard cap on any tree's depth */
#define PMED_FOREST_MAX_ROWS	((int64_t) 0x7FFFFFF0)

typedef enum PmedForestImportance
{
	PMED_FOREST_IMPORTANCE_IMPURITY = 0,
	PMED_FOREST_IMPORTANCE_PERMUTATION = 1
} PmedForestImportance;

typedef struct PmedForestParams
{
	int			n_trees;		/* 1..PMED_FOREST_MAX_TREES */
	int			max_depth;		/* 0 = up to PMED_FOREST_MAX_DEPTH */
	int			min_leaf;		/* fewest distinct in-bag rows in a leaf */
	int			mtry;			/* 0 = sqrt(p) (classification), p/3 (regression) */
	double		sample_fraction;	/* 0 = 1 with replacement, 0.632 without */
	bool		replace;
	int			importance;		/* PmedForestImportance */
	uint64_t	seed;
	/*
	 * NULL, or per feature 0 (numeric) or the number of level values
	 * (2..PMED_FOREST_BINS) of a categorical feature holding a level index:
	 * such a feature is split by a subset of its levels.
	 */
	const int32_t *cat_levels;
} PmedForestParams;

/*
 * One flattened node, 16 bytes.  A split sends x[feature] <= threshold to
 * child and the rest to child + 1; a missing value goes to child when
 * default_left, else to child + 1.  code is -1 for a leaf (then child is the
 * leaf index) or feature * 2 + default_left.  A categorical split (only in
 * forests with cat_levels) has code PMED_FOREST_CAT_CODE(feature,
 * default_left) <= -2 and the word offset of its left-level bitset in
 * cat_words as threshold.
 */
typedef struct PmedForestNode
{
	double		threshold;
	int32_t		code;
	int32_t		child;
} PmedForestNode;

#define PMED_FOREST_LEAF	(-1)
#define PMED_FOREST_CAT_CODE(feature, default_left)	(-2 - ((feature) * 2 + (default_left)))

typedef struct PmedForest
{
	int			task;			/* PMED_TASK_CLASSIFICATION or _REGRESSION */
	int			n_features;
	int			n_outputs;		/* classes, or 1 for regression */
	int			n_trees;
	int32_t    *tree_start;		/* n_trees + 1 offsets into nodes */
	int32_t		n_nodes;
	PmedForestNode *nodes;
	double	   *cover;			/* in-bag training samples per node */
	int32_t		n_leaves;
	double	   *leaf_values;	/* n_leaves * n_outputs */
	int			importance_kind;
	double	   *importance;		/* n_features */
	int			max_depth;		/* deepest tree (edges from the root) */
	int32_t    *cat_levels;		/* NULL, or n_features level counts (0 = numeric) */
	uint32_t   *cat_words;		/* left-level bitsets of categorical splits */
	int32_t		n_cat_words;
	int32_t		n_cat_splits;

	/* training statistics (not encoded: they go to the metadata) */
	double		oob_error;		/* misclassification rate, or mean squared error */
	int64_t		oob_rows;		/* rows out of bag in at least one tree */
	double		mean_depth;
	int			min_depth;
	int			mtry;
	int			min_leaf;
	double		sample_fraction;
} PmedForest;

/* Train; on failure returns the status with err filled in. */
PmedStatus	pmed_forest_train(const PmedDataset *ds, const PmedForestParams *params,
							  PmedForest **out, PmedError *err);

/* The ALGO payload. */
void		pmed_forest_encode(const PmedForest *f, PmedWriter *w);

/*
 * Decode and validate a payload for a model with n_features features and
 * n_classes classes (0 = regression).  Consumes the whole reader; NULL on
 * any inconsistency (err says what).
 */
PmedForest *pmed_forest_decode(PmedReader *r, int n_features, int n_classes, PmedError *err);

/* Average of the trees' leaf values: n_outputs values (class probabilities). */
void		pmed_forest_predict(const PmedForest *f, const double *x, double *out);
/* Class index with the largest probability (lowest index on ties), or the value. */
double		pmed_forest_predict_one(const PmedForest *f, const double *x);
/* Leaf index that row x reaches in tree t. */
int32_t		pmed_forest_leaf(const PmedForest *f, int t, const double *x);

/*
 * One step of every tree walk (scoring, out-of-bag rows, importance,
 * TreeSHAP): the child a row whose value of the node's feature is v goes
 * to.  v <= threshold goes to child, more to child + 1, missing (NaN) to
 * the default side.  The other child is 2 * nd->child + 1 - step.
 */
static inline int32_t
pmed_forest_step(const PmedForestNode *nd, double v)
{
	return nd->child + ((v > nd->threshold) | (isnan(v) & !(nd->code & 1)));
}

/* The feature a split node tests (numeric or categorical). */
static inline int
pmed_forest_node_feature(const PmedForestNode *nd)
{
	return nd->code >= 0 ? nd->code >> 1 : (-2 - nd->code) >> 1;
}

/* The step of a categorical split node (code <= -2): by level membership. */
static inline int32_t
pmed_forest_cat_step(const int32_t *cat_levels, const uint32_t *cat_words,
					 const PmedForestNode *nd, double v)
{
	int			c = -2 - nd->code;

	return nd->child + !pmed_cat_goes_left(cat_words + (int64_t) nd->threshold,
										   cat_levels[c >> 1], v, c & 1);
}

/* The step of any split node of forest f. */
static inline int32_t
pmed_forest_node_step(const PmedForest *f, const PmedForestNode *nd, double v)
{
	if (nd->code >= 0)
		return pmed_forest_step(nd, v);
	return pmed_forest_cat_step(f->cat_levels, f->cat_words, nd, v);
}

/*
 * ---- The fit as independent tasks, one per tree ----
 *
 * pmed_forest_train is prepare, then for every tree in order grow into a
 * tree buffer and append it, then finish.  A tree depends only on the
 * shared read-only data and its index (its random stream is seeded from
 * (seed, tree)), so a host may grow trees in other processes, each with its
 * own grower over a copy of the shared arrays, and append the buffers in
 * tree order: the forest is the same bit for bit.  Every reduction
 * (importance sums, depth statistics, the size limit, out-of-bag sums) is
 * done by append / finish in tree order.
 */
typedef struct PmedForestShared
{
	int32_t		n;				/* rows */
	int32_t		p;				/* features */
	int32_t		k;				/* outputs: classes, or 1 */
	int32_t		classif;
	int32_t		max_depth;		/* resolved (1..PMED_FOREST_MAX_DEPTH) */
	int32_t		min_leaf;
	int32_t		mtry;			/* resolved */
	int32_t		n_usable;
	int32_t		draws;			/* rows drawn per tree */
	int32_t		n_trees;
	int32_t		replace;
	int32_t		importance;		/* PmedForestImportance */
	int32_t		max_levels;		/* most levels of a categorical feature, 0 = none */
	int32_t		pad;
	uint64_t	seed;
	/* arrays: a host may copy them elsewhere (shared memory) and repoint */
	const uint8_t *bins;		/* p columns of n bin codes */
	const int32_t *nbins;		/* p */
	const double *bin_lo;		/* p * PMED_FOREST_BINS */
	const double *bin_hi;		/* p * PMED_FOREST_BINS */
	const int32_t *usable;		/* n_usable features with two bins or more, ascending */
	const int32_t *yc;			/* n class indices (classification), else NULL */
	const double *y;			/* n labels */
	const double *x;			/* n * p rows (out-of-bag leaves, permutation importance) */
	int32_t		oob;			/* growers record each tree's out-of-bag leaves */
	int32_t		pad2;
	const int32_t *cat_levels;	/* p level counts, or NULL */
} PmedForestShared;

/* One grown tree; node, leaf and level-bitset indices are local to it. */
typedef struct PmedForestTree
{
	int32_t		n_nodes;
	int32_t		n_leaves;
	int32_t		n_cat_words;
	int32_t		n_cat_splits;
	int32_t		n_gains;		/* splits, in the order they were made */
	int32_t		depth;
	int32_t		n_perm;			/* p with permutation importance, else 0 */
	int32_t		k;
	int32_t		n_oob;			/* out-of-bag rows walked (0 when the fit keeps no OOB) */
	int32_t		n_oob_words;	/* (n + 31) / 32 when n_oob > 0 */
	PmedForestNode *nodes;
	double	   *cover;
	double	   *leaf_values;	/* n_leaves * k */
	double	   *gain;			/* n_gains impurity decreases ... */
	int32_t    *gain_feature;	/* ... and their features */
	double	   *perm;			/* n_perm permutation losses on the out-of-bag rows */
	uint32_t   *cat_words;
	uint32_t   *oob_rows;		/* bitset of the out-of-bag rows ... */
	int32_t    *oob_leaf;		/* ... and the leaf each reaches, in row order */
} PmedForestTree;

typedef struct PmedForestFit PmedForestFit;
typedef struct PmedForestGrower PmedForestGrower;

/* Check the data and parameters, bin the features: the shared data. */
PmedStatus	pmed_forest_prepare(const PmedDataset *ds, const PmedForestParams *params,
								PmedForestFit **out, PmedError *err);
const PmedForestShared *pmed_forest_fit_shared(const PmedForestFit *fit);
/* Estimated model bytes so far (the size limit is checked on these). */
double		pmed_forest_tree_bytes(const PmedForestTree *tree);
bool		pmed_forest_bytes_ok(double bytes);

/* Per-process scratch for growing trees over sh (kept by pointer). */
PmedForestGrower *pmed_forest_grower_new(const PmedForestShared *sh);
void		pmed_forest_grower_free(PmedForestGrower *g);
/*
 * Grow tree `tree` into *out (its arrays belong to the grower and stay
 * valid until the next call).  PMED_ERR_LIMIT when the tree alone is over
 * the size limit.
 */
PmedStatus	pmed_forest_grow(PmedForestGrower *g, int tree, PmedForestTree *out, PmedError *err);

/* Flat form of a tree (for shared memory): size, write, and a view into it. */
size_t		pmed_forest_tree_flat_size(const PmedForestTree *tree);
void		pmed_forest_tree_flatten(const PmedForestTree *tree, void *buf);
void		pmed_forest_tree_unflatten(const void *buf, PmedForestTree *tree);

/* Append the next tree (trees must come in order 0, 1, ...), relocating its indices. */
PmedStatus	pmed_forest_append(PmedForestFit *fit, const PmedForestTree *tree, PmedError *err);
/* After the last tree: out-of-bag error, importance, the forest. Frees fit. */
PmedStatus	pmed_forest_finish(PmedForestFit *fit, PmedForest **out, PmedError *err);
/* Free a fit that will not be finished. */
void		pmed_forest_fit_free(PmedForestFit *fit);

#endif
