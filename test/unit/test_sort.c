/*
 * test_sort.c - pmed_sort / pmed_sort_arg (src/core/util.c): the same order
 * as qsort for every length around the run and merge boundaries, stable for
 * equal keys, and the interrupt hook called while sorting large arrays.
 */
#include "unit.h"

#include "../../src/core/util.h"

typedef struct Rec
{
	int64_t		key;
	int64_t		seq;			/* input position: stability */
} Rec;

static int
rec_key_cmp(const void *a, const void *b)
{
	int64_t		x = ((const Rec *) a)->key,
				y = ((const Rec *) b)->key;

	return (x > y) - (x < y);
}

static int
rec_full_cmp(const void *a, const void *b)
{
	int			c = rec_key_cmp(a, b);
	int64_t		x = ((const Rec *) a)->seq,
				y = ((const Rec *) b)->seq;

	return c != 0 ? c : (x > y) - (x < y);
}

static int
by_value_desc(const void *a, const void *b, void *arg)
{
	const double *v = arg;
	double		x = v[*(const int64_t *) a],
				y = v[*(const int64_t *) b];

	return (x < y) - (x > y);
}

static long interrupts = 0;

static void
count_interrupts(void)
{
	interrupts++;
}

static void *
test_alloc(size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

static void *
test_realloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

int
main(void)
{
	static const size_t lengths[] = {0, 1, 2, 31, 32, 33, 63, 64, 65, 1000, 4097, 100003};
	PmedHooks	hooks = {test_alloc, test_realloc, free, count_interrupts};
	uint64_t	state = 12345;

	pmed_set_hooks(&hooks);
	for (size_t t = 0; t < sizeof(lengths) / sizeof(lengths[0]); t++)
	{
		size_t		n = lengths[t];
		Rec		   *a = test_alloc(sizeof(Rec) * (n + 1));
		Rec		   *b = test_alloc(sizeof(Rec) * (n + 1));
		int64_t    *v = test_alloc(sizeof(int64_t) * (n + 1));
		int64_t    *w = test_alloc(sizeof(int64_t) * (n + 1));
		bool		same = true;

		for (size_t i = 0; i < n; i++)
		{
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			a[i].key = (int64_t) (state >> 33) % 97;	/* many equal keys */
			a[i].seq = (int64_t) i;
			v[i] = (int64_t) (state >> 11) - ((int64_t) 1 << 40);
		}
		memcpy(b, a, sizeof(Rec) * n);
		memcpy(w, v, sizeof(int64_t) * n);
		pmed_sort(a, n, sizeof(Rec), rec_key_cmp);
		qsort(b, n, sizeof(Rec), rec_full_cmp);
		for (size_t i = 0; i < n; i++)
			same = same && a[i].key == b[i].key && a[i].seq == b[i].seq;
		CHECK(same, "n=%zu: 16-byte records in qsort's order, equal keys in input order (stable)", n);
		pmed_sort(v, n, sizeof(int64_t), pmed_int64_cmp);
		qsort(w, n, sizeof(int64_t), pmed_int64_cmp);
		CHECK(n == 0 || memcmp(v, w, sizeof(int64_t) * n) == 0, "n=%zu: int64 in qsort's order", n);
		free(a);
		free(b);
		free(v);
		free(w);
	}

	/* an index sorted through an argument, as the training's canonical order */
	{
		size_t		n = 1000000;
		double	   *val = test_alloc(sizeof(double) * n);
		int64_t    *idx = test_alloc(sizeof(int64_t) * n);
		bool		sorted = true;

		for (size_t i = 0; i < n; i++)
		{
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			val[i] = (double) (state >> 11) / 9007199254740992.0;
			idx[i] = (int64_t) i;
		}
		interrupts = 0;
		pmed_sort_arg(idx, n, sizeof(int64_t), by_value_desc, val);
		for (size_t i = 1; i < n; i++)
			sorted = sorted && val[idx[i - 1]] >= val[idx[i]];
		CHECK(sorted, "1,000,000 indices sorted by their values (descending, through arg)");
		/* 15 merge levels + the runs, a check per 65,536 elements each */
		CHECK(interrupts >= 200, "the interrupt hook was called %ld times while sorting 1M elements", interrupts);
		free(val);
		free(idx);
	}
	return unit_finish("test_sort.c");
}
