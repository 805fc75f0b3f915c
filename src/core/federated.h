/*
 * federated.h - federated random forests: a fragment is a forest fitted on
 * one partition's rows plus that partition's statistics (row count, class
 * counts or label mean, out-of-bag error) and no patient row; the union of
 * fragments is one forest in the ordinary model format.
 *
 * Fragment layout (all little-endian, FRAGMENT_VERSION 1):
 *   u8 version, u64 digest, i64 rows, u8 task, u32 features,
 *   classification: u32 classes, per class str name + i64 count
 *   regression:     f64 label mean
 *   u8 has_oob, [f64 oob error], i64 oob rows,
 *   u32 length + the forest payload (pmed_forest_encode)
 *
 * Union: fragments sorted by digest (then bytes); a tree of fragment i
 * weighs n_i / (N * T_i) (each training row has the same total influence,
 * plain averaging when partitions are equal); the weight is folded into the
 * tree's leaf values (leaf * T * weight, T the trees of the union) so that
 * the union's plain tree average is the weighted average: the model format,
 * scoring and TreeSHAP are unchanged.
 */
#ifndef PMED_FEDERATED_H
#define PMED_FEDERATED_H

#include "forest.h"

#define PMED_FEDERATED_DEFAULT_DEPTH	12

typedef struct PmedFragment
{
	uint64_t	digest;			/* order-independent hash of the partition's rows */
	int64_t		n_rows;
	int			task;			/* PMED_TASK_CLASSIFICATION or _REGRESSION */
	int			n_features;
	int			n_classes;		/* 0 for regression */
	char	  **classes;		/* ascending, as the schema orders them */
	int64_t    *class_counts;
	double		label_mean;		/* regression */
	double		oob_error;		/* NAN when no row was out of bag */
	int64_t		oob_rows;
	PmedForest *forest;
	const uint8_t *bytes;		/* the encoded fragment (decode: the input) */
	size_t		len;
} PmedFragment;

/* The seed of a partition's trees: the user's seed mixed with its digest. */
uint64_t	pmed_federated_seed(uint64_t seed, uint64_t digest);

/* Encode fr (its forest through the forest payload codec). */
void		pmed_fragment_encode(PmedWriter *w, const PmedFragment *fr);

/*
 * Decode and validate every byte of a fragment; NULL on corruption (err
 * filled, PMED_ERR_CORRUPT).  fr->bytes points into data.
 */
PmedFragment *pmed_fragment_decode(const void *data, size_t len, PmedError *err);

typedef struct PmedForestUnion
{
	PmedForest *forest;			/* weights folded into the leaf values */
	int			n_fragments;
	PmedFragment **order;		/* the fragments, sorted by digest */
	int		   *trees;			/* trees kept of each (union_trees cap) */
	int64_t		n_rows;
	double		oob_error;		/* weighted by each fragment's oob rows; NAN if none */
	int64_t		oob_rows;
	size_t		bytes;			/* encoded bytes of all fragments */
	int			min_depth;
	int			max_depth;
	double		mean_depth;
} PmedForestUnion;

/*
 * The union of n fragments (sorted in place).  max_trees > 0 caps the
 * union: fragment i keeps its first k_i trees, k_i >= 1 allocated in
 * proportion to its rows by largest remainder.  Errors: PMED_ERR_INVALID
 * when fragments disagree (task, features, classes: the message names the
 * partition that lacks a class) or max_trees < n.
 */
PmedStatus	pmed_forest_union(PmedFragment **frs, int n, int max_trees, PmedForestUnion *out,
							  PmedError *err);

#endif
