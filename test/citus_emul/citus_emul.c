/*
 * citus_emul.c - a test-only emulation of how Citus runs a custom aggregate
 * whose transition type is not a pseudo-type (worker_partial_agg_sfunc /
 * _ffunc on the workers, coord_combine_agg_sfunc / _ffunc on the
 * coordinator; citusdata/citus, src/backend/distributed/utils/
 * aggregate_utils.c), written from reading that file.  What pmed's
 * aggregates must survive there, and what this reproduces:
 *
 *  - the aggregate's arguments reach the worker's support aggregate as one
 *    value, or wrapped in a ROW(...) when there are several, and their types
 *    are checked OID for OID against pg_proc.proargtypes of the aggregate;
 *  - the transition function is called through a FmgrInfo made by
 *    fmgr_info() on every row: fn_expr is NULL (no argument types from the
 *    call) and fn_extra starts NULL every row;
 *  - its result is kept as is only if it is the same pointer, or a
 *    read-write expanded object whose context's parent is the aggregate
 *    context; otherwise it is copied with datumCopy() (which flattens an
 *    expanded object) and the old value freed.  Each copy is counted
 *    (citus_emul_state_copies());
 *  - the worker returns the state through the type's OUTPUT function; the
 *    coordinator reads each worker's text with the INPUT function, combines
 *    with the combine function (same keep-or-copy rule) and calls the final
 *    function (FINALFUNC_EXTRA arguments NULL, fn_expr NULL).
 *
 * Left out: ACL checks, INITCOND (pmed's aggregates have none), strict
 * transition/combine functions (pmed's are not strict), the no-rows path.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "nodes/nodeFuncs.h"
#include "utils/datum.h"
#include "utils/expandeddatum.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

PG_MODULE_MAGIC;

typedef struct Box
{
	Oid			agg;
	Oid			transfn;
	Oid			combinefn;
	Oid			finalfn;
	bool		finalextra;
	Oid			transtype;
	int16		transtypeLen;
	bool		transtypeByVal;
	Datum		value;
	bool		valueNull;
	/* arguments: one, or a ROW of several */
	bool		isTuple;
	TupleDesc	tupdesc;
	int			nargs;
	Datum	   *values;
	bool	   *nulls;
} Box;

static int64 state_copies = 0;
static int64 transitions = 0;

static MemoryContext
agg_context(FunctionCallInfo fcinfo)
{
	MemoryContext cxt;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "citus_emul called outside an aggregate");
	return cxt;
}

static void
box_init(FunctionCallInfo fcinfo, Box *box, Oid agg)
{
	HeapTuple	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(agg));
	Form_pg_aggregate form;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for aggregate %u", agg);
	form = (Form_pg_aggregate) GETSTRUCT(tup);
	box->agg = agg;
	box->transfn = form->aggtransfn;
	box->combinefn = form->aggcombinefn;
	box->finalfn = form->aggfinalfn;
	box->finalextra = form->aggfinalextra;
	box->transtype = form->aggtranstype;
	if (!heap_attisnull(tup, Anum_pg_aggregate_agginitval, NULL))
		elog(ERROR, "citus_emul does not emulate INITCOND");
	ReleaseSysCache(tup);
	if (box->combinefn == InvalidOid)
		elog(ERROR, "worker_partial_agg_ffunc expects an aggregate with COMBINEFUNC");
	if (box->transtype == INTERNALOID)
		elog(ERROR, "worker_partial_agg_ffunc does not support aggregates with INTERNAL transition state");
	get_typlenbyval(box->transtype, &box->transtypeLen, &box->transtypeByVal);
	box->valueNull = true;
}

/* HandleTransition: nodeAgg's keep-or-copy rule, as Citus copies it. */
static void
handle_transition(Box *box, FunctionCallInfo fcinfo, FunctionCallInfo inner)
{
	Datum		newVal = FunctionCallInvoke(inner);
	bool		newNull = inner->isnull;

	transitions++;
	if (!box->transtypeByVal && DatumGetPointer(newVal) != DatumGetPointer(box->value))
	{
		if (!newNull)
		{
			MemoryContext old = MemoryContextSwitchTo(agg_context(fcinfo));

			if (!(DatumIsReadWriteExpandedObject(newVal, false, box->transtypeLen) &&
				  MemoryContextGetParent(DatumGetEOHP(newVal)->eoh_context) == CurrentMemoryContext))
			{
				newVal = datumCopy(newVal, box->transtypeByVal, box->transtypeLen);
				state_copies++;
			}
			MemoryContextSwitchTo(old);
		}
		if (!box->valueNull)
		{
			if (DatumIsReadWriteExpandedObject(box->value, false, box->transtypeLen))
				DeleteExpandedObject(box->value);
			else
				pfree(DatumGetPointer(box->value));
		}
	}
	box->value = newVal;
	box->valueNull = newNull;
}

