/*
 * pmed_core.h - what every pure core file shares: status codes, error
 * reporting, and the allocation / interrupt hooks the host installs.
 *
 * Nothing under src/core/ includes postgres.h.  The PostgreSQL glue installs
 * hooks that allocate in the current memory context and run
 * CHECK_FOR_INTERRUPTS(); the unit tests keep the malloc-based defaults.
 * Because the PostgreSQL hooks may longjmp out of any call, core code must
 * never hold a resource other than hook-allocated memory.
 */
#ifndef PMED_CORE_H
#define PMED_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum PmedStatus
{
	PMED_OK = 0,
	PMED_ERR_INVALID,			/* bad parameter or data: SQLSTATE 22023 */
	PMED_ERR_CORRUPT,			/* bad model bytes: SQLSTATE XX001 */
	PMED_ERR_LIMIT,				/* a size limit: SQLSTATE 54000 */
	PMED_ERR_INTERNAL			/* a bug: SQLSTATE XX000 */
} PmedStatus;

typedef struct PmedError
{
	PmedStatus	status;
	char		message[256];	/* lower-case, no trailing period */
	char		detail[256];	/* full sentence or empty */
} PmedError;

/* Record an error and return its status (printf-style message). */
PmedStatus	pmed_fail(PmedError *err, PmedStatus status, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
/* Add a detail sentence to an error already recorded. */
void		pmed_fail_detail(PmedError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

typedef struct PmedHooks
{
	void	   *(*alloc) (size_t size); /* zeroed; never returns NULL */
	void	   *(*realloc) (void *ptr, size_t size);	/* never returns NULL */
	void		(*free) (void *ptr);
	void		(*check_interrupts) (void);
} PmedHooks;

void		pmed_set_hooks(const PmedHooks *hooks);

/* Zeroed allocation; aborts the query (or the test) when out of memory. */
void	   *pmed_alloc(size_t size);
/* n * elem_size with overflow checked: the product must not wrap. */
void	   *pmed_alloc_array(size_t n, size_t elem_size);
void	   *pmed_realloc(void *ptr, size_t size);
void		pmed_free(void *ptr);	/* accepts NULL */
char	   *pmed_strdup(const char *s);
void		pmed_check_interrupts(void);

/* True when a * b fits in size_t; the product is stored in *out. */
static inline bool
pmed_mul_size(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return false;
	*out = a * b;
	return true;
}

/* Largest model or training set we accept: bytea must stay under 1 GB. */
#define PMED_MAX_MODEL_BYTES	((size_t) 0x3FFFFFFF - 64)

#endif
