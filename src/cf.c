/*
 * cf.c - pmed.cf_train: the collaborative-filtering training aggregate
 * (item_knn or ALS) and the CF model family; also the record-store state
 * that cf_train, content_train and interactions_train share, with its
 * combine / serialize / deserialize functions so parallel plans work.
 */
#include "rec_state.h"

#include <limits.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "core/cf.h"

PG_FUNCTION_INFO_V1(rec_combinefn);
PG_FUNCTION_INFO_V1(rec_serialfn);
PG_FUNCTION_INFO_V1(rec_deserialfn);
PG_FUNCTION_INFO_V1(rec_merge_transfn);
PG_FUNCTION_INFO_V1(rec_merge_finalfn);
PG_FUNCTION_INFO_V1(cf_train_transfn);
PG_FUNCTION_INFO_V1(cf_train_finalfn);

/* ---- the shared record store ---- */

static RecState *
rec_state_create(int kind)
{
	RecState   *st = palloc0(sizeof(RecState));

	st->kind = kind;
	return st;
}

RecState *
rec_state_get(FunctionCallInfo fcinfo, int kind, int options_arg,
			  void (*validate) (Jsonb *options))
{
	MemoryContext aggcontext;
	MemoryContext old;
	RecState   *st;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "pmed training transition function called in non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (RecState *) PG_GETARG_POINTER(0);
	if (st == NULL)
	{
		Jsonb	   *options = (options_arg >= 0 && PG_NARGS() > options_arg &&
							   !PG_ARGISNULL(options_arg)) ? PG_GETARG_JSONB_P(options_arg) : NULL;

		if (validate)
			validate(options);
		old = MemoryContextSwitchTo(aggcontext);
		st = rec_state_create(kind);
		if (options != NULL)
			st->options_json = JsonbToCString(NULL, &options->root, VARSIZE(options));
		MemoryContextSwitchTo(old);
	}
	return st;
}

/* Call in the aggregate context. */
void
rec_state_append(RecState *st, const uint64 *rec, int width)
{
	RecChunk   *c = st->tail;

	if (st->width == 0)
		st->width = width;
	else if (st->width != width)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature arrays must all have the same length"),
				 errdetail("Earlier rows have %d features; this row has %d.",
						   st->width - 1, width - 1)));
	if (c == NULL || (c->n + 1) * width > Max(REC_WORDS_PER_CHUNK, width))
	{
		c = palloc0(sizeof(RecChunk));
		c->w = palloc(sizeof(uint64) * Max(REC_WORDS_PER_CHUNK, width));
		if (st->tail)
			st->tail->next = c;
		else
			st->head = c;
		st->tail = c;
	}
	memcpy(c->w + (size_t) c->n * width, rec, sizeof(uint64) * width);
	c->n++;
	st->n++;
	if (st->n * (int64) width > ((int64) 1 << 31))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training set too large"),
				 errdetail("At most 2^31 values can be held for training.")));
}

uint64 *
rec_state_flatten(const RecState *st)
{
	uint64	   *all = palloc_extended(sizeof(uint64) * Max(st->n * st->width, 1), MCXT_ALLOC_HUGE);
	size_t		off = 0;

	for (RecChunk *c = st->head; c != NULL; c = c->next)
	{
		memcpy(all + off, c->w, sizeof(uint64) * c->n * st->width);
		off += (size_t) c->n * st->width;
	}
	return all;
}

Jsonb *
rec_state_options(const RecState *st)
{
	if (st->options_json == NULL)
		return NULL;
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(st->options_json)));
}

void
rec_schema_init(PmedSchema *s, const RecState *st, uint32 n_features)
{
	memset(s, 0, sizeof(*s));
	s->task = PMED_TASK_RECOMMENDATION;
	s->label_kind = PMED_LABEL_NONE;
	s->n_features = n_features;
	s->n_classes = 0;
	s->positive = -1;
	s->rows_used = st->n;
	s->rows_skipped = st->skipped;
}

