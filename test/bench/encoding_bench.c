/*
 * encoding_bench.c - cost of the pure encoding core on the shape of
 * test/bench/mixed_data.sql (100,000 rows x 30 columns: 21 numbers, 2
 * booleans, 5 categories of 5-50 levels, 1 date, 1 code list of 0-5 codes
 * from ~300), without PostgreSQL: appending rows to the row store, learning
 * the schema, encoding the training rows, and encoding rows one at a time
 * for scoring.  Prints seconds per stage and per row.
 *
 *   cc -O2 -Isrc/core -o /tmp/encoding_bench test/bench/encoding_bench.c \
 *      src/core/encoding.c src/core/codec.c src/core/pmed_core.c src/core/rng.c -lm
 *   /tmp/encoding_bench
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "encoding.h"
#include "rng.h"

#define ROWS	100000
#define NNUM	21

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char names[NNUM][8];
static char levels[5][51][8];
static char codes[300][8];

static int
make_row(PmedRng *rng, PmedRawValue *v, PmedText *cb)
{
	static const int nlev[5] = {5, 10, 20, 35, 50};
	static const char *cat[5] = {"admission", "insurance", "ethnicity", "care_unit", "service"};
	int			n = 0,
				nc;

	for (int j = 0; j < NNUM; j++)
	{
		memset(&v[n], 0, sizeof(v[n]));
		v[n].name = (PmedText) {names[j], (uint32_t) strlen(names[j])};
		v[n].kind = (j % 4 == 1 && pmed_rng_uniform(rng) < 0.1) ? PMED_VALUE_NULL : PMED_VALUE_NUMBER;
		v[n].number = pmed_rng_uniform(rng) * 4 - 2;
		n++;
	}
	for (int j = 0; j < 2; j++)
	{
		memset(&v[n], 0, sizeof(v[n]));
		v[n].name = (PmedText) {j ? "female" : "smoker", j ? 6 : 6};
		v[n].kind = PMED_VALUE_BOOL;
		v[n].number = pmed_rng_uniform(rng) < 0.4;
		n++;
	}
	for (int j = 0; j < 5; j++)
	{
		int			l = (int) floor(pow(nlev[j] + 1, pmed_rng_uniform(rng)) - 1);

		memset(&v[n], 0, sizeof(v[n]));
		v[n].name = (PmedText) {cat[j], (uint32_t) strlen(cat[j])};
		v[n].kind = PMED_VALUE_STRING;
		v[n].str = (PmedText) {levels[j][l], (uint32_t) strlen(levels[j][l])};
		n++;
	}
	memset(&v[n], 0, sizeof(v[n]));
	v[n].name = (PmedText) {"admitted", 8};
	v[n].kind = PMED_VALUE_DATE;
	v[n].number = 16436 + floor(pmed_rng_uniform(rng) * 2000);
	n++;
	nc = (int) pmed_rng_below(rng, 6);
	for (int k = 0; k < nc; k++)
	{
		int			c = (int) floor(pow(300, pmed_rng_uniform(rng))) - 1;

		cb[k] = (PmedText) {codes[c], (uint32_t) strlen(codes[c])};
	}
	memset(&v[n], 0, sizeof(v[n]));
	v[n].name = (PmedText) {"dx", 2};
	v[n].kind = PMED_VALUE_CODES;
	v[n].codes = cb;
	v[n].n_codes = nc;
	n++;
	return n;
}

int
main(void)
{
	PmedRng		rng;
	PmedRowStore *rs = pmed_rowstore_new();
	PmedEncoding *enc;
	PmedEncodeParams p = {10, PMED_ENC_ONEHOT, 0};
	PmedError	err = {0};
	PmedRawValue v[32];
	PmedText	cb[8];
	double		t0,
				t_add,
				t_learn,
				t_encode,
				t_row,
				t_copy,
				sink = 0;
	double	   *x,
			   *dense_in;

	for (int j = 0; j < NNUM; j++)
		snprintf(names[j], 8, "lab%02d", j + 1);
	for (int j = 0; j < 5; j++)
		for (int l = 0; l < 51; l++)
			snprintf(levels[j][l], 8, "lv%d", l);
	for (int c = 0; c < 300; c++)
		snprintf(codes[c], 8, "D%03d", c + 1);

	pmed_rng_seed(&rng, 1);
	t0 = now();
	for (int r = 0; r < ROWS; r++)
	{
		int			n = make_row(&rng, v, cb);

		if (pmed_rowstore_add(rs, v, n, &err) != PMED_OK)
		{
			printf("add: %s\n", err.message);
			return 1;
		}
	}
	t_add = now() - t0;

	t0 = now();
	if (pmed_encoding_learn(rs, &p, &enc, &err) != PMED_OK)
	{
		printf("learn: %s\n", err.message);
		return 1;
	}
	t_learn = now() - t0;

	x = pmed_alloc_array((size_t) ROWS * enc->n_dense, sizeof(double));
	memset(x, 1, (size_t) ROWS * enc->n_dense * sizeof(double));	/* page faults out of the timing */
	t0 = now();
	pmed_encoding_encode_store(enc, rs, 0, ROWS, x, &err);
	t_encode = now() - t0;

	/* scoring: one row at a time (row generation timed separately and subtracted) */
	pmed_rng_seed(&rng, 2);
	t0 = now();
	for (int r = 0; r < ROWS; r++)
		make_row(&rng, v, cb);
	t_copy = now() - t0;
	pmed_rng_seed(&rng, 2);
	t0 = now();
	for (int r = 0; r < ROWS; r++)
	{
		int			n = make_row(&rng, v, cb);

		pmed_encoding_encode_row(enc, v, n, x, NULL, NULL, &err);
		sink += x[r % enc->n_dense];
	}
	t_row = now() - t0 - t_copy;

	/* what the float8[] path does per row at least: copy the dense values */
	dense_in = pmed_alloc_array((size_t) ROWS * enc->n_dense, sizeof(double));
	memset(dense_in, 1, (size_t) ROWS * enc->n_dense * sizeof(double));
	t0 = now();
	for (int r = 0; r < ROWS; r++)
	{
		memcpy(x, dense_in + (size_t) r * enc->n_dense, enc->n_dense * sizeof(double));
		sink += x[r % enc->n_dense];
	}
	t_copy = now() - t0;

	printf("rows %d, input columns %u, encoded columns %u, row store %.1f MB (dense %.1f MB)\n",
		   ROWS, enc->n_columns, enc->n_dense, pmed_rowstore_bytes(rs) / 1e6,
		   (double) ROWS * enc->n_dense * 8 / 1e6);
	printf("append rows   %.3f s  (%.2f us/row)\n", t_add, t_add / ROWS * 1e6);
	printf("learn schema  %.3f s\n", t_learn);
	printf("encode store  %.3f s  (%.2f us/row)\n", t_encode, t_encode / ROWS * 1e6);
	printf("encode_row    %.3f s  (%.2f us/row)\n", t_row, t_row / ROWS * 1e6);
	printf("memcpy dense  %.3f s  (%.2f us/row)\n", t_copy, t_copy / ROWS * 1e6);
	return sink == 12345.678 ? 2 : 0;
}
