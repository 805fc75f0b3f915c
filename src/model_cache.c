/*
 * model_cache.c - decode a model once, not once per row (nor, for a model
 * used query after query, once per query).
 *
 * Two levels:
 *
 * Per call site (fn_extra), one slot per model argument: the model that
 * argument resolved to last time.  Its key avoids touching the model's
 * bytes where it can: the TOAST pointer when the model comes straight from
 * a table (not even fetched again), the compressed bytes themselves for a
 * small model compressed inline (comparing them is far cheaper than
 * decompressing per row), else the size and the 20-byte container header,
 * which carries the CRC32C of the whole model.
 *
 * Per backend: a small LRU of decoded models that outlives the query, so
 * one-row-per-query workloads (an application scoring or recommending for
 * one patient at a time) do not fetch and decode the model every time.  An
 * entry is found by its TOAST pointer plus the header (read with a slice
 * fetch: one chunk), or, for an in-memory value, by comparing every byte.
 * TOAST values never change in place, and the header carries the CRC, so a
 * stale hit would need an OID reused for a different model with the same
 * length and checksum.  Models above CACHE_MAX_BYTES are decoded once per
 * query instead of being kept.
 */
#include "pmed.h"

#include <stdarg.h>

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "utils/memutils.h"

#define CACHE_ENTRIES		4
#define CACHE_MAX_BYTES		((Size) 64 * 1024 * 1024)
#define CACHE_SLOTS			8	/* model arguments per call site */

typedef struct BackendEntry
{
	MemoryContext ctx;			/* NULL: empty slot */
	uint64		generation;
	uint64		last_used;
	bool		by_toast;
	struct varatt_external toast;
	uint8		header[PMED_HEADER_SIZE];
	Size		size;
	bytea	   *raw;			/* copy of the bytes (in-memory values only) */
	PmedModel  *model;
} BackendEntry;

static BackendEntry backend_cache[CACHE_ENTRIES];
static uint64 backend_clock = 0;
static uint64 backend_generation = 0;

typedef struct SiteSlot
{
	bool		valid;
	bool		by_toast;
	struct varatt_external toast;
	struct varlena *compressed; /* inline-compressed datum it came as, or NULL */
	uint8		header[PMED_HEADER_SIZE];
	Size		size;
	int			entry;			/* backend entry, or -1: private copy */
	uint64		generation;
	const PmedModel *model;
	MemoryContext private_ctx;	/* decoded here when too large to share */
} SiteSlot;

typedef struct SiteCache
{
	SiteSlot	slot[CACHE_SLOTS];
	double	   *features;		/* per-row feature buffer */
	int			features_len;
	void	   *named;			/* named features: predict_named.c's cache */
} SiteCache;

const char *
pmed_kind_name(int kind)
{
	return pmed_model_kind_name(kind);
}

/* Decode through the core's one entry (every check included); XX001 when invalid. */
PmedModel *
pmed_decode_model(bytea *raw)
{
	PmedModel  *m;
	PmedError	err = {0};

	if (pmed_model_decode(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), &m, &err) != PMED_OK)
		pmed_report(&err);
	return m;
}

static SiteCache *
site_cache(FunctionCallInfo fcinfo)
{
	SiteCache  *c = fcinfo->flinfo->fn_extra;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SiteCache));
		fcinfo->flinfo->fn_extra = c;
	}
	return c;
}

static bool
header_of(struct varlena *v, uint8 *header)
{
	if (VARSIZE_ANY_EXHDR(v) < PMED_HEADER_SIZE)
		return false;
	memcpy(header, VARDATA_ANY(v), PMED_HEADER_SIZE);
	return true;
}

