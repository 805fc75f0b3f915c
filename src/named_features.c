/*
 * named_features.c - a jsonb object or a composite row to a row of named values
 * (PmedRawValue), the input of the training row store and of the scoring
 * encoder (core/encoding.h).
 */
#include "named_features.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

/* Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01. */
#define UNIX_TO_PG_DAYS		((double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE))

static void
check_level_length(const char *name, int nlen, uint32 len)
{
	if (len > PMED_ENC_MAX_LEVEL_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("value of feature \"%.*s\" too long (%u bytes)", Min(nlen, 200), name, len),
				 errdetail("A category or code is at most %d bytes.", PMED_ENC_MAX_LEVEL_BYTES)));
}

static void
check_finite(const char *name, int nlen, double x)
{
	if (!isfinite(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature \"%.*s\" is %s", Min(nlen, 200), name, isnan(x) ? "NaN" : "infinite"),
				 errhint("Pass NULL for a missing value.")));
}

static double
numeric_to_double(Numeric num, const char *name, int nlen)
{
	if (numeric_is_nan(num) || numeric_is_inf(num))
		check_finite(name, nlen, numeric_is_nan(num) ? NAN : INFINITY);
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(num)));
}

/* ---- jsonb ---- */

static void
jsonb_error(const char *name, int nlen, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("feature \"%.*s\" is %s", Min(nlen, 200), name, what),
			 errdetail("A feature is a number, a boolean, a string, an array of strings or of integers (a code list), or null.")));
}

/* The elements of a code list: strings, or integers as text; NULLs skipped. */
static void
jsonb_code_list(JsonbIterator **it, PmedRawValue *out)
{
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			cap = 8,
				n = 0;
	PmedText   *codes = palloc(cap * sizeof(PmedText));
	int			elem_type = -1;

	while ((tok = JsonbIteratorNext(it, &v, false)) != WJB_END_ARRAY)
	{
		if (tok != WJB_ELEM)
			jsonb_error(out->name.s, out->name.len, "an array holding arrays or objects");
		if (v.type == jbvNull)
			continue;
		if (v.type != jbvString && v.type != jbvNumeric)
			jsonb_error(out->name.s, out->name.len, "an array holding booleans");
		if (elem_type >= 0 && elem_type != (int) v.type)
			jsonb_error(out->name.s, out->name.len, "an array of mixed types");
		elem_type = v.type;
		if (n == cap)
		{
			if (cap >= PMED_ENC_MAX_CODES)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("feature \"%.*s\" has too many codes", Min((int) out->name.len, 200), out->name.s),
						 errdetail("A code list holds at most %d codes.", PMED_ENC_MAX_CODES)));
			cap *= 2;
			codes = repalloc(codes, cap * sizeof(PmedText));
		}
		if (v.type == jbvString)
		{
			check_level_length(out->name.s, out->name.len, v.val.string.len);
			codes[n].s = v.val.string.val;
			codes[n].len = v.val.string.len;
		}
		else
		{
			char	   *txt = DatumGetCString(DirectFunctionCall1(numeric_out,
																  NumericGetDatum(v.val.numeric)));

			if (strchr(txt, '.') != NULL || numeric_is_nan(v.val.numeric))
				jsonb_error(out->name.s, out->name.len, "an array holding a number that is not an integer");
			codes[n].s = txt;
			codes[n].len = strlen(txt);
		}
		n++;
	}
	out->kind = PMED_VALUE_CODES;
	out->codes = codes;
	out->n_codes = n;
}

