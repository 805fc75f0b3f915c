/*
 * recommend.c - pmed.recommend(model, patient | history, k, exclude,
 * interactions): top-k items for a known patient or from a drug list, for
 * CF (item_knn, ALS) and content models, never returning an item of the
 * history or of exclude, optionally skipping drugs that interact (greedy).
 *
 * Materialize-mode SRF.  The model and the interaction set are each decoded
 * once and kept (see rec_cached_model below).
 * A NULL model, patient, history or k gives no rows.
 */
#include "rec_state.h"

#include "access/detoast.h"
#include "funcapi.h"
#include "utils/memutils.h"
#include "utils/array.h"

#include "core/cf.h"
#include "core/content.h"

PG_FUNCTION_INFO_V1(recommend_patient);
PG_FUNCTION_INFO_V1(recommend_history);

/* k above this is refused (54000): results are materialised in memory. */
#define PMED_REC_MAX_K	1000000

/*
 * Decoded models, two levels.
 *
 * Per call site (fn_extra): the last model each bytea argument resolved to,
 * so a million-row query touches neither the bytes nor the TOAST table
 * again (key: the TOAST pointer, or size + container header incl. CRC, as
 * pmed_cached_model does).
 *
 * Per backend: a small LRU of decoded models that outlives the query, so
 * one-patient-per-query workloads (an application asking for one patient's
 * recommendations at a time) do not fetch and decode a megabyte model every
 * time.  An entry is found by its TOAST pointer plus the 20-byte container
 * header (read with a slice fetch: one chunk), or, for an in-memory value,
 * by comparing every byte.  TOAST values never change in place, and the
 * header carries the CRC32C of the whole model, so a stale hit would need an
 * OID reused for a different model with the same length and checksum.
 * Models above REC_CACHE_MAX_BYTES are decoded once per query instead.
 */
#define REC_CACHE_ENTRIES	4
#define REC_CACHE_MAX_BYTES	((Size) 64 * 1024 * 1024)

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

static BackendEntry backend_cache[REC_CACHE_ENTRIES];
static uint64 backend_clock = 0;
static uint64 backend_generation = 0;

typedef struct SiteSlot
{
	bool		valid;
	bool		by_toast;
	struct varatt_external toast;
	uint8		header[PMED_HEADER_SIZE];
	Size		size;
	int			entry;			/* backend entry, or -1: private copy */
	uint64		generation;
	const PmedModel *model;
	MemoryContext private_ctx;	/* decoded here when too large to share */
} SiteSlot;

typedef struct RecCache
{
	SiteSlot	slot[2];
} RecCache;

static RecCache *
rec_cache(FunctionCallInfo fcinfo)
{
	RecCache   *c = fcinfo->flinfo->fn_extra;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RecCache));
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

/* Decode raw into a new context under parent; deleted again on error. */
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
	for (int i = 0; i < REC_CACHE_ENTRIES; i++)
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

	for (int i = 0; i < REC_CACHE_ENTRIES; i++)
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
	ctx = AllocSetContextCreate(TopMemoryContext, "pmed recommender model",
								ALLOCSET_DEFAULT_SIZES);
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

