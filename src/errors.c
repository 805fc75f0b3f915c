/*
 * errors.c - module load, the core hooks, and reporting core errors.
 */
#include "pmed.h"

#include <time.h>

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

void
pmed_report(const PmedError *err)
{
	int			code;

	switch (err->status)
	{
		case PMED_ERR_INVALID:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
		case PMED_ERR_CORRUPT:
			code = ERRCODE_DATA_CORRUPTED;
			break;
		case PMED_ERR_LIMIT:
			code = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		default:
			code = ERRCODE_INTERNAL_ERROR;
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg("%s", err->message),
			 err->detail[0] ? errdetail("%s", err->detail) : 0));
	pg_unreachable();
}

double
pmed_now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

bytea *
pmed_writer_to_bytea(const PmedWriter *w)
{
	bytea	   *result = palloc(VARHDRSZ + w->len);

	SET_VARSIZE(result, VARHDRSZ + w->len);
	memcpy(VARDATA(result), w->buf, w->len);
	return result;
}
