/*
 * forest.c - random forest training on binned features with per-node
 * histograms, learned default directions for missing values, out-of-bag
 * error and impurity or permutation importance.
 *
 * Every feature is sorted once and cut into at most PMED_FOREST_BINS bins
 * of about equal counts whose edges fall between distinct values (a feature
 * with few distinct values keeps one bin per value, so the search is exact
 * there).  A node builds, for each of mtry sampled features, a histogram of
 * class counts (or label sums) over the bins its rows touch, plus a missing
 * bin, and scans the boundaries in order.  Each candidate is scored with the
 * missing rows on the left and on the right; the better side becomes the
 * split's default direction.  Thresholds are the midpoint between the
 * largest value on the left and the smallest on the right.
 */
#include "forest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

#define MISSING_BIN		PMED_FOREST_BINS	/* byte value of a missing cell */
#define HIST_SLOTS		(PMED_FOREST_BINS + 1)
#define FOREST_LANES	8			/* trees (or rows) walked together */

/* A grower: one process's scratch for growing trees over the shared data. */
typedef struct PmedForestGrower
{
	const PmedForestShared *sh;
	int32_t		n;
	int			p;
	int			k;				/* outputs: classes, or 1 */
	bool		classif;
	int			max_depth;
	double		min_leaf;
	int			mtry;

	const uint8_t *bins;		/* p columns of n bin codes */
	const double *bin_lo;		/* p * PMED_FOREST_BINS smallest value of a bin */
	const double *bin_hi;		/* p * PMED_FOREST_BINS largest value of a bin */
	int32_t    *usable;			/* features with at least two bins (reset per tree) */
	int			n_usable;
	const int32_t *yc;			/* class index per row (classification) */
	const double *y;

	/* per tree */
	double	   *w;				/* in-bag weight of each row */
	int32_t    *idx;			/* in-bag rows, partitioned by node */
	double	   *pw;				/* weight of the row at each idx position */
	int32_t    *pc;				/* its class (classification) */
	double	   *py;				/* its label (regression) */
	int32_t		n_inbag;

	/* per node scratch */
	double	   *hist;			/* HIST_SLOTS * k class counts, or label sums */
	double	   *tot;			/* HIST_SLOTS weights */
	int32_t    *rows;			/* HIST_SLOTS distinct rows */
	double	   *node_sum;		/* k */
	double	   *left;			/* k */
	double	   *miss;			/* k */

	/* growing output: one tree, local indices */
	PmedForestNode *nodes;
	double	   *cover;
	int32_t		n_nodes;
	int32_t		cap_nodes;
	double	   *leaf_values;
	int32_t		n_leaves;
	int32_t		cap_leaves;
	double	   *gain;			/* impurity decrease of each split, in order */
	int32_t    *gain_feature;
	int32_t		n_gains;
	int32_t		cap_gains;
	double	   *perm;			/* p permutation losses (permutation importance) */
	uint32_t   *oob_rows;		/* (n + 31) / 32 words: the tree's out-of-bag rows */
	int32_t    *oob_leaf;		/* the leaf each reaches (n at most) */
	int32_t		n_oob;

	/* categorical features (NULL when none) */
	const int32_t *cat_levels;
	void	   *cat_scratch;
	uint32_t   *cat_words;		/* growing output: left-level bitsets */
	int32_t		n_cat_words;
	int32_t		cap_cat_words;
	int32_t		n_cat_splits;
} Trainer;

/* The leader's side: the shared data it owns and the forest appended so far. */
struct PmedForestFit
{
	PmedForestShared sh;
	const PmedDataset *ds;
	PmedError  *err;			/* binning's error */
	/* owned shared arrays */
	uint8_t    *bins;
	int32_t    *nbins;
	double	   *bin_lo;
	double	   *bin_hi;
	int32_t    *usable;
	int32_t    *yc;
	int32_t    *cat_levels;
	/* the forest */
	PmedForest *f;
	int			next_tree;
	int32_t		cap_nodes;
	int32_t		cap_leaves;
	int32_t		cap_cat_words;
	double		depth_sum;
	double	   *imp;
	double	   *oob_sum;		/* n * k: summed leaf outputs of the trees that left a row out */
	int32_t    *oob_cnt;		/* n: how many trees left it out */
};

typedef struct Split
{
	double		gain;
	int			feature;
	int			bin;			/* bins <= bin go left */
	double		threshold;
	bool		default_left;
	bool		is_cat;
	uint32_t	cat_left[PMED_CAT_WORDS(PMED_FOREST_BINS)];
} Split;

typedef struct StackItem
{
	int32_t		node;
	int32_t		start;
	int32_t		end;
	int32_t		depth;
} StackItem;

/* A double's bits as an unsigned key in the same order (finite, not NaN). */
static inline uint64_t
order_key(double x)
{
	uint64_t	u;

	memcpy(&u, &x, sizeof(u));
	return (u >> 63) ? ~u : u | (UINT64_C(1) << 63);
}

static inline double
key_value(uint64_t u)
{
	double		x;

	u = (u >> 63) ? u & ~(UINT64_C(1) << 63) : ~u;
	memcpy(&x, &u, sizeof(x));
	return x;
}

/*
 * Sort cnt keys with their rows ascending, least significant byte first,
 * skipping bytes every key shares.  The arrays swap with the scratch
 * arrays (*key2, *row2, same size) as passes go: on return *key and *row
 * hold the sorted data.
 */
