/*
 * test_nn.c - the neural engine: every layer's gradients against central
 * finite differences, losses, AdamW, determinism, the codec, cancellation
 * latency, explanations (completeness) and small learning tasks with
 * held-out accuracy.
 */
#include "unit.h"
#include "nn_internal.h"
#include "rng.h"

#include <setjmp.h>
#include <time.h>

static PmedRng trng;

static void
fill(float *v, size_t n, double scale)
{
	for (size_t i = 0; i < n; i++)
		v[i] = (float) (scale * (2.0 * pmed_rng_uniform(&trng) - 1.0));
}

static float *
fnew(size_t n)
{
	return calloc(n ? n : 1, sizeof(float));
}

/* ---- finite-difference harness ---- */

typedef double (*LossFn) (void *ctx);

/*
 * Compare analytic gradient g[] of the loss with respect to v[] with
 * central differences in float32 (eps relative to the values' scale).
 * Returns the largest scaled error |fd - g| / (1e-3 + |fd| + |g|)... as
 * a plain absolute error when both are small.
 */
static double
grad_check(const char *name, LossFn fn, void *ctx, float *v, const float *g, size_t n,
		   float eps)
{
	double		worst = 0.0;
	size_t		stride = n > 60 ? n / 60 : 1;

	for (size_t i = 0; i < n; i += stride)
	{
		float		keep = v[i];
		double		lp,
					lm,
					fd,
					e;

		v[i] = keep + eps;
		lp = fn(ctx);
		v[i] = keep - eps;
		lm = fn(ctx);
		v[i] = keep;
		fd = (lp - lm) / (2.0 * eps);
		e = fabs(fd - g[i]) / (0.02 + fabs(fd) + fabs(g[i]));
		if (e > worst)
			worst = e;
	}
	printf("# grad %-28s worst relative error %.2e (%zu values)\n", name, worst, (n + stride - 1) / stride);
	return worst;
}

#define GRAD_TOL 0.02

static double
dot_r(const float *y, const float *r, size_t n)
{
	double		s = 0.0;

	for (size_t i = 0; i < n; i++)
		s += (double) y[i] * r[i];
	return s;
}

/* dense */
typedef struct
{
	int			B,
				I,
				O;
	float	   *x,
			   *W,
			   *b,
			   *y,
			   *R;
} DenseCtx;

static double
dense_loss(void *p)
{
	DenseCtx   *c = p;

	nn_dense_forward(c->B, c->I, c->O, c->x, c->W, c->b, c->y);
	return dot_r(c->y, c->R, (size_t) c->B * c->O);
}

static void
test_dense(void)
{
	DenseCtx	c = {.B = 3, .I = 4, .O = 5};
	float	   *dx,
			   *dW,
			   *db;

	c.x = fnew(12);
	c.W = fnew(20);
	c.b = fnew(5);
	c.y = fnew(15);
	c.R = fnew(15);
	dx = fnew(12);
	dW = fnew(20);
	db = fnew(5);
	fill(c.x, 12, 1);
	fill(c.W, 20, 1);
	fill(c.b, 5, 1);
	fill(c.R, 15, 1);
	dense_loss(&c);
	nn_dense_backward(3, 4, 5, c.x, c.W, c.R, dx, dW, db);
	CHECK(grad_check("dense dx", dense_loss, &c, c.x, dx, 12, 1e-2f) < GRAD_TOL, "dense dx");
	CHECK(grad_check("dense dW", dense_loss, &c, c.W, dW, 20, 1e-2f) < GRAD_TOL, "dense dW");
	CHECK(grad_check("dense db", dense_loss, &c, c.b, db, 5, 1e-2f) < GRAD_TOL, "dense db");
	/* a broken gradient must fail the check: the harness is real */
	dW[3] += 0.5f;
	CHECK(grad_check("dense dW (broken on purpose)", dense_loss, &c, c.W, dW, 20, 1e-2f) > 0.1,
		  "the gradient check detects a wrong gradient");
	free(c.x), free(c.W), free(c.b), free(c.y), free(c.R), free(dx), free(dW), free(db);
}

/* conv1d */
typedef struct
{
	int			B,
				T,
				C,
				F,
				K;
	float	   *x,
			   *W,
			   *b,
			   *y,
			   *R,
			   *col;
} ConvCtx;

static double
conv_loss(void *p)
{
	ConvCtx    *c = p;

	nn_conv_forward(c->B, c->T, c->C, c->F, c->K, c->x, c->W, c->y, c->col);
	return dot_r(c->y, c->R, (size_t) c->B * c->T * c->F);
}

