/*
 * util.c - small helpers every core shares (see util.h).
 */
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* ---- an interruptible sort ---- */

#define SORT_RUN		32		/* insertion-sorted runs */
#define SORT_CHECK		65536	/* elements moved between interrupt checks */

typedef struct SortCtx
{
	size_t		size;
	pmed_cmp_arg_fn cmp;
	void	   *arg;
	size_t		work;
} SortCtx;

static inline void
sort_copy(const SortCtx *s, char *dst, const char *src)
{
	if (s->size == 8)
		memcpy(dst, src, 8);
	else
		memcpy(dst, src, s->size);
}

static inline void
sort_tick(SortCtx *s, size_t moved)
{
	s->work += moved;
	if (s->work >= SORT_CHECK)
	{
		s->work = 0;
		pmed_check_interrupts();
	}
}

void
pmed_sort_arg(void *base, size_t n, size_t size, pmed_cmp_arg_fn cmp, void *arg)
{
	SortCtx		s = {size, cmp, arg, 0};
	char	   *a = base;
	char	   *buf,
			   *tmp,
			   *src,
			   *dst;

	if (n < 2 || size == 0)
		return;
	buf = pmed_alloc_array(n, size);
	tmp = pmed_alloc(size);
	for (size_t lo = 0; lo < n; lo += SORT_RUN)
	{
		size_t		m = n - lo < SORT_RUN ? n - lo : SORT_RUN;
		char	   *b = a + lo * size;

		for (size_t i = 1; i < m; i++)
		{
			size_t		j = i;

			sort_copy(&s, tmp, b + i * size);
			while (j > 0 && cmp(b + (j - 1) * size, tmp, arg) > 0)
			{
				sort_copy(&s, b + j * size, b + (j - 1) * size);
				j--;
			}
			sort_copy(&s, b + j * size, tmp);
		}
		sort_tick(&s, m);
	}
	src = a;
	dst = buf;
	for (size_t width = SORT_RUN; width < n; width *= 2)
	{
		char	   *swap;

		for (size_t lo = 0; lo < n; lo += 2 * width)
		{
			size_t		mid = lo + width < n ? lo + width : n;
			size_t		hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t		i = lo,
						j = mid,
						k = lo;

			while (i < mid && j < hi)
			{
				/* the last merges span the whole array: check inside them */
				if ((k & (SORT_CHECK - 1)) == 0)
					pmed_check_interrupts();
				/* equal keys keep their order: the left run first */
				if (cmp(src + j * size, src + i * size, arg) < 0)
					sort_copy(&s, dst + (k++) * size, src + (j++) * size);
				else
					sort_copy(&s, dst + (k++) * size, src + (i++) * size);
			}
			if (i < mid)
				memcpy(dst + k * size, src + i * size, (mid - i) * size);
			else if (j < hi)
				memcpy(dst + k * size, src + j * size, (hi - j) * size);
		}
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != a)
		memcpy(a, src, n * size);
	pmed_free(tmp);
	pmed_free(buf);
}

static int
sort_plain_cmp(const void *a, const void *b, void *arg)
{
	return (*(int (**) (const void *, const void *)) arg) (a, b);
}

void
pmed_sort(void *base, size_t n, size_t size, int (*cmp) (const void *, const void *))
{
	pmed_sort_arg(base, n, size, sort_plain_cmp, &cmp);
}

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
	pmed_sort(v, n, sizeof(int64_t), pmed_int64_cmp);
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
