/*
 * codec.c - little-endian encoding, CRC32C and the model container.
 */
#include "codec.h"

#include <math.h>
#include <string.h>

/* ---- CRC32C (Castagnoli), table-driven, computed once ---- */

static uint32_t crc_table[256];
static bool crc_table_ready = false;

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
	crc_table_ready = true;
}

/* Start with crc = 0; chain calls by passing the previous result. */
uint32_t
pmed_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!crc_table_ready)
		crc_init();
	crc = ~crc;
	while (len > 0)
	{
		/* a state of hundreds of MB takes a second: check every MB */
		size_t		block = len < ((size_t) 1 << 20) ? len : ((size_t) 1 << 20);

		len -= block;
		while (block--)
			crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
		pmed_check_interrupts();
	}
	return ~crc;
}

/* ---- writer ---- */

void
pmed_writer_init(PmedWriter *w)
{
	w->cap = 256;
	w->len = 0;
	w->buf = pmed_alloc(w->cap);
}

static void
writer_reserve(PmedWriter *w, size_t more)
{
	size_t		need = w->len + more;

	if (need <= w->cap)
		return;
	while (w->cap < need)
		w->cap *= 2;
	w->buf = pmed_realloc(w->buf, w->cap);
}

void
pmed_put_bytes(PmedWriter *w, const void *data, size_t len)
{
	writer_reserve(w, len);
	if (len > 0)
		memcpy(w->buf + w->len, data, len);
	w->len += len;
}

static void
put_le(PmedWriter *w, uint64_t v, int nbytes)
{
	writer_reserve(w, nbytes);
	for (int i = 0; i < nbytes; i++)
		w->buf[w->len++] = (uint8_t) (v >> (8 * i));
}

void
pmed_put_u8(PmedWriter *w, uint8_t v)
{
	put_le(w, v, 1);
}

void
pmed_put_u16(PmedWriter *w, uint16_t v)
{
	put_le(w, v, 2);
}

void
pmed_put_u32(PmedWriter *w, uint32_t v)
{
	put_le(w, v, 4);
}

void
pmed_put_u64(PmedWriter *w, uint64_t v)
{
	put_le(w, v, 8);
}

void
pmed_put_i32(PmedWriter *w, int32_t v)
{
	put_le(w, (uint32_t) v, 4);
}

void
pmed_put_i64(PmedWriter *w, int64_t v)
{
	put_le(w, (uint64_t) v, 8);
}

void
pmed_put_f64(PmedWriter *w, double v)
{
	uint64_t	bits = 0;

	memcpy(&bits, &v, 8);
	put_le(w, bits, 8);
}

void
pmed_put_f64_array(PmedWriter *w, const double *v, size_t n)
{
	writer_reserve(w, n * 8);
	for (size_t i = 0; i < n; i++)
	{
		if ((i & 0xFFFFF) == 0xFFFFF)
			pmed_check_interrupts();
		pmed_put_f64(w, v[i]);
	}
}

void
pmed_put_f32_array(PmedWriter *w, const float *v, size_t n)
{
	writer_reserve(w, n * 4);
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	bits;

		if ((i & 0xFFFFF) == 0xFFFFF)
			pmed_check_interrupts();
		memcpy(&bits, &v[i], 4);
		put_le(w, bits, 4);
	}
}

void
pmed_put_str(PmedWriter *w, const char *s)
{
	size_t		len = strlen(s);

	pmed_put_u32(w, (uint32_t) len);
	pmed_put_bytes(w, s, len);
}

size_t
pmed_begin_section(PmedWriter *w, uint32_t tag)
{
	pmed_put_u32(w, tag);
	pmed_put_u32(w, 0);			/* length, filled in by pmed_end_section */
	return w->len;
}

