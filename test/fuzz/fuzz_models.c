/*
 * fuzz_models.c - feed arbitrary bytes to every model decoder, then score
 * a row with whatever decodes.  Build with libFuzzer (`make fuzz`), or
 * include it in test/unit/test_fuzz_replay.c, which replays mutations of
 * the real models in test/fuzz/corpus/ in every test run.
 *
 * Most random bytes die at the CRC check, so when the first input byte is
 * odd the harness repairs the header length and CRC of the rest: the
 * fuzzer then reaches the section and payload parsers.
 *
 * Every allocation goes through hooks that track it, so each input frees
 * everything it allocated (as a PostgreSQL memory context would).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "cf.h"
#include "codec.h"
#include "content.h"
#include "decode.h"
#include "forest.h"
#include "interactions.h"
#include "model.h"
#include "nn.h"
#include "recalibrate.h"
#include "svm.h"

#define FUZZ_MAX_ALLOCS 1000000

static void **fuzz_allocs;
static size_t fuzz_n_allocs;

static void *
fuzz_alloc(size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	if (p == NULL || fuzz_n_allocs == FUZZ_MAX_ALLOCS)
		abort();
	fuzz_allocs[fuzz_n_allocs++] = p;
	return p;
}

static void *
fuzz_realloc(void *ptr, size_t size)
{
	for (size_t i = 0; i < fuzz_n_allocs; i++)
		if (fuzz_allocs[i] == ptr)
		{
			void	   *p = realloc(ptr, size ? size : 1);

			if (p == NULL)
				abort();
			fuzz_allocs[i] = p;
			return p;
		}
	abort();					/* realloc of memory we never handed out */
}

static void
fuzz_free(void *ptr)
{
	/* Freed at the end of the input, like a memory context reset. */
	(void) ptr;
}

static void
fuzz_interrupts(void)
{
}

static void
fuzz_release_all(void)
{
	for (size_t i = 0; i < fuzz_n_allocs; i++)
		free(fuzz_allocs[i]);
	fuzz_n_allocs = 0;
}

static void
fuzz_setup(void)
{
	static const PmedHooks hooks = {fuzz_alloc, fuzz_realloc, fuzz_free, fuzz_interrupts};

	if (fuzz_allocs == NULL)
	{
		fuzz_allocs = malloc(sizeof(void *) * FUZZ_MAX_ALLOCS);
		pmed_set_hooks(&hooks);
	}
}

/* Make the header's length and CRC agree with the bytes. */
static void
repair_header(uint8_t *buf, size_t len)
{
	uint32_t	crc,
				payload;

	if (len < PMED_HEADER_SIZE)
		return;
	payload = (uint32_t) (len - PMED_HEADER_SIZE);
	for (int i = 0; i < 4; i++)
		buf[12 + i] = (uint8_t) (payload >> (8 * i));
	crc = pmed_crc32c(pmed_crc32c(0, buf, 16), buf + PMED_HEADER_SIZE, payload);
	for (int i = 0; i < 4; i++)
		buf[16 + i] = (uint8_t) (crc >> (8 * i));
}

/*
 * Decode one model through the core's one entry (pmed_model_decode: every
 * kind, every schema check), describe it (model_info's JSON, which reads the
 * stored metadata) and score a row; returns 1 when it decoded.
 */
static int
Max1(int v)
{
	return v > 1 ? v : 1;
}

static int
fuzz_one_model(const uint8_t *buf, size_t len)
{
	PmedModel  *m;
	PmedError	err = {0};
	PmedJson	info;
	double		x[64] = {0};
	double		out[64];
	double		base;

	if (pmed_model_decode(buf, len, &m, &err) != PMED_OK)
		return 0;
	pmed_json_init(&info);
	(void) pmed_model_info(m, &info, &err);
	if (m->recal != NULL)
	{
		static const double probe[] = {0.0, 1e-300, 0.25, 0.5, 1.0 - 1e-16, 1.0};

		for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++)
			(void) pmed_recal_apply(m->recal, probe[i]);
	}
	if (m->schema.n_features > 64 || m->schema.n_classes > 64)
		return 1;				/* valid, but too wide for the scratch row */
	x[0] = NAN;					/* one missing value */

	switch (m->kind)
	{
		case PMED_KIND_BASELINE:
			(void) pmed_baseline_predict(m->algo, m->schema.n_classes > 0);
			break;
		case PMED_KIND_SVM:
			(void) pmed_svm_predict(m->algo, x, m->work);
			(void) pmed_svm_predict_proba(m->algo, x, out, m->work);
			pmed_svm_explain(m->algo, x, &base, out, m->work);
			break;
		case PMED_KIND_FOREST:
			pmed_forest_predict(m->algo, x, out);
			(void) pmed_forest_predict_one(m->algo, x);
			break;
		case PMED_KIND_CNN:
		case PMED_KIND_RNN:
			{
				/* a short input: 64 values = 64 / n_features steps */
				const PmedNnModel *nn = m->algo;
				int			steps = nn->fixed_len > 0 ? nn->fixed_len : 64 / (int) Max1(nn->n_features);

				if (steps * nn->n_features <= 64 && pmed_nn_n_outputs(nn) <= 64 &&
					pmed_nn_check_input(nn, steps, &err) == PMED_OK)
					(void) pmed_nn_predict(nn, steps, x, NULL, out);
				break;
			}
	}
	return 1;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t    *buf;

	fuzz_setup();
	if (size == 0)
		return 0;
	/* An exact-size copy, so reading one byte too far is caught by ASan. */
	buf = malloc(size - 1 ? size - 1 : 1);
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		repair_header(buf, size - 1);
	(void) fuzz_one_model(buf, size - 1);
	free(buf);
	fuzz_release_all();
	return 0;
}