static void
test_conv(int K)
{
	ConvCtx		c = {.B = 2, .T = 7, .C = 3, .F = 4, .K = K};
	size_t		nx = 2 * 7 * 3,
				nw = (size_t) K * 3 * 4,
				ny = 2 * 7 * 4;
	float	   *dx = fnew(nx),
			   *dW = fnew(nw + 4),
			   *db = dW + nw;	/* the bias row follows the kernel */
	char		name[64];

	c.x = fnew(nx);
	c.W = fnew(nw + 4);
	c.b = c.W + nw;
	c.y = fnew(ny);
	c.R = fnew(ny);
	c.col = fnew(nn_conv_col_floats(2, 7, K * 4 + 1));
	fill(c.x, nx, 1);
	fill(c.W, nw, 1);
	fill(c.b, 4, 1);
	fill(c.R, ny, 1);
	conv_loss(&c);
	nn_conv_backward(2, 7, 3, 4, K, c.x, c.W, c.R, dx, dW, c.col);
	snprintf(name, sizeof(name), "conv K=%d dx", K);
	CHECK(grad_check(name, conv_loss, &c, c.x, dx, nx, 1e-2f) < GRAD_TOL, "%s", name);
	snprintf(name, sizeof(name), "conv K=%d dW", K);
	CHECK(grad_check(name, conv_loss, &c, c.W, dW, nw, 1e-2f) < GRAD_TOL, "%s", name);
	snprintf(name, sizeof(name), "conv K=%d db", K);
	CHECK(grad_check(name, conv_loss, &c, c.b, db, 4, 1e-2f) < GRAD_TOL, "%s", name);
	free(c.x), free(c.W), free(c.y), free(c.R), free(c.col), free(dx), free(dW);
}

/* relu, pooling, global pooling: inputs on a grid so no kink or tie is near */
typedef struct
{
	int			what,
				kind,
				B,
				T,
				C,
				P;
	float	   *x,
			   *y,
			   *R;
	int32_t    *idx;
} PoolCtx;

static double
pool_loss(void *p)
{
	PoolCtx    *c = p;
	size_t		n = (size_t) c->B * c->T * c->C;

	if (c->what == 0)
	{
		memcpy(c->y, c->x, sizeof(float) * n);
		nn_relu_forward(n, c->y);
		return dot_r(c->y, c->R, n);
	}
	if (c->what == 1)
	{
		nn_pool_forward(c->kind, c->B, c->T, c->C, c->P, c->x, c->y, c->idx);
		return dot_r(c->y, c->R, (size_t) c->B * (c->T / c->P) * c->C);
	}
	nn_global_forward(c->kind, c->B, c->T, c->C, c->x, c->y, c->idx);
	return dot_r(c->y, c->R, (size_t) c->B * c->C);
}

static void
test_pool(int what, int kind, const char *name)
{
	PoolCtx		c = {.what = what, .kind = kind, .B = 2, .T = 9, .C = 3, .P = 2};
	size_t		n = 2 * 9 * 3;
	float	   *dx = fnew(n),
			   *dy;

	c.x = fnew(n);
	c.y = fnew(n);
	c.R = fnew(n);
	c.idx = calloc(n, sizeof(int32_t));
	/* a shuffled grid with spacing 0.1: distinct, none within 0.05 of 0 */
	for (size_t i = 0; i < n; i++)
		c.x[i] = (float) (((int) i - (int) n / 2) * 0.1 + 0.05);
	for (size_t i = n - 1; i > 0; i--)
	{
		size_t		j = pmed_rng_below(&trng, i + 1);
		float		t = c.x[i];

		c.x[i] = c.x[j];
		c.x[j] = t;
	}
	fill(c.R, n, 1);
	pool_loss(&c);
	if (what == 0)
	{
		dy = fnew(n);
		memcpy(dy, c.R, sizeof(float) * n);
		nn_relu_backward(n, c.y, dy);
		memcpy(dx, dy, sizeof(float) * n);
		free(dy);
	}
	else if (what == 1)
		nn_pool_backward(kind, 2, 9, 3, 2, c.R, c.idx, dx);
	else
		nn_global_backward(kind, 2, 9, 3, c.R, c.idx, dx);
	CHECK(grad_check(name, pool_loss, &c, c.x, dx, n, 1e-2f) < GRAD_TOL, "%s", name);
	free(c.x), free(c.y), free(c.R), free(c.idx), free(dx);
}

/* GRU, one direction, ragged lengths */
typedef struct
{
	int			T,
				B,
				D,
				H;
	bool		reverse;
	int32_t		len[3];
	float	   *X,
			   *Wx,
			   *bx,
			   *Wh,
			   *bh,
			   *out,
			   *R,
			   *work;
	NnGruSaved	sv;
} GruCtx;

static double
gru_loss(void *p)
{
	GruCtx	   *c = p;

	nn_gru_forward(c->T, c->B, c->D, c->H, c->len, c->reverse, c->X, c->Wx, c->bx, c->Wh,
				   c->bh, &c->sv, c->out, c->H, c->work);
	return dot_r(c->out, c->R, (size_t) c->T * c->B * c->H);
}

