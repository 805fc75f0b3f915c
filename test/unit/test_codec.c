/*
 * test_codec.c - the model container: CRC32C, encoding round trips, and
 * exhaustive rejection of every truncation and every single-bit flip of a
 * real model; the committed golden model still decodes.
 */
#include "unit.h"

#include "baseline.h"
#include "codec.h"
#include "model.h"
#include "rng.h"

static PmedStatus
decode_baseline(const uint8_t *buf, size_t len, PmedModel *m, PmedError *err)
{
	PmedReader	algo;
	PmedStatus	st = pmed_model_decode_common(buf, len, m, &algo, err);

	if (st != PMED_OK)
		return st;
	if (m->kind != PMED_KIND_BASELINE)
		return pmed_fail(err, PMED_ERR_CORRUPT, "not a baseline model");
	m->algo = pmed_baseline_read(&algo, m->schema.n_classes);
	if (m->algo == NULL || !pmed_reader_done(&algo))
		return err->status;
	return PMED_OK;
}

static void
test_crc(void)
{
	CHECK(pmed_crc32c(0, "123456789", 9) == 0xE3069283u, "crc32c check value");
	CHECK(pmed_crc32c(pmed_crc32c(0, "1234", 4), "56789", 5) == 0xE3069283u, "crc32c chaining");
}

static void
test_primitives(void)
{
	PmedWriter	w;
	PmedReader	r;
	PmedError	err = {0};
	uint8_t		u8;
	uint16_t	u16;
	uint32_t	u32;
	uint64_t	u64;
	int32_t		i32;
	int64_t		i64;
	double		f,
			   *arr;
	char	   *s;
	double		values[3] = {1.5, -2.25, 1e300};

	pmed_writer_init(&w);
	pmed_put_u8(&w, 0xAB);
	pmed_put_u16(&w, 0xBEEF);
	pmed_put_u32(&w, 0xDEADBEEFu);
	pmed_put_u64(&w, UINT64_C(0x0123456789ABCDEF));
	pmed_put_i32(&w, -7);
	pmed_put_i64(&w, INT64_MIN);
	pmed_put_f64(&w, 3.141592653589793);
	pmed_put_f64_array(&w, values, 3);
	pmed_put_str(&w, "malignant");
	/* Little-endian on every host. */
	CHECK(w.buf[1] == 0xEF && w.buf[2] == 0xBE, "u16 is little-endian");

	pmed_reader_init(&r, w.buf, w.len, &err);
	CHECK(pmed_get_u8(&r, &u8) && u8 == 0xAB, "u8");
	CHECK(pmed_get_u16(&r, &u16) && u16 == 0xBEEF, "u16");
	CHECK(pmed_get_u32(&r, &u32) && u32 == 0xDEADBEEFu, "u32");
	CHECK(pmed_get_u64(&r, &u64) && u64 == UINT64_C(0x0123456789ABCDEF), "u64");
	CHECK(pmed_get_i32(&r, &i32) && i32 == -7, "i32");
	CHECK(pmed_get_i64(&r, &i64) && i64 == INT64_MIN, "i64");
	CHECK(pmed_get_f64(&r, &f) && f == 3.141592653589793, "f64");
	CHECK(pmed_get_f64_array(&r, 3, &arr) && arr[0] == 1.5 && arr[1] == -2.25 && arr[2] == 1e300, "f64 array");
	CHECK(pmed_get_str(&r, &s) && strcmp(s, "malignant") == 0, "string");
	CHECK(pmed_reader_done(&r), "all consumed");
	CHECK(!pmed_get_u8(&r, &u8), "reading past the end fails");

	/* A count that promises more elements than bytes left is refused. */
	pmed_writer_init(&w);
	pmed_put_u32(&w, 1000000);
	pmed_put_u32(&w, 1);
	pmed_reader_init(&r, w.buf, w.len, &err);
	CHECK(!pmed_get_count(&r, 10000000, 8, &u32), "huge count rejected before allocation");
	CHECK(strstr(err.message, "truncated") != NULL, "message says truncated: %s", err.message);

	/* Non-finite numbers are refused. */
	pmed_writer_init(&w);
	pmed_put_f64(&w, NAN);
	pmed_reader_init(&r, w.buf, w.len, &err);
	CHECK(!pmed_get_f64(&r, &f), "NaN rejected");

	/* Embedded NUL in a string is refused. */
	pmed_writer_init(&w);
	pmed_put_u32(&w, 3);
	pmed_put_bytes(&w, "a\0b", 3);
	pmed_reader_init(&r, w.buf, w.len, &err);
	CHECK(!pmed_get_str(&r, &s), "embedded NUL rejected");
}

