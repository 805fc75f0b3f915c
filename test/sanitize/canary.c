/*
 * Two deliberate bugs, run last by `PMED_SANITIZE=1 test/run` to prove that
 * the sanitized cluster reports what it should: canary(2147483647, 1) is a
 * signed overflow (UBSan, the backend goes on), canary(0, 4) reads the int
 * just past a 4-int heap block (ASan, the backend dies).
 */
#include "postgres.h"
#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(pmed_canary);

Datum
pmed_canary(PG_FUNCTION_ARGS)
{
	int			a = PG_GETARG_INT32(0);
	int			b = PG_GETARG_INT32(1);
	volatile int *block;
	int			r;

	if (a != 0)
		PG_RETURN_INT32(a + b);
	block = malloc(4 * sizeof(int));
	r = block[b];
	free((void *) block);
	PG_RETURN_INT32(r);
}