static void
test_gru(bool reverse)
{
	GruCtx		c = {.T = 5, .B = 3, .D = 4, .H = 3, .reverse = reverse, .len = {5, 3, 1}};
	size_t		rows = 15,
				H3 = 9;
	float	   *dX = fnew(rows * 4),
			   *dWx = fnew(4 * H3),
			   *dbx = fnew(H3),
			   *dWh = fnew(3 * H3),
			   *dbh = fnew(H3),
			   *dOut = fnew(rows * 3);
	const char *dir = reverse ? "reverse" : "forward";
	char		name[64];

	c.X = fnew(rows * 4);
	c.Wx = fnew(4 * H3);
	c.bx = fnew(H3);
	c.Wh = fnew(3 * H3);
	c.bh = fnew(H3);
	c.out = fnew(rows * 3);
	c.R = fnew(rows * 3);
	c.work = fnew(nn_gru_work_floats(5, 3, 3));
	c.sv.gx = fnew(rows * H3);
	c.sv.r = fnew(rows * 3);
	c.sv.z = fnew(rows * 3);
	c.sv.n = fnew(rows * 3);
	c.sv.ghn = fnew(rows * 3);
	fill(c.X, rows * 4, 1);
	fill(c.Wx, 4 * H3, 0.8);
	fill(c.bx, H3, 0.5);
	fill(c.Wh, 3 * H3, 0.8);
	fill(c.bh, H3, 0.5);
	fill(c.R, rows * 3, 1);
	gru_loss(&c);
	memcpy(dOut, c.R, sizeof(float) * rows * 3);
	nn_gru_backward(5, 3, 4, 3, c.len, reverse, c.X, c.Wx, c.Wh, &c.sv, c.out, 3, dOut, dX, dWx,
					dbx, dWh, dbh, c.work);
	snprintf(name, sizeof(name), "gru %s dX", dir);
	CHECK(grad_check(name, gru_loss, &c, c.X, dX, rows * 4, 1e-2f) < GRAD_TOL, "%s", name);
	snprintf(name, sizeof(name), "gru %s dWx", dir);
	CHECK(grad_check(name, gru_loss, &c, c.Wx, dWx, 4 * H3, 1e-2f) < GRAD_TOL, "%s", name);
	snprintf(name, sizeof(name), "gru %s dbx", dir);
	CHECK(grad_check(name, gru_loss, &c, c.bx, dbx, H3, 1e-2f) < GRAD_TOL, "%s", name);
	snprintf(name, sizeof(name), "gru %s dWh", dir);
	CHECK(grad_check(name, gru_loss, &c, c.Wh, dWh, 3 * H3, 1e-2f) < GRAD_TOL, "%s", name);
	snprintf(name, sizeof(name), "gru %s dbh", dir);
	CHECK(grad_check(name, gru_loss, &c, c.bh, dbh, H3, 1e-2f) < GRAD_TOL, "%s", name);
	/* steps past a sequence's end get no input gradient */
	CHECK(dX[(4 * 3 + 2) * 4] == 0.0f && dX[(1 * 3 + 2) * 4 + 1] == 0.0f, "padding has no gradient");
	free(c.X), free(c.Wx), free(c.bx), free(c.Wh), free(c.bh), free(c.out), free(c.R);
	free(c.work), free(c.sv.gx), free(c.sv.r), free(c.sv.z), free(c.sv.n), free(c.sv.ghn);
	free(dX), free(dWx), free(dbx), free(dWh), free(dbh), free(dOut);
}

/* losses */
typedef struct
{
	int			kind,
				B,
				K;
	float	   *a,
			   *g;
	double	   *y;
	const double *w;
} LossCtx;

static double
loss_of(void *p)
{
	LossCtx    *c = p;
	float	   *g = fnew((size_t) c->B * c->K);
	double		l;

	if (c->kind == 0)
		l = nn_loss_softmax_ce(c->B, c->K, c->a, c->y, c->w, g);
	else if (c->kind == 1)
		l = nn_loss_sigmoid_bce(c->B, c->a, c->y, c->w, g);
	else
		l = nn_loss_mse(c->B, c->a, c->y, g);
	free(g);
	return l;
}

static void
test_losses(void)
{
	double		y3[4] = {0, 2, 1, 2},
				y2[4] = {1, 0, 0, 1},
				yr[4] = {0.5, -1, 2, 0};
	double		w3[3] = {1, 3, 0.5},
				w2[2] = {0.3, 2};
	LossCtx		c;
	float		a[12],
				g[12];
	double		l;

	fill(a, 12, 2);
	c = (LossCtx) {0, 4, 3, a, g, y3, w3};
	nn_loss_softmax_ce(4, 3, a, y3, w3, g);
	CHECK(grad_check("softmax CE (weighted)", loss_of, &c, a, g, 12, 1e-2f) < GRAD_TOL, "softmax ce");
	c = (LossCtx) {1, 4, 1, a, g, y2, w2};
	nn_loss_sigmoid_bce(4, a, y2, w2, g);
	CHECK(grad_check("sigmoid BCE (weighted)", loss_of, &c, a, g, 4, 1e-2f) < GRAD_TOL, "bce");
	c = (LossCtx) {2, 4, 1, a, g, yr, NULL};
	nn_loss_mse(4, a, yr, g);
	CHECK(grad_check("MSE", loss_of, &c, a, g, 4, 1e-2f) < GRAD_TOL, "mse");
	/* known values: logits 0 give log 2 (BCE) and log 3 (3 classes) */
	memset(a, 0, sizeof(a));
	l = nn_loss_sigmoid_bce(4, a, y2, NULL, g);
	CHECK_NEAR(l, log(2.0), 1e-12, "bce at 0");
	l = nn_loss_softmax_ce(4, 3, a, y3, w3, g);
	CHECK_NEAR(l, log(3.0), 1e-12, "softmax ce at 0");
	a[0] = 1.5f;
	l = nn_loss_mse(1, a, yr, g);
	CHECK_NEAR(l, 1.0, 1e-12, "mse value");
}

