/*
 * federated.c - fragments of a federated random forest (one partition's
 * fitted trees and statistics) and their weighted union.  See federated.h.
 */
#include "federated.h"

#include "rng.h"
#include "util.h"

#include <math.h>
#include <string.h>

#define FRAGMENT_VERSION	1

uint64_t
pmed_federated_seed(uint64_t seed, uint64_t digest)
{
	return pmed_mix64(pmed_mix64(seed) ^ pmed_mix64(digest ^ 0x9E3779B97F4A7C15ULL));
}

void
pmed_fragment_encode(PmedWriter *w, const PmedFragment *fr)
{
	PmedWriter	payload;

	pmed_put_u8(w, FRAGMENT_VERSION);
	pmed_put_u64(w, fr->digest);
	pmed_put_i64(w, fr->n_rows);
	pmed_put_u8(w, (uint8_t) fr->task);
	pmed_put_u32(w, (uint32_t) fr->n_features);
	if (fr->task == PMED_TASK_CLASSIFICATION)
	{
		pmed_put_u32(w, (uint32_t) fr->n_classes);
		for (int c = 0; c < fr->n_classes; c++)
		{
			pmed_put_str(w, fr->classes[c]);
			pmed_put_i64(w, fr->class_counts[c]);
		}
	}
	else
		pmed_put_f64(w, fr->label_mean);
	pmed_put_u8(w, fr->oob_rows > 0 && isfinite(fr->oob_error));
	if (fr->oob_rows > 0 && isfinite(fr->oob_error))
		pmed_put_f64(w, fr->oob_error);
	pmed_put_i64(w, fr->oob_rows > 0 && isfinite(fr->oob_error) ? fr->oob_rows : 0);
	pmed_writer_init(&payload);
	pmed_forest_encode(fr->forest, &payload);
	pmed_put_u32(w, (uint32_t) payload.len);
	pmed_put_bytes(w, payload.buf, payload.len);
	pmed_free(payload.buf);
}

static PmedFragment *
bad(PmedReader *r, const char *what)
{
	pmed_reader_fail(r, what);
	return NULL;
}