static void
radix_sort(uint64_t **key, int32_t **row, uint64_t **key2, int32_t **row2, int32_t cnt)
{
	for (int shift = 0; shift < 64 && cnt > 0; shift += 8)
	{
		int32_t		count[256] = {0};
		int32_t		sum = 0;
		const uint64_t *k = *key;
		const int32_t *r = *row;
		uint64_t   *k2 = *key2,
				   *tk;
		int32_t    *r2 = *row2,
				   *tr;

		for (int32_t i = 0; i < cnt; i++)
			count[(k[i] >> shift) & 0xFF]++;
		if (count[(k[0] >> shift) & 0xFF] == cnt)
			continue;
		for (int b = 0; b < 256; b++)
		{
			int32_t		c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (int32_t i = 0; i < cnt; i++)
		{
			int32_t		d = count[(k[i] >> shift) & 0xFF]++;

			k2[d] = k[i];
			r2[d] = r[i];
		}
		tk = *key;
		*key = *key2;
		*key2 = tk;
		tr = *row;
		*row = *row2;
		*row2 = tr;
	}
}

/* Cut every feature into bins and code each cell; false when a value is not finite. */
static bool
bin_features(PmedForestFit *t)
{
	int32_t		n = t->sh.n;
	int			p = t->sh.p;
	double	   *v = pmed_alloc_array(n ? n : 1, sizeof(double));
	uint64_t   *key = pmed_alloc_array(n ? n : 1, sizeof(uint64_t));
	uint64_t   *key2 = pmed_alloc_array(n ? n : 1, sizeof(uint64_t));
	int32_t    *row = pmed_alloc_array(n ? n : 1, sizeof(int32_t));
	int32_t    *row2 = pmed_alloc_array(n ? n : 1, sizeof(int32_t));
	const int32_t *sorted_row;

	t->bins = pmed_alloc_array((size_t) n * p, 1);
	t->nbins = pmed_alloc_array(p, sizeof(int32_t));
	t->bin_lo = pmed_alloc_array((size_t) p * PMED_FOREST_BINS, sizeof(double));
	t->bin_hi = pmed_alloc_array((size_t) p * PMED_FOREST_BINS, sizeof(double));
	t->usable = pmed_alloc_array(p, sizeof(int32_t));

	for (int f = 0; f < p; f++)
	{
		int32_t		cnt = 0;
		int			nb = 0;
		double	   *lo = t->bin_lo + (size_t) f * PMED_FOREST_BINS;
		double	   *hi = t->bin_hi + (size_t) f * PMED_FOREST_BINS;
		uint8_t    *col = t->bins + (size_t) f * n;

		pmed_check_interrupts();
		if (t->cat_levels != NULL && t->cat_levels[f] > 0)
		{
			/* a level index is its own bin */
			nb = t->cat_levels[f];
			for (int32_t i = 0; i < n; i++)
			{
				double		x = t->ds->x[(size_t) i * p + f];

				if (isnan(x))
					col[i] = MISSING_BIN;
				else if (!(x >= 0 && x < nb && x == floor(x)))
				{
					pmed_fail(t->err, PMED_ERR_INVALID, "categorical feature value is not a level index");
					return false;
				}
				else
					col[i] = (uint8_t) x;
			}
			for (int b = 0; b < nb; b++)
				lo[b] = hi[b] = b;
			t->nbins[f] = nb;
			t->usable[t->sh.n_usable++] = f;
			continue;
		}
		for (int32_t i = 0; i < n; i++)
		{
			double		x = t->ds->x[(size_t) i * p + f];

			if (isnan(x))
				continue;
			if (!isfinite(x))
			{
				pmed_fail(t->err, PMED_ERR_INVALID, "feature values must be finite");
				return false;
			}
			key[cnt] = order_key(x == 0 ? 0.0 : x);	/* -0 is 0 */
			row[cnt++] = i;
		}
		{
			uint64_t   *k = key,
					   *k2 = key2;
			int32_t    *r = row,
					   *r2 = row2;

			radix_sort(&k, &r, &k2, &r2, cnt);
			for (int32_t i = 0; i < cnt; i++)
				v[i] = key_value(k[i]);
			sorted_row = r;
		}

		for (int32_t i = 0; i < cnt;)
		{
			int			left_bins = PMED_FOREST_BINS - nb;
			int32_t		j;

			if (left_bins <= 1)
				j = cnt - 1;
			else
			{
				int32_t		share = (cnt - i + left_bins - 1) / left_bins;

				j = i + share - 1;
				if (j >= cnt)
					j = cnt - 1;
				while (j + 1 < cnt && v[j + 1] == v[j])
					j++;
			}
			lo[nb] = v[i];
			hi[nb] = v[j];
			nb++;
			i = j + 1;
		}
		t->nbins[f] = nb;
		if (nb >= 2)
			t->usable[t->sh.n_usable++] = f;

		/* each value's bin: the first whose largest value is not below it */
		memset(col, MISSING_BIN, n);
		for (int32_t i = 0, b = 0; i < cnt; i++)
		{
			while (v[i] > hi[b])
				b++;
			col[sorted_row[i]] = (uint8_t) b;
		}
	}
	pmed_free(v);
	pmed_free(key);
	pmed_free(key2);
	pmed_free(row);
	pmed_free(row2);
	return true;
}

static bool
ensure_nodes(Trainer *t, int32_t more)
{
	if (t->n_nodes > INT32_MAX / 2 - more)
		return false;
	if (t->n_nodes + more > t->cap_nodes)
	{
		int64_t		cap = (int64_t) t->cap_nodes * 2 + more + 64;

		if (cap > INT32_MAX / 2)
			cap = INT32_MAX / 2;
		t->nodes = pmed_realloc(t->nodes, (size_t) cap * sizeof(PmedForestNode));
		t->cover = pmed_realloc(t->cover, (size_t) cap * sizeof(double));
		t->cap_nodes = (int32_t) cap;
	}
	return true;
}

/* Estimated encoded bytes so far: must stay well under the bytea limit. */
static bool
within_size(Trainer *t)
{
	double		bytes = (double) t->n_nodes * 24.0 + (double) t->n_leaves * 8.0 * t->k;

	return bytes < (double) PMED_MAX_MODEL_BYTES * 0.9;
}

static bool
add_leaf(Trainer *t, int32_t node, double weight)
{
	int			k = t->k;

	if (t->n_leaves + 1 > t->cap_leaves)
	{
		int64_t		cap = (int64_t) t->cap_leaves * 2 + 64;

		if (cap > INT32_MAX / 2 || (double) cap * k > (double) PMED_MAX_MODEL_BYTES / 8)
			return false;
		t->leaf_values = pmed_realloc(t->leaf_values, (size_t) cap * k * sizeof(double));
		t->cap_leaves = (int32_t) cap;
	}
	for (int c = 0; c < k; c++)
		t->leaf_values[(size_t) t->n_leaves * k + c] = t->node_sum[c] / weight;
	t->nodes[node].code = PMED_FOREST_LEAF;
	t->nodes[node].child = t->n_leaves++;
	t->nodes[node].threshold = 0.0;
	return true;
}

/* Sum of squares over classes of a (counts) divided by weight. */
static inline double
class_score(const double *a, int k, double wsum)
{
	double		s = 0.0;

	for (int c = 0; c < k; c++)
		s += a[c] * a[c];
	return s / wsum;
}

/*
 * The best left-level subset of categorical feature f over the rows
 * idx[start..end) (pmed_cat_split_search); kept in *best when better.
 */
static void
search_cat(Trainer *t, int f, int32_t start, int32_t end, Split *best)
{
	const int	k = t->k;
	const int	nl = t->cat_levels[f];
	const uint8_t *col = t->bins + (size_t) f * t->n;
	const int32_t *idx = t->idx;
	const double *pw = t->pw;
	double	   *hist = t->hist;
	double	   *tot = t->tot;
	int32_t    *rows = t->rows;
	uint32_t	left[PMED_CAT_WORDS(PMED_FOREST_BINS)];
	PmedCatNodeStats s;
	PmedCatSplit sp;

	for (int32_t i = start; i < end; i++)
	{
		int			b = col[idx[i]];

		rows[b]++;
		tot[b] += pw[i];
		if (t->classif)
			hist[b * k + t->pc[i]] += pw[i];
		else
			hist[b] += pw[i] * t->py[i];
	}
	s.n_levels = nl;
	s.k = k;
	s.sum = hist;
	s.weight = tot;
	s.rows = rows;
	s.miss_sum = hist + (size_t) MISSING_BIN * k;
	s.miss_weight = tot[MISSING_BIN];
	s.miss_rows = rows[MISSING_BIN];
	memset(left, 0, sizeof(left));
	sp.left = left;
	pmed_cat_split_search(&s, (int32_t) t->min_leaf, t->cat_scratch, &sp);
	if (sp.found && sp.gain > best->gain)
	{
		best->gain = sp.gain;
		best->feature = f;
		best->is_cat = true;
		best->default_left = sp.default_left;
		memcpy(best->cat_left, left, sizeof(left));
	}
	for (int b = 0; b < nl; b++)
	{
		rows[b] = 0;
		tot[b] = 0.0;
		for (int c = 0; c < k; c++)
			hist[b * k + c] = 0.0;
	}
	rows[MISSING_BIN] = 0;
	tot[MISSING_BIN] = 0.0;
	for (int c = 0; c < k; c++)
		hist[MISSING_BIN * k + c] = 0.0;
}

/*
 * Score every boundary of feature f over the rows idx[start..end) and keep
 * the best in *best.  parent is the node's score (sum of squares / weight).
 */
static void
search_feature(Trainer *t, int f, int32_t start, int32_t end, double node_w,
			   double parent, Split *best)
{
	const int	k = t->k;
	const bool	classif = t->classif;
	const uint8_t *col = t->bins + (size_t) f * t->n;
	const int32_t *idx = t->idx;
	const double *pw = t->pw;
	double	   *hist = t->hist;
	double	   *tot = t->tot;
	int32_t    *rows = t->rows;
	uint64_t	bits[HIST_SLOTS / 64] = {0};
	double		miss_w = 0.0;
	double		left_w = 0.0;
	int32_t		left_rows = 0;
	int32_t		miss_rows;
	int32_t		node_rows = end - start;
	int			prev = -1;
	int32_t		min_leaf = (int32_t) t->min_leaf;
	const double *lo = t->bin_lo + (size_t) f * PMED_FOREST_BINS;
	const double *hi = t->bin_hi + (size_t) f * PMED_FOREST_BINS;
	double	   *left = t->left;
	double	   *miss = t->miss;
	const double *ns = t->node_sum;

	/* histogram of the node's rows; bits marks the bins they touch */
	if (classif)
	{
		const int32_t *pc = t->pc;

		for (int32_t i = start; i < end; i++)
		{
			int			b = col[idx[i]];

			rows[b]++;
			bits[b >> 6] |= UINT64_C(1) << (b & 63);
			hist[b * k + pc[i]] += pw[i];
		}
	}
	else
	{
		const double *py = t->py;

		for (int32_t i = start; i < end; i++)
		{
			int			b = col[idx[i]];

			rows[b]++;
			bits[b >> 6] |= UINT64_C(1) << (b & 63);
			tot[b] += pw[i];
			hist[b] += pw[i] * py[i];
		}
	}
	bits[MISSING_BIN >> 6] &= ~(UINT64_C(1) << (MISSING_BIN & 63));

	miss_rows = rows[MISSING_BIN];
	for (int c = 0; c < k; c++)
	{
		miss[c] = hist[MISSING_BIN * k + c];
		left[c] = 0.0;
	}
	if (classif)
		for (int c = 0; c < k; c++)
			miss_w += miss[c];
	else
		miss_w = tot[MISSING_BIN];

	/* scan the boundaries between touched bins in ascending order */
	for (int wi = 0; wi < HIST_SLOTS / 64; wi++)
	{
		uint64_t	m = bits[wi];

		while (m != 0)
		{
			int			bin = wi * 64 + __builtin_ctzll(m);
			double		bin_w;

			m &= m - 1;
			if (prev >= 0 && left_rows + miss_rows >= min_leaf)
			{
				/* candidate: bins <= prev left, bin and above right */
				for (int side = 0; side < 2; side++)
				{
					bool		mleft = side == 0;
					double		nl,
								nr,
								score;

					if (!mleft && miss_rows == 0)
						break;
					if (left_rows + (mleft ? miss_rows : 0) < min_leaf ||
						node_rows - left_rows - (mleft ? miss_rows : 0) < min_leaf)
						continue;
					nl = left_w + (mleft ? miss_w : 0.0);
					nr = node_w - nl;
					if (classif && k == 2)
					{
						double		a0 = left[0] + (mleft ? miss[0] : 0.0);
						double		a1 = left[1] + (mleft ? miss[1] : 0.0);
						double		r0 = ns[0] - a0;
						double		r1 = ns[1] - a1;

						score = (a0 * a0 + a1 * a1) / nl + (r0 * r0 + r1 * r1) / nr;
					}
					else if (classif)
					{
						double		sl = 0.0,
									sr = 0.0;

						for (int c = 0; c < k; c++)
						{
							double		a = left[c] + (mleft ? miss[c] : 0.0);
							double		rr = ns[c] - a;

							sl += a * a;
							sr += rr * rr;
						}
						score = sl / nl + sr / nr;
					}
					else
					{
						double		a = left[0] + (mleft ? miss[0] : 0.0);
						double		rr = ns[0] - a;

						score = a * a / nl + rr * rr / nr;
					}
					if (score - parent > best->gain)
					{
						double		thr = hi[prev] + (lo[bin] - hi[prev]) / 2.0;

						best->is_cat = false;
						if (!(thr < lo[bin]))
							thr = hi[prev];
						best->gain = score - parent;
						best->feature = f;
						best->bin = prev;
						best->threshold = thr;
						best->default_left = miss_rows > 0 ? mleft : (nl >= nr);
					}
				}
			}
			if (classif)
			{
				bin_w = 0.0;
				for (int c = 0; c < k; c++)
				{
					left[c] += hist[bin * k + c];
					bin_w += hist[bin * k + c];
					hist[bin * k + c] = 0.0;
				}
			}
			else
			{
				left[0] += hist[bin];
				bin_w = tot[bin];
				hist[bin] = 0.0;
				tot[bin] = 0.0;
			}
			left_w += bin_w;
			left_rows += rows[bin];
			rows[bin] = 0;
			prev = bin;
			/* no later boundary can leave min_leaf rows on the right */
			if (node_rows - left_rows < min_leaf)
			{
				/* clear what is left of the histogram, then stop */
				while (m != 0)
				{
					int			b2 = wi * 64 + __builtin_ctzll(m);

					m &= m - 1;
					rows[b2] = 0;
					tot[b2] = 0.0;
					for (int c = 0; c < k; c++)
						hist[b2 * k + c] = 0.0;
				}
				for (int w2 = wi + 1; w2 < HIST_SLOTS / 64; w2++)
					for (uint64_t m2 = bits[w2]; m2 != 0; m2 &= m2 - 1)
					{
						int			b2 = w2 * 64 + __builtin_ctzll(m2);

						rows[b2] = 0;
						tot[b2] = 0.0;
						for (int c = 0; c < k; c++)
							hist[b2 * k + c] = 0.0;
					}
				wi = HIST_SLOTS / 64;
				break;
			}
		}
	}

	rows[MISSING_BIN] = 0;
	tot[MISSING_BIN] = 0.0;
	for (int c = 0; c < k; c++)
		hist[MISSING_BIN * k + c] = 0.0;
}

/* Grow one tree from the in-bag rows; returns its depth, or -1 on a limit. */
static int
grow_tree(Trainer *t, PmedRng *rng)
{
	StackItem  *stack;
	int			sp = 0;
	int			depth_max = 0;
	int			k = t->k;
	int			cap = PMED_FOREST_MAX_DEPTH * 2 + 8;

	stack = pmed_alloc_array(cap, sizeof(StackItem));
	t->n_nodes = 0;
	t->n_leaves = 0;
	t->n_gains = 0;
	t->n_cat_words = 0;
	t->n_cat_splits = 0;
	/* every tree samples features from the same starting order */
	memcpy(t->usable, t->sh->usable, sizeof(int32_t) * t->n_usable);
	if (!ensure_nodes(t, 1))
		return -1;
	stack[sp++] = (StackItem)
	{
		t->n_nodes++, 0, t->n_inbag, 0
	};

	while (sp > 0)
	{
		StackItem	it = stack[--sp];
		double		node_w = 0.0;
		double		parent;
		bool		pure = true;
		Split		best;

		pmed_check_interrupts();
		if (it.depth > depth_max)
			depth_max = it.depth;

		for (int c = 0; c < k; c++)
			t->node_sum[c] = 0.0;
		if (t->classif)
		{
			int			first = t->pc[it.start];

			for (int32_t i = it.start; i < it.end; i++)
			{
				node_w += t->pw[i];
				t->node_sum[t->pc[i]] += t->pw[i];
				if (t->pc[i] != first)
					pure = false;
			}
			parent = class_score(t->node_sum, k, node_w);
		}
		else
		{
			double		first = t->py[it.start];

			for (int32_t i = it.start; i < it.end; i++)
			{
				node_w += t->pw[i];
				t->node_sum[0] += t->pw[i] * t->py[i];
				if (t->py[i] != first)
					pure = false;
			}
			parent = t->node_sum[0] * t->node_sum[0] / node_w;
		}
		t->cover[it.node] = node_w;

		best.gain = 1e-12 * (fabs(parent) + 1e-300);
		best.feature = -1;
		best.is_cat = false;
		if (!pure && it.depth < t->max_depth && it.end - it.start >= 2 * t->min_leaf)
		{
			/* sample mtry usable features without replacement */
			for (int j = 0; j < t->mtry; j++)
			{
				int			s = j + (int) pmed_rng_below(rng, (uint64_t) (t->n_usable - j));
				int			tmp = t->usable[j];

				t->usable[j] = t->usable[s];
				t->usable[s] = tmp;
				if (t->cat_levels != NULL && t->cat_levels[t->usable[j]] > 0)
					search_cat(t, t->usable[j], it.start, it.end, &best);
				else
					search_feature(t, t->usable[j], it.start, it.end, node_w, parent, &best);
			}
		}

		if (best.feature < 0)
		{
			if (!add_leaf(t, it.node, node_w))
				return -1;
		}
		else
		{
			const uint8_t *col = t->bins + (size_t) best.feature * t->n;
			int32_t		a = it.start,
						b = it.end - 1;
			int32_t		child;

			/* partition: left rows first */
			while (a <= b)
			{
				int			bin = col[t->idx[a]];
				bool		goes_left = bin == MISSING_BIN ? best.default_left :
					best.is_cat ? (best.cat_left[bin >> 5] >> (bin & 31)) & 1 : bin <= best.bin;

				if (goes_left)
					a++;
				else
				{
					int32_t		tmp = t->idx[a];
					double		tw = t->pw[a];

					t->idx[a] = t->idx[b];
					t->idx[b] = tmp;
					t->pw[a] = t->pw[b];
					t->pw[b] = tw;
					if (t->classif)
					{
						int32_t		tc = t->pc[a];

						t->pc[a] = t->pc[b];
						t->pc[b] = tc;
					}
					else
					{
						double		ty = t->py[a];

						t->py[a] = t->py[b];
						t->py[b] = ty;
					}
					b--;
				}
			}
			if (!ensure_nodes(t, 2))
				return -1;
			child = t->n_nodes;
			t->n_nodes += 2;
			t->nodes[it.node].code = best.feature * 2 + (best.default_left ? 1 : 0);
			t->nodes[it.node].child = child;
			t->nodes[it.node].threshold = best.threshold;
			if (best.is_cat)
			{
				int32_t		nw = (int32_t) PMED_CAT_WORDS(t->cat_levels[best.feature]);

				if (t->n_cat_words > INT32_MAX / 2 - nw)
					return -1;
				if (t->n_cat_words + nw > t->cap_cat_words)
				{
					t->cap_cat_words = (t->n_cat_words + nw) * 2;
					t->cat_words = pmed_realloc(t->cat_words, sizeof(uint32_t) * t->cap_cat_words);
				}
				memcpy(t->cat_words + t->n_cat_words, best.cat_left, sizeof(uint32_t) * nw);
				t->nodes[it.node].code = PMED_FOREST_CAT_CODE(best.feature, best.default_left ? 1 : 0);
				t->nodes[it.node].threshold = t->n_cat_words;
				t->n_cat_words += nw;
				t->n_cat_splits++;
			}
			if (t->n_gains == t->cap_gains)
			{
				t->cap_gains = t->cap_gains * 2 + 64;
				t->gain = pmed_realloc(t->gain, sizeof(double) * t->cap_gains);
				t->gain_feature = pmed_realloc(t->gain_feature, sizeof(int32_t) * t->cap_gains);
			}
			t->gain[t->n_gains] = best.gain;
			t->gain_feature[t->n_gains++] = best.feature;
			/* right pushed first so the left subtree is grown first */
			stack[sp++] = (StackItem)
			{
				child + 1, a, it.end, it.depth + 1
			};
			stack[sp++] = (StackItem)
			{
				child, it.start, a, it.depth + 1
			};
		}
		if (!within_size(t))
			return -1;
	}
	pmed_free(stack);
	return depth_max;
}

/*
 * The tree walker.  Lane j (m <= FOREST_LANES lanes) walks from node cur[j]
 * down to a leaf with row rows[j], or with row x in every lane when rows is
 * NULL; cur[j] gets the leaf node.  Lanes may walk different trees with one
 * row (scoring) or one tree with different rows (out-of-bag): their node
 * loads are independent, so the processor overlaps the cache misses that
 * dominate walking deep trees.  Always inlined, so the one-row case reads
 * x from a register.
 */
static inline void
walk_numeric(const PmedForestNode *nodes, int m, const double *x, const double *const *rows,
			 int32_t *cur)
{
	bool		active = true;

	while (active)
	{
		active = false;
		for (int j = 0; j < m; j++)
		{
			const PmedForestNode *nd = &nodes[cur[j]];
			int32_t		code = nd->code;

			if (code >= 0)
			{
				const double *r = rows != NULL ? rows[j] : x;

				cur[j] = pmed_forest_step(nd, r[code >> 1]);
				active = true;
			}
		}
	}
}

/* The same for a forest with categorical splits (code <= -2). */
static void
walk_categorical(const PmedForest *f, int m, const double *x, const double *const *rows,
				 int32_t *cur)
{
	bool		active = true;

	while (active)
	{
		active = false;
		for (int j = 0; j < m; j++)
		{
			const PmedForestNode *nd = &f->nodes[cur[j]];
			int32_t		code = nd->code;

			if (code != PMED_FOREST_LEAF)
			{
				const double *r = rows != NULL ? rows[j] : x;

				cur[j] = code >= 0 ? pmed_forest_step(nd, r[code >> 1]) :
					pmed_forest_cat_step(f->cat_levels, f->cat_words, nd, r[(-2 - code) >> 1]);
				active = true;
			}
		}
	}
}

/*
 * Forests without categorical features (every float8[] forest) take the
 * numeric walker, unchanged by categorical support.
 */
static inline void
walk(const PmedForest *f, int m, const double *x, const double *const *rows, int32_t *cur)
{
	if (__builtin_expect(f->cat_levels == NULL, 1))
		walk_numeric(f->nodes, m, x, rows, cur);
	else
		walk_categorical(f, m, x, rows, cur);
}

int32_t
pmed_forest_leaf(const PmedForest *f, int t, const double *x)
{
	int32_t		node = f->tree_start[t];

	walk(f, 1, x, NULL, &node);
	return f->nodes[node].child;
}

/* The leaf nodes row x reaches in trees t0 .. t0 + m - 1. */
static inline void
walk_trees(const PmedForest *f, int t0, int m, const double *x, int32_t *node)
{
	for (int j = 0; j < m; j++)
		node[j] = f->tree_start[t0 + j];
	walk(f, m, x, NULL, node);
}

/*
 * Sum over the trees of the value a leaf node keeps in its threshold slot
 * (decoded or trained forests with one or two outputs: the value, or the
 * probability of class 1), so scoring touches no second array.
 */
static double
leaf_value_sum(const PmedForest *f, const double *x)
{
	double		s = 0.0;
	int32_t		node[FOREST_LANES];

	for (int t = 0; t < f->n_trees; t += FOREST_LANES)
	{
		int			m = f->n_trees - t < FOREST_LANES ? f->n_trees - t : FOREST_LANES;

		walk_trees(f, t, m, x, node);
		for (int j = 0; j < m; j++)
			s += f->nodes[node[j]].threshold;
	}
	return s;
}

/* Put each leaf's last output in its (otherwise unused) threshold slot. */
static void
cache_leaf_values(PmedForest *f)
{
	int			k = f->n_outputs;

	for (int32_t i = 0; i < f->n_nodes; i++)
		if (f->nodes[i].code == PMED_FOREST_LEAF)
			f->nodes[i].threshold = k <= 2 ?
				f->leaf_values[(size_t) f->nodes[i].child * k + (k - 1)] : 0.0;
}

void
pmed_forest_predict(const PmedForest *f, const double *x, double *out)
{
	int			k = f->n_outputs;
	int32_t		node[FOREST_LANES];

	if (k == 1)
	{
		out[0] = leaf_value_sum(f, x) / f->n_trees;
		return;
	}
	if (k == 2)
	{
		out[1] = leaf_value_sum(f, x) / f->n_trees;
		out[0] = 1.0 - out[1];
		return;
	}
	for (int c = 0; c < k; c++)
		out[c] = 0.0;
	for (int t = 0; t < f->n_trees; t += FOREST_LANES)
	{
		int			m = f->n_trees - t < FOREST_LANES ? f->n_trees - t : FOREST_LANES;

		walk_trees(f, t, m, x, node);
		for (int j = 0; j < m; j++)
		{
			const double *lv = f->leaf_values + (size_t) f->nodes[node[j]].child * k;

			for (int c = 0; c < k; c++)
				out[c] += lv[c];
		}
	}
	for (int c = 0; c < k; c++)
		out[c] /= f->n_trees;
}

static int
argmax(const double *v, int k)
{
	int			best = 0;

	for (int c = 1; c < k; c++)
		if (v[c] > v[best])
			best = c;
	return best;
}

double
pmed_forest_predict_one(const PmedForest *f, const double *x)
{
	if (f->n_outputs == 1 && f->task == PMED_TASK_REGRESSION)
		return leaf_value_sum(f, x) / f->n_trees;
	else
	{
		double		buf[64];
		double	   *p = f->n_outputs <= 64 ? buf : pmed_alloc_array(f->n_outputs, sizeof(double));
		int			c;

		pmed_forest_predict(f, x, p);
		c = argmax(p, f->n_outputs);
		if (p != buf)
			pmed_free(p);
		return c;
	}
}

/*
 * Summed error (0/1 loss, or squared error) of tree `tree` on rows
 * oob[0 .. m); when j >= 0 each row's feature j is taken from row perm[i]
 * instead (buf: FOREST_LANES * p scratch values).  Rows are walked
 * FOREST_LANES at a time and summed in order.
 */
static double
tree_rows_loss(const Trainer *t, const PmedForest *f, int tree, const int32_t *oob,
			   const int32_t *perm, int32_t m, int j, double *buf)
{
	const double *x = t->sh->x;
	int			p = t->p,
				k = f->n_outputs;
	double		loss = 0.0;

	for (int32_t i0 = 0; i0 < m; i0 += FOREST_LANES)
	{
		int			lanes = m - i0 < FOREST_LANES ? m - i0 : FOREST_LANES;
		const double *xs[FOREST_LANES];
		int32_t		node[FOREST_LANES];

		for (int l = 0; l < lanes; l++)
		{
			const double *src = x + (size_t) oob[i0 + l] * p;

			node[l] = f->tree_start[tree];
			if (j < 0)
				xs[l] = src;
			else
			{
				double	   *row = buf + (size_t) l * p;

				memcpy(row, src, sizeof(double) * p);
				row[j] = x[(size_t) perm[i0 + l] * p + j];
				xs[l] = row;
			}
		}
		walk(f, lanes, NULL, xs, node);
		for (int l = 0; l < lanes; l++)
		{
			const double *lv = f->leaf_values + (size_t) f->nodes[node[l]].child * k;
			double		y = t->y[oob[i0 + l]];

			if (t->classif)
				loss += argmax(lv, k) == (int) y ? 0.0 : 1.0;
			else
				loss += (lv[0] - y) * (lv[0] - y);
		}
	}
	return loss;
}

/* The tree just grown as a one-tree forest (start: 2 offsets) for the walker. */
static void
tree_view(const Trainer *t, PmedForest *f, int32_t *start)
{
	memset(f, 0, sizeof(*f));
	start[0] = 0;
	start[1] = t->n_nodes;
	f->n_features = t->p;
	f->n_outputs = t->k;
	f->n_trees = 1;
	f->tree_start = start;
	f->n_nodes = t->n_nodes;
	f->nodes = t->nodes;
	f->n_leaves = t->n_leaves;
	f->leaf_values = t->leaf_values;
	f->cat_levels = (int32_t *) t->cat_levels;
	f->cat_words = t->cat_words;
}

/*
 * The leaf each out-of-bag row (w == 0) of the tree just grown reaches,
 * FOREST_LANES rows at a time, in row order; the rows as a bitset.
 */
static void
oob_leaves(Trainer *t)
{
	int32_t		n = t->n,
				rows[FOREST_LANES],
				node[FOREST_LANES];
	const double *xs[FOREST_LANES];
	int			m = 0;
	int32_t		start[2];
	PmedForest	f;

	tree_view(t, &f, start);
	memset(t->oob_rows, 0, sizeof(uint32_t) * (((size_t) n + 31) / 32));
	t->n_oob = 0;
	for (int32_t r = 0; r <= n; r++)
	{
		if (r < n && t->w[r] != 0.0)
			continue;
		if (r < n)
		{
			rows[m] = r;
			node[m] = 0;
			xs[m++] = t->sh->x + (size_t) r * t->p;
		}
		if (m == FOREST_LANES || (r == n && m > 0))
		{
			walk(&f, m, NULL, xs, node);
			for (int j = 0; j < m; j++)
			{
				t->oob_rows[rows[j] >> 5] |= UINT32_C(1) << (rows[j] & 31);
				t->oob_leaf[t->n_oob++] = t->nodes[node[j]].child;
			}
			m = 0;
		}
	}
}

/*
 * Permutation importance of the tree just grown on its out-of-bag rows:
 * t->perm[j] = its loss increase when feature j is permuted.
 */
static void
permutation_importance(Trainer *t, PmedRng *rng)
{
	int			p = t->p;
	int32_t    *oob = pmed_alloc_array(t->n, sizeof(int32_t));
	int32_t    *perm;
	double	   *buf;
	int32_t		m = 0;
	double		base;
	int32_t		start[2];
	PmedForest	f;

	tree_view(t, &f, start);
	memset(t->perm, 0, sizeof(double) * p);
	for (int32_t r = 0; r < t->n; r++)
		if (t->w[r] == 0.0)
			oob[m++] = r;
	if (m == 0)
	{
		pmed_free(oob);
		return;
	}
	perm = pmed_alloc_array(m, sizeof(int32_t));
	buf = pmed_alloc_array((size_t) FOREST_LANES * p, sizeof(double));
	base = tree_rows_loss(t, &f, 0, oob, NULL, m, -1, buf);
	for (int j = 0; j < p; j++)
	{
		double		loss;

		pmed_check_interrupts();
		for (int32_t i = 0; i < m; i++)
			perm[i] = oob[i];
		for (int32_t i = m - 1; i > 0; i--)
		{
			int32_t		s = (int32_t) pmed_rng_below(rng, (uint64_t) i + 1);
			int32_t		tmp = perm[i];

			perm[i] = perm[s];
			perm[s] = tmp;
		}
		loss = tree_rows_loss(t, &f, 0, oob, perm, m, j, buf);
		t->perm[j] = (loss - base) / m;
	}
	pmed_free(perm);
	pmed_free(oob);
	pmed_free(buf);
}

static PmedStatus
too_large(PmedError *err)
{
	pmed_fail(err, PMED_ERR_LIMIT, "random forest too large");
	pmed_fail_detail(err, "The encoded model would exceed the 1 GB limit of a bytea value. Use fewer trees, a larger min_leaf or a max_depth.");
	return PMED_ERR_LIMIT;
}

/* The parameter and data checks before any work. */
static PmedStatus
check_params(const PmedDataset *ds, const PmedForestParams *par, PmedError *err)
{
	int			p = ds->n_features;

	if (ds->n_rows < 2)
		return pmed_fail(err, PMED_ERR_INVALID, "random forest needs at least two rows");
	if (ds->n_rows > PMED_FOREST_MAX_ROWS)
		return pmed_fail(err, PMED_ERR_LIMIT, "random forest accepts at most %lld rows",
						 (long long) PMED_FOREST_MAX_ROWS);
	if (p < 1)
		return pmed_fail(err, PMED_ERR_INVALID, "random forest needs at least one feature");
	if (par->n_trees < 1 || par->n_trees > PMED_FOREST_MAX_TREES)
		return pmed_fail(err, PMED_ERR_LIMIT, "number of trees must be between 1 and %d",
						 PMED_FOREST_MAX_TREES);
	if (par->max_depth < 0 || par->max_depth > PMED_FOREST_MAX_DEPTH)
		return pmed_fail(err, PMED_ERR_INVALID, "max_depth must be between 1 and %d",
						 PMED_FOREST_MAX_DEPTH);
	if (par->min_leaf < 1)
		return pmed_fail(err, PMED_ERR_INVALID, "min_leaf must be at least 1");
	if (par->mtry < 0 || par->mtry > p)
		return pmed_fail(err, PMED_ERR_INVALID, "mtry must be between 1 and the number of features (%d)", p);
	if (par->sample_fraction < 0 || par->sample_fraction > 1)
		return pmed_fail(err, PMED_ERR_INVALID, "sample_fraction must be in (0, 1]");
	return PMED_OK;
}

/* Class indices (at least two distinct classes), or finite regression labels. */
static PmedStatus
read_labels(PmedForestFit *fit)
{
	const PmedDataset *ds = fit->ds;
	PmedError  *err = fit->err;
	int32_t		n = fit->sh.n;
	int			first = -1;
	bool		two = false;

	if (!fit->sh.classif)
	{
		for (int32_t i = 0; i < n; i++)
			if (!isfinite(ds->y[i]))
				return pmed_fail(err, PMED_ERR_INVALID, "regression labels must be finite");
		return PMED_OK;
	}
	fit->yc = pmed_alloc_array(n, sizeof(int32_t));
	for (int32_t i = 0; i < n; i++)
	{
		double		y = ds->y[i];

		if (!(y >= 0 && y < fit->sh.k) || y != floor(y))
			return pmed_fail(err, PMED_ERR_INVALID, "class index out of range");
		fit->yc[i] = (int32_t) y;
		if (first < 0)
			first = fit->yc[i];
		else if (fit->yc[i] != first)
			two = true;
	}
	if (!two)
	{
		pmed_fail(err, PMED_ERR_INVALID, "random forest classification needs at least two classes");
		pmed_fail_detail(err, "Every row with a label has the same class.");
		return PMED_ERR_INVALID;
	}
	return PMED_OK;
}

PmedForestGrower *
pmed_forest_grower_new(const PmedForestShared *sh)
{
	Trainer    *t = pmed_alloc(sizeof(Trainer));
	int32_t		n = sh->n;
	int			k = sh->k;

	t->sh = sh;
	t->n = n;
	t->p = sh->p;
	t->k = k;
	t->classif = sh->classif != 0;
	t->max_depth = sh->max_depth;
	t->min_leaf = sh->min_leaf;
	t->mtry = sh->mtry;
	t->bins = sh->bins;
	t->bin_lo = sh->bin_lo;
	t->bin_hi = sh->bin_hi;
	t->n_usable = sh->n_usable;
	t->usable = pmed_alloc_array(sh->n_usable > 0 ? sh->n_usable : 1, sizeof(int32_t));
	t->yc = sh->yc;
	t->y = sh->y;
	t->cat_levels = sh->cat_levels;
	if (sh->cat_levels != NULL && sh->max_levels > 0)
		t->cat_scratch = pmed_alloc(pmed_cat_scratch_size(sh->max_levels, k));
	else
		t->cat_levels = NULL;

	t->w = pmed_alloc_array(n, sizeof(double));
	t->idx = pmed_alloc_array(n, sizeof(int32_t));
	t->pw = pmed_alloc_array(n, sizeof(double));
	if (t->classif)
		t->pc = pmed_alloc_array(n, sizeof(int32_t));
	else
		t->py = pmed_alloc_array(n, sizeof(double));
	t->hist = pmed_alloc_array((size_t) HIST_SLOTS * k, sizeof(double));
	t->tot = pmed_alloc_array(HIST_SLOTS, sizeof(double));
	t->rows = pmed_alloc_array(HIST_SLOTS, sizeof(int32_t));
	t->node_sum = pmed_alloc_array(k, sizeof(double));
	t->left = pmed_alloc_array(k, sizeof(double));
	t->miss = pmed_alloc_array(k, sizeof(double));
	if (sh->importance == PMED_FOREST_IMPORTANCE_PERMUTATION)
		t->perm = pmed_alloc_array(t->p, sizeof(double));
	if (sh->oob)
	{
		t->oob_rows = pmed_alloc_array(((size_t) n + 31) / 32, sizeof(uint32_t));
		t->oob_leaf = pmed_alloc_array(n, sizeof(int32_t));
	}
	return t;
}

void
pmed_forest_grower_free(PmedForestGrower *t)
{
	if (t == NULL)
		return;
	pmed_free(t->usable);
	pmed_free(t->w);
	pmed_free(t->idx);
	pmed_free(t->pw);
	pmed_free(t->pc);
	pmed_free(t->py);
	pmed_free(t->hist);
	pmed_free(t->tot);
	pmed_free(t->rows);
	pmed_free(t->node_sum);
	pmed_free(t->left);
	pmed_free(t->miss);
	pmed_free(t->cat_scratch);
	pmed_free(t->nodes);
	pmed_free(t->cover);
	pmed_free(t->leaf_values);
	pmed_free(t->gain);
	pmed_free(t->gain_feature);
	pmed_free(t->perm);
	pmed_free(t->cat_words);
	pmed_free(t->oob_rows);
	pmed_free(t->oob_leaf);
	pmed_free(t);
}

/* A tree's random stream: from (seed, tree) only. */
static void
tree_rng(const PmedForestShared *sh, int tree, PmedRng *rng)
{
	pmed_rng_seed(rng, pmed_mix64(sh->seed) ^ pmed_mix64((uint64_t) tree + 0x5851F42D4C957F2DULL));
}

/*
 * A tree's in-bag weights w: `draws` rows with replacement (bootstrap
 * counts as weights) or without (partial Fisher-Yates over idx, n scratch).
 */
static void
draw_weights(const PmedForestShared *sh, PmedRng *rng, double *w, int32_t *idx)
{
	int32_t		n = sh->n;

	memset(w, 0, sizeof(double) * n);
	if (sh->replace)
	{
		for (int32_t d = 0; d < sh->draws; d++)
			w[pmed_rng_below(rng, (uint64_t) n)] += 1.0;
	}
	else
	{
		for (int32_t i = 0; i < n; i++)
			idx[i] = i;
		for (int32_t d = 0; d < sh->draws; d++)
		{
			int32_t		s = d + (int32_t) pmed_rng_below(rng, (uint64_t) (n - d));
			int32_t		tmp = idx[d];

			idx[d] = idx[s];
			idx[s] = tmp;
			w[idx[d]] = 1.0;
		}
	}
}

/* Draw a tree's sample, then gather the in-bag rows with their weights and labels. */
static void
draw_sample(Trainer *t, PmedRng *rng)
{
	int32_t		n = t->n;

	draw_weights(t->sh, rng, t->w, t->idx);
	t->n_inbag = 0;
	for (int32_t i = 0; i < n; i++)
		if (t->w[i] > 0.0)
		{
			t->pw[t->n_inbag] = t->w[i];
			if (t->classif)
				t->pc[t->n_inbag] = t->yc[i];
			else
				t->py[t->n_inbag] = t->y[i];
			t->idx[t->n_inbag++] = i;
		}
}

PmedStatus
pmed_forest_grow(PmedForestGrower *t, int tree, PmedForestTree *out, PmedError *err)
{
	PmedRng		rng;
	int			depth;

	memset(out, 0, sizeof(*out));
	tree_rng(t->sh, tree, &rng);
	draw_sample(t, &rng);
	depth = grow_tree(t, &rng);
	if (depth < 0)
		return too_large(err);
	if (t->oob_leaf != NULL)
		oob_leaves(t);
	if (t->perm != NULL)
		permutation_importance(t, &rng);
	out->n_nodes = t->n_nodes;
	out->n_leaves = t->n_leaves;
	out->n_cat_words = t->n_cat_words;
	out->n_cat_splits = t->n_cat_splits;
	out->n_gains = t->n_gains;
	out->depth = depth;
	out->n_perm = t->perm != NULL ? t->p : 0;
	out->k = t->k;
	out->nodes = t->nodes;
	out->cover = t->cover;
	out->leaf_values = t->leaf_values;
	out->gain = t->gain;
	out->gain_feature = t->gain_feature;
	out->perm = t->perm;
	out->cat_words = t->cat_words;
	if (t->oob_leaf != NULL)
	{
		out->n_oob = t->n_oob;
		out->n_oob_words = (t->n + 31) / 32;
		out->oob_rows = t->oob_rows;
		out->oob_leaf = t->oob_leaf;
	}
	return PMED_OK;
}

double
pmed_forest_tree_bytes(const PmedForestTree *tree)
{
	return (double) tree->n_nodes * 24.0 + (double) tree->n_leaves * 8.0 * tree->k;
}

/* Estimated encoded bytes: must stay well under the bytea limit. */
bool
pmed_forest_bytes_ok(double bytes)
{
	return bytes < (double) PMED_MAX_MODEL_BYTES * 0.9;
}

/* ---- flat form: doubles first, then 32-bit words, all 8-byte aligned ---- */

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t) 7;
}