/* TypecheckWorkerPartialAggArgType: argument types = proargtypes, OID for OID. */
static bool
typecheck_args(FunctionCallInfo fcinfo, Box *box)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	HeapTuple	tup;
	Form_pg_proc proc;
	bool		ok = true;

	if (aggref == NULL)
		return false;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(box->agg));
	if (!HeapTupleIsValid(tup))
		return false;
	proc = (Form_pg_proc) GETSTRUCT(tup);
	if (proc->pronargs != box->nargs)
		ok = false;
	else if (box->isTuple)
	{
		for (int i = 0; i < box->nargs; i++)
			if (proc->proargtypes.values[i] != TupleDescAttr(box->tupdesc, i)->atttypid)
				ok = false;
	}
	else
	{
		TargetEntry *arg = list_nth(aggref->args, 1);

		ok = exprType((Node *) arg->expr) == proc->proargtypes.values[0];
	}
	ReleaseSysCache(tup);
	return ok;
}

PG_FUNCTION_INFO_V1(worker_partial_agg_sfunc);
Datum
worker_partial_agg_sfunc(PG_FUNCTION_ARGS)
{
	Box		   *box;
	FmgrInfo	info;
	LOCAL_FCINFO(inner, FUNC_MAX_ARGS);

	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(agg_context(fcinfo));

		box = palloc0(sizeof(Box));
		box_init(fcinfo, box, PG_GETARG_OID(1));
		if (get_fn_expr_argtype(fcinfo->flinfo, 2) == RECORDOID)
		{
			HeapTupleHeader th;
			TupleDesc	td;

			if (PG_ARGISNULL(2))
				elog(ERROR, "worker_partial_agg_sfunc: null record input");
			th = PG_GETARG_HEAPTUPLEHEADER(2);
			td = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th), HeapTupleHeaderGetTypMod(th));
			box->tupdesc = CreateTupleDescCopy(td);
			ReleaseTupleDesc(td);
			box->isTuple = true;
			box->nargs = box->tupdesc->natts;
		}
		else
			box->nargs = 1;
		box->values = palloc(sizeof(Datum) * box->nargs);
		box->nulls = palloc(sizeof(bool) * box->nargs);
		MemoryContextSwitchTo(old);
		if (!typecheck_args(fcinfo, box))
			ereport(ERROR, (errmsg("worker_partial_agg_sfunc could not confirm type correctness")));
	}
	else
		box = (Box *) PG_GETARG_POINTER(0);

	/* the arguments: one value, or the fields of the ROW */
	if (box->isTuple)
	{
		HeapTupleHeader th = PG_GETARG_HEAPTUPLEHEADER(2);
		HeapTupleData tuple;

		tuple.t_len = HeapTupleHeaderGetDatumLength(th);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = th;
		heap_deform_tuple(&tuple, box->tupdesc, box->values, box->nulls);
	}
	else
	{
		box->values[0] = PG_GETARG_DATUM(2);
		box->nulls[0] = PG_ARGISNULL(2);
	}

	/* a fresh FmgrInfo every row: fn_expr NULL, fn_extra NULL */
	fmgr_info(box->transfn, &info);
	if (info.fn_strict)
		elog(ERROR, "citus_emul does not emulate strict transition functions");
	InitFunctionCallInfoData(*inner, &info, box->nargs + 1, fcinfo->fncollation,
							 fcinfo->context, fcinfo->resultinfo);
	inner->args[0].value = box->value;
	inner->args[0].isnull = box->valueNull;
	for (int i = 0; i < box->nargs; i++)
	{
		inner->args[i + 1].value = box->values[i];
		inner->args[i + 1].isnull = box->nulls[i];
	}
	handle_transition(box, fcinfo, inner);
	PG_RETURN_POINTER(box);
}

