/*
 * predict_named.c - using a model trained on named features (a jsonb
 * object or a composite row): the argument is decoded and encoded with the
 * encoding the model stores (core/encoding.h), then the family predicts on
 * the dense row as for float8[] features.  predict, predict_label and
 * predict_proba reach this through pmed_features_arg (model_cache.c) when
 * the model has an encoding; explain and feature_importance report per
 * input column (a one-hot or multi-hot column's parts summed).
 */
#include "pmed.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "named_features.h"

PG_FUNCTION_INFO_V1(explain_named);
PG_FUNCTION_INFO_V1(predict_named);
PG_FUNCTION_INFO_V1(predict_label_named);
PG_FUNCTION_INFO_V1(predict_proba_named);
PG_FUNCTION_INFO_V1(predict_proba_label_named);
PG_FUNCTION_INFO_V1(svm_decision_named);
PG_FUNCTION_INFO_V1(unseen_columns_named);

/* predict.c's functions, which reach pmed_named_features_arg for these models */
extern Datum predict(PG_FUNCTION_ARGS);
extern Datum predict_label(PG_FUNCTION_ARGS);
extern Datum predict_proba(PG_FUNCTION_ARGS);
extern Datum predict_proba_label(PG_FUNCTION_ARGS);
extern Datum svm_decision(PG_FUNCTION_ARGS);

typedef struct NamedCache
{
	PmedRecordPlan *plan;		/* composite rows: per row type */
	double	   *x;				/* the encoded row */
	uint32		n_dense;
	Oid			argtype;		/* resolved once per call site */
} NamedCache;

/* Encode argument argno into c->x (grown in mcxt, where the plan lives too). */
static const double *
named_encode(FunctionCallInfo fcinfo, int argno, const PmedModel *m, NamedCache *c,
			 MemoryContext mcxt, PmedFeatureRow *values)
{
	const PmedEncoding *enc = m->encoding;
	PmedFeatureRow row;
	PmedError	err = {0};

	if (c->argtype != JSONBOID && c->argtype != RECORDOID && !type_is_rowtype(c->argtype))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this model takes named features (jsonb or a row), not %s",
						format_type_be(c->argtype)),
				 errdetail("It was trained on named features and encodes them itself."),
				 errhint("Pass the same kind of row it was trained on, e.g. to_jsonb(t) or the table's row.")));
	if (c->n_dense < enc->n_dense)
	{
		c->x = MemoryContextAlloc(mcxt, sizeof(double) * Max(enc->n_dense, 1));
		c->n_dense = enc->n_dense;
	}
	if (c->argtype == JSONBOID)
		pmed_features_from_jsonb(PG_GETARG_JSONB_P(argno), &row);
	else
		pmed_features_from_record(PG_GETARG_HEAPTUPLEHEADER(argno), &c->plan, mcxt, &row);
	if (pmed_encoding_encode_row(enc, row.values, row.n, c->x, NULL, NULL, &err) != PMED_OK)
		pmed_report(&err);
	if (values != NULL)
		*values = row;
	return c->x;
}

const double *
pmed_named_features_arg(FunctionCallInfo fcinfo, int argno, const PmedModel *m,
						void **cachep, void *values)
{
	NamedCache *c = *cachep;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(NamedCache));
		c->argtype = get_fn_expr_argtype(fcinfo->flinfo, argno);
		*cachep = c;
	}
	return named_encode(fcinfo, argno, m, c, fcinfo->flinfo->fn_mcxt, values);
}

/* The model of argument 0: supervised and trained on named features. */
static const PmedModel *
named_model(FunctionCallInfo fcinfo, const char *function, const PmedFamily **family)
{
	const PmedModel *m = pmed_cached_model(fcinfo, 0);

	*family = pmed_family_for_kind(m->kind);
	if ((*family)->predict == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a classification or regression model, not a %s model",
						function, pmed_kind_name(m->kind))));
	if (m->encoding == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this model takes float8[] features, not named features"),
				 errdetail("It was trained on a float8[] column."),
				 errhint("Train it from jsonb or a row to score jsonb or rows.")));
	return m;
}

/*
 * The jsonb and record forms of predict, predict_label and predict_proba:
 * the model must have an encoding (else the argument would be read as a
 * float8[]), then the float8[] functions run, whose feature argument
 * (pmed_features_arg) encodes the named values.
 */
Datum
predict_named(PG_FUNCTION_ARGS)
{
	const PmedFamily *family;

	named_model(fcinfo, "pmed.predict", &family);
	return predict(fcinfo);
}

Datum
predict_label_named(PG_FUNCTION_ARGS)
{
	const PmedFamily *family;

	named_model(fcinfo, "pmed.predict_label", &family);
	return predict_label(fcinfo);
}

Datum
predict_proba_named(PG_FUNCTION_ARGS)
{
	const PmedFamily *family;

	named_model(fcinfo, "pmed.predict_proba", &family);
	return predict_proba(fcinfo);
}

Datum
predict_proba_label_named(PG_FUNCTION_ARGS)
{
	const PmedFamily *family;

	named_model(fcinfo, "pmed.predict_proba", &family);
	return predict_proba_label(fcinfo);
}

Datum
svm_decision_named(PG_FUNCTION_ARGS)
{
	const PmedFamily *family;

	named_model(fcinfo, "pmed.svm_decision", &family);
	return svm_decision(fcinfo);
}

/*
 * pmed.explain(model, features jsonb | record) -> (feature int, name text,
 * value text, contribution float8): row 0 the base value, then one row per
 * input column of the model (in name order) with the row's value as text
 * (" (other)" appended when it fell into the pooled level) and the sum of
 * its encoded columns' contributions.
 */