size_t
pmed_forest_tree_flat_size(const PmedForestTree *tr)
{
	return sizeof(PmedForestTree) +
		(size_t) tr->n_nodes * (sizeof(PmedForestNode) + sizeof(double)) +
		(size_t) tr->n_leaves * tr->k * sizeof(double) +
		(size_t) tr->n_gains * sizeof(double) +
		(size_t) tr->n_perm * sizeof(double) +
		align8((size_t) tr->n_gains * sizeof(int32_t)) +
		align8((size_t) tr->n_cat_words * sizeof(uint32_t)) +
		align8((size_t) tr->n_oob_words * sizeof(uint32_t)) +
		align8((size_t) tr->n_oob * sizeof(int32_t));
}

/* Lay out the arrays of *tr (counts set) over buf; copy from src when not NULL. */
static void
flat_layout(PmedForestTree *tr, char *buf, const PmedForestTree *src)
{
	char	   *p = buf + sizeof(PmedForestTree);

#define FLAT_ARRAY(field, count) \
	do { \
		tr->field = (void *) p; \
		if (src != NULL && (count) > 0) \
			memcpy(p, src->field, (size_t) (count) * sizeof(*tr->field)); \
		p += align8((size_t) (count) * sizeof(*tr->field)); \
	} while (0)

	FLAT_ARRAY(nodes, tr->n_nodes);
	FLAT_ARRAY(cover, tr->n_nodes);
	FLAT_ARRAY(leaf_values, (size_t) tr->n_leaves * tr->k);
	FLAT_ARRAY(gain, tr->n_gains);
	FLAT_ARRAY(perm, tr->n_perm);
	FLAT_ARRAY(gain_feature, tr->n_gains);
	FLAT_ARRAY(cat_words, tr->n_cat_words);
	FLAT_ARRAY(oob_rows, tr->n_oob_words);
	FLAT_ARRAY(oob_leaf, tr->n_oob);
#undef FLAT_ARRAY
}