/* A real model: the baseline fitted on a small labelled set. */
static void
make_model(PmedWriter *out)
{
	static const double x[] = {1, 2, 3, 4, 5, 6, 7, 8, NAN, 10};
	static const double y[] = {0, 1, 1, 0, 1};
	static char *classes[] = {"benign", "malignant"};
	static char *names[] = {"radius", "texture"};
	PmedDataset ds = {5, 2, x, y, 2};
	PmedSchema	schema = {0};
	PmedWriter	algo;
	PmedError	err = {0};

	schema.task = PMED_TASK_CLASSIFICATION;
	schema.label_kind = PMED_LABEL_TEXT;
	schema.n_features = 2;
	schema.n_classes = 2;
	schema.classes = classes;
	schema.positive = 1;
	schema.feature_names = names;
	schema.rows_used = 5;
	schema.rows_skipped = 1;
	schema.train_seconds = 0.25;
	pmed_writer_init(&algo);
	pmed_baseline_write(&algo, pmed_baseline_fit(&ds));
	CHECK(pmed_model_encode(out, PMED_KIND_BASELINE, &schema, "{\"strategy\": \"prior\"}", &algo, &err) == PMED_OK,
		  "encode");
}

static void
test_round_trip(void)
{
	PmedWriter	w;
	PmedModel	m;
	PmedError	err = {0};
	PmedBaseline *b;

	make_model(&w);
	CHECK(decode_baseline(w.buf, w.len, &m, &err) == PMED_OK, "decode: %s", err.message);
	b = m.algo;
	CHECK(m.kind == PMED_KIND_BASELINE && m.version == PMED_FORMAT_VERSION, "kind and version");
	CHECK(m.schema.n_features == 2 && m.schema.n_classes == 2 && m.schema.positive == 1, "schema sizes");
	CHECK(strcmp(m.schema.classes[1], "malignant") == 0, "class text");
	CHECK(strcmp(m.schema.feature_names[1], "texture") == 0, "feature name");
	CHECK(m.schema.rows_used == 5 && m.schema.rows_skipped == 1 && m.schema.train_seconds == 0.25, "counts");
	CHECK(strcmp(m.meta_json, "{\"strategy\": \"prior\"}") == 0, "metadata");
	CHECK(b->values[0] == 0.4 && b->values[1] == 0.6, "priors exact: %g %g", b->values[0], b->values[1]);
	CHECK(pmed_baseline_predict(b, true) == 1.0, "majority class");
}

static void
test_every_truncation_and_bit_flip(void)
{
	PmedWriter	w;
	PmedModel	m;
	PmedError	err;
	int			truncations_rejected = 0;
	int			flips_rejected = 0;
	int			flips_named_checksum = 0;

	make_model(&w);
	for (size_t len = 0; len < w.len; len++)
	{
		memset(&err, 0, sizeof(err));
		if (decode_baseline(w.buf, len, &m, &err) == PMED_ERR_CORRUPT)
			truncations_rejected++;
	}
	CHECK(truncations_rejected == (int) w.len, "every truncation rejected (%d of %zu)",
		  truncations_rejected, w.len);

	for (size_t i = 0; i < w.len; i++)
		for (int bit = 0; bit < 8; bit++)
		{
			w.buf[i] ^= (uint8_t) (1 << bit);
			memset(&err, 0, sizeof(err));
			if (decode_baseline(w.buf, w.len, &m, &err) == PMED_ERR_CORRUPT)
				flips_rejected++;
			if (strstr(err.message, "checksum mismatch"))
				flips_named_checksum++;
			w.buf[i] ^= (uint8_t) (1 << bit);
		}
	CHECK(flips_rejected == (int) w.len * 8, "every bit flip rejected (%d of %zu)",
		  flips_rejected, w.len * 8);
	/* Flips outside magic and length are caught by the checksum. */
	CHECK(flips_named_checksum >= (int) (w.len - 8) * 8, "checksum names %d flips", flips_named_checksum);
	CHECK(decode_baseline(w.buf, w.len, &m, &err) == PMED_OK, "unchanged model still decodes");
}