Datum
explain_named(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const PmedFamily *family;
	const PmedModel *m = named_model(fcinfo, "pmed.explain", &family);
	const PmedEncoding *enc = m->encoding;
	PmedFeatureRow row;
	const double *x;
	double	   *contrib = palloc0(sizeof(double) * Max(m->schema.n_features, 1));
	double	   *per_column = palloc0(sizeof(double) * Max(enc->n_columns, 1));
	int32	   *value_of = palloc(sizeof(int32) * Max(enc->n_columns, 1));
	uint8	   *status = palloc0(Max(enc->n_columns, 1));
	double	   *scratch = palloc(sizeof(double) * Max(m->schema.n_features, 1));
	double		base = 0;
	PmedError	err = {0};
	NamedCache	cache = {0};

	if (family->explain == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s models cannot explain predictions", family->name)));
	/* per call (fn_extra belongs to the model cache): in the call's context */
	cache.argtype = get_fn_expr_argtype(fcinfo->flinfo, 1);
	x = named_encode(fcinfo, 1, m, &cache, CurrentMemoryContext, &row);
	/* the per-column status (other, missing) for the value text */
	if (pmed_encoding_encode_row(enc, row.values, row.n, scratch, NULL, status, &err) != PMED_OK)
		pmed_report(&err);
	family->explain(m, x, &base, contrib);
	pmed_encoding_sum_by_column(enc, contrib, per_column);
	pmed_encoding_match(enc, row.values, row.n, value_of);

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i <= (int) enc->n_columns; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int32GetDatum(i);
		if (i == 0)
		{
			values[1] = CStringGetTextDatum("base_value");
			nulls[2] = true;
			values[3] = Float8GetDatum(base);
		}
		else
		{
			int32		v = value_of[i - 1];

			values[1] = CStringGetTextDatum(enc->columns[i - 1].name);
			if (v < 0 || row.values[v].kind == PMED_VALUE_NULL)
				nulls[2] = true;
			else
			{
				char	   *text = pmed_raw_value_text(&row.values[v]);

				if (status[i - 1] == PMED_VS_OTHER)
					text = psprintf("%s (other)", text);
				values[2] = CStringGetTextDatum(text);
			}
			values[3] = Float8GetDatum(per_column[i - 1]);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * pmed.unseen_columns(model, features jsonb | record) -> text[]: the input
 * columns of this row whose value the model did not know, in the model's
 * column (name) order: a category level or a code scored as "other" (pooled
 * at training or never seen) by the column's name; then each name the model
 * does not have (ignored when scoring) as "+name", in the row's order.
 * NULL and absent values are not listed (they are missing values, which
 * every family handles).  Empty array when the model knew every value.
 */
Datum
unseen_columns_named(PG_FUNCTION_ARGS)
{
	const PmedFamily *family;
	const PmedModel *m = named_model(fcinfo, "pmed.unseen_columns", &family);
	const PmedEncoding *enc = m->encoding;
	PmedFeatureRow row;
	uint8	   *status = palloc0(Max(enc->n_columns, 1));
	double	   *scratch = palloc(sizeof(double) * Max(enc->n_dense, 1));
	PmedError	err = {0};
	NamedCache	cache = {0};
	ArrayBuildState *astate = initArrayResult(TEXTOID, CurrentMemoryContext, false);

	/* decode and encode once (the encoding's checks), keeping the status */
	cache.argtype = get_fn_expr_argtype(fcinfo->flinfo, 1);
	if (cache.argtype == JSONBOID)
		pmed_features_from_jsonb(PG_GETARG_JSONB_P(1), &row);
	else if (cache.argtype == RECORDOID || type_is_rowtype(cache.argtype))
		pmed_features_from_record(PG_GETARG_HEAPTUPLEHEADER(1), &cache.plan,
								  CurrentMemoryContext, &row);
	else
		elog(ERROR, "pmed.unseen_columns takes jsonb or a row, not %s",
			 format_type_be(cache.argtype));
	if (pmed_encoding_encode_row(enc, row.values, row.n, scratch, NULL, status, &err) != PMED_OK)
		pmed_report(&err);
	for (uint32 i = 0; i < enc->n_columns; i++)
		if (status[i] == PMED_VS_OTHER)
			accumArrayResult(astate, CStringGetTextDatum(enc->columns[i].name), false,
							 TEXTOID, CurrentMemoryContext);
	for (int v = 0; v < row.n; v++)
	{
		if (pmed_encoding_find(enc, row.values[v].name) >= 0)
			continue;
		accumArrayResult(astate,
						 PointerGetDatum(cstring_to_text_with_len(psprintf("+%.*s",
																		   (int) row.values[v].name.len,
																		   row.values[v].name.s),
																 (int) row.values[v].name.len + 1)),
						 false, TEXTOID, CurrentMemoryContext);
	}
	PG_RETURN_DATUM(makeArrayResult(astate, CurrentMemoryContext));
}

/*
 * feature_importance of a model of named features: one row per input
 * column, the importances of its encoded columns summed.  Called by
 * pmed.feature_importance (predict.c) with the dense importances.
 */
void
pmed_named_importance(FunctionCallInfo fcinfo, const PmedModel *m, const double *dense)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const PmedEncoding *enc = m->encoding;
	double	   *per_column = palloc0(sizeof(double) * Max(enc->n_columns, 1));

	pmed_encoding_sum_by_column(enc, dense, per_column);
	InitMaterializedSRF(fcinfo, 0);
	for (uint32 i = 0; i < enc->n_columns; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int32GetDatum((int32) i + 1);
		values[1] = CStringGetTextDatum(enc->columns[i].name);
		values[2] = Float8GetDatum(per_column[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}