void
pmed_forest_tree_flatten(const PmedForestTree *tree, void *buf)
{
	PmedForestTree hdr = *tree;

	flat_layout(&hdr, buf, tree);
	memcpy(buf, tree, sizeof(PmedForestTree));
}

void
pmed_forest_tree_unflatten(const void *buf, PmedForestTree *tree)
{
	memcpy(tree, buf, sizeof(PmedForestTree));
	flat_layout(tree, (char *) buf, NULL);
}

/* ---- the leader: prepare, append in tree order, finish ---- */

void
pmed_forest_fit_free(PmedForestFit *fit)
{
	if (fit == NULL)
		return;
	pmed_free(fit->bins);
	pmed_free(fit->nbins);
	pmed_free(fit->bin_lo);
	pmed_free(fit->bin_hi);
	pmed_free(fit->usable);
	pmed_free(fit->yc);
	pmed_free(fit->cat_levels);
	pmed_free(fit->imp);
	pmed_free(fit->oob_sum);
	pmed_free(fit->oob_cnt);
	if (fit->f != NULL)
	{
		pmed_free(fit->f->tree_start);
		pmed_free(fit->f->nodes);
		pmed_free(fit->f->cover);
		pmed_free(fit->f->leaf_values);
		pmed_free(fit->f->cat_levels);
		pmed_free(fit->f->cat_words);
		pmed_free(fit->f);
	}
	pmed_free(fit);
}