/* AdamW */
static void
test_adam(void)
{
	NnAdam		ad;
	float		w[3] = {1, -2, 3},
				g[3];
	double		a[3] = {1, 10, 0.1},
				c[3] = {0.5, 1, -1};

	/* first step: bias-corrected m / sqrt(v) = sign(g), so each weight moves by lr */
	nn_adam_init(&ad, 3, 0.1, 0.0);
	g[0] = 0.3f, g[1] = -7.0f, g[2] = 1e-3f;
	nn_adam_step(&ad, w, g);
	CHECK(fabs(w[0] - 0.9) < 1e-6 && fabs(w[1] + 1.9) < 1e-6 && fabs(w[2] - 2.9) < 1e-4,
		  "first Adam step moves by lr: %g %g %g", w[0], w[1], w[2]);
	nn_adam_free(&ad);
	/* decoupled decay with zero gradient: w (1 - lr wd) */
	nn_adam_init(&ad, 3, 0.1, 0.5);
	w[0] = 2.0f;
	g[0] = g[1] = g[2] = 0.0f;
	nn_adam_step(&ad, w, g);
	CHECK(fabs(w[0] - 2.0 * 0.95) < 1e-6, "decoupled weight decay: %g", w[0]);
	nn_adam_free(&ad);
	/* a badly scaled quadratic converges to its minimum */
	nn_adam_init(&ad, 3, 0.05, 0.0);
	w[0] = 1, w[1] = -2, w[2] = 3;
	for (int it = 0; it < 3000; it++)
	{
		for (int i = 0; i < 3; i++)
			g[i] = (float) (a[i] * (w[i] - c[i]));
		nn_adam_step(&ad, w, g);
	}
	CHECK(fabs(w[0] - 0.5) < 1e-3 && fabs(w[1] - 1) < 1e-3 && fabs(w[2] + 1) < 1e-3,
		  "Adam minimises a quadratic: %g %g %g", w[0], w[1], w[2]);
	nn_adam_free(&ad);
}

/* ---- synthetic data ---- */

typedef struct
{
	PmedNnData	d;
	int32_t    *len;
	int64_t    *off;
	double	   *x;
	double	   *s;
	double	   *y;
} Synth;

static void
synth_free(Synth *s)
{
	free(s->len), free(s->off), free(s->x), free(s->s), free(s->y);
}

/* waves: class 0 sine, 1 square, 2 sawtooth; random period, phase, noise */
static void
make_waves(Synth *s, int n, int T, int classes, double noise, double missing, uint64_t seed)
{
	PmedRng		r;

	pmed_rng_seed(&r, seed);
	s->len = calloc(n, sizeof(int32_t));
	s->off = calloc(n, sizeof(int64_t));
	s->x = calloc((size_t) n * T, sizeof(double));
	s->y = calloc(n, sizeof(double));
	s->s = NULL;
	for (int i = 0; i < n; i++)
	{
		int			c = (int) pmed_rng_below(&r, classes);
		double		period = 8 + 16 * pmed_rng_uniform(&r);
		double		phase = pmed_rng_uniform(&r);
		double		amp = 0.5 + pmed_rng_uniform(&r);

		s->len[i] = T;
		s->off[i] = (int64_t) i * T;
		s->y[i] = c;
		for (int t = 0; t < T; t++)
		{
			double		u = t / period + phase;
			double		fr = u - floor(u);
			double		v = c == 0 ? sin(2 * M_PI * u) : c == 1 ? (fr < 0.5 ? 1.0 : -1.0) : 2 * fr - 1;

			v = amp * v + noise * pmed_rng_normal(&r) + 3.0;
			s->x[(size_t) i * T + t] = pmed_rng_uniform(&r) < missing ? NAN : v;
		}
	}
	s->d = (PmedNnData) {n, 1, 0, s->len, s->off, s->x, NULL, s->y, classes};
}

/*
 * sequences of 5..30 steps, 2 features: a = N(0.1, 1) with 30 % missing,
 * b = noise; label: the sum of the observed a values is positive.  With a
 * static feature that is pure noise.
 */
static void
make_sums(Synth *s, int n, uint64_t seed)
{
	PmedRng		r;
	int64_t		at = 0;

	pmed_rng_seed(&r, seed);
	s->len = calloc(n, sizeof(int32_t));
	s->off = calloc(n, sizeof(int64_t));
	s->x = calloc((size_t) n * 30 * 2, sizeof(double));
	s->s = calloc(n, sizeof(double));
	s->y = calloc(n, sizeof(double));
	for (int i = 0; i < n; i++)
	{
		int			T = 5 + (int) pmed_rng_below(&r, 26);
		double		sum = 0.0;

		s->len[i] = T;
		s->off[i] = at;
		for (int t = 0; t < T; t++)
		{
			double		a = 0.1 + pmed_rng_normal(&r);

			if (pmed_rng_uniform(&r) < 0.3)
				a = NAN;
			else
				sum += a;
			s->x[(at + t) * 2] = a;
			s->x[(at + t) * 2 + 1] = pmed_rng_normal(&r);
		}
		at += T;
		s->s[i] = pmed_rng_normal(&r);
		s->y[i] = sum > 0 ? 1 : 0;
	}
	s->d = (PmedNnData) {n, 2, 1, s->len, s->off, s->x, s->s, s->y, 2};
}

