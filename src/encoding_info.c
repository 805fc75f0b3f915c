/*
 * encoding_info.c - the input schema a model learned (core/encoding.h) as
 * jsonb for model_info, and pmed_encoding_debug, a C entry point the
 * regression tests declare themselves (it is not part of the extension's
 * SQL surface) to run SQL rows through the whole encoding path.
 */
#include "encoding_info.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

static void
push_key(JsonbParseState **st, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &v);
}

static void
push_string(JsonbParseState **st, JsonbIteratorToken tok, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	pushJsonbValue(st, tok, &v);
}

static void
push_number(JsonbParseState **st, JsonbIteratorToken tok, double x)
{
	JsonbValue	v;

	if (isnan(x))
	{
		v.type = jbvNull;
		pushJsonbValue(st, tok, &v);
		return;
	}
	v.type = jbvNumeric;
	v.val.numeric = DatumGetNumeric(DirectFunctionCall1(float8_numeric, Float8GetDatum(x)));
	pushJsonbValue(st, tok, &v);
}

static void
push_member_string(JsonbParseState **st, const char *key, const char *s)
{
	push_key(st, key);
	push_string(st, WJB_VALUE, s);
}

static void
push_member_number(JsonbParseState **st, const char *key, double x)
{
	push_key(st, key);
	push_number(st, WJB_VALUE, x);
}

