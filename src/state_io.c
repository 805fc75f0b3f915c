/*
 * state_io.c - canonical base64 text form of transition states (state_io.h).
 */
#include "postgres.h"

#include "common/base64.h"
#include "state_io.h"

char *
pmed_state_to_text(const char *bytes, Size len, const char *type_name)
{
	int			out_len;
	char	   *out;
	int			n;

	if (len > PMED_STATE_TEXT_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s value too large for its text form: %zu bytes", type_name, (size_t) len),
				 errdetail("The text form of a state must stay under 1 GB, which allows %zu bytes.",
						   (size_t) PMED_STATE_TEXT_MAX_BYTES),
				 errhint("Move states in binary form, or train on fewer rows per partial state.")));
	out_len = pg_b64_enc_len((int) len);
	out = palloc(out_len + 1);
	n = pg_b64_encode(bytes, (int) len, out, out_len);
	if (n < 0 || n > out_len)
		elog(ERROR, "could not encode %s value as base64", type_name);
	out[n] = '\0';
	return out;
}

static void pg_attribute_noreturn()
bad_text(const char *type_name, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s", type_name),
			 errdetail("%s", detail)));
}

char *
pmed_state_from_text(const char *text, Size *len, const char *type_name)
{
	size_t		text_len = strlen(text);
	int			max_len;
	char	   *bytes;
	int			n;
	char	   *again;
	int			again_len;

	if (text_len == 0)
		bad_text(type_name, "The value is empty.");
	if (text_len % 4 != 0 || text_len > (size_t) MaxAllocSize)
		bad_text(type_name, "The length of the text is not a multiple of 4: it is not base64, or it was cut.");
	for (size_t i = 0; i < text_len; i++)
	{
		char		c = text[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  c == '+' || c == '/' || (c == '=' && i >= text_len - 2)))
			bad_text(type_name, "The text contains a character that is not base64.");
	}
	if (text[text_len - 2] == '=' && text[text_len - 1] != '=')
		bad_text(type_name, "The base64 padding is malformed.");

	max_len = pg_b64_dec_len((int) text_len);
	bytes = palloc(max_len + 1);
	n = pg_b64_decode(text, (int) text_len, bytes, max_len);
	if (n < 0)
		bad_text(type_name, "The text is not valid base64.");

	/* Canonical: the bytes must encode back to exactly this text. */
	again_len = pg_b64_enc_len(n);
	again = palloc(again_len + 1);
	if (pg_b64_encode(bytes, n, again, again_len) != (int) text_len ||
		memcmp(again, text, text_len) != 0)
		bad_text(type_name, "The base64 text is not in canonical form.");
	pfree(again);
	*len = (Size) n;
	return bytes;
}