PmedFragment *
pmed_fragment_decode(const void *data, size_t len, PmedError *err)
{
	PmedReader	r,
				pr;
	PmedFragment *fr = pmed_alloc(sizeof(PmedFragment));
	uint8_t		version,
				task,
				has_oob;
	uint32_t	u,
				plen;
	int64_t		sum = 0;

	pmed_reader_init(&r, data, len, err);
	fr->bytes = data;
	fr->len = len;
	if (!pmed_get_u8(&r, &version))
		return NULL;
	if (version != FRAGMENT_VERSION)
		return bad(&r, "unsupported federated fragment version");
	if (!pmed_get_u64(&r, &fr->digest) || !pmed_get_i64(&r, &fr->n_rows) ||
		!pmed_get_u8(&r, &task) || !pmed_get_u32(&r, &u))
		return NULL;
	if (fr->n_rows < 1 || fr->n_rows > PMED_FOREST_MAX_ROWS)
		return bad(&r, "fragment row count out of range");
	if (task != PMED_TASK_CLASSIFICATION && task != PMED_TASK_REGRESSION)
		return bad(&r, "fragment task out of range");
	if (u < 1 || u > PMED_MAX_FEATURES)
		return bad(&r, "fragment feature count out of range");
	fr->task = task;
	fr->n_features = (int) u;
	if (task == PMED_TASK_CLASSIFICATION)
	{
		/* each class takes at least a length and a count */
		if (!pmed_get_count(&r, PMED_MAX_CLASSES, 12, &u))
			return NULL;
		if (u < 2)
			return bad(&r, "fragment with fewer than two classes");
		fr->n_classes = (int) u;
		fr->classes = pmed_alloc_array(u, sizeof(char *));
		fr->class_counts = pmed_alloc_array(u, sizeof(int64_t));
		for (uint32_t c = 0; c < u; c++)
		{
			if (!pmed_get_str(&r, &fr->classes[c]) || !pmed_get_i64(&r, &fr->class_counts[c]))
				return NULL;
			if (fr->class_counts[c] < 1 || fr->class_counts[c] > fr->n_rows)
				return bad(&r, "fragment class count out of range");
			sum += fr->class_counts[c];
			if (c > 0 && strcmp(fr->classes[c - 1], fr->classes[c]) == 0)
				return bad(&r, "fragment class named twice");
		}
		if (sum != fr->n_rows)
			return bad(&r, "fragment class counts do not add up to its rows");
	}
	else if (!pmed_get_f64(&r, &fr->label_mean))
		return NULL;
	if (!pmed_get_u8(&r, &has_oob))
		return NULL;
	if (has_oob > 1)
		return bad(&r, "bad fragment out-of-bag flag");
	fr->oob_error = NAN;
	if (has_oob && !pmed_get_f64(&r, &fr->oob_error))
		return NULL;
	if (!pmed_get_i64(&r, &fr->oob_rows))
		return NULL;
	if (has_oob ? (fr->oob_rows < 1 || fr->oob_rows > fr->n_rows || fr->oob_error < 0 ||
				   (task == PMED_TASK_CLASSIFICATION && fr->oob_error > 1)) : fr->oob_rows != 0)
		return bad(&r, "fragment out-of-bag statistics out of range");
	if (!pmed_get_u32(&r, &plen))
		return NULL;
	if (plen != r.left)
		return bad(&r, "fragment payload length does not match");
	pmed_reader_init(&pr, r.p, plen, err);
	fr->forest = pmed_forest_decode(&pr, fr->n_features, fr->n_classes, err);
	if (fr->forest == NULL)
	{
		if (err->status == PMED_OK)
			pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: bad forest in a federated fragment");
		return NULL;
	}
	if (fr->forest->cat_levels != NULL)
		return bad(&r, "federated fragment with categorical splits");
	return fr;
}

static int
fragment_cmp(const void *a, const void *b)
{
	const PmedFragment *x = *(PmedFragment *const *) a;
	const PmedFragment *y = *(PmedFragment *const *) b;
	int			c;

	if (x->digest != y->digest)
		return x->digest < y->digest ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = memcmp(x->bytes, y->bytes, x->len);
	return c;
}

static bool
has_class(const PmedFragment *fr, const char *name)
{
	for (int c = 0; c < fr->n_classes; c++)
		if (strcmp(fr->classes[c], name) == 0)
			return true;
	return false;
}

/* Fragments must describe the same problem; name the one that differs. */
static PmedStatus
check_agree(PmedFragment **frs, int n, PmedError *err)
{
	const PmedFragment *a = frs[0];

	for (int i = 1; i < n; i++)
	{
		const PmedFragment *b = frs[i];
		bool		same = b->n_classes == a->n_classes;

		if (b->task != a->task)
			return pmed_fail(err, PMED_ERR_INVALID, "federated partitions do not have the same task");
		if (b->n_features != a->n_features)
		{
			pmed_fail(err, PMED_ERR_INVALID, "feature arrays must all have the same length");
			pmed_fail_detail(err, "One federated partition has %d features, another %d.",
							 a->n_features, b->n_features);
			return PMED_ERR_INVALID;
		}
		if (b->forest->importance_kind != a->forest->importance_kind)
			return pmed_fail(err, PMED_ERR_INVALID, "federated partitions use different importance kinds");
		for (int c = 0; same && c < a->n_classes; c++)
			same = strcmp(a->classes[c], b->classes[c]) == 0;
		if (same)
			continue;
		/* find a partition that lacks a class some other partition has */
		for (int j = 0; j < n; j++)
			for (int k = 0; k < n; k++)
				for (int c = 0; c < frs[k]->n_classes; c++)
					if (!has_class(frs[j], frs[k]->classes[c]))
					{
						pmed_fail(err, PMED_ERR_INVALID,
								  "federated partition %d of %d has no row of class \"%s\"",
								  j + 1, n, frs[k]->classes[c]);
						pmed_fail_detail(err, "Every partition of a federated forest must have every class; the partition of %lld rows lacks it (partitions are numbered in digest order).",
										 (long long) frs[j]->n_rows);
						return PMED_ERR_INVALID;
					}
		return pmed_fail(err, PMED_ERR_INVALID, "federated partitions do not have the same classes");
	}
	return PMED_OK;
}