const PmedForestShared *
pmed_forest_fit_shared(const PmedForestFit *fit)
{
	return &fit->sh;
}

PmedStatus
pmed_forest_prepare(const PmedDataset *ds, const PmedForestParams *par,
					PmedForestFit **out, PmedError *err)
{
	PmedForestFit *fit;
	PmedForest *f;
	int			p = ds->n_features;
	bool		classif = ds->n_classes > 0;
	int			k = classif ? ds->n_classes : 1;
	int32_t		n;
	double		frac;
	PmedStatus	st;

	*out = NULL;
	if ((st = check_params(ds, par, err)) != PMED_OK)
		return st;
	n = (int32_t) ds->n_rows;

	fit = pmed_alloc(sizeof(PmedForestFit));
	fit->ds = ds;
	fit->err = err;
	fit->sh.n = n;
	fit->sh.p = p;
	fit->sh.k = k;
	fit->sh.classif = classif;
	fit->sh.max_depth = par->max_depth > 0 ? par->max_depth : PMED_FOREST_MAX_DEPTH;
	fit->sh.min_leaf = par->min_leaf;
	fit->sh.n_trees = par->n_trees;
	fit->sh.replace = par->replace;
	fit->sh.importance = par->importance;
	fit->sh.seed = par->seed;
	fit->sh.y = ds->y;
	fit->sh.x = ds->x;
	if ((st = read_labels(fit)) != PMED_OK)
	{
		pmed_forest_fit_free(fit);
		return st;
	}

	if (par->cat_levels != NULL)
	{
		int			maxl = 0;

		for (int j = 0; j < p; j++)
		{
			if (par->cat_levels[j] < 0 || par->cat_levels[j] > PMED_FOREST_BINS ||
				par->cat_levels[j] == 1)
			{
				pmed_fail(err, PMED_ERR_INVALID, "categorical feature must have 2 to %d levels", PMED_FOREST_BINS);
				pmed_forest_fit_free(fit);
				return PMED_ERR_INVALID;
			}
			if (par->cat_levels[j] > maxl)
				maxl = par->cat_levels[j];
		}
		if (maxl > 0)
		{
			fit->cat_levels = pmed_alloc_array(p, sizeof(int32_t));
			memcpy(fit->cat_levels, par->cat_levels, sizeof(int32_t) * p);
			fit->sh.max_levels = maxl;
		}
	}
	if (!bin_features(fit))
	{
		pmed_forest_fit_free(fit);
		return err->status;
	}
	if (fit->sh.n_usable == 0)
	{
		pmed_fail(err, PMED_ERR_INVALID, "random forest needs a feature that varies");
		pmed_fail_detail(err, "Every feature is constant or missing in all rows, so no split is possible.");
		pmed_forest_fit_free(fit);
		return PMED_ERR_INVALID;
	}

	fit->sh.mtry = par->mtry > 0 ? par->mtry :
		(classif ? (int) floor(sqrt((double) p)) : p / 3);
	if (fit->sh.mtry < 1)
		fit->sh.mtry = 1;
	if (fit->sh.mtry > fit->sh.n_usable)
		fit->sh.mtry = fit->sh.n_usable;

	frac = par->sample_fraction > 0 ? par->sample_fraction : (par->replace ? 1.0 : 0.632);
	fit->sh.draws = (int32_t) llround(frac * n);
	if (fit->sh.draws < 1)
		fit->sh.draws = 1;

	fit->sh.bins = fit->bins;
	fit->sh.nbins = fit->nbins;
	fit->sh.bin_lo = fit->bin_lo;
	fit->sh.bin_hi = fit->bin_hi;
	fit->sh.usable = fit->usable;
	fit->sh.yc = fit->yc;
	fit->sh.cat_levels = fit->cat_levels;
	fit->imp = pmed_alloc_array(p, sizeof(double));
	/* out-of-bag sums, unless too large to keep */
	if ((double) n * k < 2e8)
	{
		fit->sh.oob = 1;
		fit->oob_sum = pmed_alloc_array((size_t) n * k, sizeof(double));
		fit->oob_cnt = pmed_alloc_array(n, sizeof(int32_t));
	}

	f = pmed_alloc(sizeof(PmedForest));
	f->task = classif ? PMED_TASK_CLASSIFICATION : PMED_TASK_REGRESSION;
	f->n_features = p;
	f->n_outputs = k;
	f->n_trees = par->n_trees;
	f->tree_start = pmed_alloc_array((size_t) par->n_trees + 1, sizeof(int32_t));
	f->importance_kind = par->importance;
	f->min_depth = INT32_MAX;
	f->mtry = fit->sh.mtry;
	f->min_leaf = par->min_leaf;
	f->sample_fraction = frac;
	if (fit->cat_levels != NULL)
	{
		f->cat_levels = pmed_alloc_array(p, sizeof(int32_t));
		memcpy(f->cat_levels, fit->cat_levels, sizeof(int32_t) * p);
	}
	fit->f = f;
	*out = fit;
	return PMED_OK;
}

