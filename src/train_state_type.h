/*
 * train_state_type.h - the pmed.train_state type: the transition state of
 * every training, partial and recommender aggregate (train_state_type.c).
 *
 * In memory a state is an expanded object (its own memory context, a child
 * of the aggregate context) that holds train_state.c's TrainState; the
 * transition function returns the same read-write pointer every row, so
 * neither nodeAgg nor Citus ever copies it.  Flat, it is the bytes of
 * train_state.c's serializer behind a 4-byte varlena header; as text, the
 * canonical base64 of those bytes (state_io.h).
 */
#ifndef PMED_TRAIN_STATE_TYPE_H
#define PMED_TRAIN_STATE_TYPE_H

#include "postgres.h"
#include "fmgr.h"

typedef struct TrainState TrainState;

/* train_state.c: the serializer and the validating deserializer. */
extern bytea *pmed_state_serialize(const TrainState *st);
extern TrainState *pmed_state_deserialize(const char *data, size_t len);

/*
 * The state argument argno of a transition or combine function, to modify:
 * NULL (a new empty object: the result is NULL until a state is set), our
 * read-write object (itself), or anything else (a flat value, a read-only
 * pointer: decoded into a new object).  *cxt: the aggregate context on
 * entry, the object's own context on return (allocate the state there).
 * *obj receives the object for pmed_state_return.
 */
extern TrainState *pmed_state_arg_rw(FunctionCallInfo fcinfo, int argno, MemoryContext *cxt,
									 void **obj);
/* Result of such a function: the object's read-write pointer (NULL without a state). */
extern Datum pmed_state_return(FunctionCallInfo fcinfo, void *obj, TrainState *st);
/*
 * A state argument to read (final functions, the second argument of
 * combine): NULL, the state of an object, or flat bytes decoded in the
 * current context.
 */
extern TrainState *pmed_state_arg_ro(FunctionCallInfo fcinfo, int argno);
/*
 * The declared type of argument argno: from the call expression, or, when
 * there is none (Citus calls transition functions through a bare FmgrInfo),
 * from pg_proc.proargtypes of the function.  ERROR for a polymorphic type
 * that cannot be resolved.
 */
extern Oid	pmed_state_argtype(FunctionCallInfo fcinfo, int argno);

#endif
