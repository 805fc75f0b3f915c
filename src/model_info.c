/*
 * model_info.c - pmed.model_info(bytea) -> jsonb: everything a model says
 * about itself, for any model kind.
 */
#include "pmed.h"

#include "utils/builtins.h"
#include "utils/json.h"

PG_FUNCTION_INFO_V1(model_info);

static const char *const task_names[] = {"unknown", "classification", "regression", "recommendation"};
static const char *const label_names[] = {"none", "boolean", "integer", "text", "float"};

static void
append_string_array(StringInfo buf, char **v, uint32 n)
{
	appendStringInfoChar(buf, '[');
	for (uint32 i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		escape_json(buf, v[i]);
	}
	appendStringInfoChar(buf, ']');
}

Datum
model_info(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	PmedModel  *m = pmed_decode_model(raw);
	const PmedSchema *s = &m->schema;
	StringInfoData buf;
	size_t		meta_len = strlen(m->meta_json);

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"kind\": \"%s\", \"format_version\": %u, \"size_bytes\": %zu, "
					 "\"crc32c\": \"%08x\", \"parameters_crc32c\": \"%08x\", \"task\": \"%s\", \"label_type\": \"%s\", "
					 "\"n_features\": %u",
					 pmed_kind_name(m->kind), m->version, m->size, m->crc, m->algo_crc,
					 task_names[s->task], label_names[s->label_kind], s->n_features);
	if (s->feature_names)
	{
		appendStringInfoString(&buf, ", \"feature_names\": ");
		append_string_array(&buf, s->feature_names, s->n_features);
	}
	if (s->task == PMED_TASK_CLASSIFICATION)
	{
		appendStringInfoString(&buf, ", \"classes\": ");
		append_string_array(&buf, s->classes, s->n_classes);
		appendStringInfoString(&buf, ", \"positive_class\": ");
		if (s->positive >= 0)
			escape_json(&buf, s->classes[s->positive]);
		else
			appendStringInfoString(&buf, "null");
	}
	appendStringInfo(&buf, ", \"rows_used\": " UINT64_FORMAT ", \"rows_skipped\": " UINT64_FORMAT
					 ", \"training_seconds\": %.6f",
					 s->rows_used, s->rows_skipped, s->train_seconds);

	/* The family's metadata object: splice its members in. */
	if (meta_len >= 2 && m->meta_json[0] == '{' && m->meta_json[meta_len - 1] == '}')
	{
		if (meta_len > 2)
		{
			appendStringInfoString(&buf, ", ");
			appendBinaryStringInfo(&buf, m->meta_json + 1, meta_len - 2);
		}
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid pmed model: metadata is not a JSON object")));
	appendStringInfoChar(&buf, '}');

	/* jsonb_in validates the metadata text along the way. */
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
