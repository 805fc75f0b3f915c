/*
 * train_state_type.c - the pmed.train_state type (train_state_type.h).
 *
 * A non-pseudo transition type, so that Citus pushes the training
 * aggregates down as worker partial aggregates (its planner refuses
 * pseudo-types such as internal), while PostgreSQL keeps the per-row path
 * as cheap as with internal: the state is an expanded object whose context
 * is a child of the aggregate context, and the transition function returns
 * the same read-write pointer every row, which nodeAgg (ExecAggTransReparent)
 * and Citus (HandleTransition) keep without a copy.
 *
 * Flat form: a 4-byte varlena header, then exactly the bytes of
 * train_state.c's state_serialize (CRC32C last).  It is what a parallel
 * worker puts in its tuple (EOH flatten_into), the binary SEND/RECEIVE form,
 * and the body of the text form (canonical base64, state_io.h).  INPUT and
 * RECEIVE are a trust boundary (any user can call them; Citus feeds every
 * worker's text to INPUT on the coordinator): they validate every byte with
 * state_deserialize before accepting the value.
 */
#include "pmed.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "state_io.h"
#include "train_state_type.h"
#include "federated.h"

#define TYPE_NAME "pmed.train_state"

typedef struct StateObject
{
	ExpandedObjectHeader hdr;
	TrainState *st;				/* NULL until the first row */
	bytea	   *flat;			/* serialized by get_flat_size, for flatten_into */
	MemoryContext flat_cxt;		/* ... in this context (with the serializer's buffer) */
} StateObject;

static Size state_get_flat_size(ExpandedObjectHeader *eohptr);
static void state_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods state_methods = {
	state_get_flat_size,
	state_flatten_into
};

static bool
is_state_object(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &state_methods;
}

static Size
state_get_flat_size(ExpandedObjectHeader *eohptr)
{
	StateObject *e = (StateObject *) eohptr;

	if (e->st == NULL)
		elog(ERROR, "empty pmed training state object");
	if (e->flat == NULL)
	{
		/*
		 * state_serialize raises 54000 (with the state's rows and a hint)
		 * before writing a state that would pass 1 GB.  Its buffers live in
		 * a context of their own, deleted once flattened.
		 */
		MemoryContext old;

		e->flat_cxt = AllocSetContextCreate(e->hdr.eoh_context, "pmed flat training state",
											ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(e->flat_cxt);
		e->flat = pmed_state_serialize(e->st);
		MemoryContextSwitchTo(old);
	}
	return VARSIZE(e->flat);
}

static void
state_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	StateObject *e = (StateObject *) eohptr;

	if (e->flat == NULL || VARSIZE(e->flat) != allocated_size)
		elog(ERROR, "pmed training state flattened without its size");
	memcpy(result, e->flat, allocated_size);
	MemoryContextDelete(e->flat_cxt);
	e->flat_cxt = NULL;
	e->flat = NULL;
}

static StateObject *
object_new(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "pmed training state", ALLOCSET_DEFAULT_SIZES);
	StateObject *e = MemoryContextAllocZero(cxt, sizeof(StateObject));

	EOH_init_header(&e->hdr, &state_methods, cxt);
	return e;
}

/* The flat bytes of a state datum (an object is serialized), in the current context. */
static bytea *
state_flat(Datum d)
{
	if (is_state_object(d))
	{
		StateObject *e = (StateObject *) DatumGetEOHP(d);

		if (e->st == NULL)
			elog(ERROR, "empty pmed training state object");
		return pmed_state_serialize(e->st);
	}
	return (bytea *) PG_DETOAST_DATUM(d);
}

/*
 * The flat bytes of a state that leaves this server (output, send, the
 * bytea cast: what Citus ships from a worker).  A federated forest state
 * fits its rows into a fragment here, so no row leaves; not in
 * flatten_into, whose row split under parallel query changes between runs.
 * A flat datum was made by flatten_into or validated input and is passed
 * on as it is.
 */
static bytea *
state_flat_leaving(Datum d)
{
	if (is_state_object(d))
	{
		StateObject *e = (StateObject *) DatumGetEOHP(d);

		if (e->st == NULL)
			elog(ERROR, "empty pmed training state object");
		return state_serialize_federated(e->st);
	}
	return state_flat(d);
}

