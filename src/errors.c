/*
 * errors.c - reporting core errors, training times, writer to bytea.
 */
#include "pmed.h"

#include <time.h>

#include "miscadmin.h"
#include "utils/memutils.h"

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
