/*
 * nn_bench.c - train the pmed neural engine on a data file written by
 * nn_torch.py and write held-out probabilities, for the PyTorch
 * comparison.  Not part of the extension; built by nn_torch.py.
 *
 * usage: nn_bench train.bin test.bin probs.out key=value...
 * keys: arch (cnn|gru) epochs batch lr wd dropout seed balanced filters
 *       (e.g. 16,32) kernels pools head (avg|max|flatten) pool (max|avg)
 *       hidden layers bidir dense (e.g. 32 or 0)
 * File: i32 n, n_features, n_static, n_classes; i32 len[n]; f64 y[n];
 *       f64 s[n * n_static]; f64 x[sum(len) * n_features] (NaN = missing).
 * Prints "train_seconds <s> epochs <e>".
 */
#include "nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct
{
	PmedNnData	d;
	int32_t    *len;
	int64_t    *off;
	double	   *x,
			   *s,
			   *y;
} File;

static void
die(const char *msg)
{
	fprintf(stderr, "nn_bench: %s\n", msg);
	exit(1);
}

static void
rd(void *p, size_t sz, size_t n, FILE *f)
{
	if (n && fread(p, sz, n, f) != n)
		die("short read");
}

static void
load(const char *path, File *F)
{
	FILE	   *f = fopen(path, "rb");
	int32_t		h[4];
	int64_t		steps = 0;

	if (!f)
		die("cannot open data");
	rd(h, 4, 4, f);
	F->len = malloc(sizeof(int32_t) * h[0]);
	F->off = malloc(sizeof(int64_t) * h[0]);
	F->y = malloc(sizeof(double) * h[0]);
	F->s = malloc(sizeof(double) * ((size_t) h[0] * h[2] + 1));
	rd(F->len, 4, h[0], f);
	for (int i = 0; i < h[0]; i++)
	{
		F->off[i] = steps;
		steps += F->len[i];
	}
	rd(F->y, 8, h[0], f);
	rd(F->s, 8, (size_t) h[0] * h[2], f);
	F->x = malloc(sizeof(double) * (steps * h[1] + 1));
	rd(F->x, 8, steps * h[1], f);
	fclose(f);
	F->d = (PmedNnData) {h[0], h[1], h[2], F->len, F->off, F->x, h[2] ? F->s : NULL, F->y, h[3]};
}

static int
parse_list(const char *v, int *out, int max)
{
	int			n = 0;
	char	   *copy = strdup(v),
			   *tok,
			   *save;

	for (tok = strtok_r(copy, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save))
		out[n++] = atoi(tok);
	free(copy);
	return n;
}

int
main(int argc, char **argv)
{
	File		tr,
				te;
	PmedNnOptions o;
	PmedNnModel *m;
	PmedError	err = {0};
	struct timespec t0,
				t1;
	FILE	   *out;
	int			arch = PMED_NN_CNN;
	double	   *p;
	int			k;

	if (argc < 4)
		die("usage: nn_bench train.bin test.bin probs.out key=value...");
	for (int i = 4; i < argc; i++)
		if (strcmp(argv[i], "arch=gru") == 0)
			arch = PMED_NN_GRU;
	pmed_nn_options_default(&o, arch);
	o.validation_fraction = 0.0;	/* fixed epochs, as the PyTorch side */
	for (int i = 4; i < argc; i++)
	{
		char	   *eq = strchr(argv[i], '=');
		const char *v;

		if (!eq)
			die("bad option");
		*eq = '\0';
		v = eq + 1;
		if (strcmp(argv[i], "arch") == 0)
			continue;
		else if (strcmp(argv[i], "epochs") == 0)
			o.epochs = atoi(v);
		else if (strcmp(argv[i], "batch") == 0)
			o.batch_size = atoi(v);
		else if (strcmp(argv[i], "lr") == 0)
			o.learning_rate = atof(v);
		else if (strcmp(argv[i], "wd") == 0)
			o.weight_decay = atof(v);
		else if (strcmp(argv[i], "dropout") == 0)
			o.dropout = atof(v);
		else if (strcmp(argv[i], "seed") == 0)
			o.seed = strtoull(v, NULL, 10);
		else if (strcmp(argv[i], "balanced") == 0)
			o.balanced = atoi(v) != 0;
		else if (strcmp(argv[i], "filters") == 0)
			o.n_conv = parse_list(v, o.filters, PMED_NN_MAX_CONV);
		else if (strcmp(argv[i], "kernels") == 0)
			parse_list(v, o.kernel, PMED_NN_MAX_CONV);
		else if (strcmp(argv[i], "pools") == 0)
			parse_list(v, o.pool, PMED_NN_MAX_CONV);
		else if (strcmp(argv[i], "head") == 0)
			o.head = strcmp(v, "flatten") == 0 ? PMED_NN_HEAD_FLATTEN :
				strcmp(v, "max") == 0 ? PMED_NN_HEAD_MAX : PMED_NN_HEAD_AVG;
		else if (strcmp(argv[i], "pool") == 0)
			o.pool_kind = strcmp(v, "avg") == 0 ? PMED_NN_POOL_AVG : PMED_NN_POOL_MAX;
		else if (strcmp(argv[i], "hidden") == 0)
			o.hidden = atoi(v);
		else if (strcmp(argv[i], "layers") == 0)
			o.gru_layers = atoi(v);
		else if (strcmp(argv[i], "bidir") == 0)
			o.bidirectional = atoi(v) != 0;
		else if (strcmp(argv[i], "dense") == 0)
			o.n_dense = strcmp(v, "0") == 0 ? 0 : parse_list(v, o.dense, PMED_NN_MAX_DENSE);
		else
			die("unknown option");
	}
	load(argv[1], &tr);
	load(argv[2], &te);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pmed_nn_train(&tr.d, &o, &m, &err) != PMED_OK)
	{
		fprintf(stderr, "nn_bench: %s\n", err.message);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("train_seconds %.3f epochs %d\n",
		   (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9, m->epochs_run);
	k = pmed_nn_n_outputs(m);
	p = malloc(sizeof(double) * k);
	out = fopen(argv[3], "wb");
	if (!out)
		die("cannot write output");
	for (int64_t i = 0; i < te.d.n; i++)
	{
		if (!pmed_nn_predict(m, te.len[i], te.x + te.off[i] * te.d.n_features,
							 te.d.n_static ? te.s + i * te.d.n_static : NULL, p))
			die("non-finite prediction");
		fwrite(p, sizeof(double), k, out);
	}
	fclose(out);
	pmed_nn_free(m);
	return 0;
}
