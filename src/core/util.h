/*
 * util.h - small helpers every core shares: sorted int64 id arrays.
 *
 * Pure C: no postgres.h.
 */
#ifndef PMED_UTIL_H
#define PMED_UTIL_H

#include "pmed_core.h"

/* qsort comparator: ascending int64_t. */
int			pmed_int64_cmp(const void *a, const void *b);

/* Sort ascending and drop repeats in place; returns the distinct count. */
size_t		pmed_sort_unique_int64(int64_t *v, size_t n);

/*
 * Sort n elements of size bytes, as qsort, but checking for interrupts every
 * 64k elements moved (a stable bottom-up merge sort; it allocates a copy of
 * the array, n * size bytes, for the merge).  A sort of millions of rows
 * can take seconds: every sort whose n grows with the rows uses these.
 */
typedef int (*pmed_cmp_arg_fn) (const void *a, const void *b, void *arg);
void		pmed_sort_arg(void *base, size_t n, size_t size, pmed_cmp_arg_fn cmp, void *arg);
void		pmed_sort(void *base, size_t n, size_t size, int (*cmp) (const void *, const void *));

/* Index of an id in a sorted id array, or -1. */
int64_t		pmed_find_id(const int64_t *ids, size_t n, int64_t id);

#endif