static double
accuracy(const PmedNnModel *m, const Synth *s)
{
	int			k = pmed_nn_n_outputs(m);
	double	   *out = calloc(k, sizeof(double));
	int			ok = 0;

	for (int64_t i = 0; i < s->d.n; i++)
	{
		int			best = 0;

		pmed_nn_predict(m, s->len[i], s->x + s->off[i] * s->d.n_features,
						s->s ? s->s + i * s->d.n_static : NULL, out);
		for (int c = 1; c < k; c++)
			if (out[c] > out[best])
				best = c;
		ok += best == (int) s->y[i];
	}
	free(out);
	return (double) ok / s->d.n;
}

/* ---- whole-network gradients ---- */

typedef struct
{
	NnNet	   *net;
	PmedNnModel *m;
	double	   *y;
	float	   *g;
	bool		input;
} NetCtx;

static double
net_loss(void *p)
{
	NetCtx	   *c = p;
	float	   *g = fnew((size_t) c->net->B * nn_n_logits(c->m));
	double		l;

	nn_net_forward(c->net, c->m->w, 0.0, NULL);
	if (c->m->n_classes > 2)
		l = nn_loss_softmax_ce(c->net->B, c->m->n_classes, c->net->logits, c->y, NULL, g);
	else if (c->m->n_classes == 2)
		l = nn_loss_sigmoid_bce(c->net->B, c->net->logits, c->y, NULL, g);
	else
		l = nn_loss_mse(c->net->B, c->net->logits, c->y, g);
	free(g);
	return l;
}

static void
check_net(const char *name, PmedNnModel *m, const PmedNnData *d, int B)
{
	NnNet	   *net = nn_net_create(m, B, 40);
	int64_t		idx[8];
	double		y[8];
	float	   *grad = fnew(m->n_params);
	float	   *gl = fnew((size_t) B * nn_n_logits(m));
	NetCtx		c = {net, m, y, gl, false};
	char		buf[96];
	size_t		nin;

	for (int b = 0; b < B; b++)
	{
		idx[b] = b;
		y[b] = m->n_classes > 0 ? d->y[b] : d->y[b];
	}
	nn_net_load(net, d, idx, B);
	net_loss(&c);
	nn_net_forward(net, m->w, 0.0, NULL);
	if (m->n_classes > 2)
		nn_loss_softmax_ce(B, m->n_classes, net->logits, y, NULL, gl);
	else
		nn_loss_sigmoid_bce(B, net->logits, y, NULL, gl);
	nn_net_backward(net, m->w, gl, grad, true);
	snprintf(buf, sizeof(buf), "%s weights", name);
	CHECK(grad_check(buf, net_loss, &c, m->w, grad, m->n_params, 3e-3f) < GRAD_TOL, "%s", buf);
	nin = (size_t) B * net->T * net->L.in_dim;
	snprintf(buf, sizeof(buf), "%s inputs", name);
	{
		float	   *din = fnew(nin);

		memcpy(din, net->d_in, sizeof(float) * nin);
		CHECK(grad_check(buf, net_loss, &c, net->in, din, nin, 3e-3f) < GRAD_TOL, "%s", buf);
		free(din);
	}
	if (net->L.st_dim > 0)
	{
		float	   *dst = fnew((size_t) B * net->L.st_dim);

		memcpy(dst, net->d_st, sizeof(float) * B * net->L.st_dim);
		snprintf(buf, sizeof(buf), "%s static inputs", name);
		CHECK(grad_check(buf, net_loss, &c, net->st, dst, (size_t) B * net->L.st_dim, 3e-3f) < GRAD_TOL, "%s", buf);
		free(dst);
	}
	nn_net_free(net);
	free(grad);
	free(gl);
}

static PmedNnModel *
train_or_die(const PmedNnData *d, const PmedNnOptions *o)
{
	PmedNnModel *m = NULL;
	PmedError	err = {0};

	if (pmed_nn_train(d, o, &m, &err) != PMED_OK)
	{
		printf("not ok - train failed: %s\n", err.message);
		exit(1);
	}
	return m;
}

static void
test_networks(void)
{
	Synth		w3,
				sq;
	PmedNnOptions o;
	PmedNnModel *m;

	make_waves(&w3, 40, 24, 3, 0.2, 0.2, 11);
	pmed_nn_options_default(&o, PMED_NN_CNN);
	o.epochs = 1;
	o.n_conv = 2;
	o.filters[0] = 4, o.filters[1] = 5;
	o.kernel[0] = 3, o.kernel[1] = 5;
	o.pool[0] = 2, o.pool[1] = 1;
	o.n_dense = 1, o.dense[0] = 6;
	o.dropout = 0.0;
	o.head = PMED_NN_HEAD_AVG;
	m = train_or_die(&w3.d, &o);
	CHECK(m->use_mask == 1, "missing values add mask inputs");
	check_net("CNN avg-pool head", m, &w3.d, 4);
	pmed_nn_free(m);
	o.pool_kind = PMED_NN_POOL_AVG;
	o.head = PMED_NN_HEAD_FLATTEN;
	o.n_dense = 2, o.dense[1] = 4;
	m = train_or_die(&w3.d, &o);
	check_net("CNN flatten head", m, &w3.d, 4);
	pmed_nn_free(m);

	make_sums(&sq, 40, 12);
	pmed_nn_options_default(&o, PMED_NN_GRU);
	o.epochs = 1;
	o.hidden = 5;
	o.gru_layers = 2;
	o.bidirectional = true;
	o.n_dense = 1, o.dense[0] = 4;
	m = train_or_die(&sq.d, &o);
	check_net("GRU 2 layers bidirectional", m, &sq.d, 4);
	pmed_nn_free(m);
	synth_free(&w3);
	synth_free(&sq);
}

