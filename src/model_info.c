/*
 * model_info.c - pmed.model_info(bytea) -> jsonb: everything a model says
 * about itself, for any model kind (the JSON is written by the core:
 * pmed_model_info in core/decode.c).
 */
#include "pmed.h"

#include "utils/builtins.h"
#include "utils/json.h"

#include "encoding_info.h"

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
	if (m->encoding != NULL)
	{
		/* named features: the input schema the model encodes itself */
		const char *missing = m->kind == PMED_KIND_FOREST ?
			"routed by a learned default direction at each split" :
			m->kind == PMED_KIND_SVM ? "imputed with the training mean of each encoded column" :
			"not used by the model";
		Jsonb	   *schema = pmed_encoding_info(m->encoding, 100);
		char	   *text = JsonbToCString(NULL, &schema->root, VARSIZE(schema));
		StringInfoData buf;
		Datum		info = DirectFunctionCall1(jsonb_in, CStringGetDatum(j.buf));

		/* {"input_schema": {"missing_values": ..., <the encoding's members>}} */
		Assert(text[0] == '{');
		initStringInfo(&buf);
		appendStringInfoString(&buf, "{\"input_schema\": {\"missing_values\": ");
		escape_json(&buf, missing);
		appendStringInfo(&buf, ", %s}", text + 1);
		info = DirectFunctionCall2(jsonb_concat, info,
								   DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
		PG_RETURN_DATUM(info);
	}
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(j.buf)));
}
