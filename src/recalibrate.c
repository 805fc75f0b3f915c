/*
 * recalibrate.c - pmed.recalibrate: a copy of a binary classifier whose
 * probabilities are recalibrated (Platt or isotonic) on new rows, without
 * retraining.  The aggregate keeps the model's own probability of the
 * positive class and the outcome of every row (16 bytes a row) and the
 * model bytes once; combine / serialize / deserialize make it parallel
 * safe, and the final function sorts the rows first, so serial and
 * parallel plans fit the same bits.  predict.c applies the map.
 */
#include "pmed.h"

#include <math.h>

#include "common/int.h"
#include "datatype/timestamp.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/recalibrate.h"
#include "core/util.h"

#define RECAL_DEFAULT_MAX_STEPS 1000

static const char *const recal_option_keys[] = {"method", "max_steps", NULL};
static const char *const recal_methods[] = {"platt", "isotonic", NULL};

typedef struct RecalRow
{
	double		p;
	uint8		y;
} RecalRow;

typedef struct RecalState
{
	bytea	   *model;			/* the model's bytes (first row), NULL in a fresh combine target */
	uint32		model_crc;		/* container CRC32C and size, to check every row's model */
	Size		model_size;
	int32		method;
	int32		max_steps;
	Jsonb	   *options;		/* the first row's options, or NULL */
	RecalRow   *rows;
	int64		n;
	int64		cap;
	int64		skipped;
} RecalState;

static MemoryContext
recal_context(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "pmed.recalibrate support function called in non-aggregate context");
	return aggcontext;
}

static void
recal_reserve(RecalState *s, int64 extra, MemoryContext cxt)
{
	int64		need = s->n + extra;
	int64		most = (int64) (MaxAllocHugeSize / sizeof(RecalRow));
	int64		cap;

	if (need <= s->cap)
		return;
	if (need > most)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for pmed.recalibrate")));
	cap = Max(Max(s->cap * 2, 1024), need);
	cap = Min(cap, most);
	if (s->rows == NULL)
		s->rows = MemoryContextAllocHuge(cxt, cap * sizeof(RecalRow));
	else
		s->rows = repalloc_huge(s->rows, cap * sizeof(RecalRow));
	s->cap = cap;
}

static bool
options_equal(Jsonb *a, Jsonb *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

static void
parse_options(RecalState *s, Jsonb *options)
{
	const char *method;

	pmed_options_check_keys(options, recal_option_keys, "pmed.recalibrate");
	method = pmed_option_choice(options, "method", "platt", recal_methods);
	s->method = strcmp(method, "isotonic") == 0 ? PMED_RECAL_ISOTONIC : PMED_RECAL_PLATT;
	s->max_steps = pmed_option_int(options, "max_steps", RECAL_DEFAULT_MAX_STEPS, 1,
								   PMED_RECAL_MAX_KNOTS);
	if (pmed_option_present(options, "max_steps") && s->method != PMED_RECAL_ISOTONIC)
		pmed_option_error("max_steps", "The option applies to \"method\": \"isotonic\" only.");
}

static void
require_binary(const PmedModel *m, const PmedFamily *family)
{
	if (family->predict_proba == NULL || m->schema.task != PMED_TASK_CLASSIFICATION ||
		m->schema.n_classes != 2 || m->schema.positive < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pmed.recalibrate needs a binary classifier with a positive class"),
				 errdetail("This %s model is %s with %u classes.", pmed_kind_name(m->kind),
						   m->schema.task == PMED_TASK_CLASSIFICATION ? "a classifier" :
						   m->schema.task == PMED_TASK_REGRESSION ? "a regression" : "a recommender",
						   m->schema.n_classes),
				 errhint("Train a binary classifier, with the option \"positive\" for text labels.")));
}

/*
 * Shared transition: by_score says argument 2 is the model's probability
 * (float8) rather than its features (float8[]).
 */