bytea *
rec_model_bytea(PmedModelKind kind, const PmedSchema *s, const char *meta, const PmedWriter *algo)
{
	PmedWriter	out;
	PmedError	err = {0};

	if (algo->len > PMED_MAX_MODEL_BYTES - 4096)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model too large: %zu bytes", algo->len),
				 errdetail("A pmed model must stay under 1 GB.")));
	if (pmed_model_encode(&out, kind, s, meta, algo, &err) != PMED_OK)
		pmed_report(&err);
	return pmed_writer_to_bytea(&out);
}

/* Append every record of src to dst (call in dst's context). */
static void
rec_state_merge(RecState *dst, const RecState *src)
{
	if (dst->kind != src->kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge partial states of different model kinds"),
				 errdetail("One state is for a %s model, the other for a %s model.",
						   pmed_kind_name(dst->kind), pmed_kind_name(src->kind))));
	dst->skipped += src->skipped;
	pmed_options_merge(&dst->options_json, src->options_json);
	for (RecChunk *c = src->head; c != NULL; c = c->next)
	{
		for (int i = 0; i < c->n; i++)
			rec_state_append(dst, c->w + (size_t) i * src->width, src->width);
		CHECK_FOR_INTERRUPTS();
	}
}

Datum
rec_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext old;
	RecState   *s1 = PG_ARGISNULL(0) ? NULL : (RecState *) PG_GETARG_POINTER(0);
	RecState   *s2 = PG_ARGISNULL(1) ? NULL : (RecState *) PG_GETARG_POINTER(1);

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "rec_combinefn called in non-aggregate context");
	if (s2 == NULL)
		PG_RETURN_POINTER(s1);

	old = MemoryContextSwitchTo(aggcontext);
	if (s1 == NULL)
		s1 = rec_state_create(s2->kind);
	rec_state_merge(s1, s2);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(s1);
}

/*
 * Serialized state: u16 kind, i32 width, i64 records, i64 skipped,
 * u8 has options [+ string], then the records' words.
 */
Datum
rec_serialfn(PG_FUNCTION_ARGS)
{
	RecState   *st = (RecState *) PG_GETARG_POINTER(0);
	PmedWriter	w;

	pmed_writer_init(&w);
	pmed_put_u16(&w, (uint16) st->kind);
	pmed_put_i32(&w, st->width);
	pmed_put_i64(&w, st->n);
	pmed_put_i64(&w, st->skipped);
	pmed_put_u8(&w, st->options_json != NULL);
	if (st->options_json)
		pmed_put_str(&w, st->options_json);
	for (RecChunk *c = st->head; c != NULL; c = c->next)
	{
		for (int i = 0; i < c->n * st->width; i++)
			pmed_put_u64(&w, c->w[i]);
		CHECK_FOR_INTERRUPTS();
	}
	if (w.len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("partial training state too large to serialize (%zu bytes)", w.len)));
	PG_RETURN_BYTEA_P(pmed_writer_to_bytea(&w));
}

static void
rec_deserial_fail(PmedReader *r, const char *what)
{
	if (what)
		pmed_reader_fail(r, what);
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid pmed training state"),
			 errdetail("%s.", r->err->message[0] ? r->err->message : "The state does not decode")));
}

static bool
finite_word(uint64 bits, bool nonnegative)
{
	double		v;

	memcpy(&v, &bits, 8);
	return isfinite(v) && (!nonnegative || v >= 0);
}

