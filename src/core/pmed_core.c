/*
 * pmed_core.c - error recording and the allocation / interrupt hooks.
 */
#include "pmed_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
default_alloc(size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

static void *
default_realloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

static void
default_check_interrupts(void)
{
}

static PmedHooks hooks = {default_alloc, default_realloc, free, default_check_interrupts};

void
pmed_set_hooks(const PmedHooks *h)
{
	hooks = *h;
}

void *
pmed_alloc(size_t size)
{
	return hooks.alloc(size);
}

void *
pmed_alloc_array(size_t n, size_t elem_size)
{
	size_t		total;

	if (!pmed_mul_size(n, elem_size, &total))
		abort();				/* callers check limits first; this is a bug */
	return hooks.alloc(total);
}

void *
pmed_realloc(void *ptr, size_t size)
{
	if (ptr == NULL)
		return hooks.alloc(size);
	return hooks.realloc(ptr, size);
}

void
pmed_free(void *ptr)
{
	if (ptr != NULL)
		hooks.free(ptr);
}

char *
pmed_strdup(const char *s)
{
	size_t		len = strlen(s);
	char	   *copy = hooks.alloc(len + 1);

	memcpy(copy, s, len);
	return copy;
}

void
pmed_check_interrupts(void)
{
	hooks.check_interrupts();
}

PmedStatus
pmed_fail(PmedError *err, PmedStatus status, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return status;
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->detail[0] = '\0';
	return status;
}

void
pmed_fail_detail(PmedError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}
