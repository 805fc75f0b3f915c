/*
 * util.c - small helpers every core shares (see util.h).
 */
#include "util.h"

#include <stdlib.h>

int
pmed_int64_cmp(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a;
	int64_t		y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

size_t
pmed_sort_unique_int64(int64_t *v, size_t n)
{
	size_t		m = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(int64_t), pmed_int64_cmp);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || v[i] != v[m - 1])
			v[m++] = v[i];
	return m;
}

int64_t
pmed_find_id(const int64_t *ids, size_t n, int64_t id)
{
	size_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < n && ids[lo] == id) ? (int64_t) lo : -1;
}