static Datum
recal_transfn(FunctionCallInfo fcinfo, bool by_score)
{
	MemoryContext aggcontext = recal_context(fcinfo);
	RecalState *s = PG_ARGISNULL(0) ? NULL : (RecalState *) PG_GETARG_POINTER(0);
	Jsonb	   *options = (PG_NARGS() > 4 && !PG_ARGISNULL(4)) ? PG_GETARG_JSONB_P(4) : NULL;
	const PmedModel *m;
	const PmedFamily *family;
	double		p;

	if (s == NULL)
	{
		s = MemoryContextAllocZero(aggcontext, sizeof(RecalState));
		parse_options(s, options);
		if (options != NULL)
		{
			s->options = MemoryContextAlloc(aggcontext, VARSIZE(options));
			memcpy(s->options, options, VARSIZE(options));
		}
	}
	else if (!options_equal(s->options, options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pmed.recalibrate options must be the same for every row")));

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		s->skipped++;
		PG_RETURN_POINTER(s);
	}
	m = pmed_cached_model(fcinfo, 1);
	if (s->model == NULL)
	{
		bytea	   *raw = PG_GETARG_BYTEA_PP(1);

		family = pmed_family_for_kind(m->kind);
		require_binary(m, family);
		if (by_score && m->recal != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("this model is already recalibrated: its scores are not the model's own probabilities"),
					 errhint("Pass the features instead of the scores: the new recalibration replaces the old one.")));
		s->model = MemoryContextAlloc(aggcontext, VARSIZE_ANY_EXHDR(raw) + VARHDRSZ);
		SET_VARSIZE(s->model, VARSIZE_ANY_EXHDR(raw) + VARHDRSZ);
		memcpy(VARDATA(s->model), VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw));
		s->model_crc = m->crc;
		s->model_size = m->size;
	}
	else if (m->crc != s->model_crc || m->size != s->model_size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pmed.recalibrate needs the same model in every row")));

	if (by_score)
	{
		p = PG_GETARG_FLOAT8(2);
		if (!(p >= 0.0 && p <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pmed.recalibrate: score must be a probability in [0, 1], got %g", p),
					 errhint("Pass the model's pmed.predict_proba before recalibration, or the features.")));
	}
	else
	{
		const double *x = pmed_features_arg(fcinfo, 2, m);
		double		proba[2];

		family = pmed_family_for_kind(m->kind);
		if (!family->predict_proba(m, x, proba))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("this %s model has no probability estimates", family->name),
					 errhint("Train it with the option \"probability\": true.")));
		/* the model's own probability: any earlier recalibration is replaced */
		p = proba[m->schema.positive];
		if (!(p >= 0.0 && p <= 1.0))
			p = p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
	}
	recal_reserve(s, 1, aggcontext);
	s->rows[s->n].p = p;
	s->rows[s->n].y = PG_GETARG_BOOL(3) ? 1 : 0;
	s->n++;
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(recal_features_transfn);
Datum
recal_features_transfn(PG_FUNCTION_ARGS)
{
	return recal_transfn(fcinfo, false);
}

PG_FUNCTION_INFO_V1(recal_score_transfn);
Datum
recal_score_transfn(PG_FUNCTION_ARGS)
{
	return recal_transfn(fcinfo, true);
}

