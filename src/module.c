/*
 * module.c - module set-up: the magic block, and _PG_init, which installs
 * the hooks through which the pure core allocates memory (in the current
 * memory context) and checks for interrupts.
 */
#include "pmed.h"

#include "miscadmin.h"
#include "utils/memutils.h"

/* PostgreSQL 18 lets a module report its name and version. */
#if PG_VERSION_NUM >= 180000
PG_MODULE_MAGIC_EXT(.name = "pmed", .version = "0.2.0");
#else
PG_MODULE_MAGIC;
#endif

void		_PG_init(void);

static void *
pg_alloc(size_t size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size ? size : 1,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static void *
pg_realloc(void *ptr, size_t size)
{
	return repalloc_huge(ptr, size ? size : 1);
}

static void
pg_free(void *ptr)
{
	pfree(ptr);
}

static void
pg_check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

void
_PG_init(void)
{
	static const PmedHooks hooks = {pg_alloc, pg_realloc, pg_free, pg_check_interrupts};

	pmed_set_hooks(&hooks);
}