/* Room for `more` items in an array of cap items of elem bytes; false past INT32_MAX / 2. */
static bool
grow_array(void **a, int32_t *cap, int64_t need, size_t elem)
{
	int64_t		c;

	if (need <= *cap)
		return true;
	if (need > INT32_MAX / 2)
		return false;
	c = (int64_t) *cap * 2 + 64;
	if (c < need)
		c = need;
	if (c > INT32_MAX / 2)
		c = INT32_MAX / 2;
	*a = pmed_realloc(*a, (size_t) c * elem);
	*cap = (int32_t) c;
	return true;
}

PmedStatus
pmed_forest_append(PmedForestFit *fit, const PmedForestTree *tr, PmedError *err)
{
	PmedForest *f = fit->f;
	int			k = fit->sh.k;
	int32_t		n0 = f->n_nodes,
				l0 = f->n_leaves,
				w0 = f->n_cat_words;
	int32_t		cap_cover = fit->cap_nodes;
	int32_t		cap_nodes = fit->cap_nodes;
	int32_t		cap_lv = fit->cap_leaves;
	int			tree = fit->next_tree;

	if (tree >= fit->sh.n_trees)
		return pmed_fail(err, PMED_ERR_INTERNAL, "forest tree appended out of order");
	/* the size limit, on the forest so far in tree order */
	if (!pmed_forest_bytes_ok((double) (n0 + (int64_t) tr->n_nodes) * 24.0 +
							  (double) (l0 + (int64_t) tr->n_leaves) * 8.0 * k))
		return too_large(err);
	if (!grow_array((void **) &f->nodes, &cap_nodes, (int64_t) n0 + tr->n_nodes, sizeof(PmedForestNode)) ||
		!grow_array((void **) &f->cover, &cap_cover, (int64_t) n0 + tr->n_nodes, sizeof(double)) ||
		!grow_array((void **) &f->leaf_values, &cap_lv, ((int64_t) l0 + tr->n_leaves) * k, sizeof(double)) ||
		!grow_array((void **) &f->cat_words, &fit->cap_cat_words, (int64_t) w0 + tr->n_cat_words, sizeof(uint32_t)))
		return too_large(err);
	fit->cap_nodes = cap_nodes;
	fit->cap_leaves = cap_lv;

	/* relocate: split children by the node offset, leaves by the leaf offset */
	for (int32_t i = 0; i < tr->n_nodes; i++)
	{
		PmedForestNode nd = tr->nodes[i];

		if (nd.code == PMED_FOREST_LEAF)
			nd.child += l0;
		else
		{
			nd.child += n0;
			if (nd.code < -1)
				nd.threshold += w0;
		}
		f->nodes[n0 + i] = nd;
	}
	memcpy(f->cover + n0, tr->cover, sizeof(double) * tr->n_nodes);
	memcpy(f->leaf_values + (size_t) l0 * k, tr->leaf_values, sizeof(double) * tr->n_leaves * k);
	if (tr->n_cat_words > 0)
		memcpy(f->cat_words + w0, tr->cat_words, sizeof(uint32_t) * tr->n_cat_words);
	f->tree_start[tree] = n0;
	f->tree_start[tree + 1] = n0 + tr->n_nodes;
	f->n_nodes = n0 + tr->n_nodes;
	f->n_leaves = l0 + tr->n_leaves;
	f->n_cat_words = w0 + tr->n_cat_words;
	f->n_cat_splits += tr->n_cat_splits;

	/* reductions, in tree order */
	for (int32_t i = 0; i < tr->n_gains; i++)
		fit->imp[tr->gain_feature[i]] += tr->gain[i];
	for (int32_t j = 0; j < tr->n_perm; j++)
		fit->imp[j] += tr->perm[j];
	/* out-of-bag sums: per row, the trees that left it out in tree order */
	if (fit->oob_sum != NULL)
	{
		int32_t		j = 0;

		if (tr->n_oob_words != (fit->sh.n + 31) / 32)
			return pmed_fail(err, PMED_ERR_INTERNAL, "forest tree without its out-of-bag rows");
		for (int32_t wi = 0; wi < tr->n_oob_words; wi++)
			for (uint32_t m = tr->oob_rows[wi]; m != 0; m &= m - 1)
			{
				int32_t		r = wi * 32 + __builtin_ctz(m);
				const double *lv;

				if (j >= tr->n_oob || tr->oob_leaf[j] < 0 || tr->oob_leaf[j] >= tr->n_leaves)
					return pmed_fail(err, PMED_ERR_INTERNAL, "forest tree with inconsistent out-of-bag rows");
				lv = tr->leaf_values + (size_t) tr->oob_leaf[j++] * k;
				for (int c = 0; c < k; c++)
					fit->oob_sum[(size_t) r * k + c] += lv[c];
				fit->oob_cnt[r]++;
			}
	}
	fit->depth_sum += tr->depth;
	if (tr->depth > f->max_depth)
		f->max_depth = tr->depth;
	if (tr->depth < f->min_depth)
		f->min_depth = tr->depth;
	fit->next_tree++;
	return PMED_OK;
}