/* ---- determinism and the codec ---- */

static void
encode(const PmedNnModel *m, PmedWriter *w)
{
	pmed_writer_init(w);
	pmed_nn_encode(m, w);
}

static void
test_determinism_codec(void)
{
	Synth		s;
	PmedNnOptions o;
	PmedNnModel *a,
			   *b,
			   *c,
			   *dec;
	PmedWriter	wa,
				wb,
				wc,
				wd;
	PmedReader	r;
	PmedError	err = {0};
	int			rejected = 0,
				flips_ok = 0,
				flips = 0;
	double		pa[3],
				pd[3];

	make_waves(&s, 120, 32, 3, 0.3, 0.1, 5);
	pmed_nn_options_default(&o, PMED_NN_CNN);
	o.epochs = 3;
	o.dropout = 0.2;
	o.filters[0] = 4, o.filters[1] = 6;
	o.dense[0] = 8;
	a = train_or_die(&s.d, &o);
	b = train_or_die(&s.d, &o);
	o.seed = 43;
	c = train_or_die(&s.d, &o);
	encode(a, &wa);
	encode(b, &wb);
	encode(c, &wc);
	CHECK(wa.len == wb.len && memcmp(wa.buf, wb.buf, wa.len) == 0, "same seed: byte-identical models");
	CHECK(wa.len == wc.len && memcmp(wa.buf, wc.buf, wa.len) != 0, "another seed: another model");

	pmed_reader_init(&r, wa.buf, wa.len, &err);
	CHECK(pmed_nn_decode(&r, &dec), "decode: %s", err.message);
	encode(dec, &wd);
	CHECK(wd.len == wa.len && memcmp(wd.buf, wa.buf, wa.len) == 0, "round trip is exact");
	pmed_nn_predict(a, 32, s.x, NULL, pa);
	pmed_nn_predict(dec, 32, s.x, NULL, pd);
	CHECK(memcmp(pa, pd, sizeof(pa)) == 0, "decoded model predicts the same");
	CHECK(pmed_nn_memory_size(dec) > dec->n_params * 4, "memory size counts the weights");
	pmed_nn_free(dec);

	for (size_t cut = 0; cut < wa.len; cut++)
	{
		PmedError	e = {0};

		pmed_reader_init(&r, wa.buf, cut, &e);
		if (!pmed_nn_decode(&r, &dec) && e.status == PMED_ERR_CORRUPT)
			rejected++;
		else if (dec)
			pmed_nn_free(dec);
	}
	CHECK(rejected == (int) wa.len, "every truncation rejected (%d of %zu)", rejected, wa.len);
	/* bit flips: the payload parser alone either rejects or yields a usable model */
	for (size_t i = 0; i < wa.len; i += (i < 200 ? 1 : 37))
		for (int bit = 0; bit < 8; bit++)
		{
			PmedError	e = {0};

			wa.buf[i] ^= (uint8_t) (1 << bit);
			pmed_reader_init(&r, wa.buf, wa.len, &e);
			flips++;
			if (pmed_nn_decode(&r, &dec))
			{
				double		p[3];

				if (dec->fixed_len == 32 && dec->n_features == 1 && dec->n_static == 0 &&
					dec->n_classes == 3)
				{
					bool		fin = pmed_nn_predict(dec, 32, s.x, NULL, p);

					flips_ok += fin && isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]);
					if (!fin)
						printf("# flip at byte %zu bit %d: non-finite output\n", i, bit);
				}
				else
					flips_ok++;
				pmed_nn_free(dec);
			}
			else
				flips_ok += e.status == PMED_ERR_CORRUPT;
			wa.buf[i] ^= (uint8_t) (1 << bit);
		}
	CHECK(flips_ok == flips, "bit flips rejected or harmless (%d of %d)", flips_ok, flips);
	/* a weight count that does not match the architecture */
	{
		PmedWriter	w;
		PmedError	e = {0};

		pmed_writer_init(&w);
		a->n_params -= 1;
		pmed_nn_encode(a, &w);
		a->n_params += 1;
		pmed_reader_init(&r, w.buf, w.len, &e);
		CHECK(!pmed_nn_decode(&r, &dec) && strstr(e.message, "parameter count") != NULL,
			  "weight count checked against the architecture: %s", e.message);
		free(w.buf);
	}
	pmed_nn_free(a);
	pmed_nn_free(b);
	pmed_nn_free(c);
	free(wa.buf), free(wb.buf), free(wc.buf), free(wd.buf);
	synth_free(&s);
}

/* ---- cancellation latency ---- */

static double last_tick,
			worst_gap;
static int	ticks,
			abort_after;
static jmp_buf abort_jmp;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);	/* compute time: preemption is not ours */
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *
t_alloc(size_t n)
{
	void	   *p = calloc(1, n ? n : 1);

	if (!p)
		abort();
	return p;
}

