/*
 * json.c - the JSON writer of json.h, and a strict reader of the members of
 * a stored JSON object (model metadata is untrusted bytes).
 */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fail(PmedJson *j, const char *what)
{
	if (j->failure[0] == '\0')
		snprintf(j->failure, sizeof(j->failure), "%s", what);
}

static void
put(PmedJson *j, const char *s, size_t n)
{
	if (j->len + n + 1 > j->cap)
	{
		size_t		cap = j->cap ? j->cap : 256;

		while (cap < j->len + n + 1)
			cap *= 2;
		j->buf = pmed_realloc(j->buf, cap);
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void
puts_(PmedJson *j, const char *s)
{
	put(j, s, strlen(s));
}

void
pmed_json_init(PmedJson *j)
{
	memset(j, 0, sizeof(*j));
	put(j, "", 0);
}

static void
escape(PmedJson *j, const char *s, size_t n)
{
	put(j, "\"", 1);
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];
		char		tmp[8];

		switch (c)
		{
			case '"':
				puts_(j, "\\\"");
				break;
			case '\\':
				puts_(j, "\\\\");
				break;
			case '\n':
				puts_(j, "\\n");
				break;
			case '\r':
				puts_(j, "\\r");
				break;
			case '\t':
				puts_(j, "\\t");
				break;
			case '\b':
				puts_(j, "\\b");
				break;
			case '\f':
				puts_(j, "\\f");
				break;
			default:
				if (c < 0x20)
				{
					snprintf(tmp, sizeof(tmp), "\\u%04x", c);
					puts_(j, tmp);
				}
				else
					put(j, (const char *) &c, 1);
		}
	}
	put(j, "\"", 1);
}

/* Separator before a value; in an object, a value must follow a key. */
static void
before_value(PmedJson *j)
{
	PmedJsonLevel *l = j->depth > 0 ? &j->level[j->depth - 1] : NULL;

	if (l == NULL)
	{
		if (j->len > 0)
			fail(j, "two top-level values");
		return;
	}
	if (l->object)
	{
		if (!j->after_key)
			fail(j, "object member without a key");
		j->after_key = false;
		return;
	}
	if (l->count++ > 0)
		puts_(j, ", ");
}

static bool
register_key(PmedJson *j, const char *key, size_t n)
{
	PmedJsonLevel *l = &j->level[j->depth - 1];

	for (int i = 0; i < l->n_keys; i++)
		if (strlen(l->keys[i]) == n && memcmp(l->keys[i], key, n) == 0)
		{
			char		msg[96];

			snprintf(msg, sizeof(msg), "duplicate key \"%.*s\"", (int) (n > 60 ? 60 : n), key);
			fail(j, msg);
			return false;
		}
	if (l->n_keys == l->cap_keys)
	{
		l->cap_keys = l->cap_keys ? 2 * l->cap_keys : 16;
		l->keys = pmed_realloc(l->keys, sizeof(char *) * l->cap_keys);
	}
	l->keys[l->n_keys] = pmed_alloc(n + 1);
	memcpy(l->keys[l->n_keys], key, n);
	l->n_keys++;
	return true;
}

static void
key_n(PmedJson *j, const char *key, size_t n)
{
	PmedJsonLevel *l = j->depth > 0 ? &j->level[j->depth - 1] : NULL;

	if (l == NULL || !l->object || j->after_key)
	{
		fail(j, "key outside an object");
		return;
	}
	register_key(j, key, n);
	if (l->count++ > 0)
		puts_(j, ", ");
	escape(j, key, n);
	puts_(j, ": ");
	j->after_key = true;
}

void
pmed_json_key(PmedJson *j, const char *key)
{
	key_n(j, key, strlen(key));
}

static void
begin(PmedJson *j, bool object)
{
	before_value(j);
	if (j->depth == PMED_JSON_MAX_DEPTH)
	{
		fail(j, "nesting too deep");
		return;
	}
	memset(&j->level[j->depth], 0, sizeof(PmedJsonLevel));
	j->level[j->depth].object = object;
	j->depth++;
	puts_(j, object ? "{" : "[");
}

static void
end(PmedJson *j, bool object)
{
	PmedJsonLevel *l = j->depth > 0 ? &j->level[j->depth - 1] : NULL;

	if (l == NULL || l->object != object || j->after_key)
	{
		fail(j, "unbalanced object or array");
		return;
	}
	for (int i = 0; i < l->n_keys; i++)
		pmed_free(l->keys[i]);
	pmed_free(l->keys);
	j->depth--;
	puts_(j, object ? "}" : "]");
}

void
pmed_json_begin_object(PmedJson *j)
{
	begin(j, true);
}

void
pmed_json_end_object(PmedJson *j)
{
	end(j, true);
}

void
pmed_json_begin_array(PmedJson *j)
{
	begin(j, false);
}