/*
 * Out-of-bag misclassification rate or mean squared error from the sums
 * append made, NaN when none (or too large to keep).
 */
static void
oob_error(PmedForestFit *fit, PmedForest *f)
{
	const PmedForestShared *sh = &fit->sh;
	int			k = sh->k;
	double		e = 0.0;

	f->oob_error = NAN;
	if (fit->oob_sum == NULL)
		return;
	for (int32_t r = 0; r < sh->n; r++)
	{
		const double *s = fit->oob_sum + (size_t) r * k;

		if (fit->oob_cnt[r] == 0)
			continue;
		f->oob_rows++;
		if (sh->classif)
			e += argmax(s, k) == sh->yc[r] ? 0.0 : 1.0;
		else
		{
			double		d = s[0] / fit->oob_cnt[r] - sh->y[r];

			e += d * d;
		}
	}
	if (f->oob_rows > 0)
		f->oob_error = e / f->oob_rows;
}

PmedStatus
pmed_forest_finish(PmedForestFit *fit, PmedForest **out, PmedError *err)
{
	PmedForest *f = fit->f;
	int			p = fit->sh.p;

	*out = NULL;
	if (fit->next_tree != fit->sh.n_trees)
	{
		pmed_fail(err, PMED_ERR_INTERNAL, "forest finished with %d of %d trees",
				  fit->next_tree, fit->sh.n_trees);
		pmed_forest_fit_free(fit);
		return PMED_ERR_INTERNAL;
	}
	f->mean_depth = fit->depth_sum / f->n_trees;
	/* importance: permutation losses averaged over trees, or impurity shares summing to 1 */
	f->importance = fit->imp;
	fit->imp = NULL;
	if (f->importance_kind == PMED_FOREST_IMPORTANCE_PERMUTATION)
	{
		for (int j = 0; j < p; j++)
			f->importance[j] /= f->n_trees;
	}
	else
	{
		double		s = 0.0;

		for (int j = 0; j < p; j++)
			s += f->importance[j];
		if (s > 0)
			for (int j = 0; j < p; j++)
				f->importance[j] /= s;
	}
	oob_error(fit, f);
	cache_leaf_values(f);
	fit->f = NULL;
	pmed_forest_fit_free(fit);
	*out = f;
	return PMED_OK;
}

/* The serial fit: the same per-tree buffers and merge as any parallel host. */
PmedStatus
pmed_forest_train(const PmedDataset *ds, const PmedForestParams *par,
				  PmedForest **out, PmedError *err)
{
	PmedForestFit *fit;
	PmedForestGrower *g;
	PmedStatus	st;

	*out = NULL;
	if ((st = pmed_forest_prepare(ds, par, &fit, err)) != PMED_OK)
		return st;
	g = pmed_forest_grower_new(pmed_forest_fit_shared(fit));
	for (int tree = 0; tree < par->n_trees; tree++)
	{
		PmedForestTree tr;

		if ((st = pmed_forest_grow(g, tree, &tr, err)) != PMED_OK ||
			(st = pmed_forest_append(fit, &tr, err)) != PMED_OK)
		{
			pmed_forest_grower_free(g);
			pmed_forest_fit_free(fit);
			return st;
		}
	}
	pmed_forest_grower_free(g);
	return pmed_forest_finish(fit, out, err);
}