static void
store_u32_at(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static uint32_t
load_u32_at(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

void
pmed_end_section(PmedWriter *w, size_t mark)
{
	store_u32_at(w->buf + mark - 4, (uint32_t) (w->len - mark));
}

void
pmed_container_begin(PmedWriter *w, PmedModelKind kind)
{
	pmed_put_bytes(w, PMED_MAGIC, 4);
	pmed_put_u16(w, PMED_FORMAT_VERSION);
	pmed_put_u16(w, (uint16_t) kind);
	pmed_put_u32(w, 0);			/* flags */
	pmed_put_u32(w, 0);			/* payload length, set by finish */
	pmed_put_u32(w, 0);			/* crc, set by finish */
}

static uint32_t
container_crc(const uint8_t *buf, size_t len)
{
	uint32_t	crc = pmed_crc32c(0, buf, 16);

	return pmed_crc32c(crc, buf + PMED_HEADER_SIZE, len - PMED_HEADER_SIZE);
}

PmedStatus
pmed_container_finish(PmedWriter *w, PmedError *err)
{
	if (w->len > PMED_MAX_MODEL_BYTES)
		return pmed_fail(err, PMED_ERR_LIMIT, "model too large (%zu bytes)", w->len);
	store_u32_at(w->buf + 12, (uint32_t) (w->len - PMED_HEADER_SIZE));
	store_u32_at(w->buf + 16, container_crc(w->buf, w->len));
	return PMED_OK;
}

/* ---- reader ---- */

void
pmed_reader_init(PmedReader *r, const void *data, size_t len, PmedError *err)
{
	r->p = data;
	r->left = len;
	r->err = err;
	r->failed = false;
}

bool
pmed_reader_fail(PmedReader *r, const char *what)
{
	if (!r->failed)
		pmed_fail(r->err, PMED_ERR_CORRUPT, "invalid pmed model: %s", what);
	r->failed = true;
	r->left = 0;
	return false;
}

bool
pmed_get_bytes(PmedReader *r, void *out, size_t len)
{
	if (r->failed)
		return false;
	if (len > r->left)
		return pmed_reader_fail(r, "truncated");
	if (len > 0)
		memcpy(out, r->p, len);
	r->p += len;
	r->left -= len;
	return true;
}

static bool
get_le(PmedReader *r, uint64_t *v, int nbytes)
{
	uint64_t	x = 0;

	if (r->failed)
		return false;
	if ((size_t) nbytes > r->left)
		return pmed_reader_fail(r, "truncated");
	for (int i = 0; i < nbytes; i++)
		x |= (uint64_t) r->p[i] << (8 * i);
	r->p += nbytes;
	r->left -= nbytes;
	*v = x;
	return true;
}

bool
pmed_get_u8(PmedReader *r, uint8_t *v)
{
	uint64_t	x = 0;

	if (!get_le(r, &x, 1))
		return false;
	*v = (uint8_t) x;
	return true;
}

bool
pmed_get_u16(PmedReader *r, uint16_t *v)
{
	uint64_t	x = 0;

	if (!get_le(r, &x, 2))
		return false;
	*v = (uint16_t) x;
	return true;
}

bool
pmed_get_u32(PmedReader *r, uint32_t *v)
{
	uint64_t	x = 0;

	if (!get_le(r, &x, 4))
		return false;
	*v = (uint32_t) x;
	return true;
}

bool
pmed_get_u64(PmedReader *r, uint64_t *v)
{
	return get_le(r, v, 8);
}

bool
pmed_get_i32(PmedReader *r, int32_t *v)
{
	uint32_t	x;

	if (!pmed_get_u32(r, &x))
		return false;
	*v = (int32_t) x;
	return true;
}

bool
pmed_get_i64(PmedReader *r, int64_t *v)
{
	uint64_t	x = 0;

	if (!get_le(r, &x, 8))
		return false;
	*v = (int64_t) x;
	return true;
}

bool
pmed_get_f64(PmedReader *r, double *v)
{
	uint64_t	bits = 0;

	if (!get_le(r, &bits, 8))
		return false;
	memcpy(v, &bits, 8);
	if (!isfinite(*v))
		return pmed_reader_fail(r, "non-finite number");
	return true;
}

bool
pmed_get_f64_array(PmedReader *r, size_t n, double **out)
{
	double	   *v;

	*out = NULL;
	if (r->failed)
		return false;
	if (n > r->left / 8)
		return pmed_reader_fail(r, "truncated");
	v = pmed_alloc_array(n ? n : 1, sizeof(double));
	for (size_t i = 0; i < n; i++)
	{
		if ((i & 0xFFFFF) == 0xFFFFF)
			pmed_check_interrupts();
		if (!pmed_get_f64(r, &v[i]))
		{
			pmed_free(v);
			return false;
		}
	}
	*out = v;
	return true;
}

bool
pmed_get_f32_array(PmedReader *r, size_t n, float **out)
{
	float	   *v;

	*out = NULL;
	if (r->failed)
		return false;
	if (n > r->left / 4)
		return pmed_reader_fail(r, "truncated");
	v = pmed_alloc_array(n ? n : 1, sizeof(float));
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	bits;

		if ((i & 0xFFFFF) == 0xFFFFF)
			pmed_check_interrupts();
		if (!pmed_get_u32(r, &bits))
			break;
		memcpy(&v[i], &bits, 4);
		if (!isfinite(v[i]))
		{
			pmed_reader_fail(r, "non-finite number");
			break;
		}
	}
	if (r->failed)
	{
		pmed_free(v);
		return false;
	}
	*out = v;
	return true;
}

bool
pmed_get_count(PmedReader *r, size_t max, size_t min_elem_bytes, uint32_t *n)
{
	if (!pmed_get_u32(r, n))
		return false;
	if (*n > max)
		return pmed_reader_fail(r, "count out of range");
	if (min_elem_bytes > 0 && *n > r->left / min_elem_bytes)
		return pmed_reader_fail(r, "truncated");
	return true;
}

bool
pmed_get_str(PmedReader *r, char **out)
{
	uint32_t	len;
	char	   *s;

	*out = NULL;
	if (!pmed_get_count(r, PMED_MAX_MODEL_BYTES, 1, &len))
		return false;
	if (memchr(r->p, '\0', len) != NULL)
		return pmed_reader_fail(r, "string contains a zero byte");
	s = pmed_alloc((size_t) len + 1);
	pmed_get_bytes(r, s, len);
	*out = s;
	return true;
}

bool
pmed_get_section(PmedReader *r, uint32_t tag, PmedReader *section)
{
	uint32_t	got,
				len;

	if (!pmed_get_u32(r, &got))
		return false;
	if (got != tag)
		return pmed_reader_fail(r, "unexpected section");
	if (!pmed_get_u32(r, &len))
		return false;
	if (len > r->left)
		return pmed_reader_fail(r, "truncated");
	pmed_reader_init(section, r->p, len, r->err);
	r->p += len;
	r->left -= len;
	return true;
}

bool
pmed_reader_done(PmedReader *r)
{
	if (r->failed)
		return false;
	if (r->left != 0)
		return pmed_reader_fail(r, "trailing bytes");
	return true;
}

PmedStatus
pmed_container_open(const void *data, size_t len, PmedContainer *c, PmedError *err)
{
	const uint8_t *b = data;
	uint32_t	payload_len;

	if (len < PMED_HEADER_SIZE)
		return pmed_fail(err, PMED_ERR_CORRUPT,
						 "invalid pmed model: truncated (%zu bytes, the header alone takes %d)",
						 len, PMED_HEADER_SIZE);
	if (memcmp(b, PMED_MAGIC, 4) != 0)
		return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: bad magic");
	c->version = (uint16_t) (b[4] | (b[5] << 8));
	c->kind = (uint16_t) (b[6] | (b[7] << 8));
	c->flags = load_u32_at(b + 8);
	payload_len = load_u32_at(b + 12);
	c->crc = load_u32_at(b + 16);

	if ((size_t) payload_len != len - PMED_HEADER_SIZE)
	{
		if ((size_t) payload_len > len - PMED_HEADER_SIZE)
			pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: truncated");
		else
			pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: trailing bytes");
		pmed_fail_detail(err, "The header gives a payload of %u bytes but %zu follow.",
						 payload_len, len - PMED_HEADER_SIZE);
		return PMED_ERR_CORRUPT;
	}
	if (container_crc(b, len) != c->crc)
		return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: checksum mismatch");
	/* Checked after the CRC so a flipped bit reports the checksum. */
	if (c->version == 0 || c->version > PMED_FORMAT_VERSION)
	{
		pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: unsupported format version %u",
				  (unsigned) c->version);
		pmed_fail_detail(err, "This build of pmed reads format versions 1 to %d.", PMED_FORMAT_VERSION);
		return PMED_ERR_CORRUPT;
	}
	if (c->kind == 0 || c->kind > PMED_KIND_MAX)
		return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: unknown model kind %u",
						 (unsigned) c->kind);
	if (c->flags != 0)
		return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: reserved flag bits are set");
	pmed_reader_init(&c->payload, b + PMED_HEADER_SIZE, payload_len, err);
	return PMED_OK;
}