/* The decoded model of bytea argument argno, using cache slot slotno. */
const PmedModel *
rec_cached_model(FunctionCallInfo fcinfo, int argno, int slotno)
{
	SiteSlot   *slot = &rec_cache(fcinfo)->slot[slotno];
	struct varlena *datum = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	struct varatt_external toast;
	bool		by_toast = VARATT_IS_EXTERNAL_ONDISK(datum);
	uint8		header[PMED_HEADER_SIZE];
	bytea	   *raw = NULL;
	int			idx;

	memset(&toast, 0, sizeof(toast));
	memset(header, 0, sizeof(header));
	if (by_toast)
	{
		struct varlena *head;

		VARATT_EXTERNAL_GET_POINTER(toast, datum);
		/* same TOAST value as the last call here: no fetch at all */
		if (slot->valid && slot->by_toast && memcmp(&slot->toast, &toast, sizeof(toast)) == 0 &&
			(slot->entry < 0 || backend_cache[slot->entry].generation == slot->generation))
			return slot_hit(slot);
		head = detoast_attr_slice(datum, 0, PMED_HEADER_SIZE);
		if (!header_of(head, header))
			by_toast = false;	/* too short to be a model: let the decoder say so */
	}
	if (!by_toast)
	{
		raw = (bytea *) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(argno));
		header_of(raw, header);
		if (slot->valid && !slot->by_toast && slot->size == VARSIZE_ANY_EXHDR(raw) &&
			memcmp(slot->header, header, PMED_HEADER_SIZE) == 0 &&
			(slot->entry < 0 || backend_cache[slot->entry].generation == slot->generation))
			return slot_hit(slot);
	}

	/* a different model than last time at this call site */
	slot->valid = false;
	if (slot->private_ctx != NULL)
	{
		MemoryContextDelete(slot->private_ctx);
		slot->private_ctx = NULL;
	}
	idx = backend_find(by_toast, &toast, header, raw);
	if (idx < 0)
	{
		if (raw == NULL)
			raw = (bytea *) detoast_attr(datum);
		if (VARSIZE_ANY_EXHDR(raw) <= REC_CACHE_MAX_BYTES)
			idx = backend_add(by_toast, &toast, header, raw);
		else
		{
			slot->private_ctx = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
													  "pmed recommender model (query)",
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
	slot->by_toast = by_toast;
	slot->toast = toast;
	memcpy(slot->header, header, PMED_HEADER_SIZE);
	slot->size = raw ? VARSIZE_ANY_EXHDR(raw) : backend_cache[idx].size;
	slot->valid = true;
	return slot->model;
}

static void
emit(FunctionCallInfo fcinfo, const PmedRecResult *res)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	for (int i = 0; i < res->n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int64GetDatum(res->item[i]);
		values[1] = Float8GetDatum(res->score[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

static Datum
recommend_common(FunctionCallInfo fcinfo, bool by_history)
{
	const PmedModel *m;
	PmedRecRequest req = {0};
	PmedRecResult res = {0};
	PmedError	err = {0};
	PmedStatus	st;
	int32		k;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return (Datum) 0;
	k = PG_GETARG_INT32(2);
	if (k <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be positive, got %d", k)));
	if (k > PMED_REC_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("k is too large: %d", k),
				 errdetail("At most %d recommendations can be asked for at once.", PMED_REC_MAX_K)));

	m = rec_cached_model(fcinfo, 0, 0);
	pmed_require_kind(m, "pmed.recommend", 2, PMED_KIND_CF, PMED_KIND_CONTENT);
	req.k = k;
	if (!PG_ARGISNULL(3))
		req.exclude = pmed_bigint_array(PG_GETARG_ARRAYTYPE_P(3), &req.n_exclude);
	if (!PG_ARGISNULL(4))
	{
		const PmedModel *d = rec_cached_model(fcinfo, 4, 1);

		if (d->kind != PMED_KIND_INTERACTIONS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("interactions must be a model from pmed.interactions_train, not a %s model",
							pmed_kind_name(d->kind))));
		req.ddi = d->algo;
	}

	if (by_history)
		req.history = pmed_bigint_array(PG_GETARG_ARRAYTYPE_P(1), &req.n_history);

	if (m->kind == PMED_KIND_CONTENT)
	{
		if (!by_history)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("content models know no patients"),
					 errhint("Pass the patient's drugs as a bigint[] history.")));
		st = pmed_content_recommend(m->algo, &req, &res, &err);
	}
	else if (by_history)
		st = pmed_cf_recommend_history(m->algo, &req, &res, &err);
	else
		st = pmed_cf_recommend_patient(m->algo, PG_GETARG_INT64(1), &req, &res, &err);
	if (st != PMED_OK)
		pmed_report(&err);
	emit(fcinfo, &res);
	return (Datum) 0;
}

Datum
recommend_patient(PG_FUNCTION_ARGS)
{
	return recommend_common(fcinfo, false);
}

Datum
recommend_history(PG_FUNCTION_ARGS)
{
	return recommend_common(fcinfo, true);
}