static void
test_header_messages(void)
{
	PmedWriter	w;
	PmedContainer c;
	PmedError	err = {0};
	uint8_t		bad[PMED_HEADER_SIZE + 8];

	make_model(&w);
	memcpy(bad, w.buf, sizeof(bad));
	bad[0] = 'X';
	CHECK(pmed_container_open(bad, sizeof(bad), &c, &err) == PMED_ERR_CORRUPT &&
		  strstr(err.message, "bad magic"), "bad magic: %s", err.message);
	CHECK(pmed_container_open(w.buf, 10, &c, &err) == PMED_ERR_CORRUPT &&
		  strstr(err.message, "truncated"), "short header: %s", err.message);

	/* A future format version with a valid checksum: "unsupported". */
	{
		PmedWriter	v;
		uint32_t	crc;

		pmed_writer_init(&v);
		pmed_put_bytes(&v, w.buf, w.len);
		v.buf[4] = 99;
		crc = pmed_crc32c(pmed_crc32c(0, v.buf, 16), v.buf + PMED_HEADER_SIZE, v.len - PMED_HEADER_SIZE);
		for (int i = 0; i < 4; i++)
			v.buf[16 + i] = (uint8_t) (crc >> (8 * i));
		CHECK(pmed_container_open(v.buf, v.len, &c, &err) == PMED_ERR_CORRUPT &&
			  strstr(err.message, "unsupported format version 99"), "version: %s", err.message);
	}
}

/* The committed golden model (trained by SQL on WDBC) must keep decoding. */
static void
test_golden(void)
{
	FILE	   *f = fopen("test/golden/baseline_wdbc_v1.hex", "r");
	uint8_t		buf[8192];
	size_t		len = 0;
	unsigned	byte;
	PmedModel	m;
	PmedError	err = {0};
	PmedBaseline *b;

	CHECK(f != NULL, "golden file present");
	if (f == NULL)
		return;
	if (fscanf(f, "\\x") != 0)
		return;
	while (len < sizeof(buf) && fscanf(f, "%2x", &byte) == 1)
		buf[len++] = (uint8_t) byte;
	fclose(f);
	CHECK(decode_baseline(buf, len, &m, &err) == PMED_OK, "golden decodes: %s", err.message);
	if (err.status != PMED_OK)
		return;
	b = m.algo;
	CHECK(m.version == 1 && m.schema.n_features == 30 && m.schema.rows_used == 569, "golden schema");
	CHECK(strcmp(m.schema.classes[0], "benign") == 0 && strcmp(m.schema.classes[1], "malignant") == 0,
		  "golden classes");
	CHECK(strcmp(m.schema.feature_names[0], "mean_radius") == 0, "golden feature names");
	/* 212 malignant and 357 benign patients. */
	CHECK_NEAR(b->values[1], 212.0 / 569.0, 1e-15, "golden malignant prior");
	CHECK_NEAR(b->values[0], 357.0 / 569.0, 1e-15, "golden benign prior");
}

static void
test_rng(void)
{
	PmedRng		a,
				b;
	int			counts[10] = {0};
	int			ok = 1;

	pmed_rng_seed(&a, 42);
	pmed_rng_seed(&b, 42);
	for (int i = 0; i < 1000; i++)
		ok &= pmed_rng_next(&a) == pmed_rng_next(&b);
	CHECK(ok, "same seed, same stream");
	pmed_rng_seed(&a, 7);
	for (int i = 0; i < 100000; i++)
		counts[pmed_rng_below(&a, 10)]++;
	for (int k = 0; k < 10; k++)
		CHECK(counts[k] > 9500 && counts[k] < 10500, "bucket %d roughly uniform: %d", k, counts[k]);
}

int
main(void)
{
	test_crc();
	test_primitives();
	test_round_trip();
	test_every_truncation_and_bit_flip();
	test_header_messages();
	test_golden();
	test_rng();
	return unit_finish("test_codec");
}
