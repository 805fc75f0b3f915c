/*
 * fold.c - pmed.fold(key anyelement, folds int, seed int): a deterministic
 * split of rows into folds from a portable hash of the key's value.
 *
 * The hash (pmed_fold_hash, src/core/hash.c) is our own, not PostgreSQL's
 * hash functions, so a key lands in the same fold on every version, build
 * and architecture.  What is hashed:
 *   - smallint, integer, bigint: the value as 8 little-endian bytes, so
 *     42::int and 42::bigint fall in the same fold;
 *   - text, varchar, name: the stored bytes (server encoding);
 *     char(n): the bytes without trailing blanks (they are insignificant);
 *   - other string types (citext ...), enums, json, jsonb, xml: the text
 *     output (their send functions convert text to the client encoding, so
 *     the wire form would depend on the session);
 *   - any other type: the bytes of its binary send function (the wire
 *     format, big-endian and fixed by the protocol: uuid, date, timestamp,
 *     float8, numeric, bool, bytea ...).  Arrays and composites also go this
 *     way: their wire form carries element type OIDs (fixed for built-in
 *     types) and sends text elements in the client encoding.
 */
#include "pmed.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "core/hash.h"

typedef enum FoldKind
{
	FOLD_INTEGER,
	FOLD_TEXT,
	FOLD_BPCHAR,
	FOLD_NAME,
	FOLD_OUTPUT,
	FOLD_SEND
} FoldKind;

typedef struct FoldCache
{
	Oid			type;			/* the argument type */
	Oid			base;			/* its base type (domains resolved) */
	FoldKind	kind;
	FmgrInfo	proc;			/* output or send function */
} FoldCache;

static FoldCache *
fold_cache(FunctionCallInfo fcinfo)
{
	FoldCache  *cache = fcinfo->flinfo->fn_extra;
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, 0);

	if (!OidIsValid(type))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fold: could not determine the type of the key")));
	if (cache != NULL && cache->type == type)
		return cache;
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FoldCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	cache->type = type;
	cache->base = getBaseType(type);
	switch (cache->base)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			cache->kind = FOLD_INTEGER;
			break;
		case TEXTOID:
		case VARCHAROID:
			cache->kind = FOLD_TEXT;
			break;
		case BPCHAROID:
			cache->kind = FOLD_BPCHAR;
			break;
		case NAMEOID:
			cache->kind = FOLD_NAME;
			break;
		default:
			{
				char		category;
				bool		preferred;
				Oid			func;
				bool		varlena;

				get_type_category_preferred(cache->base, &category, &preferred);
				if (category == TYPCATEGORY_STRING || category == TYPCATEGORY_ENUM ||
					cache->base == JSONOID || cache->base == JSONBOID || cache->base == XMLOID)
				{
					cache->kind = FOLD_OUTPUT;
					getTypeOutputInfo(type, &func, &varlena);
				}
				else
				{
					cache->kind = FOLD_SEND;
					getTypeBinaryOutputInfo(type, &func, &varlena);
				}
				fmgr_info_cxt(func, &cache->proc, fcinfo->flinfo->fn_mcxt);
			}
			break;
	}
	return cache;
}

PG_FUNCTION_INFO_V1(fold);
Datum
fold(PG_FUNCTION_ARGS)
{
	int32		folds = PG_GETARG_INT32(1);
	uint64		seed = (uint64) (int64) PG_GETARG_INT32(2);
	FoldCache  *cache;
	Datum		key = PG_GETARG_DATUM(0);
	uint64		h;

	if (folds < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fold: folds must be at least 2, got %d", folds)));
	cache = fold_cache(fcinfo);
	switch (cache->kind)
	{
		case FOLD_INTEGER:
			{
				int64		v;
				uint8		bytes[8];

				switch (cache->base)
				{
					case INT2OID:
						v = DatumGetInt16(key);
						break;
					case INT4OID:
						v = DatumGetInt32(key);
						break;
					default:
						v = DatumGetInt64(key);
						break;
				}
				for (int b = 0; b < 8; b++)
					bytes[b] = (uint8) ((uint64) v >> (8 * b));
				h = pmed_fold_hash(bytes, 8, seed);
			}
			break;
		case FOLD_TEXT:
			{
				text	   *t = DatumGetTextPP(key);

				h = pmed_fold_hash(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), seed);
			}
			break;
		case FOLD_BPCHAR:
			{
				BpChar	   *t = DatumGetBpCharPP(key);
				int			len = VARSIZE_ANY_EXHDR(t);
				const char *s = VARDATA_ANY(t);

				while (len > 0 && s[len - 1] == ' ')
					len--;
				h = pmed_fold_hash(s, len, seed);
			}
			break;
		case FOLD_NAME:
			{
				const char *s = NameStr(*DatumGetName(key));

				h = pmed_fold_hash(s, strlen(s), seed);
			}
			break;
		case FOLD_OUTPUT:
			{
				char	   *out = OutputFunctionCall(&cache->proc, key);

				h = pmed_fold_hash(out, strlen(out), seed);
				pfree(out);
			}
			break;
		default:
			{
				bytea	   *b = SendFunctionCall(&cache->proc, key);

				h = pmed_fold_hash(VARDATA(b), VARSIZE(b) - VARHDRSZ, seed);
				pfree(b);
			}
			break;
	}
	PG_RETURN_INT32(pmed_fold_of(h, folds));
}