PG_FUNCTION_INFO_V1(recal_combine);
Datum
recal_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = recal_context(fcinfo);
	RecalState *a = PG_ARGISNULL(0) ? NULL : (RecalState *) PG_GETARG_POINTER(0);
	RecalState *b = PG_ARGISNULL(1) ? NULL : (RecalState *) PG_GETARG_POINTER(1);
	MemoryContext old;

	if (b == NULL)
		PG_RETURN_POINTER(a);
	old = MemoryContextSwitchTo(aggcontext);
	if (a == NULL)
	{
		a = palloc0(sizeof(RecalState));
		a->method = b->method;
		a->max_steps = b->max_steps;
		if (b->options)
		{
			a->options = palloc(VARSIZE(b->options));
			memcpy(a->options, b->options, VARSIZE(b->options));
		}
	}
	else if (a->method != b->method || a->max_steps != b->max_steps ||
			 !options_equal(a->options, b->options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pmed.recalibrate options must be the same for every row")));
	if (b->model != NULL)
	{
		if (a->model == NULL)
		{
			a->model = palloc(VARSIZE(b->model));
			memcpy(a->model, b->model, VARSIZE(b->model));
			a->model_crc = b->model_crc;
			a->model_size = b->model_size;
		}
		else if (VARSIZE(a->model) != VARSIZE(b->model) ||
				 memcmp(a->model, b->model, VARSIZE(a->model)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pmed.recalibrate needs the same model in every row")));
	}
	recal_reserve(a, b->n, aggcontext);
	if (b->n > 0)
		memcpy(a->rows + a->n, b->rows, b->n * sizeof(RecalRow));
	a->n += b->n;
	a->skipped += b->skipped;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(recal_serialize);
Datum
recal_serialize(PG_FUNCTION_ARGS)
{
	RecalState *s = (RecalState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, s->method);
	pq_sendint32(&buf, s->max_steps);
	pq_sendint64(&buf, s->skipped);
	pq_sendint32(&buf, s->options ? VARSIZE(s->options) : 0);
	if (s->options)
		pq_sendbytes(&buf, (const char *) s->options, VARSIZE(s->options));
	pq_sendint32(&buf, s->model ? VARSIZE(s->model) - VARHDRSZ : 0);
	if (s->model)
	{
		pq_sendbytes(&buf, VARDATA(s->model), VARSIZE(s->model) - VARHDRSZ);
		pq_sendint32(&buf, s->model_crc);
		pq_sendint64(&buf, (int64) s->model_size);
	}
	pq_sendint64(&buf, s->n);
	for (int64 i = 0; i < s->n; i++)
	{
		pq_sendfloat8(&buf, s->rows[i].p);
		pq_sendbyte(&buf, s->rows[i].y);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
bad_state(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid pmed.recalibrate state")));
}

PG_FUNCTION_INFO_V1(recal_deserialize);
Datum
recal_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	RecalState *s = palloc0(sizeof(RecalState));
	int32		len;

	recal_context(fcinfo);
	buf.data = VARDATA_ANY(raw);
	buf.len = VARSIZE_ANY_EXHDR(raw);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 24)
		bad_state();
	s->method = pq_getmsgint(&buf, 4);
	s->max_steps = pq_getmsgint(&buf, 4);
	s->skipped = pq_getmsgint64(&buf);
	if ((s->method != PMED_RECAL_PLATT && s->method != PMED_RECAL_ISOTONIC) ||
		s->max_steps < 1 || s->max_steps > PMED_RECAL_MAX_KNOTS || s->skipped < 0)
		bad_state();
	len = pq_getmsgint(&buf, 4);
	if (len < 0 || len > buf.len - buf.cursor)
		bad_state();
	if (len > 0)
	{
		if (len < VARHDRSZ)
			bad_state();
		s->options = palloc(len);
		memcpy(s->options, pq_getmsgbytes(&buf, len), len);
		if (VARSIZE(s->options) != len)
			bad_state();
	}
	len = pq_getmsgint(&buf, 4);
	if (len < 0 || len > buf.len - buf.cursor)
		bad_state();
	if (len > 0)
	{
		s->model = palloc(len + VARHDRSZ);
		SET_VARSIZE(s->model, len + VARHDRSZ);
		memcpy(VARDATA(s->model), pq_getmsgbytes(&buf, len), len);
		s->model_crc = pq_getmsgint(&buf, 4);
		s->model_size = (Size) pq_getmsgint64(&buf);
	}
	s->n = pq_getmsgint64(&buf);
	if (s->n < 0 || s->n > (buf.len - buf.cursor) / 9)
		bad_state();
	s->cap = s->n;
	s->rows = s->n > 0 ? palloc_extended(s->n * sizeof(RecalRow), MCXT_ALLOC_HUGE) : NULL;
	for (int64 i = 0; i < s->n; i++)
	{
		s->rows[i].p = pq_getmsgfloat8(&buf);
		s->rows[i].y = pq_getmsgbyte(&buf);
		if (!(s->rows[i].p >= 0.0 && s->rows[i].p <= 1.0) || s->rows[i].y > 1)
			bad_state();
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(s);
}

static int
row_cmp(const void *a, const void *b)
{
	const RecalRow *x = a,
			   *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return (int) x->y - (int) y->y;
}

PG_FUNCTION_INFO_V1(recal_final);
Datum
recal_final(PG_FUNCTION_ARGS)
{
	RecalState *s = PG_ARGISNULL(0) ? NULL : (RecalState *) PG_GETARG_POINTER(0);
	PmedRecalibration r;
	PmedError	err = {0};
	PmedWriter	out;
	RecalRow   *rows;
	double	   *p;
	uint8	   *y;

	if (s == NULL || s->model == NULL)
		PG_RETURN_NULL();
	/* the state may come from a deserializer: decode the model through every check */
	{
		PmedModel  *m = pmed_decode_model(s->model);

		require_binary(m, pmed_family_for_kind(m->kind));
	}
	rows = palloc_extended(Max(s->n, 1) * sizeof(RecalRow), MCXT_ALLOC_HUGE);
	memcpy(rows, s->rows, s->n * sizeof(RecalRow));
	pmed_sort(rows, s->n, sizeof(RecalRow), row_cmp);
	CHECK_FOR_INTERRUPTS();
	p = palloc_extended(Max(s->n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	y = palloc_extended(Max(s->n, 1), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < s->n; i++)
	{
		p[i] = rows[i].p;
		y[i] = rows[i].y;
	}
	if (pmed_recal_fit(s->method, s->n, p, y, (uint32) s->max_steps, &r, &err) != PMED_OK)
		pmed_report(&err);
	r.recalibrated_at = (int64) GetCurrentTimestamp() +
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
	if (pmed_model_with_recalibration(VARDATA(s->model), VARSIZE(s->model) - VARHDRSZ, &r,
									  &out, &err) != PMED_OK)
		pmed_report(&err);
	PG_RETURN_BYTEA_P(pmed_writer_to_bytea(&out));
}

/* pmed.remove_recalibration(model): the model as trained, without its recalibration. */
PG_FUNCTION_INFO_V1(remove_recalibration);
Datum
remove_recalibration(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	PmedError	err = {0};
	PmedWriter	out;

	(void) pmed_decode_model(raw);
	if (pmed_model_with_recalibration(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), NULL,
									  &out, &err) != PMED_OK)
		pmed_report(&err);
	PG_RETURN_BYTEA_P(pmed_writer_to_bytea(&out));
}
