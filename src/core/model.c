/*
 * model.c - schema section and whole-model encoding shared by all families.
 */
#include "model.h"
#include "encoding.h"

#include <string.h>

void
pmed_schema_write(PmedWriter *w, const PmedSchema *s)
{
	pmed_put_u8(w, s->task);
	pmed_put_u8(w, s->label_kind);
	pmed_put_u32(w, s->n_features);
	pmed_put_u32(w, s->n_classes);
	for (uint32_t i = 0; i < s->n_classes; i++)
		pmed_put_str(w, s->classes[i]);
	pmed_put_i32(w, s->positive);
	pmed_put_u8(w, s->feature_names != NULL);
	if (s->feature_names != NULL)
		for (uint32_t i = 0; i < s->n_features; i++)
			pmed_put_str(w, s->feature_names[i]);
	pmed_put_u64(w, s->rows_used);
	pmed_put_u64(w, s->rows_skipped);
	pmed_put_f64(w, s->train_seconds);
}

static bool
read_strings(PmedReader *r, uint32_t n, char ***out)
{
	char	  **v = pmed_alloc_array(n ? n : 1, sizeof(char *));

	*out = v;
	for (uint32_t i = 0; i < n; i++)
		if (!pmed_get_str(r, &v[i]))
			return false;
	return true;
}

bool
pmed_schema_read(PmedReader *r, PmedSchema *s)
{
	uint8_t		has_names;

	memset(s, 0, sizeof(*s));
	if (!pmed_get_u8(r, &s->task) || !pmed_get_u8(r, &s->label_kind))
		return false;
	if (s->task < PMED_TASK_CLASSIFICATION || s->task > PMED_TASK_RECOMMENDATION)
		return pmed_reader_fail(r, "unknown task");
	if (s->label_kind > PMED_LABEL_FLOAT)
		return pmed_reader_fail(r, "unknown label kind");
	if (!pmed_get_u32(r, &s->n_features))
		return false;
	if (s->n_features > PMED_MAX_FEATURES)
		return pmed_reader_fail(r, "feature count out of range");
	if (!pmed_get_count(r, PMED_MAX_CLASSES, 4, &s->n_classes))
		return false;
	if ((s->task == PMED_TASK_CLASSIFICATION) != (s->n_classes > 0))
		return pmed_reader_fail(r, "class count does not match the task");
	if (!read_strings(r, s->n_classes, &s->classes))
		return false;
	for (uint32_t i = 1; i < s->n_classes; i++)
		if (strcmp(s->classes[i - 1], s->classes[i]) == 0)
			return pmed_reader_fail(r, "duplicate class");
	if (!pmed_get_i32(r, &s->positive))
		return false;
	if (s->positive < -1 || s->positive >= (int32_t) s->n_classes)
		return pmed_reader_fail(r, "positive class out of range");
	if (!pmed_get_u8(r, &has_names))
		return false;
	if (has_names > 1)
		return pmed_reader_fail(r, "bad feature-name flag");
	if (has_names)
	{
		if (s->n_features > r->left / 4)
			return pmed_reader_fail(r, "truncated");
		if (!read_strings(r, s->n_features, &s->feature_names))
			return false;
	}
	if (!pmed_get_u64(r, &s->rows_used) || !pmed_get_u64(r, &s->rows_skipped) ||
		!pmed_get_f64(r, &s->train_seconds))
		return false;
	return true;
}

PmedStatus
pmed_model_encode(PmedWriter *out, PmedModelKind kind, const PmedSchema *schema,
				  const char *meta_json, const PmedWriter *algo, PmedError *err)
{
	return pmed_model_encode_named(out, kind, schema, meta_json, NULL, algo, err);
}

PmedStatus
pmed_model_encode_named(PmedWriter *out, PmedModelKind kind, const PmedSchema *schema,
						const char *meta_json, const PmedEncoding *enc,
						const PmedWriter *algo, PmedError *err)
{
	size_t		mark;

	pmed_writer_init(out);
	pmed_container_begin(out, kind);
	mark = pmed_begin_section(out, PMED_TAG_SCHEMA);
	pmed_schema_write(out, schema);
	pmed_end_section(out, mark);
	mark = pmed_begin_section(out, PMED_TAG_META);
	pmed_put_bytes(out, meta_json, strlen(meta_json));
	pmed_end_section(out, mark);
	if (enc != NULL)
	{
		mark = pmed_begin_section(out, PMED_TAG_ENCODING);
		pmed_encoding_write(out, enc);
		pmed_end_section(out, mark);
	}
	mark = pmed_begin_section(out, PMED_TAG_ALGO);
	pmed_put_bytes(out, algo->buf, algo->len);
	pmed_end_section(out, mark);
	return pmed_container_finish(out, err);
}

PmedStatus
pmed_model_decode_common(const void *data, size_t len, PmedModel *m,
						 PmedReader *algo, PmedError *err)
{
	PmedContainer c;
	PmedReader	section;
	PmedStatus	st;

	memset(m, 0, sizeof(*m));
	st = pmed_container_open(data, len, &c, err);
	if (st != PMED_OK)
		return st;
	m->kind = c.kind;
	m->version = c.version;
	m->crc = c.crc;
	m->size = len;

	if (!pmed_get_section(&c.payload, PMED_TAG_SCHEMA, &section) ||
		!pmed_schema_read(&section, &m->schema) || !pmed_reader_done(&section))
		return err->status;

	if (!pmed_get_section(&c.payload, PMED_TAG_META, &section))
		return err->status;
	if (memchr(section.p, '\0', section.left) != NULL)
		return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: metadata contains a zero byte");
	m->meta_json = pmed_alloc(section.left + 1);
	memcpy(m->meta_json, section.p, section.left);

	/* optional: the encoding of named features */
	if (c.payload.left >= 4 && c.payload.p[0] == (PMED_TAG_ENCODING & 0xFF) &&
		memcmp(c.payload.p, "ENCD", 4) == 0)
	{
		if (!pmed_get_section(&c.payload, PMED_TAG_ENCODING, &section))
			return err->status;
		m->encoding = pmed_encoding_read(&section);
		if (m->encoding == NULL)
		{
			if (err->status == PMED_OK)
				pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: bad encoding section");
			return err->status;
		}
		if (m->encoding->n_dense != m->schema.n_features)
			return pmed_fail(err, PMED_ERR_CORRUPT,
							 "invalid pmed model: encoding width does not match the schema");
	}

	if (!pmed_get_section(&c.payload, PMED_TAG_ALGO, algo))
		return err->status;
	/* optional: a recalibration section (recalibrate.h), decoded by decode.c */
	if (c.payload.left > 0)
	{
		if (!pmed_get_section(&c.payload, PMED_TAG('R', 'C', 'A', 'L'), &section))
			return err->status;
		m->recal_bytes = section.p;
		m->recal_len = section.left;
	}
	if (!pmed_reader_done(&c.payload))
		return err->status;
	m->algo_crc = pmed_crc32c(0, algo->p, algo->left);
	return PMED_OK;
}
