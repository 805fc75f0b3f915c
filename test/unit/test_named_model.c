/*
 * test_named_model.c - models with an ENCD section (the encoding of named
 * features, core/encoding.h) inside the container: the real forest and SVM
 * models of test/fuzz/corpus/{forest,svm}_named.hex decode with their encoding, and
 * every truncation and every single-bit flip of them is rejected as
 * corrupt; with the CRC repaired, every bit flip inside the ENCD section is
 * either rejected or decodes to a consistent model (never a crash).
 */
#include "unit.h"

#include "codec.h"
#include "decode.h"
#include "encoding.h"

/* Rewrite the stored CRC32C (the last header field) after a change. */
static void
repair_crc(uint8_t *buf, size_t len)
{
	uint32_t	crc = pmed_crc32c(pmed_crc32c(0, buf, 16), buf + PMED_HEADER_SIZE,
									  len - PMED_HEADER_SIZE);

	memcpy(buf + 16, &crc, 4);	/* little-endian hosts, as the test machines */
}

static void
test_named(const char *file, int kind)
{
	static uint8_t model[1 << 16];
	static uint8_t copy[1 << 16];
	char		path[256];
	size_t		len;
	PmedModel  *m = NULL;
	PmedError	err = {0};
	size_t		encd = 0;
	uint32_t	encd_len = 0;
	int			truncations = 0,
				flips = 0,
				inside = 0,
				inside_rejected = 0,
				inside_consistent = 0;

	snprintf(path, sizeof(path), "test/fuzz/corpus/%s", file);
	len = read_hex(path, model, sizeof(model));
	CHECK(len > PMED_HEADER_SIZE, "%s read", file);
	if (len <= PMED_HEADER_SIZE)
		return;
	CHECK(pmed_model_decode(model, len, &m, &err) == PMED_OK, "%s decodes: %s", file, err.message);
	CHECK(m != NULL && m->kind == kind && m->encoding != NULL &&
		  m->encoding->n_dense == m->schema.n_features,
		  "%s carries its encoding (%u encoded columns)", file, m ? m->schema.n_features : 0);

	for (size_t i = PMED_HEADER_SIZE; i + 8 <= len; i++)
		if (memcmp(model + i, "ENCD", 4) == 0)
		{
			encd = i;
			memcpy(&encd_len, model + i + 4, 4);
			break;
		}
	CHECK(encd > 0 && encd_len > 0 && encd + 8 + encd_len < len, "%s has an ENCD section", file);

	for (size_t n = 0; n < len; n++)
	{
		memset(&err, 0, sizeof(err));
		m = NULL;
		if (pmed_model_decode(model, n, &m, &err) == PMED_ERR_CORRUPT && m == NULL)
			truncations++;
	}
	CHECK(truncations == (int) len, "%s: every truncation rejected (%d of %zu)", file, truncations, len);

	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++)
		{
			model[i] ^= (uint8_t) (1 << bit);
			memset(&err, 0, sizeof(err));
			if (pmed_model_decode(model, len, &m, &err) == PMED_ERR_CORRUPT)
				flips++;
			model[i] ^= (uint8_t) (1 << bit);
		}
	CHECK(flips == (int) len * 8, "%s: every bit flip rejected (%d of %zu)", file, flips, len * 8);

	/* CRC repaired: the ENCD reader itself must catch or survive every flip. */
	for (size_t i = encd; i < encd + 8 + encd_len; i++)
		for (int bit = 0; bit < 8; bit++)
		{
			memcpy(copy, model, len);
			copy[i] ^= (uint8_t) (1 << bit);
			repair_crc(copy, len);
			memset(&err, 0, sizeof(err));
			m = NULL;
			inside++;
			if (pmed_model_decode(copy, len, &m, &err) != PMED_OK)
				inside_rejected++;
			else if (m->encoding != NULL && m->encoding->n_dense == m->schema.n_features)
				inside_consistent++;
		}
	CHECK(inside == inside_rejected + inside_consistent,
		  "%s: %d flips inside ENCD with the CRC repaired: %d rejected, %d decode consistently",
		  file, inside, inside_rejected, inside_consistent);
	printf("# %s: %d ENCD flips with CRC repaired, %d rejected\n", file, inside, inside_rejected);
	CHECK(pmed_model_decode(model, len, &m, &err) == PMED_OK, "%s unchanged still decodes", file);
}

int
main(void)
{
	test_named("forest_named.hex", PMED_KIND_FOREST);
	test_named("svm_named.hex", PMED_KIND_SVM);
	return unit_finish("test_named_model");
}