static void *
t_realloc(void *p, size_t n)
{
	return realloc(p, n);
}

static void
t_tick(void)
{
	double		t = now();

	if (last_tick > 0 && t - last_tick > worst_gap)
		worst_gap = t - last_tick;
	last_tick = t;
	if (abort_after > 0 && ++ticks >= abort_after)
		longjmp(abort_jmp, 1);
}

static void
test_interrupts(void)
{
	PmedHooks	h = {t_alloc, t_realloc, free, t_tick};
	PmedHooks	plain = {t_alloc, t_realloc, free, NULL};
	Synth		s;
	PmedNnOptions o;
	PmedNnModel *m;
	PmedError	err = {0};

	/* long sequences with a wide GRU: the hook must still come often */
	make_sums(&s, 64, 3);
	pmed_nn_options_default(&o, PMED_NN_GRU);
	o.hidden = 256;
	o.epochs = 2;
	o.batch_size = 64;
	o.validation_fraction = 0;
	pmed_set_hooks(&h);
	worst_gap = 0;
	last_tick = 0;
	m = train_or_die(&s.d, &o);
	pmed_nn_free(m);
	CHECK(worst_gap < 0.1, "interrupt hook at most 100 ms apart (worst %.1f ms)", worst_gap * 1000);
	printf("# interrupt hook: worst gap %.2f ms\n", worst_gap * 1000);
	/* a hook that aborts stops training (the glue's ereport longjmps the same way) */
	ticks = 0;
	abort_after = 50;
	if (setjmp(abort_jmp) == 0)
	{
		pmed_nn_train(&s.d, &o, &m, &err);
		CHECK(false, "training was not interrupted");
	}
	else
		CHECK(ticks == 50, "training stopped at the interrupt");
	abort_after = 0;
	(void) plain;
	synth_free(&s);
}

/* ---- learning tasks and explanations ---- */

static void
test_learning(void)
{
	Synth		tr,
				te;
	PmedNnOptions o;
	PmedNnModel *m;
	double		acc,
				base,
				out,
				worst = 0.0,
				worst_sum = 0.0;
	PmedError	err = {0};
	double		per_step[64 * 2],
				per_feat[8];
	clock_t		t0;

	/* CNN: sine / square / sawtooth, noise 0.3, 10 % missing samples */
	make_waves(&tr, 600, 64, 3, 0.3, 0.1, 100);
	make_waves(&te, 300, 64, 3, 0.3, 0.1, 200);
	pmed_nn_options_default(&o, PMED_NN_CNN);
	o.epochs = 40;
	o.learning_rate = 3e-3;
	o.n_conv = 3;
	o.balanced = true;
	t0 = clock();
	m = train_or_die(&tr.d, &o);
	acc = accuracy(m, &te);
	printf("# CNN waves: held-out accuracy %.3f after %d epochs (best %d), %.2f s\n", acc,
		   m->epochs_run, m->best_epoch, (double) (clock() - t0) / CLOCKS_PER_SEC);
	CHECK(acc >= 0.9, "CNN held-out accuracy %.3f >= 0.9", acc);
	for (int i = 0; i < 10; i++)
	{
		double		s = 0.0,
					fs = 0.0;

		CHECK(pmed_nn_explain(m, 64, te.x + te.off[i], NULL, (int) te.y[i], 64, &base, &out,
							  per_step, per_feat, &err) == PMED_OK, "explain: %s", err.message);
		for (int t = 0; t < 64; t++)
			s += per_step[t];
		fs = per_feat[0];
		if (fabs(base + s - out) > worst)
			worst = fabs(base + s - out);
		if (fabs(fs - s) > worst_sum)
			worst_sum = fabs(fs - s);
	}
	printf("# CNN integrated gradients (64 steps): worst |base + sum - output| = %.2e\n", worst);
	/* the quadrature error shrinks with the steps (measured, printed) */
	for (int st = 16; st <= 256; st *= 4)
	{
		double		w2 = 0.0;

		for (int i = 0; i < 10; i++)
		{
			double		s = 0.0;

			pmed_nn_explain(m, 64, te.x + te.off[i], NULL, (int) te.y[i], st, &base, &out,
							per_step, per_feat, &err);
			s = per_feat[0];
			if (fabs(base + s - out) > w2)
				w2 = fabs(base + s - out);
		}
		printf("# CNN integrated gradients (%d steps): worst gap %.2e\n", st, w2);
	}
	CHECK(worst < 0.01, "CNN explanation complete within 0.01 (%.2e)", worst);
	CHECK(worst_sum < 1e-9, "per-feature = sum of per-step");
	pmed_nn_free(m);
	synth_free(&tr);
	synth_free(&te);

	/* GRU: is the sum of the observed values positive (30 % missing)? */
	make_sums(&tr, 1500, 300);
	make_sums(&te, 500, 400);
	pmed_nn_options_default(&o, PMED_NN_GRU);
	o.epochs = 30;
	o.hidden = 16;
	o.learning_rate = 3e-3;
	t0 = clock();
	m = train_or_die(&tr.d, &o);
	acc = accuracy(m, &te);
	printf("# GRU sums: held-out accuracy %.3f after %d epochs (best %d), %.2f s\n", acc,
		   m->epochs_run, m->best_epoch, (double) (clock() - t0) / CLOCKS_PER_SEC);
	CHECK(acc >= 0.85, "GRU held-out accuracy %.3f >= 0.85", acc);
	worst = 0.0;
	for (int i = 0; i < 10; i++)
	{
		double		s = 0.0;

		CHECK(pmed_nn_explain(m, te.len[i], te.x + te.off[i] * 2, te.s + i, 1, 64, &base, &out,
							  per_step, per_feat, &err) == PMED_OK, "explain: %s", err.message);
		for (int k = 0; k < 3; k++)
			s += per_feat[k];
		if (fabs(base + s - out) > worst)
			worst = fabs(base + s - out);
	}
	printf("# GRU integrated gradients (64 steps): worst |base + sum - output| = %.2e\n", worst);
	CHECK(worst < 0.01, "GRU explanation complete within 0.01 (%.2e)", worst);
	/* the signal feature matters more than the noise feature */
	{
		double		a0 = 0.0,
					a1 = 0.0;

		for (int i = 0; i < 50; i++)
		{
			pmed_nn_explain(m, te.len[i], te.x + te.off[i] * 2, te.s + i, 1, 32, &base, &out,
							per_step, per_feat, &err);
			a0 += fabs(per_feat[0]);
			a1 += fabs(per_feat[1]);
		}
		CHECK(a0 > 3 * a1, "attribution finds the signal feature (%.3f vs %.3f)", a0, a1);
	}
	pmed_nn_free(m);
	synth_free(&tr);
	synth_free(&te);
}

