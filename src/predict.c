/*
 * predict.c - the per-row functions every supervised model answers:
 * predict, predict_label, predict_proba, explain, feature_importance.
 */
#include "pmed.h"

#include <math.h>
#include <stdlib.h>

#include "funcapi.h"
#include "utils/builtins.h"

#include "core/recalibrate.h"

PG_FUNCTION_INFO_V1(predict);
PG_FUNCTION_INFO_V1(predict_label);
PG_FUNCTION_INFO_V1(predict_proba);
PG_FUNCTION_INFO_V1(predict_proba_label);
PG_FUNCTION_INFO_V1(explain);
PG_FUNCTION_INFO_V1(feature_importance);

/* The model of argument 0, which must be a supervised (row-predicting) one. */
static const PmedModel *
supervised_model(FunctionCallInfo fcinfo, const char *function, const PmedFamily **family)
{
	const PmedModel *m = pmed_cached_model(fcinfo, 0);

	*family = pmed_family_for_kind(m->kind);
	if ((*family)->predict == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a classification or regression model, not a %s model",
						function, pmed_kind_name(m->kind)),
				 errhint("Use pmed.recommend with recommendation models.")));
	return m;
}

static void
require_classifier(const PmedModel *m, const char *function)
{
	if (m->schema.task != PMED_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a classification model", function),
				 errhint("Use pmed.predict for regression models.")));
}

/*
 * The class index (or value) of a row.  A recalibrated model (binary, with
 * a positive class: the decoder checks it) predicts the positive class
 * when its recalibrated probability is at least 0.5.
 */
static double
predict_row(const PmedFamily *family, const PmedModel *m, const double *x)
{
	double		proba[2];
	int			pos = m->schema.positive;

	if (m->recal == NULL || !family->predict_proba(m, x, proba))
		return family->predict(m, x);
	return pmed_recal_apply(m->recal, proba[pos]) >= 0.5 ? pos : 1 - pos;
}

Datum
predict(PG_FUNCTION_ARGS)
{
	const PmedFamily *family;
	const PmedModel *m = supervised_model(fcinfo, "pmed.predict", &family);
	const double *x = pmed_features_arg(fcinfo, 1, m);
	double		out = predict_row(family, m, x);
	int			k;

	if (m->schema.task == PMED_TASK_REGRESSION)
		PG_RETURN_FLOAT8(out);

	k = (int) out;
	switch (m->schema.label_kind)
	{
		case PMED_LABEL_BOOL:
			PG_RETURN_FLOAT8(strcmp(m->schema.classes[k], "true") == 0 ? 1.0 : 0.0);
		case PMED_LABEL_INT:
		case PMED_LABEL_FLOAT:
			PG_RETURN_FLOAT8(strtod(m->schema.classes[k], NULL));
		default:
			/* Text labels: 1 for the positive class, 0 for the other. */
			if (m->schema.n_classes == 2 && m->schema.positive >= 0)
				PG_RETURN_FLOAT8(k == m->schema.positive ? 1.0 : 0.0);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pmed.predict cannot give a number for a multi-class text label"),
					 errhint("Use pmed.predict_label, or pmed.predict_proba with a label.")));
	}
	PG_RETURN_NULL();
}

Datum
predict_label(PG_FUNCTION_ARGS)
{
	const PmedFamily *family;
	const PmedModel *m = supervised_model(fcinfo, "pmed.predict_label", &family);
	const double *x = pmed_features_arg(fcinfo, 1, m);
	double		out = predict_row(family, m, x);

	if (m->schema.task == PMED_TASK_REGRESSION)
		PG_RETURN_TEXT_P(cstring_to_text(DatumGetCString(DirectFunctionCall1(float8out,
																			 Float8GetDatum(out)))));
	PG_RETURN_TEXT_P(cstring_to_text(m->schema.classes[(int) out]));
}