void
pmed_features_from_jsonb(Jsonb *jb, PmedFeatureRow *row)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			cap;

	if (JB_ROOT_IS_SCALAR(jb) || !JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must be a jsonb object"),
				 errdetail("Keys are feature names, values numbers, booleans, strings, arrays of strings or null."),
				 errhint("Build it with to_jsonb(row) or jsonb_build_object().")));
	cap = JB_ROOT_COUNT(jb);
	row->n = 0;
	row->values = palloc0(Max(cap, 1) * sizeof(PmedRawValue));

	it = JsonbIteratorInit(&jb->root);
	tok = JsonbIteratorNext(&it, &v, false);	/* WJB_BEGIN_OBJECT */
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		PmedRawValue *out;

		if (tok != WJB_KEY)
			continue;			/* WJB_END_OBJECT */
		Assert(row->n < cap);
		out = &row->values[row->n++];
		out->name.s = v.val.string.val;
		out->name.len = v.val.string.len;
		tok = JsonbIteratorNext(&it, &v, false);
		if (tok == WJB_BEGIN_OBJECT)
			jsonb_error(out->name.s, out->name.len, "a nested object");
		if (tok == WJB_BEGIN_ARRAY)
		{
			jsonb_code_list(&it, out);
			continue;
		}
		switch (v.type)
		{
			case jbvNull:
				out->kind = PMED_VALUE_NULL;
				break;
			case jbvBool:
				out->kind = PMED_VALUE_BOOL;
				out->number = v.val.boolean ? 1.0 : 0.0;
				break;
			case jbvNumeric:
				out->kind = PMED_VALUE_NUMBER;
				out->number = numeric_to_double(v.val.numeric, out->name.s, out->name.len);
				check_finite(out->name.s, out->name.len, out->number);
				break;
			case jbvString:
				check_level_length(out->name.s, out->name.len, v.val.string.len);
				out->kind = PMED_VALUE_STRING;
				out->str.s = v.val.string.val;
				out->str.len = v.val.string.len;
				break;
			default:
				jsonb_error(out->name.s, out->name.len, "of an unsupported jsonb type");
		}
	}
}

/* ---- composite rows ---- */

typedef enum Conv
{
	CONV_SKIP,					/* dropped column */
	CONV_INT2,
	CONV_INT4,
	CONV_INT8,
	CONV_FLOAT4,
	CONV_FLOAT8,
	CONV_NUMERIC,
	CONV_BOOL,
	CONV_TEXT,					/* text, varchar: the bytes as they are */
	CONV_OUT,					/* other text-like types and enums: output function */
	CONV_DATE,
	CONV_TIMESTAMP,				/* timestamp and timestamptz */
	CONV_CODES_TEXT,
	CONV_CODES_OUT,
	CONV_CODES_INT
} Conv;

typedef struct AttPlan
{
	const char *name;
	int			name_len;
	Conv		conv;
	FmgrInfo	out;			/* CONV_OUT, CONV_CODES_OUT */
	Oid			elemtype;		/* arrays */
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
} AttPlan;

struct PmedRecordPlan
{
	Oid			typid;
	int32		typmod;
	TupleDesc	tupdesc;
	int			natts;
	AttPlan		att[FLEXIBLE_ARRAY_MEMBER];
};

static bool
is_text_like(Oid type, bool *direct)
{
	char		category;
	bool		preferred;

	*direct = type == TEXTOID || type == VARCHAROID;
	if (*direct)
		return true;
	get_type_category_preferred(type, &category, &preferred);
	return category == TYPCATEGORY_STRING || category == TYPCATEGORY_ENUM;
}

static void
plan_attribute(AttPlan *a, Oid atttype)
{
	Oid			base = getBaseType(atttype);
	Oid			elem;
	bool		direct;
	Oid			outfn;
	bool		varlena;

	switch (base)
	{
		case INT2OID:
			a->conv = CONV_INT2;
			return;
		case INT4OID:
			a->conv = CONV_INT4;
			return;
		case INT8OID:
			a->conv = CONV_INT8;
			return;
		case FLOAT4OID:
			a->conv = CONV_FLOAT4;
			return;
		case FLOAT8OID:
			a->conv = CONV_FLOAT8;
			return;
		case NUMERICOID:
			a->conv = CONV_NUMERIC;
			return;
		case BOOLOID:
			a->conv = CONV_BOOL;
			return;
		case DATEOID:
			a->conv = CONV_DATE;
			return;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			a->conv = CONV_TIMESTAMP;
			return;
	}
	if (is_text_like(base, &direct))
	{
		a->conv = direct ? CONV_TEXT : CONV_OUT;
		if (!direct)
		{
			getTypeOutputInfo(base, &outfn, &varlena);
			fmgr_info(outfn, &a->out);
		}
		return;
	}
	elem = get_element_type(base);
	if (OidIsValid(elem))
	{
		Oid			ebase = getBaseType(elem);

		a->elemtype = elem;
		get_typlenbyvalalign(elem, &a->elmlen, &a->elmbyval, &a->elmalign);
		if (ebase == INT2OID || ebase == INT4OID || ebase == INT8OID)
		{
			a->conv = CONV_CODES_INT;
			return;
		}
		if (is_text_like(ebase, &direct))
		{
			a->conv = direct ? CONV_CODES_TEXT : CONV_CODES_OUT;
			if (!direct)
			{
				getTypeOutputInfo(ebase, &outfn, &varlena);
				fmgr_info(outfn, &a->out);
			}
			return;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("feature \"%s\" has unsupported type %s", a->name, format_type_be(atttype)),
			 errdetail("A feature is a number, a boolean, text or an enum, a date or timestamp, or an array of text or integers."),
			 errhint("Cast the column to one of these types.")));
}

