/*
 * model_cache.c - decode a model once per query, not once per row.
 *
 * Per-row functions keep the decoded model in fn_extra.  The key avoids
 * touching the model's bytes where it can: a TOAST pointer when the model
 * comes straight from a table (not even fetched again), the compressed
 * bytes themselves for a small model compressed inline (comparing them is
 * far cheaper than decompressing per row), else the size and stored CRC32C.
 */
#include "pmed.h"

#include <stdarg.h>

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "utils/memutils.h"

typedef enum CacheKey
{
	KEY_NONE,					/* nothing cached */
	KEY_TOAST,					/* toast: the model's TOAST pointer */
	KEY_COMPRESSED,				/* compressed: a copy of the inline datum */
	KEY_PLAIN					/* size and crc of a plain datum */
} CacheKey;

typedef struct ModelCache
{
	MemoryContext ctx;			/* holds the decoded model */
	CacheKey	key;
	struct varatt_external toast;
	struct varlena *compressed;
	size_t		size;
	uint32		crc;
	PmedModel  *model;
	double	   *features;		/* per-row feature buffer */
	int			features_len;
} ModelCache;

static const char *const kind_names[] = {
	"unknown", "baseline", "svm", "forest", "cf", "content", "interactions"
};

const char *
pmed_kind_name(int kind)
{
	return (kind >= 1 && kind <= PMED_KIND_MAX) ? kind_names[kind] : kind_names[0];
}

PmedModel *
pmed_decode_model(bytea *raw)
{
	PmedModel  *m = palloc0(sizeof(PmedModel));
	PmedReader	algo;
	PmedError	err = {0};
	const PmedFamily *family;

	if (pmed_model_decode_common(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), m, &algo, &err) != PMED_OK)
		pmed_report(&err);
	family = pmed_family_for_kind(m->kind);
	if (family == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("pmed models of kind \"%s\" are not supported by this build",
						pmed_kind_name(m->kind))));
	m->algo = family->decode(&algo, &m->schema, &err);
	if (m->algo == NULL)
	{
		if (err.status == PMED_OK)
			pmed_fail(&err, PMED_ERR_CORRUPT, "invalid pmed model: bad %s payload", family->name);
		pmed_report(&err);
	}
	if (!pmed_reader_done(&algo))
		pmed_report(&err);
	return m;
}

static ModelCache *
get_cache(FunctionCallInfo fcinfo)
{
	ModelCache *cache = (ModelCache *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ModelCache));
		cache->ctx = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "pmed model cache",
										   ALLOCSET_DEFAULT_SIZES);
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache;
}

static uint32
stored_crc(const bytea *raw)
{
	const uint8 *b = (const uint8 *) VARDATA_ANY(raw);

	if (VARSIZE_ANY_EXHDR(raw) < PMED_HEADER_SIZE)
		return 0;
	return (uint32) b[16] | ((uint32) b[17] << 8) | ((uint32) b[18] << 16) | ((uint32) b[19] << 24);
}

const PmedModel *
pmed_cached_model(FunctionCallInfo fcinfo, int argno)
{
	ModelCache *cache = get_cache(fcinfo);
	struct varlena *datum = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	struct varatt_external toast;
	CacheKey	key;
	bytea	   *raw;
	MemoryContext old;

	if (VARATT_IS_EXTERNAL_ONDISK(datum))
	{
		key = KEY_TOAST;
		VARATT_EXTERNAL_GET_POINTER(toast, datum);
		if (cache->key == KEY_TOAST && memcmp(&toast, &cache->toast, sizeof(toast)) == 0)
			return cache->model;
		raw = (bytea *) detoast_attr(datum);
	}
	else if (VARATT_IS_COMPRESSED(datum))
	{
		key = KEY_COMPRESSED;
		if (cache->key == KEY_COMPRESSED && VARSIZE(datum) == VARSIZE(cache->compressed) &&
			memcmp(datum, cache->compressed, VARSIZE(datum)) == 0)
			return cache->model;
		raw = (bytea *) detoast_attr(datum);
	}
	else
	{
		key = KEY_PLAIN;
		raw = PG_GETARG_BYTEA_PP(argno);
		if (cache->key == KEY_PLAIN &&
			cache->size == VARSIZE_ANY_EXHDR(raw) && cache->crc == stored_crc(raw))
			return cache->model;
	}

	cache->key = KEY_NONE;
	MemoryContextReset(cache->ctx);
	cache->features = NULL;
	cache->features_len = 0;
	old = MemoryContextSwitchTo(cache->ctx);
	cache->model = pmed_decode_model(raw);
	if (key == KEY_COMPRESSED)
	{
		cache->compressed = palloc(VARSIZE(datum));
		memcpy(cache->compressed, datum, VARSIZE(datum));
	}
	MemoryContextSwitchTo(old);
	if (key == KEY_TOAST)
		cache->toast = toast;
	cache->size = VARSIZE_ANY_EXHDR(raw);
	cache->crc = stored_crc(raw);
	cache->key = key;
	return cache->model;
}

void
pmed_require_kind(const PmedModel *m, const char *function, int n_kinds,...)
{
	va_list		ap;
	StringInfoData wanted;

	initStringInfo(&wanted);
	va_start(ap, n_kinds);
	for (int i = 0; i < n_kinds; i++)
	{
		int			kind = va_arg(ap, int);

		if (kind == m->kind)
		{
			va_end(ap);
			return;
		}
		appendStringInfo(&wanted, "%s%s", i == 0 ? "" : (i == n_kinds - 1 ? " or " : ", "),
						 pmed_kind_name(kind));
	}
	va_end(ap);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s needs a %s model, not a %s model", function, wanted.data,
					pmed_kind_name(m->kind))));
}

const double *
pmed_features_arg(FunctionCallInfo fcinfo, int argno, const PmedModel *m)
{
	ModelCache *cache = get_cache(fcinfo);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(argno);
	int			n = pmed_feature_array_length(arr);
	int			p = (int) m->schema.n_features;

	if (n != p)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of features: %d", n),
				 errdetail("The model was trained on %d features.", p)));
	if (cache->features_len < p)
	{
		cache->features = MemoryContextAlloc(cache->ctx, sizeof(double) * p);
		cache->features_len = p;
	}
	(void) pmed_copy_features(arr, p, cache->features);
	return cache->features;
}

int
pmed_class_index(const PmedModel *m, const char *label)
{
	for (uint32 k = 0; k < m->schema.n_classes; k++)
		if (strcmp(m->schema.classes[k], label) == 0)
			return (int) k;
	return -1;
}