/* Decode and check a serialized state (untrusted bytes) in the current context. */
static RecState *
rec_state_from_bytes(bytea *raw)
{
	PmedReader	r;
	PmedError	err = {0};
	RecState   *st;
	uint16		kind;
	int32		width;
	int64		n,
				skipped;
	uint8		has_options;
	uint64	   *rec;

	pmed_reader_init(&r, VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), &err);
	if (!pmed_get_u16(&r, &kind) || !pmed_get_i32(&r, &width) || !pmed_get_i64(&r, &n) ||
		!pmed_get_i64(&r, &skipped) || !pmed_get_u8(&r, &has_options))
		rec_deserial_fail(&r, NULL);
	if (n < 0 || skipped < 0 || has_options > 1 ||
		(n > 0) != (width > 0) ||
		(kind == PMED_KIND_CF && width != 0 && width != 3) ||
		(kind == PMED_KIND_INTERACTIONS && width != 0 && width != 2) ||
		(kind == PMED_KIND_CONTENT && width != 0 && (width < 2 || width > PMED_MAX_FEATURES + 1)) ||
		(kind != PMED_KIND_CF && kind != PMED_KIND_INTERACTIONS && kind != PMED_KIND_CONTENT))
		rec_deserial_fail(&r, "bad header");

	st = rec_state_create(kind);
	st->skipped = skipped;
	if (has_options)
	{
		char	   *json;

		if (!pmed_get_str(&r, &json))
			rec_deserial_fail(&r, NULL);
		(void) DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
		st->options_json = json;
	}
	if (n > 0 && (uint64) n > r.left / ((uint64) width * 8))
		rec_deserial_fail(&r, "truncated");
	rec = palloc(sizeof(uint64) * Max(width, 1));
	for (int64 i = 0; i < n; i++)
	{
		for (int j = 0; j < width; j++)
			if (!pmed_get_u64(&r, &rec[j]))
				rec_deserial_fail(&r, NULL);
		if (kind == PMED_KIND_CF && !finite_word(rec[2], true))
			rec_deserial_fail(&r, "bad weight");
		if (kind == PMED_KIND_CONTENT)
			for (int j = 1; j < width; j++)
				if (!finite_word(rec[j], false))
					rec_deserial_fail(&r, "bad feature value");
		rec_state_append(st, rec, width);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (!pmed_reader_done(&r))
		rec_deserial_fail(&r, NULL);
	return st;
}

Datum
rec_deserialfn(PG_FUNCTION_ARGS)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "rec_deserialfn called in non-aggregate context");
	PG_RETURN_POINTER(rec_state_from_bytes(PG_GETARG_BYTEA_PP(0)));
}

/*
 * pmed.recommender_from_partials(state bytea): merge partial states made
 * elsewhere by cf_train_partial / content_train_partial /
 * interactions_train_partial (e.g. one per shard or server) and train the
 * model all their rows together would give.  The states are untrusted.
 */
Datum
rec_merge_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext old;
	RecState   *st = PG_ARGISNULL(0) ? NULL : (RecState *) PG_GETARG_POINTER(0);
	RecState   *part;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "rec_merge_transfn called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	part = rec_state_from_bytes(PG_GETARG_BYTEA_PP(1));
	old = MemoryContextSwitchTo(aggcontext);
	if (st == NULL)
		st = rec_state_create(part->kind);
	rec_state_merge(st, part);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

Datum
rec_merge_finalfn(PG_FUNCTION_ARGS)
{
	RecState   *st = PG_ARGISNULL(0) ? NULL : (RecState *) PG_GETARG_POINTER(0);

	if (st == NULL)
		PG_RETURN_NULL();
	switch (st->kind)
	{
		case PMED_KIND_CF:
			return cf_train_finalfn(fcinfo);
		case PMED_KIND_CONTENT:
			return content_train_finalfn(fcinfo);
		default:
			return interactions_train_finalfn(fcinfo);
	}
}

/* ---- cf_train ---- */

static const char *const cf_option_keys[] = {
	"method", "neighbors", "shrinkage", "min_support", "factors", "iterations",
	"regularization", "alpha", "feedback", "store_patients", "seed", NULL
};
static const char *const cf_methods[] = {"item_knn", "als", NULL};
static const char *const cf_feedback[] = {"implicit", "explicit", NULL};