static PmedRecordPlan *
build_plan(Oid typid, int32 typmod, MemoryContext mcxt)
{
	TupleDesc	td = lookup_rowtype_tupdesc(typid, typmod);
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	PmedRecordPlan *plan;

	plan = palloc0(offsetof(PmedRecordPlan, att) + Max(td->natts, 1) * sizeof(AttPlan));
	plan->typid = typid;
	plan->typmod = typmod;
	plan->natts = td->natts;
	plan->tupdesc = CreateTupleDescCopy(td);
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(td, i);
		AttPlan    *a = &plan->att[i];

		a->name = pstrdup(NameStr(attr->attname));
		a->name_len = strlen(a->name);
		if (attr->attisdropped)
		{
			a->conv = CONV_SKIP;
			continue;
		}
		plan_attribute(a, attr->atttypid);
	}
	MemoryContextSwitchTo(old);
	ReleaseTupleDesc(td);
	return plan;
}

static PmedText
datum_text(const AttPlan *a, Datum d, bool direct)
{
	PmedText	t;

	if (direct)
	{
		text	   *txt = DatumGetTextPP(d);

		t.s = VARDATA_ANY(txt);
		t.len = VARSIZE_ANY_EXHDR(txt);
	}
	else
	{
		t.s = OutputFunctionCall((FmgrInfo *) &a->out, d);
		t.len = strlen(t.s);
	}
	check_level_length(a->name, a->name_len, t.len);
	return t;
}

static void
record_codes(const AttPlan *a, Datum d, PmedRawValue *out)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				kept = 0;
	PmedText   *codes;

	deconstruct_array(arr, a->elemtype, a->elmlen, a->elmbyval, a->elmalign, &elems, &nulls, &n);
	if (n > PMED_ENC_MAX_CODES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("feature \"%s\" has too many codes (%d)", a->name, n),
				 errdetail("A code list holds at most %d codes.", PMED_ENC_MAX_CODES)));
	codes = palloc(Max(n, 1) * sizeof(PmedText));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			continue;
		if (a->conv == CONV_CODES_INT)
		{
			int64		v;
			char	   *buf = palloc(24);

			switch (a->elmlen)
			{
				case 2:
					v = DatumGetInt16(elems[i]);
					break;
				case 4:
					v = DatumGetInt32(elems[i]);
					break;
				default:
					v = DatumGetInt64(elems[i]);
					break;
			}
			snprintf(buf, 24, INT64_FORMAT, v);
			codes[kept].s = buf;
			codes[kept].len = strlen(buf);
		}
		else
			codes[kept] = datum_text(a, elems[i], a->conv == CONV_CODES_TEXT);
		kept++;
	}
	out->kind = PMED_VALUE_CODES;
	out->codes = codes;
	out->n_codes = kept;
}