static void
test_bad_input(void)
{
	Synth		s;
	PmedNnOptions o;
	PmedNnModel *m = NULL;
	PmedError	err = {0};

	make_waves(&s, 20, 16, 2, 0.1, 0, 1);
	pmed_nn_options_default(&o, PMED_NN_CNN);
	o.kernel[0] = 4;
	CHECK(pmed_nn_train(&s.d, &o, &m, &err) == PMED_ERR_INVALID && m == NULL, "even kernel rejected");
	pmed_nn_options_default(&o, PMED_NN_CNN);
	o.n_conv = 4;
	o.pool[0] = o.pool[1] = o.pool[2] = o.pool[3] = 4;
	CHECK(pmed_nn_train(&s.d, &o, &m, &err) == PMED_ERR_LIMIT, "pooling below one step rejected");
	pmed_nn_options_default(&o, PMED_NN_CNN);
	s.x[5] = INFINITY;
	CHECK(pmed_nn_train(&s.d, &o, &m, &err) == PMED_ERR_INVALID, "infinity rejected");
	s.x[5] = 0;
	s.len[3] = 15;
	CHECK(pmed_nn_train(&s.d, &o, &m, &err) == PMED_ERR_INVALID, "ragged signals rejected");
	s.len[3] = 16;
	o.dropout = 0.95;
	CHECK(pmed_nn_train(&s.d, &o, &m, &err) == PMED_ERR_INVALID, "dropout out of range rejected");
	o.dropout = 0;
	o.epochs = 1;
	{
		PmedNnOptions big;
		int32_t		len[20];
		int64_t		off[20];
		double	   *x = calloc((size_t) 20 * PMED_NN_MAX_STEPS * 2, sizeof(double));
		double		y[20];
		PmedNnData	d;

		for (int i = 0; i < 20; i++)
		{
			len[i] = PMED_NN_MAX_STEPS;
			off[i] = (int64_t) i * PMED_NN_MAX_STEPS;
			y[i] = i % 2;
		}
		d = (PmedNnData) {20, 2, 0, len, off, x, NULL, y, 2};
		pmed_nn_options_default(&big, PMED_NN_GRU);
		big.hidden = 1024;
		big.batch_size = 4096;
		CHECK(pmed_nn_train(&d, &big, &m, &err) == PMED_ERR_LIMIT,
			  "huge mini-batch refused before allocating: %s", err.message);
		free(x);
	}
	m = train_or_die(&s.d, &o);
	CHECK(pmed_nn_check_input(m, 15, &err) == PMED_ERR_INVALID, "wrong signal length at prediction");
	{
		double		p2[2];

		CHECK(!pmed_nn_predict(m, 15, s.x, NULL, p2), "predict refuses a wrong length");
	}
	CHECK(pmed_nn_check_input(m, PMED_NN_MAX_STEPS + 1, &err) == PMED_ERR_LIMIT, "too long");
	pmed_nn_free(m);
	synth_free(&s);
}

int
main(void)
{
	pmed_rng_seed(&trng, 2024);
	test_dense();
	test_conv(3);
	test_conv(5);
	test_pool(0, 0, "relu");
	test_pool(1, PMED_NN_POOL_MAX, "max pool");
	test_pool(1, PMED_NN_POOL_AVG, "avg pool");
	test_pool(2, PMED_NN_HEAD_MAX, "global max");
	test_pool(2, PMED_NN_HEAD_AVG, "global avg");
	test_gru(false);
	test_gru(true);
	test_losses();
	test_adam();
	test_networks();
	test_determinism_codec();
	test_bad_input();
	test_learning();
	test_interrupts();
	return unit_finish("test_nn.c");
}