static JsonbValue *
push_encoding(JsonbParseState **st, const PmedEncoding *enc, int max_levels)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	push_member_string(st, "categories", enc->mode == PMED_ENC_NATIVE ? "native" : "one-hot");
	push_member_number(st, "min_category_count", enc->min_category_count);
	push_member_number(st, "encoded_features", enc->n_dense);
	push_member_string(st, "unseen_levels", "counted as \"other\"");
	push_member_string(st, "unknown_names", "ignored");
	push_member_string(st, "dates", "days since 1970-01-01 UTC");
	push_key(st, "columns");
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (uint32 i = 0; i < enc->n_columns; i++)
	{
		const PmedEncColumn *c = &enc->columns[i];

		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		push_member_string(st, "name", c->name);
		push_member_string(st, "kind", pmed_column_kind_name(c->kind));
		push_member_number(st, "missing_rows", (double) c->missing_count);
		push_member_number(st, "encoded_from", c->width > 0 ? c->first + 1 : 0);
		push_member_number(st, "encoded_width", c->width);
		if (c->kind == PMED_COL_CATEGORY || c->kind == PMED_COL_CODES)
		{
			uint32		shown = Min(c->n_levels, (uint32) max_levels);

			push_member_number(st, "levels_kept", c->n_levels);
			push_member_number(st, "levels_pooled", c->n_pooled);
			push_member_number(st, "other_rows", (double) c->other_count);
			push_key(st, "levels");
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			for (uint32 k = 0; k < shown; k++)
				push_string(st, WJB_ELEM, c->levels[k]);
			pushJsonbValue(st, WJB_END_ARRAY, NULL);
			if (shown < c->n_levels)
				push_member_number(st, "levels_not_shown", c->n_levels - shown);
		}
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
	return pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

Jsonb *
pmed_encoding_info(const PmedEncoding *enc, int max_levels)
{
	JsonbParseState *st = NULL;

	return JsonbValueToJsonb(push_encoding(&st, enc, max_levels));
}

/* One element of a jsonb[] or composite array as a row of named values. */
static void
element_row(Oid elemtype, Datum d, PmedRecordPlan **plan, PmedFeatureRow *row)
{
	if (elemtype == JSONBOID)
		pmed_features_from_jsonb(DatumGetJsonbP(d), row);
	else
		pmed_features_from_record(DatumGetHeapTupleHeader(d), plan, CurrentMemoryContext, row);
}

PG_FUNCTION_INFO_V1(pmed_encoding_debug);

/*
 * pmed_encoding_debug(train anyarray, score anyarray, min_category_count
 * int, native bool) -> jsonb: learns an encoding from the train elements
 * (jsonb objects or composite rows), and returns {"schema", "train": dense
 * rows, "score": dense rows of the score elements encoded for scoring,
 * "status": per-column status of each, "stats": scoring counters,
 * "values": explain's text of each score value}.
 */
Datum
pmed_encoding_debug(PG_FUNCTION_ARGS)
{
	ArrayType  *train = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *score = PG_GETARG_ARRAYTYPE_P(1);
	PmedEncodeParams params = {PG_GETARG_INT32(2), PG_GETARG_BOOL(3) ? PMED_ENC_NATIVE : PMED_ENC_ONEHOT, 0};
	Oid			elemtype = ARR_ELEMTYPE(train);
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	PmedRecordPlan *plan = NULL;
	PmedRowStore *rs = pmed_rowstore_new();
	PmedEncoding *enc;
	PmedError	err = {0};
	PmedEncodeStats stats = {0};
	JsonbParseState *st = NULL;
	double	   *x;
	uint8	   *status;

	if (elemtype != JSONBOID && !type_is_rowtype(elemtype))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("pmed_encoding_debug takes arrays of jsonb or of rows")));
	get_typlenbyvalalign(elemtype, &elmlen, &elmbyval, &elmalign);
	deconstruct_array(train, elemtype, elmlen, elmbyval, elmalign, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		PmedFeatureRow row;

		if (nulls[i])
			continue;
		element_row(elemtype, elems[i], &plan, &row);
		if (pmed_rowstore_add(rs, row.values, row.n, &err) != PMED_OK)
			pmed_report(&err);
	}
	if (pmed_encoding_learn(rs, &params, &enc, &err) != PMED_OK)
		pmed_report(&err);
	x = palloc0((Size) Max(n, 1) * Max(enc->n_dense, 1) * sizeof(double));
	if (pmed_encoding_encode_store(enc, rs, 0, pmed_rowstore_rows(rs), x, &err) != PMED_OK)
		pmed_report(&err);

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_key(&st, "schema");
	push_encoding(&st, enc, 100);
	push_key(&st, "train");
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (int64 r = 0; r < pmed_rowstore_rows(rs); r++)
	{
		pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
		for (uint32 j = 0; j < enc->n_dense; j++)
			push_number(&st, WJB_ELEM, x[r * enc->n_dense + j]);
		pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	}
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);

	deconstruct_array(score, elemtype, elmlen, elmbyval, elmalign, &elems, &nulls, &n);
	status = palloc0(Max(enc->n_columns, 1));
	for (int pass = 0; pass < 3; pass++)
	{
		push_key(&st, pass == 0 ? "score" : pass == 1 ? "status" : "values");
		pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
		for (int i = 0; i < n; i++)
		{
			PmedFeatureRow row;

			if (nulls[i])
				continue;
			element_row(elemtype, elems[i], &plan, &row);
			if (pmed_encoding_encode_row(enc, row.values, row.n, x, pass == 0 ? &stats : NULL,
										 status, &err) != PMED_OK)
				pmed_report(&err);
			pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
			if (pass == 0)
				for (uint32 j = 0; j < enc->n_dense; j++)
					push_number(&st, WJB_ELEM, x[j]);
			else if (pass == 1)
				for (uint32 c = 0; c < enc->n_columns; c++)
					push_string(&st, WJB_ELEM,
								status[c] == PMED_VS_OK ? "ok" : status[c] == PMED_VS_OTHER ? "other" :
								status[c] == PMED_VS_MISSING ? "null" : "absent");
			else
				for (int v = 0; v < row.n; v++)
				{
					char	   *txt = pmed_raw_value_text(&row.values[v]);
					JsonbValue	jv;

					if (txt == NULL)
					{
						jv.type = jbvNull;
						pushJsonbValue(&st, WJB_ELEM, &jv);
					}
					else
						push_string(&st, WJB_ELEM, txt);
				}
			pushJsonbValue(&st, WJB_END_ARRAY, NULL);
		}
		pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	}
	push_key(&st, "stats");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_member_number(&st, "other_values", (double) stats.other_values);
	push_member_number(&st, "missing_values", (double) stats.missing_values);
	push_member_number(&st, "unknown_names", (double) stats.unknown_names);
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL)));
}