/* Read (and so validate) every option. */
static void
cf_read_options(Jsonb *options, PmedCfParams *p)
{
	const char *method,
			   *feedback;

	pmed_options_check_keys(options, cf_option_keys, "cf");
	pmed_cf_default_params(p);
	method = pmed_option_choice(options, "method", "item_knn", cf_methods);
	p->method = strcmp(method, "als") == 0 ? PMED_CF_ALS : PMED_CF_ITEM_KNN;
	p->neighbors = pmed_option_int(options, "neighbors", p->neighbors, 1, PMED_CF_MAX_NEIGHBORS);
	p->shrinkage = pmed_option_number(options, "shrinkage", p->shrinkage, 0, 1e12);
	p->min_support = pmed_option_int(options, "min_support", p->min_support, 1, INT_MAX);
	p->factors = pmed_option_int(options, "factors", p->factors, 1, PMED_CF_MAX_FACTORS);
	p->iterations = pmed_option_int(options, "iterations", p->iterations, 1, 1000);
	p->regularization = pmed_option_number(options, "regularization", p->regularization, 1e-12, 1e12);
	p->alpha = pmed_option_number(options, "alpha", p->alpha, 0, 1e12);
	feedback = pmed_option_choice(options, "feedback", "implicit", cf_feedback);
	p->explicit_feedback = strcmp(feedback, "explicit") == 0;
	p->store_patients = pmed_option_bool(options, "store_patients", true);
	p->seed = pmed_option_seed(options);
	if (p->method == PMED_CF_ITEM_KNN)
	{
		static const char *const als_only[] = {"factors", "iterations", "regularization", "alpha", "feedback", NULL};

		for (const char *const *k = als_only; *k; k++)
			if (pmed_option_present(options, *k))
				pmed_option_error(*k, "This option applies to method \"als\" only.");
	}
	else
	{
		static const char *const knn_only[] = {"neighbors", "shrinkage", "min_support", NULL};

		for (const char *const *k = knn_only; *k; k++)
			if (pmed_option_present(options, *k))
				pmed_option_error(*k, "This option applies to method \"item_knn\" only.");
	}
}

static void
cf_validate(Jsonb *options)
{
	PmedCfParams p;

	cf_read_options(options, &p);
}

Datum
cf_train_transfn(PG_FUNCTION_ARGS)
{
	RecState   *st = rec_state_get(fcinfo, PMED_KIND_CF, 4, cf_validate);
	MemoryContext aggcontext;
	MemoryContext old;
	uint64		rec[3];
	double		w = 1.0;

	AggCheckCallContext(fcinfo, &aggcontext);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (PG_NARGS() > 3 && PG_ARGISNULL(3)))
	{
		st->skipped++;
		PG_RETURN_POINTER(st);
	}
	if (PG_NARGS() > 3)
	{
		w = PG_GETARG_FLOAT8(3);
		if (!(w >= 0) || isinf(w))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid weight %g for patient " INT64_FORMAT " and item " INT64_FORMAT,
							w, PG_GETARG_INT64(1), PG_GETARG_INT64(2)),
					 errdetail("Weights must be finite and not negative.")));
	}
	rec[0] = (uint64) PG_GETARG_INT64(1);
	rec[1] = (uint64) PG_GETARG_INT64(2);
	memcpy(&rec[2], &w, 8);
	old = MemoryContextSwitchTo(aggcontext);
	rec_state_append(st, rec, 3);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

static const char *
method_name(int method)
{
	return method == PMED_CF_ALS ? "als" : "item_knn";
}

