/*
 * model_info.c - pmed.model_info(bytea) -> jsonb: everything a model says
 * about itself, for any model kind (the JSON is written by the core:
 * pmed_model_info in core/decode.c).
 */
#include "pmed.h"

#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(model_info);

Datum
model_info(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	PmedModel  *m = pmed_decode_model(raw);
	PmedJson	j;
	PmedError	err = {0};

	pmed_json_init(&j);
	if (pmed_model_info(m, &j, &err) != PMED_OK)
		pmed_report(&err);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(j.buf)));
}