void
pmed_json_end_array(PmedJson *j)
{
	end(j, false);
}

void
pmed_json_string(PmedJson *j, const char *s)
{
	before_value(j);
	if (s == NULL)
		puts_(j, "null");
	else
		escape(j, s, strlen(s));
}

void
pmed_json_number(PmedJson *j, double v)
{
	char		tmp[40];

	before_value(j);
	if (!isfinite(v))
	{
		puts_(j, "null");
		return;
	}
	for (int prec = 15; prec <= 17; prec++)
	{
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	puts_(j, tmp);
}

void
pmed_json_fixed(PmedJson *j, double v, int decimals)
{
	char		tmp[400];

	before_value(j);
	if (!isfinite(v))
	{
		puts_(j, "null");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	puts_(j, tmp);
}

void
pmed_json_int(PmedJson *j, int64_t v)
{
	char		tmp[32];

	before_value(j);
	snprintf(tmp, sizeof(tmp), "%lld", (long long) v);
	puts_(j, tmp);
}

void
pmed_json_uint(PmedJson *j, uint64_t v)
{
	char		tmp[32];

	before_value(j);
	snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long) v);
	puts_(j, tmp);
}

void
pmed_json_bool(PmedJson *j, bool v)
{
	before_value(j);
	puts_(j, v ? "true" : "false");
}

void
pmed_json_null(PmedJson *j)
{
	before_value(j);
	puts_(j, "null");
}

void
pmed_json_raw(PmedJson *j, const char *json)
{
	before_value(j);
	puts_(j, json);
}

void
pmed_json_kv_string(PmedJson *j, const char *key, const char *s)
{
	pmed_json_key(j, key);
	pmed_json_string(j, s);
}

void
pmed_json_kv_number(PmedJson *j, const char *key, double v)
{
	pmed_json_key(j, key);
	pmed_json_number(j, v);
}

void
pmed_json_kv_int(PmedJson *j, const char *key, int64_t v)
{
	pmed_json_key(j, key);
	pmed_json_int(j, v);
}

void
pmed_json_kv_uint(PmedJson *j, const char *key, uint64_t v)
{
	pmed_json_key(j, key);
	pmed_json_uint(j, v);
}

void
pmed_json_kv_bool(PmedJson *j, const char *key, bool v)
{
	pmed_json_key(j, key);
	pmed_json_bool(j, v);
}

void
pmed_json_kv_null(PmedJson *j, const char *key)
{
	pmed_json_key(j, key);
	pmed_json_null(j);
}

void
pmed_json_kv_strings(PmedJson *j, const char *key, char *const *v, size_t n)
{
	pmed_json_key(j, key);
	pmed_json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		pmed_json_string(j, v[i]);
	pmed_json_end_array(j);
}

PmedStatus
pmed_json_finish(PmedJson *j, PmedError *err)
{
	if (j->failure[0] == '\0' && (j->depth != 0 || j->len == 0))
		fail(j, "incomplete document");
	if (j->failure[0] != '\0')
		return pmed_fail(err, PMED_ERR_INTERNAL, "invalid JSON written: %s", j->failure);
	return PMED_OK;
}

void
pmed_json_free(PmedJson *j)
{
	for (int d = 0; d < j->depth; d++)
	{
		for (int i = 0; i < j->level[d].n_keys; i++)
			pmed_free(j->level[d].keys[i]);
		pmed_free(j->level[d].keys);
	}
	pmed_free(j->buf);
	memset(j, 0, sizeof(*j));
}

/* ---- reading the members of a stored object (untrusted text) ---- */

typedef struct Scan
{
	const char *s;
	size_t		pos;
	int			depth;
} Scan;

static void
skip_ws(Scan *sc)
{
	while (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' ||
		   sc->s[sc->pos] == '\n' || sc->s[sc->pos] == '\r')
		sc->pos++;
}

static bool
scan_string(Scan *sc)
{
	if (sc->s[sc->pos] != '"')
		return false;
	sc->pos++;
	for (;;)
	{
		unsigned char c = (unsigned char) sc->s[sc->pos];

		if (c == '\0' || c < 0x20)
			return false;
		sc->pos++;
		if (c == '"')
			return true;
		if (c == '\\')
		{
			c = (unsigned char) sc->s[sc->pos++];
			if (c == 'u')
			{
				for (int i = 0; i < 4; i++)
					if (!strchr("0123456789abcdefABCDEF", sc->s[sc->pos]) || sc->s[sc->pos] == '\0')
						return false;
					else
						sc->pos++;
			}
			else if (c == '\0' || !strchr("\"\\/bfnrt", c))
				return false;
		}
	}
}