/* k_i >= 1, sum = cap, in proportion to rows by largest remainder (ties: lower index). */
static void
allocate_trees(PmedFragment **frs, int n, int64_t total_rows, int cap, int *k)
{
	int64_t		left = cap - n;
	int64_t    *rem = pmed_alloc_array(n, sizeof(int64_t));

	for (int i = 0; i < n; i++)
	{
		int64_t		q = (int64_t) (cap - n) * frs[i]->n_rows / total_rows;
		int			room = frs[i]->forest->n_trees - 1;

		if (q > room)
			q = room;
		k[i] = 1 + (int) q;
		left -= q;
		rem[i] = (int64_t) (cap - n) * frs[i]->n_rows % total_rows;
	}
	while (left > 0)
	{
		int			best = -1;

		for (int i = 0; i < n; i++)
			if (k[i] < frs[i]->forest->n_trees && (best < 0 || rem[i] > rem[best]))
				best = i;
		if (best < 0)
			break;
		k[best]++;
		rem[best] = -1;			/* one extra tree each, then by index */
		left--;
		{
			bool		any = false;

			for (int i = 0; i < n; i++)
				any |= rem[i] >= 0 && k[i] < frs[i]->forest->n_trees;
			if (!any)
				for (int i = 0; i < n; i++)
					rem[i] = 0;
		}
	}
	pmed_free(rem);
}

