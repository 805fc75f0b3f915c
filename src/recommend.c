/*
 * recommend.c - pmed.recommend(model, patient | history, k, exclude,
 * interactions): top-k items for a known patient or from a drug list, for
 * CF (item_knn, ALS) and content models, never returning an item of the
 * history or of exclude, optionally skipping drugs that interact (greedy).
 *
 * Materialize-mode SRF.  The model and the interaction set are each decoded
 * once and kept (pmed_cached_model).
 * A NULL model, patient, history or k gives no rows.
 */
#include "pmed.h"

#include "funcapi.h"
#include "utils/array.h"

#include "core/cf.h"
#include "core/content.h"

PG_FUNCTION_INFO_V1(recommend_patient);
PG_FUNCTION_INFO_V1(recommend_history);

/* k above this is refused (54000): results are materialised in memory. */
#define PMED_REC_MAX_K	1000000

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

	m = pmed_cached_model(fcinfo, 0);
	pmed_require_kind(m, "pmed.recommend", 2, PMED_KIND_CF, PMED_KIND_CONTENT);
	req.k = k;
	if (!PG_ARGISNULL(3))
		req.exclude = pmed_bigint_array(PG_GETARG_ARRAYTYPE_P(3), &req.n_exclude);
	if (!PG_ARGISNULL(4))
	{
		const PmedModel *d = pmed_cached_model(fcinfo, 4);

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
