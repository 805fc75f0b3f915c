/*
 * options.c - reading and validating the jsonb options of training
 * aggregates.  Every problem is an ERROR with SQLSTATE 22023 that names the
 * option; an unknown key lists the accepted ones.
 */
#include "pmed.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/numeric.h"

void
pmed_option_error(const char *key, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for option \"%s\"", key),
			 errdetail("%s", detail)));
	pg_unreachable();
}

void
pmed_options_check_keys(Jsonb *options, const char *const *accepted, const char *what)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;

	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s options must be a JSON object", what)));

	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
			depth++;
		else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
			depth--;
		else if (tok == WJB_KEY && depth == 1)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);
			bool		known = false;

			for (const char *const *a = accepted; *a != NULL; a++)
				if (strcmp(*a, key) == 0)
					known = true;
			if (!known)
			{
				StringInfoData list;

				initStringInfo(&list);
				for (const char *const *a = accepted; *a != NULL; a++)
					appendStringInfo(&list, "%s%s", a == accepted ? "" : ", ", *a);
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown %s option \"%s\"", what, key),
						 errdetail("Accepted options are: %s.", list.data)));
			}
		}
	}
}

JsonbValue *
pmed_option_get(Jsonb *options, const char *key, JsonbValue *buf)
{
	if (options == NULL || !JB_ROOT_IS_OBJECT(options))
		return NULL;
	return getKeyJsonValueFromContainer(&options->root, key, strlen(key), buf);
}

bool
pmed_option_present(Jsonb *options, const char *key)
{
	JsonbValue	buf;
	JsonbValue *v = pmed_option_get(options, key, &buf);

	return v != NULL && v->type != jbvNull;
}

/* The number under key, or false when it is absent; must_be names the type. */
static bool
option_numeric(Jsonb *options, const char *key, const char *must_be, double *out)
{
	JsonbValue	buf;
	JsonbValue *v = pmed_option_get(options, key, &buf);

	if (v == NULL || v->type == jbvNull)
		return false;
	if (v->type != jbvNumeric)
		pmed_option_error(key, psprintf("The value must be %s.", must_be));
	*out = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
	return true;
}

double
pmed_option_number(Jsonb *options, const char *key, double def, double min, double max)
{
	double		d;

	if (!option_numeric(options, key, "a number", &d))
		return def;
	if (!isfinite(d) || d < min || d > max)
		pmed_option_error(key, psprintf("The value must be between %g and %g; it is %g.", min, max, d));
	return d;
}

int
pmed_option_int(Jsonb *options, const char *key, int def, int min, int max)
{
	double		d;

	if (!option_numeric(options, key, "an integer", &d))
		return def;
	if (d != floor(d))
		pmed_option_error(key, "The value must be an integer.");
	if (d < min || d > max)
		pmed_option_error(key, psprintf("The value must be between %d and %d; it is %.0f.", min, max, d));
	return (int) d;
}

bool
pmed_option_bool(Jsonb *options, const char *key, bool def)
{
	JsonbValue	buf;
	JsonbValue *v = pmed_option_get(options, key, &buf);

	if (v == NULL || v->type == jbvNull)
		return def;
	if (v->type != jbvBool)
		pmed_option_error(key, "The value must be true or false.");
	return v->val.boolean;
}

char *
pmed_option_string(Jsonb *options, const char *key)
{
	JsonbValue	buf;
	JsonbValue *v = pmed_option_get(options, key, &buf);

	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type != jbvString)
		pmed_option_error(key, "The value must be a string.");
	return pnstrdup(v->val.string.val, v->val.string.len);
}

const char *
pmed_option_choice(Jsonb *options, const char *key, const char *def, const char *const *choices)
{
	char	   *s = pmed_option_string(options, key);
	StringInfoData list;

	if (s == NULL)
		return def;
	for (const char *const *c = choices; *c != NULL; c++)
		if (strcmp(*c, s) == 0)
			return *c;
	initStringInfo(&list);
	for (const char *const *c = choices; *c != NULL; c++)
		appendStringInfo(&list, "%s\"%s\"", c == choices ? "" : ", ", *c);
	pmed_option_error(key, psprintf("The value must be one of %s; it is \"%s\".", list.data, s));
}

char **
pmed_option_text_array(Jsonb *options, const char *key, int *n)
{
	JsonbValue	buf;
	JsonbValue *v = pmed_option_get(options, key, &buf);
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	char	  **result;
	int			count = 0;

	*n = 0;
	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		pmed_option_error(key, "The value must be an array of strings.");

	result = palloc0(sizeof(char *) * (JsonContainerSize(v->val.binary.data) + 1));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
			pmed_option_error(key, "The value must be an array of strings.");
		result[count++] = pnstrdup(elem.val.string.val, elem.val.string.len);
	}
	*n = count;
	return result;
}

uint64
pmed_option_seed(Jsonb *options)
{
	double		seed = pmed_option_number(options, "seed", 0, -9007199254740992.0,
										  9007199254740992.0);

	if (seed != floor(seed))
		pmed_option_error("seed", "The value must be an integer.");
	return (uint64) (int64) seed;
}