PmedStatus
pmed_forest_union(PmedFragment **frs, int n, int max_trees, PmedForestUnion *out, PmedError *err)
{
	PmedForest *f;
	int			k,
				p,
				total = 0;
	int64_t		nodes = 0,
				leaves = 0;
	double		oob_sum = 0.0,
				depth_sum = 0.0;
	int32_t		at = 0,
				leaf_at = 0;
	int			t_out = 0;
	int32_t    *depth;

	memset(out, 0, sizeof(*out));
	if (n < 1)
		return pmed_fail(err, PMED_ERR_INVALID, "no federated partition to combine");
	pmed_sort(frs, (size_t) n, sizeof(PmedFragment *), fragment_cmp);
	if (check_agree(frs, n, err) != PMED_OK)
		return err->status;
	k = frs[0]->task == PMED_TASK_CLASSIFICATION ? frs[0]->n_classes : 1;
	p = frs[0]->n_features;
	out->order = frs;
	out->n_fragments = n;
	out->trees = pmed_alloc_array(n, sizeof(int));
	for (int i = 0; i < n; i++)
	{
		out->n_rows += frs[i]->n_rows;
		out->bytes += frs[i]->len;
		total += frs[i]->forest->n_trees;
		out->trees[i] = frs[i]->forest->n_trees;
		if (frs[i]->oob_rows > 0)
		{
			oob_sum += frs[i]->oob_error * (double) frs[i]->oob_rows;
			out->oob_rows += frs[i]->oob_rows;
		}
	}
	out->oob_error = out->oob_rows > 0 ? oob_sum / (double) out->oob_rows : NAN;
	if (max_trees > 0 && max_trees < total)
	{
		if (max_trees < n)
		{
			pmed_fail(err, PMED_ERR_INVALID, "union_trees must be at least the number of federated partitions (%d)", n);
			pmed_fail_detail(err, "Each partition keeps at least one tree.");
			return PMED_ERR_INVALID;
		}
		allocate_trees(frs, n, out->n_rows, max_trees, out->trees);
		total = max_trees;
	}
	if (total > PMED_FOREST_MAX_TREES)
	{
		pmed_fail(err, PMED_ERR_LIMIT, "too many trees: %d", total);
		pmed_fail_detail(err, "A forest has at most %d trees; cap the union with union_trees.",
						 PMED_FOREST_MAX_TREES);
		return PMED_ERR_LIMIT;
	}
	for (int i = 0; i < n; i++)
	{
		const PmedForest *g = frs[i]->forest;

		nodes += g->tree_start[out->trees[i]];
		for (int32_t j = 0; j < g->tree_start[out->trees[i]]; j++)
			leaves += g->nodes[j].code == PMED_FOREST_LEAF;
	}
	if (nodes > INT32_MAX / 2 || (double) nodes * 24 + (double) leaves * 8 * k > (double) PMED_MAX_MODEL_BYTES)
	{
		pmed_fail(err, PMED_ERR_LIMIT, "federated forest too large: %lld nodes", (long long) nodes);
		pmed_fail_detail(err, "The encoded model would exceed the 1 GB limit of a bytea value; cap the union with union_trees.");
		return PMED_ERR_LIMIT;
	}

	f = pmed_alloc(sizeof(PmedForest));
	f->task = frs[0]->task;
	f->n_features = p;
	f->n_outputs = k;
	f->n_trees = total;
	f->tree_start = pmed_alloc_array((size_t) total + 1, sizeof(int32_t));
	f->n_nodes = (int32_t) nodes;
	f->nodes = pmed_alloc_array((size_t) nodes, sizeof(PmedForestNode));
	f->cover = pmed_alloc_array((size_t) nodes, sizeof(double));
	f->n_leaves = (int32_t) leaves;
	f->leaf_values = pmed_alloc_array((size_t) leaves * k, sizeof(double));
	f->importance_kind = frs[0]->forest->importance_kind;
	f->importance = pmed_alloc_array((size_t) p, sizeof(double));
	depth = pmed_alloc_array((size_t) nodes, sizeof(int32_t));
	out->min_depth = INT32_MAX;

	for (int i = 0; i < n; i++)
	{
		const PmedForest *g = frs[i]->forest;
		double		share = (double) frs[i]->n_rows / (double) out->n_rows;
		/* leaf * T * n_i / (N * k_i) */
		double		scale = (double) total * share / (double) out->trees[i];

		for (int j = 0; j < p; j++)
			f->importance[j] += share * g->importance[j];
		for (int t = 0; t < out->trees[i]; t++)
		{
			int32_t		lo = g->tree_start[t],
						hi = g->tree_start[t + 1];
			int			dmax = 0;

			f->tree_start[t_out++] = at;
			for (int32_t j = lo; j < hi; j++)
			{
				PmedForestNode nd = g->nodes[j];
				int32_t		me = at + (j - lo);

				if (nd.code == PMED_FOREST_LEAF)
				{
					const double *src = g->leaf_values + (size_t) nd.child * k;

					for (int c = 0; c < k; c++)
						f->leaf_values[(size_t) leaf_at * k + c] = src[c] * scale;
					nd.child = leaf_at++;
					nd.threshold = 0.0;
				}
				else
				{
					nd.child = at + (nd.child - lo);
					depth[nd.child] = depth[nd.child + 1] = depth[me] + 1;
				}
				if (depth[me] > dmax)
					dmax = depth[me];
				f->nodes[me] = nd;
				f->cover[me] = g->cover[j];
			}
			at += hi - lo;
			depth_sum += dmax;
			if (dmax > out->max_depth)
				out->max_depth = dmax;
			if (dmax < out->min_depth)
				out->min_depth = dmax;
			pmed_check_interrupts();
		}
	}
	f->tree_start[total] = at;
	f->max_depth = out->max_depth;
	out->mean_depth = depth_sum / total;
	pmed_free(depth);
	out->forest = f;
	return PMED_OK;
}
