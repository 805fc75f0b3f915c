/*
 * forest_categorical.c - best subset split of a categorical feature (see
 * forest_categorical.h for the method and its references).
 */
#include "forest_categorical.h"

#include <stdlib.h>
#include <string.h>

/* An atom: a level present in the node, or the missing rows (level -1). */
typedef struct Atom
{
	double		key;
	int			level;
	int			idx;			/* position in Search.atoms */
} Atom;

static int
cmp_atom(const void *a, const void *b)
{
	const Atom *x = a,
			   *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->level > y->level) - (x->level < y->level);
}

size_t
pmed_cat_scratch_size(int n_levels, int k)
{
	/* order, atoms, ns, acc, best_set, cur_set (see pmed_cat_split_search) */
	return (size_t) (n_levels + 1) * (sizeof(Atom) + sizeof(int) + 2) +
		(size_t) 2 * k * sizeof(double);
}

typedef struct Search
{
	const PmedCatNodeStats *s;
	int			k;
	int32_t		min_leaf;
	double	   *ns;				/* node class sums */
	double		nw;
	int32_t		nrows;
	double		parent;
	double	   *acc;			/* left sums being built */
	int			m;				/* atoms */
	int		   *atoms;			/* level per atom, -1 = missing */
	uint8_t    *best_set;		/* per atom: left in the best split */
	uint8_t    *cur_set;
	PmedCatSplit *out;
} Search;

static inline const double *
atom_sum(const Search *S, int level)
{
	return level < 0 ? S->s->miss_sum : S->s->sum + (size_t) level * S->k;
}

static inline double
atom_weight(const Search *S, int level)
{
	return level < 0 ? S->s->miss_weight : S->s->weight[level];
}

static inline int32_t
atom_rows(const Search *S, int level)
{
	return level < 0 ? S->s->miss_rows : S->s->rows[level];
}

/* Score a left side given its sums, weight and rows; keep it when best. */
static void
consider(Search *S, const double *a, double nl, int32_t rl, const uint8_t *set)
{
	double		nr = S->nw - nl;
	double		sl = 0.0,
				sr = 0.0,
				gain;

	if (rl < S->min_leaf || S->nrows - rl < S->min_leaf || !(nl > 0.0) || !(nr > 0.0))
		return;
	for (int c = 0; c < S->k; c++)
	{
		double		r = S->ns[c] - a[c];

		sl += a[c] * a[c];
		sr += r * r;
	}
	gain = sl / nl + sr / nr - S->parent;
	if (!S->out->found || gain > S->out->gain)
	{
		S->out->found = true;
		S->out->gain = gain;
		memcpy(S->best_set, set, S->m);
	}
}

/* Try every prefix of the atoms in the given order. */
static void
scan_prefixes(Search *S, Atom *order)
{
	double		nl = 0.0;
	int32_t		rl = 0;

	memset(S->acc, 0, S->k * sizeof(double));
	memset(S->cur_set, 0, S->m);
	for (int i = 0; i + 1 < S->m; i++)
	{
		int			lv = order[i].level;
		const double *a = atom_sum(S, lv);

		for (int c = 0; c < S->k; c++)
			S->acc[c] += a[c];
		nl += atom_weight(S, lv);
		rl += atom_rows(S, lv);
		S->cur_set[order[i].idx] = 1;
		consider(S, S->acc, nl, rl, S->cur_set);
	}
}

/* Every partition with atom 0 on the left (each counted once). */
static void
scan_all(Search *S)
{
	uint32_t	n_masks = UINT32_C(1) << (S->m - 1);

	for (uint32_t mask = 0; mask + 1 < n_masks; mask++)
	{
		double		nl = 0.0;
		int32_t		rl = 0;

		memset(S->acc, 0, S->k * sizeof(double));
		for (int j = 0; j < S->m; j++)
		{
			bool		in = j == 0 || ((mask >> (j - 1)) & 1);

			S->cur_set[j] = in;
			if (in)
			{
				const double *a = atom_sum(S, S->atoms[j]);

				for (int c = 0; c < S->k; c++)
					S->acc[c] += a[c];
				nl += atom_weight(S, S->atoms[j]);
				rl += atom_rows(S, S->atoms[j]);
			}
		}
		consider(S, S->acc, nl, rl, S->cur_set);
	}
}