Datum
cf_train_finalfn(PG_FUNCTION_ARGS)
{
	RecState   *st = PG_ARGISNULL(0) ? NULL : (RecState *) PG_GETARG_POINTER(0);
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext work;
	PmedCfParams p;
	PmedCfTriple *t;
	uint64	   *words;
	size_t		n;
	PmedCfModel *m;
	PmedError	err = {0};
	PmedSchema	schema;
	PmedWriter	algo;
	StringInfoData meta;
	double		t0;
	bytea	   *result;

	if (st == NULL)
		PG_RETURN_NULL();		/* no input rows at all, as for avg() */
	if (st->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no rows to train on"),
				 errdetail("All %lld input rows had a NULL patient, item or weight.",
						   (long long) st->skipped)));

	/* Never modify the state: the final function may run again. */
	work = AllocSetContextCreate(caller, "pmed cf training", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(work);
	cf_read_options(rec_state_options(st), &p);

	t0 = pmed_now_seconds();
	words = rec_state_flatten(st);
	t = palloc_extended(sizeof(PmedCfTriple) * st->n, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < st->n; i++)
	{
		t[i].patient = (int64) words[3 * i];
		t[i].item = (int64) words[3 * i + 1];
		memcpy(&t[i].weight, &words[3 * i + 2], 8);
	}
	pfree(words);
	n = pmed_cf_canonicalize(t, st->n);
	if (pmed_cf_fit(t, n, &p, &m, NULL, &err) != PMED_OK)
		pmed_report(&err);
	pmed_writer_init(&algo);
	pmed_cf_encode(m, &algo);

	rec_schema_init(&schema, st, 0);
	schema.train_seconds = pmed_now_seconds() - t0;
	{
		size_t		np = 0;

		for (size_t i = 0; i < n; i++)
			if (i == 0 || t[i].patient != t[i - 1].patient)
				np++;
		initStringInfo(&meta);
		appendStringInfo(&meta, "{\"options\": %s, \"method\": \"%s\", \"patients\": %zu, \"items\": %u, "
						 "\"interactions\": " UINT64_FORMAT ", \"duplicate_rows_merged\": " INT64_FORMAT
						 ", \"stores_training_rows\": %s",
						 st->options_json ? st->options_json : "{}", method_name(p.method),
						 np, m->n_items, m->interactions, st->n - (int64) n,
						 p.store_patients ? "true" : "false");
	}
	if (p.method == PMED_CF_ITEM_KNN)
	{
		appendStringInfo(&meta, ", \"factors\": null, \"neighbors\": %d, \"shrinkage\": %g, "
						 "\"min_support\": %d, \"min_support_used\": %u, \"neighbour_pairs\": %u",
						 p.neighbors, p.shrinkage, p.min_support, m->min_support_used,
						 m->nbr_ptr[m->n_items]);
	}
	else
	{
		double		min_pop = m->popularity[0];

		for (uint32 i = 1; i < m->n_items; i++)
			min_pop = Min(min_pop, m->popularity[i]);
		appendStringInfo(&meta, ", \"factors\": %d, \"iterations\": %d, \"regularization\": %g, "
						 "\"alpha\": %g, \"feedback\": \"%s\", \"min_support_used\": %.0f, "
						 "\"loss\": %.9g",
						 p.factors, p.iterations, p.regularization, p.alpha,
						 p.explicit_feedback ? "explicit" : "implicit", min_pop, m->final_loss);
	}
	appendStringInfoChar(&meta, '}');

	MemoryContextSwitchTo(caller);
	result = rec_model_bytea(PMED_KIND_CF, &schema, meta.data, &algo);
	MemoryContextDelete(work);
	PG_RETURN_BYTEA_P(result);
}

/* ---- the family ---- */

static void *
cf_decode(PmedReader *algo, const PmedSchema *schema, PmedError *err)
{
	if (schema->task != PMED_TASK_RECOMMENDATION || schema->n_features != 0)
	{
		pmed_reader_fail(algo, "cf model with a non-recommendation schema");
		return NULL;
	}
	return pmed_cf_decode(algo, err);
}

const PmedFamily pmed_cf_family = {
	.kind = PMED_KIND_CF,
	.name = "cf",
	.option_keys = cf_option_keys,
	.classification = false,
	.regression = false,
	.validate_options = cf_validate,
	.fit = NULL,
	.decode = cf_decode,
	.predict = NULL,
};