/* Decode raw into ctx; the context is deleted again on error. */
static PmedModel *
decode_into(MemoryContext ctx, bytea *raw)
{
	MemoryContext old = MemoryContextSwitchTo(ctx);
	PmedModel  *m;

	PG_TRY();
	{
		m = pmed_decode_model(raw);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(ctx);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	return m;
}

static int
backend_find(bool by_toast, const struct varatt_external *toast, const uint8 *header,
			 bytea *raw)
{
	for (int i = 0; i < CACHE_ENTRIES; i++)
	{
		BackendEntry *e = &backend_cache[i];

		if (e->ctx == NULL || e->by_toast != by_toast ||
			memcmp(e->header, header, PMED_HEADER_SIZE) != 0)
			continue;
		if (by_toast ? memcmp(&e->toast, toast, sizeof(*toast)) == 0
			: (e->size == VARSIZE_ANY_EXHDR(raw) &&
			   memcmp(VARDATA_ANY(e->raw), VARDATA_ANY(raw), e->size) == 0))
		{
			e->last_used = ++backend_clock;
			return i;
		}
	}
	return -1;
}

static int
backend_add(bool by_toast, const struct varatt_external *toast, const uint8 *header, bytea *raw)
{
	int			victim = 0;
	BackendEntry *e;
	MemoryContext ctx;

	for (int i = 0; i < CACHE_ENTRIES; i++)
	{
		if (backend_cache[i].ctx == NULL)
		{
			victim = i;
			break;
		}
		if (backend_cache[i].last_used < backend_cache[victim].last_used)
			victim = i;
	}
	e = &backend_cache[victim];
	if (e->ctx != NULL)
		MemoryContextDelete(e->ctx);
	memset(e, 0, sizeof(*e));
	ctx = AllocSetContextCreate(TopMemoryContext, "pmed model", ALLOCSET_DEFAULT_SIZES);
	e->model = decode_into(ctx, raw);
	if (!by_toast)
	{
		e->raw = MemoryContextAlloc(ctx, VARSIZE_ANY(raw));
		memcpy(e->raw, raw, VARSIZE_ANY(raw));
	}
	else
		e->toast = *toast;
	e->by_toast = by_toast;
	memcpy(e->header, header, PMED_HEADER_SIZE);
	e->size = VARSIZE_ANY_EXHDR(raw);
	e->generation = ++backend_generation;
	e->last_used = ++backend_clock;
	e->ctx = ctx;
	return victim;
}

/* Still the model the slot resolved to (its backend entry not evicted)? */
static bool
slot_current(const SiteSlot *slot)
{
	return slot->valid &&
		(slot->entry < 0 || backend_cache[slot->entry].generation == slot->generation);
}

/*
 * A hit at the call site: mark the entry used, so that resolving another
 * argument of the same call can never evict the model just returned.
 */
static const PmedModel *
slot_hit(SiteSlot *slot)
{
	if (slot->entry >= 0)
		backend_cache[slot->entry].last_used = ++backend_clock;
	return slot->model;
}

const PmedModel *
pmed_cached_model(FunctionCallInfo fcinfo, int argno)
{
	SiteSlot   *slot;
	struct varlena *datum = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	struct varatt_external toast;
	bool		by_toast = VARATT_IS_EXTERNAL_ONDISK(datum);
	bool		compressed = VARATT_IS_COMPRESSED(datum);
	uint8		header[PMED_HEADER_SIZE];
	bytea	   *raw = NULL;
	int			idx;

	if (argno >= CACHE_SLOTS)
		elog(ERROR, "pmed model argument %d out of range", argno);
	slot = &site_cache(fcinfo)->slot[argno];
	memset(&toast, 0, sizeof(toast));
	memset(header, 0, sizeof(header));
	if (by_toast)
	{
		struct varlena *head;

		VARATT_EXTERNAL_GET_POINTER(toast, datum);
		/* the same TOAST value as last time here: no fetch at all */
		if (slot_current(slot) && slot->by_toast &&
			memcmp(&slot->toast, &toast, sizeof(toast)) == 0)
			return slot_hit(slot);
		head = detoast_attr_slice(datum, 0, PMED_HEADER_SIZE);
		if (!header_of(head, header))
			by_toast = false;	/* too short to be a model: let the decoder say so */
	}
	else if (compressed && slot_current(slot) && slot->compressed != NULL &&
			 VARSIZE(datum) == VARSIZE(slot->compressed) &&
			 memcmp(datum, slot->compressed, VARSIZE(datum)) == 0)
		return slot_hit(slot);	/* the same compressed bytes: no decompression */
	if (!by_toast)
	{
		raw = (bytea *) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(argno));
		header_of(raw, header);
		if (slot_current(slot) && !slot->by_toast && slot->size == VARSIZE_ANY_EXHDR(raw) &&
			memcmp(slot->header, header, PMED_HEADER_SIZE) == 0)
			return slot_hit(slot);
	}

	/* a different model than last time at this call site */
	slot->valid = false;
	if (slot->private_ctx != NULL)
	{
		MemoryContextDelete(slot->private_ctx);
		slot->private_ctx = NULL;
	}
	if (slot->compressed != NULL)
	{
		pfree(slot->compressed);
		slot->compressed = NULL;
	}
	idx = backend_find(by_toast, &toast, header, raw);
	if (idx < 0)
	{
		if (raw == NULL)
			raw = (bytea *) detoast_attr(datum);
		if (VARSIZE_ANY_EXHDR(raw) <= CACHE_MAX_BYTES)
			idx = backend_add(by_toast, &toast, header, raw);
		else
		{
			slot->private_ctx = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
													  "pmed model (query)",
													  ALLOCSET_DEFAULT_SIZES);
			slot->model = decode_into(slot->private_ctx, raw);
		}
	}
	slot->entry = idx;
	if (idx >= 0)
	{
		slot->model = backend_cache[idx].model;
		slot->generation = backend_cache[idx].generation;
	}
	if (compressed && !by_toast)
	{
		slot->compressed = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, VARSIZE(datum));
		memcpy(slot->compressed, datum, VARSIZE(datum));
	}
	slot->by_toast = by_toast;
	slot->toast = toast;
	memcpy(slot->header, header, PMED_HEADER_SIZE);
	slot->size = raw ? VARSIZE_ANY_EXHDR(raw) : backend_cache[idx].size;
	slot->valid = true;
	return slot->model;
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
	SiteCache  *cache;
	ArrayType  *arr;
	int			n;
	int			p = (int) m->schema.n_features;

	/* cnn / rnn models take signals and sequences */
	if (m->kind == PMED_KIND_CNN || m->kind == PMED_KIND_RNN)
		return pmed_nn_input_arg(fcinfo, argno, m);
	/* statics (pmed.predict(model, input, statics) ...) are for cnn and rnn models */
	if (unlikely(PG_NARGS() > argno + 1 &&
				 get_fn_expr_argtype(fcinfo->flinfo, argno + 1) == FLOAT8ARRAYOID))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("static values apply to cnn and rnn models only, not to a %s model",
						pmed_kind_name(m->kind)),
				 errhint("Call the function without the statics argument.")));
	cache = site_cache(fcinfo);
	/* a model of named features takes them (jsonb or a row), never float8[] */
	if (unlikely(m->encoding != NULL))
		return pmed_named_features_arg(fcinfo, argno, m, &cache->named, NULL);
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	n = pmed_feature_array_length(arr);

	if (n != p)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of features: %d", n),
				 errdetail("The model was trained on %d features.", p)));
	if (cache->features_len < p)
	{
		cache->features = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(double) * p);
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