static double
class_probability(FunctionCallInfo fcinfo, const char *function, int k_from_label)
{
	const PmedFamily *family;
	const PmedModel *m = supervised_model(fcinfo, function, &family);
	const double *x = pmed_features_arg(fcinfo, 1, m);
	double	   *proba;
	int			k;

	require_classifier(m, function);
	if (k_from_label)
	{
		char	   *label = text_to_cstring(PG_GETARG_TEXT_PP(PG_NARGS() - 1));

		k = pmed_class_index(m, label);
		if (k < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" is not a class of this model", label)));
	}
	else
	{
		k = m->schema.positive;
		if (k < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs a class label for a multi-class model", function),
					 errhint("Call pmed.predict_proba(model, features, label).")));
	}
	proba = palloc(sizeof(double) * m->schema.n_classes);
	if (family->predict_proba == NULL || !family->predict_proba(m, x, proba))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this %s model has no probability estimates", family->name),
				 errhint("Train it with the option \"probability\": true.")));
	if (m->recal != NULL)
	{
		double		pp = pmed_recal_apply(m->recal, proba[m->schema.positive]);

		return k == m->schema.positive ? pp : 1.0 - pp;
	}
	return proba[k];
}

Datum
predict_proba(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(class_probability(fcinfo, "pmed.predict_proba", false));
}

Datum
predict_proba_label(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(class_probability(fcinfo, "pmed.predict_proba", true));
}

static const char *
feature_name(const PmedModel *m, int j, char *buf, size_t len)
{
	if (m->schema.feature_names)
		return m->schema.feature_names[j];
	snprintf(buf, len, "f%d", j + 1);
	return buf;
}

/*
 * pmed.explain's rows (float8[] features, every family): row 0 "base_value"
 * with a NULL value, then feature j (1-based) with names[j - 1], its value
 * (NULL when NaN: missing) and contribution[j - 1].
 */
Datum
pmed_explain_rows(FunctionCallInfo fcinfo, int p, double base, char *const *names,
				  const double *value, const double *contribution)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int j = 0; j <= p; j++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int32GetDatum(j);
		if (j == 0)
		{
			values[1] = CStringGetTextDatum("base_value");
			nulls[2] = true;
			values[3] = Float8GetDatum(base);
		}
		else
		{
			values[1] = CStringGetTextDatum(names[j - 1]);
			if (isnan(value[j - 1]))
				nulls[2] = true;
			else
				values[2] = Float8GetDatum(value[j - 1]);
			values[3] = Float8GetDatum(contribution[j - 1]);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

Datum
explain(PG_FUNCTION_ARGS)
{
	const PmedFamily *family;
	const PmedModel *m = supervised_model(fcinfo, "pmed.explain", &family);
	const double *x;
	int			p = (int) m->schema.n_features;
	double	   *contrib = palloc0(sizeof(double) * p);
	char	  **names = palloc(sizeof(char *) * p);
	double		base = 0;
	char		buf[32];

	if (m->encoding != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this model takes named features (jsonb or a row), not float8[]"),
				 errdetail("It was trained on named features and encodes them itself.")));
	x = pmed_features_arg(fcinfo, 1, m);
	if (m->kind == PMED_KIND_CNN || m->kind == PMED_KIND_RNN)
		return pmed_nn_explain_rows(fcinfo, m, x);
	if (family->explain == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s models cannot explain predictions", family->name)));
	family->explain(m, x, &base, contrib);
	for (int j = 0; j < p; j++)
		names[j] = pstrdup(feature_name(m, j, buf, sizeof(buf)));
	return pmed_explain_rows(fcinfo, p, base, names, x, contrib);
}

Datum
feature_importance(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const PmedFamily *family;
	const PmedModel *m = supervised_model(fcinfo, "pmed.feature_importance", &family);
	int			p = (int) m->schema.n_features;
	double	   *importance = palloc0(sizeof(double) * p);
	char		buf[32];

	if (family->importance == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s models have no feature importance", family->name),
				 errhint("Use pmed.explain for per-prediction contributions.")));
	family->importance(m, importance);
	if (m->encoding != NULL)
	{
		/* named features: per input column */
		pmed_named_importance(fcinfo, m, importance);
		return (Datum) 0;
	}

	InitMaterializedSRF(fcinfo, 0);
	for (int j = 0; j < p; j++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int32GetDatum(j + 1);
		values[1] = CStringGetTextDatum(feature_name(m, j, buf, sizeof(buf)));
		values[2] = Float8GetDatum(importance[j]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