static bool
scan_number(Scan *sc)
{
	size_t		start = sc->pos;

	if (sc->s[sc->pos] == '-')
		sc->pos++;
	if (sc->s[sc->pos] == '0')
		sc->pos++;
	else if (sc->s[sc->pos] >= '1' && sc->s[sc->pos] <= '9')
		while (sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9')
			sc->pos++;
	else
		return false;
	if (sc->s[sc->pos] == '.')
	{
		sc->pos++;
		if (!(sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9'))
			return false;
		while (sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9')
			sc->pos++;
	}
	if (sc->s[sc->pos] == 'e' || sc->s[sc->pos] == 'E')
	{
		sc->pos++;
		if (sc->s[sc->pos] == '+' || sc->s[sc->pos] == '-')
			sc->pos++;
		if (!(sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9'))
			return false;
		while (sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9')
			sc->pos++;
	}
	return sc->pos > start;
}

static bool
scan_value(Scan *sc)
{
	char		c;

	skip_ws(sc);
	c = sc->s[sc->pos];
	if (c == '"')
		return scan_string(sc);
	if (c == '{' || c == '[')
	{
		char		close = c == '{' ? '}' : ']';
		bool		first = true;

		if (++sc->depth > 64)
			return false;
		sc->pos++;
		for (;;)
		{
			skip_ws(sc);
			if (sc->s[sc->pos] == close && first)
				break;
			if (!first)
			{
				if (sc->s[sc->pos] != ',')
					break;
				sc->pos++;
				skip_ws(sc);
			}
			first = false;
			if (c == '{')
			{
				if (!scan_string(sc))
					return false;
				skip_ws(sc);
				if (sc->s[sc->pos++] != ':')
					return false;
			}
			if (!scan_value(sc))
				return false;
		}
		skip_ws(sc);
		if (sc->s[sc->pos] != close)
			return false;
		sc->pos++;
		sc->depth--;
		return true;
	}
	if (strncmp(sc->s + sc->pos, "true", 4) == 0)
		return (sc->pos += 4), true;
	if (strncmp(sc->s + sc->pos, "false", 5) == 0)
		return (sc->pos += 5), true;
	if (strncmp(sc->s + sc->pos, "null", 4) == 0)
		return (sc->pos += 4), true;
	return scan_number(sc);
}

/* Is key (n bytes) already a key of the innermost object? */
static bool
has_key(PmedJson *j, const char *key, size_t n)
{
	PmedJsonLevel *l = &j->level[j->depth - 1];

	for (int i = 0; i < l->n_keys; i++)
		if (strlen(l->keys[i]) == n && memcmp(l->keys[i], key, n) == 0)
			return true;
	return false;
}

PmedStatus
pmed_json_members(PmedJson *j, const char *text, bool skip_duplicates, PmedError *err)
{
	Scan		sc = {text, 0, 0};
	bool		first = true;

	skip_ws(&sc);
	if (text[sc.pos] != '{')
		return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: metadata is not a JSON object");
	sc.pos++;
	sc.depth = 1;
	for (;;)
	{
		size_t		key_start,
					value_start;
		char	   *key;
		Scan		k;

		skip_ws(&sc);
		if (text[sc.pos] == '}' && first)
			break;
		if (!first)
		{
			if (text[sc.pos] == '}')
				break;
			if (text[sc.pos] != ',')
				goto bad;
			sc.pos++;
			skip_ws(&sc);
		}
		first = false;
		key_start = sc.pos;
		if (!scan_string(&sc))
			goto bad;
		skip_ws(&sc);
		if (text[sc.pos++] != ':')
			goto bad;
		skip_ws(&sc);
		value_start = sc.pos;
		if (!scan_value(&sc))
			goto bad;

		/* the key unescaped only for the duplicate check: keys we write need no escapes */
		k = (Scan) {text, key_start + 1, 0};
		key = pmed_alloc(sc.pos - key_start + 1);
		{
			size_t		n = 0;

			while (text[k.pos] != '"')
				key[n++] = text[k.pos++];
			if (memchr(key, '\\', n) != NULL)
			{
				pmed_free(key);
				goto bad;
			}
			if (j->depth == 0 || !j->level[j->depth - 1].object || j->after_key)
				fail(j, "members outside an object");
			else if (skip_duplicates && has_key(j, key, n))
				;				/* the value already written stands */
			else if (!register_key(j, key, n))
			{
				pmed_free(key);
				return pmed_fail(err, PMED_ERR_CORRUPT,
								 "invalid pmed model: metadata repeats a key of the model description");
			}
			else
			{
				if (j->level[j->depth - 1].count++ > 0)
					puts_(j, ", ");
				put(j, text + key_start, k.pos + 1 - key_start);
				puts_(j, ": ");
				put(j, text + value_start, sc.pos - value_start);
			}
		}
		pmed_free(key);
	}
	sc.pos++;
	skip_ws(&sc);
	if (text[sc.pos] != '\0')
		goto bad;
	return PMED_OK;
bad:
	return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: metadata is not valid JSON");
}