/* The state through the transition type's OUTPUT function. */
PG_FUNCTION_INFO_V1(worker_partial_agg_ffunc);
Datum
worker_partial_agg_ffunc(PG_FUNCTION_ARGS)
{
	Box		   *box = PG_ARGISNULL(0) ? NULL : (Box *) PG_GETARG_POINTER(0);
	Oid			typoutput;
	bool		isvarlena;
	FmgrInfo	info;
	LOCAL_FCINFO(inner, 1);
	Datum		result;

	if (box == NULL || box->valueNull)
		PG_RETURN_NULL();
	getTypeOutputInfo(box->transtype, &typoutput, &isvarlena);
	fmgr_info(typoutput, &info);
	InitFunctionCallInfoData(*inner, &info, 1, fcinfo->fncollation, fcinfo->context, fcinfo->resultinfo);
	inner->args[0].value = box->value;
	inner->args[0].isnull = false;
	result = FunctionCallInvoke(inner);
	if (inner->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/* Each worker's text through the INPUT function, then the combine function. */
PG_FUNCTION_INFO_V1(coord_combine_agg_sfunc);
Datum
coord_combine_agg_sfunc(PG_FUNCTION_ARGS)
{
	Box		   *box;
	FmgrInfo	info;
	LOCAL_FCINFO(inner, 3);
	Datum		value = (Datum) 0;
	bool		valueNull = PG_ARGISNULL(2);
	Oid			typinput,
				ioparam;

	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(agg_context(fcinfo));

		box = palloc0(sizeof(Box));
		box_init(fcinfo, box, PG_GETARG_OID(1));
		MemoryContextSwitchTo(old);
	}
	else
		box = (Box *) PG_GETARG_POINTER(0);

	getTypeInputInfo(box->transtype, &typinput, &ioparam);
	fmgr_info(typinput, &info);
	if (!(valueNull && info.fn_strict))
	{
		InitFunctionCallInfoData(*inner, &info, 3, fcinfo->fncollation, fcinfo->context, fcinfo->resultinfo);
		inner->args[0].value = PG_GETARG_DATUM(2);
		inner->args[0].isnull = valueNull;
		inner->args[1].value = ObjectIdGetDatum(ioparam);
		inner->args[1].isnull = false;
		inner->args[2].value = Int32GetDatum(-1);
		inner->args[2].isnull = false;
		value = FunctionCallInvoke(inner);
		valueNull = inner->isnull;
	}
	fmgr_info(box->combinefn, &info);
	if (info.fn_strict)
		elog(ERROR, "citus_emul does not emulate strict combine functions");
	InitFunctionCallInfoData(*inner, &info, 2, fcinfo->fncollation, fcinfo->context, fcinfo->resultinfo);
	inner->args[0].value = box->value;
	inner->args[0].isnull = box->valueNull;
	inner->args[1].value = value;
	inner->args[1].isnull = valueNull;
	handle_transition(box, fcinfo, inner);
	PG_RETURN_POINTER(box);
}

/* The final function, its extra arguments NULL; result type checked. */
PG_FUNCTION_INFO_V1(coord_combine_agg_ffunc);
Datum
coord_combine_agg_ffunc(PG_FUNCTION_ARGS)
{
	Box		   *box = PG_ARGISNULL(0) ? NULL : (Box *) PG_GETARG_POINTER(0);
	FmgrInfo	info;
	LOCAL_FCINFO(inner, FUNC_MAX_ARGS);
	int			nargs;
	Datum		result;
	Aggref	   *aggref = AggGetAggref(fcinfo);
	TargetEntry *tag;

	if (box == NULL)
		PG_RETURN_NULL();
	/* TypecheckCoordCombineAggReturnType */
	tag = aggref ? list_nth(aggref->args, 2) : NULL;
	if (tag == NULL || !IsA(tag->expr, Const) ||
		((Const *) tag->expr)->consttype !=
		(box->finalfn == InvalidOid ? box->transtype : get_func_rettype(box->finalfn)))
		ereport(ERROR, (errmsg("coord_combine_agg_ffunc could not confirm type correctness")));
	if (box->finalfn == InvalidOid)
	{
		if (box->valueNull)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(box->value);
	}
	fmgr_info(box->finalfn, &info);
	if (info.fn_strict && box->valueNull)
		PG_RETURN_NULL();
	nargs = box->finalextra ? fcinfo->nargs : 1;
	InitFunctionCallInfoData(*inner, &info, nargs, fcinfo->fncollation, fcinfo->context, fcinfo->resultinfo);
	inner->args[0].value = box->value;
	inner->args[0].isnull = box->valueNull;
	for (int i = 1; i < nargs; i++)
	{
		inner->args[i].value = (Datum) 0;
		inner->args[i].isnull = true;
	}
	result = FunctionCallInvoke(inner);
	fcinfo->isnull = inner->isnull;
	return result;
}

/* State copies (datumCopy by the keep-or-copy rule) and transitions so far in this backend. */
PG_FUNCTION_INFO_V1(citus_emul_counters);
Datum
citus_emul_counters(PG_FUNCTION_ARGS)
{
	TupleDesc	td;
	Datum		v[2];
	bool		n[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "citus_emul_counters must return a record");
	v[0] = Int64GetDatum(state_copies);
	v[1] = Int64GetDatum(transitions);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(td), v, n)));
}
