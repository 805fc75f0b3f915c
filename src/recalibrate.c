/*
 * recalibrate.c - pmed.recalibrate: a copy of a binary classifier whose
 * probabilities are recalibrated (Platt or isotonic) on new rows, without
 * retraining.  The transition state (pmed.metric_state) keeps the model
 * bytes once and, per distinct probability of the positive class, the
 * number of positive and negative rows; the final function expands them
 * into rows sorted by (probability, outcome), so every plan fits the same
 * bits.  predict.c applies the map.
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
#include "metric_state.h"

#define RECAL_DEFAULT_MAX_STEPS 1000

static const char *const recal_option_keys[] = {"method", "max_steps", NULL};
static const char *const recal_methods[] = {"platt", "isotonic", NULL};

static bool
options_equal(Jsonb *a, Jsonb *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

static void
parse_options(MetricState *s, Jsonb *options)
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
	MetricState *s = ms_transition(fcinfo, by_score ? MS_RECAL_SCORE : MS_RECAL_FEATURES);
	Jsonb	   *options = (PG_NARGS() > 4 && !PG_ARGISNULL(4)) ? PG_GETARG_JSONB_P(4) : NULL;
	const PmedModel *m;
	const PmedFamily *family;
	double		p;

	if (!s->options_known)
	{
		int32		method = s->method;
		int32		max_steps = s->max_steps;
		bool		configured = s->configured;

		parse_options(s, options);
		/* a state that arrived flat knows the parsed options only */
		if (configured && (method != s->method || max_steps != s->max_steps))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pmed.recalibrate options must be the same for every row")));
		if (options != NULL)
		{
			s->options = MemoryContextAlloc(MS_CXT(s), VARSIZE(options));
			memcpy(s->options, options, VARSIZE(options));
		}
		s->configured = true;
		s->options_known = true;
	}
	else if (!options_equal(s->options, options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pmed.recalibrate options must be the same for every row")));

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		s->skipped++;
		MS_RETURN(s);
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
		s->model = MemoryContextAlloc(MS_CXT(s), VARSIZE_ANY_EXHDR(raw) + VARHDRSZ);
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
	ms_add_score(s, p, PG_GETARG_BOOL(3));
	MS_RETURN(s);
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
	return ms_combine(fcinfo);
}

PG_FUNCTION_INFO_V1(recal_final);
Datum
recal_final(PG_FUNCTION_ARGS)
{
	static const int kinds[] = {MS_RECAL_FEATURES, MS_RECAL_SCORE};
	MetricState *s = ms_final_arg(fcinfo, 0, kinds, 2, "pmed.recalibrate");
	PmedRecalibration r;
	PmedError	err = {0};
	PmedWriter	out;
	int64		n;
	int64		k = 0;
	double	   *p;
	uint8	   *y;

	if (s == NULL || s->model == NULL)
		PG_RETURN_NULL();
	/* the state may come from outside: decode the model through every check */
	{
		PmedModel  *m = pmed_decode_model(s->model);

		require_binary(m, pmed_family_for_kind(m->kind));
	}
	/* rows sorted by (probability, outcome): each distinct probability's
	 * negatives, then its positives */
	ms_compact(s);
	n = s->total_pos + s->total_neg;
	p = palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	y = palloc_extended(Max(n, 1), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < s->n_runs; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (uint64 c = 0; c < s->runs[i].neg; c++)
		{
			p[k] = s->runs[i].score;
			y[k++] = 0;
		}
		for (uint64 c = 0; c < s->runs[i].pos; c++)
		{
			p[k] = s->runs[i].score;
			y[k++] = 1;
		}
	}
	if (pmed_recal_fit(s->method, n, p, y, (uint32) s->max_steps, &r, &err) != PMED_OK)
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