void
pmed_features_from_record(HeapTupleHeader rec, PmedRecordPlan **planp,
						  MemoryContext mcxt, PmedFeatureRow *row)
{
	Oid			typid = HeapTupleHeaderGetTypeId(rec);
	int32		typmod = HeapTupleHeaderGetTypMod(rec);
	PmedRecordPlan *plan = *planp;
	HeapTupleData tuple;
	Datum	   *values;
	bool	   *nulls;

	if (plan == NULL || plan->typid != typid || plan->typmod != typmod)
		*planp = plan = build_plan(typid, typmod, mcxt);

	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	values = palloc(Max(plan->natts, 1) * sizeof(Datum));
	nulls = palloc(Max(plan->natts, 1) * sizeof(bool));
	heap_deform_tuple(&tuple, plan->tupdesc, values, nulls);

	row->n = 0;
	row->values = palloc0(Max(plan->natts, 1) * sizeof(PmedRawValue));
	for (int i = 0; i < plan->natts; i++)
	{
		const AttPlan *a = &plan->att[i];
		PmedRawValue *out;
		Datum		d = values[i];

		if (a->conv == CONV_SKIP)
			continue;
		out = &row->values[row->n++];
		out->name.s = a->name;
		out->name.len = a->name_len;
		if (nulls[i])
		{
			out->kind = PMED_VALUE_NULL;
			continue;
		}
		out->kind = PMED_VALUE_NUMBER;
		switch (a->conv)
		{
			case CONV_INT2:
				out->number = DatumGetInt16(d);
				break;
			case CONV_INT4:
				out->number = DatumGetInt32(d);
				break;
			case CONV_INT8:
				out->number = (double) DatumGetInt64(d);
				break;
			case CONV_FLOAT4:
				out->number = DatumGetFloat4(d);
				check_finite(a->name, a->name_len, out->number);
				break;
			case CONV_FLOAT8:
				out->number = DatumGetFloat8(d);
				check_finite(a->name, a->name_len, out->number);
				break;
			case CONV_NUMERIC:
				out->number = numeric_to_double(DatumGetNumeric(d), a->name, a->name_len);
				check_finite(a->name, a->name_len, out->number);
				break;
			case CONV_BOOL:
				out->kind = PMED_VALUE_BOOL;
				out->number = DatumGetBool(d) ? 1.0 : 0.0;
				break;
			case CONV_DATE:
				{
					DateADT		date = DatumGetDateADT(d);

					if (DATE_NOT_FINITE(date))
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("feature \"%s\" is an infinite date", a->name),
								 errhint("Pass NULL for a missing value.")));
					out->kind = PMED_VALUE_DATE;
					out->number = (double) date + UNIX_TO_PG_DAYS;
				}
				break;
			case CONV_TIMESTAMP:
				{
					Timestamp	ts = DatumGetTimestamp(d);

					if (TIMESTAMP_NOT_FINITE(ts))
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("feature \"%s\" is an infinite timestamp", a->name),
								 errhint("Pass NULL for a missing value.")));
					out->kind = PMED_VALUE_DATE;
					out->number = (double) ts / (double) USECS_PER_DAY + UNIX_TO_PG_DAYS;
				}
				break;
			case CONV_TEXT:
			case CONV_OUT:
				out->kind = PMED_VALUE_STRING;
				out->str = datum_text(a, d, a->conv == CONV_TEXT);
				break;
			case CONV_CODES_TEXT:
			case CONV_CODES_OUT:
			case CONV_CODES_INT:
				record_codes(a, d, out);
				break;
			case CONV_SKIP:
				break;
		}
	}
}

/* ---- value text for explain ---- */

static void
append_days(StringInfo buf, double days)
{
	double		whole = floor(days);
	int			y,
				m,
				d;
	double		secs = (days - whole) * 86400.0;

	j2date((int) whole + UNIX_EPOCH_JDATE, &y, &m, &d);
	appendStringInfo(buf, "%04d-%02d-%02d", y, m, d);
	if (secs > 0.0005)
	{
		int			s = (int) floor(secs + 0.5);

		appendStringInfo(buf, " %02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
	}
}

char *
pmed_raw_value_text(const PmedRawValue *v)
{
	StringInfoData buf;

	initStringInfo(&buf);
	switch (v->kind)
	{
		case PMED_VALUE_NULL:
			pfree(buf.data);
			return NULL;
		case PMED_VALUE_NUMBER:
			appendStringInfoString(&buf, float8out_internal(v->number));
			break;
		case PMED_VALUE_BOOL:
			appendStringInfoString(&buf, v->number != 0.0 ? "true" : "false");
			break;
		case PMED_VALUE_DATE:
			if (fabs(v->number) < 1e8)
				append_days(&buf, v->number);
			else
				appendStringInfoString(&buf, float8out_internal(v->number));
			break;
		case PMED_VALUE_STRING:
			appendBinaryStringInfo(&buf, v->str.s, v->str.len);
			break;
		case PMED_VALUE_CODES:
			appendStringInfoChar(&buf, '{');
			for (uint32 i = 0; i < v->n_codes; i++)
			{
				if (i > 0)
					appendStringInfoChar(&buf, ',');
				appendBinaryStringInfo(&buf, v->codes[i].s, v->codes[i].len);
			}
			appendStringInfoChar(&buf, '}');
			break;
	}
	return buf.data;
}