TrainState *
pmed_state_arg_rw(FunctionCallInfo fcinfo, int argno, MemoryContext *cxt, void **obj)
{
	Datum		d = PG_GETARG_DATUM(argno);
	StateObject *e;
	MemoryContext old;

	if (!PG_ARGISNULL(argno) && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &state_methods)
	{
		/* every row after the first: the object itself */
		e = (StateObject *) DatumGetEOHP(d);
		if (e->flat_cxt != NULL)
		{
			MemoryContextDelete(e->flat_cxt);
			e->flat_cxt = NULL;
			e->flat = NULL;
		}
		*cxt = e->hdr.eoh_context;
		*obj = e;
		return e->st;
	}
	e = object_new(*cxt);
	*cxt = e->hdr.eoh_context;
	*obj = e;
	if (PG_ARGISNULL(argno))
		return NULL;
	/* a flat value (a Gather tuple, an input function, a column) or a read-only pointer */
	old = MemoryContextSwitchTo(e->hdr.eoh_context);
	{
		bytea	   *flat = state_flat(d);

		e->st = pmed_state_deserialize(VARDATA_ANY(flat), VARSIZE_ANY_EXHDR(flat));
	}
	MemoryContextSwitchTo(old);
	return e->st;
}

Datum
pmed_state_return(FunctionCallInfo fcinfo, void *obj, TrainState *st)
{
	StateObject *e = obj;

	if (st == NULL)
	{
		fcinfo->isnull = true;
		return (Datum) 0;
	}
	e->st = st;
	return EOHPGetRWDatum(&e->hdr);
}

TrainState *
pmed_state_arg_ro(FunctionCallInfo fcinfo, int argno)
{
	Datum		d;
	bytea	   *flat;

	if (PG_ARGISNULL(argno))
		return NULL;
	d = PG_GETARG_DATUM(argno);
	if (is_state_object(d))
		return ((StateObject *) DatumGetEOHP(d))->st;
	flat = (bytea *) PG_DETOAST_DATUM_PACKED(d);
	return pmed_state_deserialize(VARDATA_ANY(flat), VARSIZE_ANY_EXHDR(flat));
}

Oid
pmed_state_argtype(FunctionCallInfo fcinfo, int argno)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, argno);
	HeapTuple	tup;

	if (OidIsValid(type))
		return type;
	/* no call expression (Citus): the declared type */
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);

		if (argno < proc->pronargs)
			type = proc->proargtypes.values[argno];
	}
	ReleaseSysCache(tup);
	if (!OidIsValid(type) || IsPolymorphicType(type))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("could not determine the type of argument %d of a pmed training aggregate", argno),
				 errdetail("The aggregate was called without a call expression (as Citus calls it on a worker) and declares a polymorphic argument."),
				 errhint("Cast the label to boolean, smallint, integer, bigint, numeric, real, double precision or text, which have their own overloads.")));
	return type;
}

/* ERROR unless bytes are a valid state (they are decoded, then discarded). */
static void
validate(const char *bytes, Size len)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "pmed state check",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	(void) pmed_state_deserialize(bytes, len);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* A flat value of the type holding len validated bytes. */
static bytea *
flat_from_bytes(const char *bytes, Size len)
{
	bytea	   *v;

	validate(bytes, len);
	if (len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s value too large: %zu bytes", TYPE_NAME, (size_t) len)));
	v = palloc(len + VARHDRSZ);
	SET_VARSIZE(v, len + VARHDRSZ);
	memcpy(VARDATA(v), bytes, len);
	return v;
}

PG_FUNCTION_INFO_V1(train_state_in);
Datum
train_state_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	Size		len;
	char	   *bytes = pmed_state_from_text(text, &len, TYPE_NAME);

	PG_RETURN_BYTEA_P(flat_from_bytes(bytes, len));
}

PG_FUNCTION_INFO_V1(train_state_out);
Datum
train_state_out(PG_FUNCTION_ARGS)
{
	bytea	   *flat = state_flat_leaving(PG_GETARG_DATUM(0));

	PG_RETURN_CSTRING(pmed_state_to_text(VARDATA(flat), VARSIZE(flat) - VARHDRSZ, TYPE_NAME));
}

PG_FUNCTION_INFO_V1(train_state_recv);
Datum
train_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const char *bytes = buf->data + buf->cursor;
	Size		len = buf->len - buf->cursor;
	bytea	   *v = flat_from_bytes(bytes, len);

	buf->cursor = buf->len;
	PG_RETURN_BYTEA_P(v);
}

PG_FUNCTION_INFO_V1(train_state_send);
Datum
train_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(state_flat_leaving(PG_GETARG_DATUM(0)));
}

/* pmed.train_state::bytea: the flat bytes (what the partial aggregates return). */
PG_FUNCTION_INFO_V1(train_state_to_bytea);
Datum
train_state_to_bytea(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(state_flat_leaving(PG_GETARG_DATUM(0)));
}

/* bytea::pmed.train_state: validated like the input function. */
PG_FUNCTION_INFO_V1(train_state_from_bytea);
Datum
train_state_from_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_BYTEA_P(flat_from_bytes(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw)));
}