/* ---- encoding ---- */

#define FOREST_PAYLOAD_VERSION	1

void
pmed_forest_encode(const PmedForest *f, PmedWriter *w)
{
	pmed_put_u8(w, FOREST_PAYLOAD_VERSION);
	pmed_put_u8(w, (uint8_t) f->task);
	pmed_put_u32(w, (uint32_t) f->n_features);
	pmed_put_u32(w, (uint32_t) f->n_outputs);
	pmed_put_u32(w, (uint32_t) f->n_trees);
	for (int t = 0; t < f->n_trees; t++)
		pmed_put_u32(w, (uint32_t) (f->tree_start[t + 1] - f->tree_start[t]));
	for (int32_t i = 0; i < f->n_nodes; i++)
	{
		const PmedForestNode *nd = &f->nodes[i];

		if ((i & 0xFFFFF) == 0xFFFFF)
			pmed_check_interrupts();	/* millions of nodes */
		pmed_put_i32(w, nd->code);
		pmed_put_i32(w, nd->child);
		pmed_put_f64(w, nd->code == PMED_FOREST_LEAF ? 0.0 : nd->threshold);
		pmed_put_f64(w, f->cover[i]);
	}
	pmed_put_u32(w, (uint32_t) f->n_leaves);
	pmed_put_f64_array(w, f->leaf_values, (size_t) f->n_leaves * f->n_outputs);
	pmed_put_u8(w, (uint8_t) f->importance_kind);
	pmed_put_f64_array(w, f->importance, f->n_features);
	/* categorical section: only in forests trained with categorical features */
	if (f->cat_levels != NULL)
	{
		for (int j = 0; j < f->n_features; j++)
			pmed_put_u32(w, (uint32_t) f->cat_levels[j]);
		pmed_put_u32(w, (uint32_t) f->n_cat_words);
		for (int32_t i = 0; i < f->n_cat_words; i++)
			pmed_put_u32(w, f->cat_words[i]);
	}
}

static PmedForest *
corrupt(PmedReader *r, const char *what)
{
	pmed_reader_fail(r, what);
	return NULL;
}

PmedForest *
pmed_forest_decode(PmedReader *r, int n_features, int n_classes, PmedError *err)
{
	PmedForest *f = pmed_alloc(sizeof(PmedForest));
	uint8_t		version,
				task,
				imp_kind;
	uint32_t	u,
				n_trees,
				n_leaves;
	int64_t		total = 0;
	uint8_t    *parented;
	int32_t    *depth;

	if (!pmed_get_u8(r, &version))
		return NULL;
	if (version != FOREST_PAYLOAD_VERSION)
		return corrupt(r, "unsupported forest payload version");
	if (!pmed_get_u8(r, &task))
		return NULL;
	if (task != (n_classes > 0 ? PMED_TASK_CLASSIFICATION : PMED_TASK_REGRESSION))
		return corrupt(r, "forest task does not match the schema");
	f->task = task;
	if (!pmed_get_u32(r, &u))
		return NULL;
	if ((int64_t) u != n_features || u < 1)
		return corrupt(r, "forest feature count does not match the schema");
	f->n_features = (int) u;
	if (!pmed_get_u32(r, &u))
		return NULL;
	if ((int64_t) u != (n_classes > 0 ? n_classes : 1))
		return corrupt(r, "forest output count does not match the schema");
	f->n_outputs = (int) u;
	if (!pmed_get_count(r, PMED_FOREST_MAX_TREES, 4, &n_trees))
		return NULL;
	if (n_trees < 1)
		return corrupt(r, "forest has no tree");
	f->n_trees = (int) n_trees;
	f->tree_start = pmed_alloc_array((size_t) n_trees + 1, sizeof(int32_t));
	for (uint32_t t = 0; t < n_trees; t++)
	{
		if (!pmed_get_u32(r, &u))
			return NULL;
		if (u < 1)
			return corrupt(r, "empty tree");
		f->tree_start[t] = (int32_t) total;
		total += u;
		/* each node takes 24 bytes: reject before allocating */
		if (total > INT32_MAX / 2 || (size_t) total > r->left / 24)
			return corrupt(r, "truncated");
	}
	f->tree_start[n_trees] = (int32_t) total;
	f->n_nodes = (int32_t) total;
	f->nodes = pmed_alloc_array((size_t) total, sizeof(PmedForestNode));
	f->cover = pmed_alloc_array((size_t) total, sizeof(double));
	for (int32_t i = 0; i < f->n_nodes; i++)
	{
		if ((i & 0xFFFFF) == 0xFFFFF)
			pmed_check_interrupts();	/* millions of nodes */
		if (!pmed_get_i32(r, &f->nodes[i].code) || !pmed_get_i32(r, &f->nodes[i].child) ||
			!pmed_get_f64(r, &f->nodes[i].threshold) || !pmed_get_f64(r, &f->cover[i]))
			return NULL;
		if (!(f->cover[i] > 0))
			return corrupt(r, "node cover must be positive");
	}
	if (!pmed_get_count(r, INT32_MAX / 2, 8 * (size_t) f->n_outputs, &n_leaves))
		return NULL;
	f->n_leaves = (int32_t) n_leaves;
	if (!pmed_get_f64_array(r, (size_t) n_leaves * f->n_outputs, &f->leaf_values))
		return NULL;
	if (!pmed_get_u8(r, &imp_kind))
		return NULL;
	if (imp_kind > PMED_FOREST_IMPORTANCE_PERMUTATION)
		return corrupt(r, "unknown importance kind");
	f->importance_kind = imp_kind;
	if (!pmed_get_f64_array(r, (size_t) f->n_features, &f->importance))
		return NULL;
	if (r->left > 0)
	{
		/* categorical section */
		bool		any = false;

		if ((size_t) f->n_features > r->left / 4)
			return corrupt(r, "truncated");
		f->cat_levels = pmed_alloc_array(f->n_features, sizeof(int32_t));
		for (int j = 0; j < f->n_features; j++)
		{
			if (!pmed_get_u32(r, &u))
				return NULL;
			if (u == 1 || u > PMED_FOREST_BINS)
				return corrupt(r, "categorical level count out of range");
			f->cat_levels[j] = (int32_t) u;
			any |= u > 0;
		}
		if (!any)
			return corrupt(r, "categorical section without a categorical feature");
		if (!pmed_get_count(r, INT32_MAX / 2, 4, &u))
			return NULL;
		f->n_cat_words = (int32_t) u;
		f->cat_words = pmed_alloc_array(u > 0 ? u : 1, sizeof(uint32_t));
		for (uint32_t i = 0; i < u; i++)
			if (!pmed_get_u32(r, &f->cat_words[i]))
				return NULL;
	}
	if (!pmed_reader_done(r))
		return NULL;

	/*
	 * Structure: within each tree a split's children are a pair after it,
	 * every node but the root has exactly one parent, leaves index leaf
	 * values, split features index the features.  So every walk ends and
	 * every tree is a tree.
	 */
	parented = pmed_alloc_array((size_t) total, 1);
	depth = pmed_alloc_array((size_t) total, sizeof(int32_t));
	for (int t = 0; t < f->n_trees; t++)
	{
		int32_t		lo = f->tree_start[t],
					hi = f->tree_start[t + 1];

		for (int32_t i = lo; i < hi; i++)
		{
			const PmedForestNode *nd = &f->nodes[i];

			if (i > lo && !parented[i])
				return corrupt(r, "tree node without a parent");
			if (nd->code == PMED_FOREST_LEAF)
			{
				if (nd->child < 0 || nd->child >= f->n_leaves)
					return corrupt(r, "leaf index out of range");
				continue;
			}
			if (nd->code < -1)
			{
				int			feat = pmed_forest_node_feature(nd);
				double		off = nd->threshold;

				if (f->cat_levels == NULL || feat >= f->n_features || f->cat_levels[feat] == 0)
					return corrupt(r, "categorical split on a feature that is not categorical");
				if (!(off >= 0 && off == floor(off) &&
					  off + PMED_CAT_WORDS(f->cat_levels[feat]) <= f->n_cat_words))
					return corrupt(r, "categorical split levels out of range");
				f->n_cat_splits++;
			}
			else if (nd->code < 0 || (nd->code >> 1) >= f->n_features)
				return corrupt(r, "split feature out of range");
			else if (f->cat_levels != NULL && f->cat_levels[nd->code >> 1] > 0)
				return corrupt(r, "numeric split on a categorical feature");
			if (nd->child <= i || nd->child >= hi - 1)
				return corrupt(r, "child index out of range");
			if (parented[nd->child] || parented[nd->child + 1])
				return corrupt(r, "tree node with two parents");
			parented[nd->child] = parented[nd->child + 1] = 1;
			depth[nd->child] = depth[nd->child + 1] = depth[i] + 1;
			if (depth[i] + 1 > PMED_FOREST_MAX_DEPTH)
				return corrupt(r, "tree too deep");
			if (depth[i] + 1 > f->max_depth)
				f->max_depth = depth[i] + 1;
		}
	}
	pmed_free(parented);
	pmed_free(depth);
	cache_leaf_values(f);
	(void) err;
	return f;
}