void
pmed_cat_split_search(const PmedCatNodeStats *s, int32_t min_leaf, void *scratch,
					  PmedCatSplit *out)
{
	const int	k = s->k;
	const int	L = s->n_levels;
	uint8_t    *p = scratch;
	Atom	   *order = (Atom *) p;
	Search		S;
	double		left_w = 0.0;
	bool		miss_left = false;
	bool		has_miss;

	p += (size_t) (L + 1) * sizeof(Atom);
	S.ns = (double *) p;
	p += (size_t) k * sizeof(double);
	S.acc = (double *) p;
	p += (size_t) k * sizeof(double);
	S.atoms = (int *) p;
	p += (size_t) (L + 1) * sizeof(int);
	S.best_set = p;
	S.cur_set = p + (L + 1);

	S.s = s;
	S.k = k;
	S.min_leaf = min_leaf < 1 ? 1 : min_leaf;
	S.out = out;
	out->found = false;
	out->gain = 0.0;
	out->default_left = true;
	memset(out->left, 0, PMED_CAT_WORDS(L) * sizeof(uint32_t));

	/* the atoms (rows of zero weight count nowhere), node totals, parent's score */
	has_miss = s->miss_rows > 0 && s->miss_weight > 0.0;
	S.m = 0;
	S.nw = has_miss ? s->miss_weight : 0.0;
	S.nrows = has_miss ? s->miss_rows : 0;
	for (int c = 0; c < k; c++)
		S.ns[c] = has_miss ? s->miss_sum[c] : 0.0;
	for (int l = 0; l < L; l++)
		if (s->rows[l] > 0 && s->weight[l] > 0.0)
		{
			S.atoms[S.m++] = l;
			S.nw += s->weight[l];
			S.nrows += s->rows[l];
			for (int c = 0; c < k; c++)
				S.ns[c] += s->sum[(size_t) l * k + c];
		}
	if (has_miss)
		S.atoms[S.m++] = -1;
	if (S.m < 2 || !(S.nw > 0.0))
		return;
	S.parent = 0.0;
	for (int c = 0; c < k; c++)
		S.parent += S.ns[c] * S.ns[c];
	S.parent /= S.nw;

	if (k <= 2)
	{
		/* one ordering: by the mean (regression) or the share of class 1 */
		for (int j = 0; j < S.m; j++)
		{
			int			lv = S.atoms[j];
			const double *a = atom_sum(&S, lv);

			order[j].level = lv;
			order[j].idx = j;
			order[j].key = a[k - 1] / atom_weight(&S, lv);
		}
		qsort(order, S.m, sizeof(Atom), cmp_atom);
		scan_prefixes(&S, order);
	}
	else if (S.m <= PMED_CAT_EXHAUSTIVE_ATOMS)
		scan_all(&S);
	else
		for (int c = 0; c < k; c++)
		{
			for (int j = 0; j < S.m; j++)
			{
				int			lv = S.atoms[j];

				order[j].level = lv;
				order[j].idx = j;
				order[j].key = atom_sum(&S, lv)[c] / atom_weight(&S, lv);
			}
			qsort(order, S.m, sizeof(Atom), cmp_atom);
			scan_prefixes(&S, order);
			pmed_check_interrupts();
		}

	if (out->found)
	{
		for (int j = 0; j < S.m; j++)
			if (S.best_set[j])
			{
				int			lv = S.atoms[j];

				left_w += atom_weight(&S, lv);
				if (lv < 0)
					miss_left = true;
				else
					out->left[lv >> 5] |= UINT32_C(1) << (lv & 31);
			}
		/* absent levels (and missing when the node has none) follow the heavier side */
		if (has_miss)
			out->default_left = miss_left;
		else
			out->default_left = left_w >= S.nw - left_w;
		if (left_w >= S.nw - left_w)
			for (int l = 0; l < L; l++)
				if (!(s->rows[l] > 0 && s->weight[l] > 0.0))
					out->left[l >> 5] |= UINT32_C(1) << (l & 31);
	}
}
