/*
 * test_svm.c - unit tests of the SVM core: solvers on hand-checkable
 * problems, KKT conditions, probabilities, multi-class, explanation and
 * the encoding (round trip, every truncation rejected).
 */
#include "unit.h"

#include "svm.h"
#include "rng.h"

static PmedSvmModel *
fit_or_die(const double *x, const double *y, int n, int p, int k, const PmedSvmParams *prm)
{
	PmedDataset ds = {n, p, x, y, k};
	PmedSvmModel *m = NULL;
	PmedError	err = {0};
	PmedStatus	st = pmed_svm_fit(&ds, prm, &m, &err);

	CHECK(st == PMED_OK, "fit failed: %s", err.message);
	if (st != PMED_OK)
		exit(unit_finish(__FILE__));
	return m;
}

static double
decision0(const PmedSvmModel *m, const double *x)
{
	double	   *work = calloc(pmed_svm_work_size(m), sizeof(double));
	double	   *dec = calloc(m->n_pairs, sizeof(double));
	double		f;

	pmed_svm_decision(m, x, dec, work);
	f = dec[0];
	free(work);
	free(dec);
	return f;
}

static int
predict(const PmedSvmModel *m, const double *x)
{
	double	   *work = calloc(pmed_svm_work_size(m), sizeof(double));
	int			c = pmed_svm_predict(m, x, work);

	free(work);
	return c;
}

/* Max-margin line of a separable 2D set, known analytically. */
static void
test_max_margin(void)
{
	double		x[] = {0, 0, 1, 0, 0, 1, 2, 2, 3, 2, 2, 3};
	double		y[] = {0, 0, 0, 1, 1, 1};
	PmedSvmParams prm;
	PmedSvmModel *m;
	double		pts[][2] = {{0, 0}, {1, 0}, {0, 1}, {2, 2}, {3, 3}};

	/* f = 2/3 (x1 + x2) - 5/3: margin points (1,0), (0,1) -> -1 and (2,2) -> 1 */
	double		want[] = {-5.0 / 3, -1, -1, 1, 7.0 / 3};

	pmed_svm_params_default(&prm);
	prm.kernel = PMED_SVM_LINEAR;
	prm.linear_smo = true;
	prm.standardize = false;
	prm.probability = false;
	prm.C = 1000;
	prm.tol = 1e-6;
	m = fit_or_die(x, y, 6, 2, 2, &prm);
	for (int i = 0; i < 5; i++)
		CHECK_NEAR(decision0(m, pts[i]), want[i], 1e-4, "max-margin decision");
	CHECK_NEAR(m->w_orig[0], 2.0 / 3, 1e-4, "w1");
	CHECK_NEAR(m->w_orig[1], 2.0 / 3, 1e-4, "w2");
	pmed_svm_free(m);

	/* DCD (bias regularised): still separates with margin and both signs */
	prm.linear_smo = false;
	m = fit_or_die(x, y, 6, 2, 2, &prm);
	for (int i = 0; i < 6; i++)
		CHECK(predict(m, x + 2 * i) == (int) y[i], "dcd separates row %d", i);
	CHECK(decision0(m, pts[0]) < -0.99 && decision0(m, pts[4]) > 0.99, "dcd margin");
	pmed_svm_free(m);
}

/* XOR: four clusters, linearly inseparable, rbf separates them. */
static void
test_xor(void)
{
	int			n = 200;
	double	   *x = malloc(sizeof(double) * n * 2),
			   *y = malloc(sizeof(double) * n);
	PmedRng		rng;
	PmedSvmParams prm;
	PmedSvmModel *m;
	int			correct = 0;
	double		c1[] = {1, 1},
				c2[] = {-1, -1},
				c3[] = {1, -1},
				c4[] = {-1, 1};

	pmed_rng_seed(&rng, 1);
	for (int i = 0; i < n; i++)
	{
		double		sx = (i & 1) ? 1 : -1,
					sy = (i & 2) ? 1 : -1;

		x[2 * i] = sx + 0.2 * pmed_rng_normal(&rng);
		x[2 * i + 1] = sy + 0.2 * pmed_rng_normal(&rng);
		y[i] = sx * sy > 0 ? 1 : 0;
	}
	pmed_svm_params_default(&prm);
	prm.probability = false;
	prm.C = 10;
	m = fit_or_die(x, y, n, 2, 2, &prm);
	for (int i = 0; i < n; i++)
		correct += predict(m, x + 2 * i) == (int) y[i];
	CHECK(correct == n, "xor training accuracy %d/%d", correct, n);
	CHECK(predict(m, c1) == 1 && predict(m, c2) == 1, "xor same-sign corners");
	CHECK(predict(m, c3) == 0 && predict(m, c4) == 0, "xor opposite-sign corners");
	CHECK(m->gamma > 0.45 && m->gamma < 0.55, "gamma scale = 1/(p var) = 0.5, got %g", m->gamma);
	CHECK(m->n_sv > 0 && m->n_sv < n, "support vectors %d", m->n_sv);
	pmed_svm_free(m);
	free(x);
	free(y);
}

/* A random overlapping problem: solver optimality (KKT) within tol. */
static void
test_kkt_size(int l, double cache_mb)
{
	int			p = 5;
	PmedSvmProblem prob;
	PmedSvmSolution sol;
	PmedError	err = {0};
	PmedRng		rng;
	double		gamma = 0.3,
				tol = 1e-4;

	pmed_rng_seed(&rng, 7);
	prob.l = l;
	prob.p = p;
	prob.Cp = 2.0;
	prob.Cn = 0.5;
	prob.z = malloc(sizeof(double) * l * p);
	prob.rows = NULL;
	prob.y = malloc(l);
	for (int i = 0; i < l; i++)
	{
		prob.y[i] = (i % 3 == 0) ? 1 : -1;
		for (int j = 0; j < p; j++)
			prob.z[i * p + j] = pmed_rng_normal(&rng) + (prob.y[i] > 0 ? 0.5 : 0);
	}
	for (int kern = PMED_SVM_LINEAR; kern <= PMED_SVM_RBF; kern++)
	{
		double		up = -INFINITY,
					low = INFINITY,
					sy = 0;
		bool		bounds = true;

		CHECK(pmed_svm_smo(&prob, kern, gamma, tol, 0, cache_mb, &sol, &err) == PMED_OK, "smo");
		if (l > 1000)
			CHECK(sol.iterations > 1000, "long enough to shrink: %lld iterations", (long long) sol.iterations);
		for (int i = 0; i < l; i++)
		{
			double		G = -1,
						C = prob.y[i] > 0 ? prob.Cp : prob.Cn,
						a = sol.alpha[i];

			for (int j = 0; j < l; j++)
			{
				double		kv = 0,
							d2 = 0;

				for (int t = 0; t < p; t++)
				{
					kv += prob.z[i * p + t] * prob.z[j * p + t];
					d2 += (prob.z[i * p + t] - prob.z[j * p + t]) * (prob.z[i * p + t] - prob.z[j * p + t]);
				}
				if (kern == PMED_SVM_RBF)
					kv = exp(-gamma * d2);
				G += prob.y[i] * prob.y[j] * kv * sol.alpha[j];
			}
			if (a < -1e-12 || a > C + 1e-12)
				bounds = false;
			sy += prob.y[i] * a;
			/* I_up: y=+1 & a<C or y=-1 & a>0; I_low: y=+1 & a>0 or y=-1 & a<C */
			if ((prob.y[i] > 0 && a < C) || (prob.y[i] < 0 && a > 0))
				up = fmax(up, -prob.y[i] * G);
			if ((prob.y[i] > 0 && a > 0) || (prob.y[i] < 0 && a < C))
				low = fmin(low, -prob.y[i] * G);
		}
		CHECK(bounds, "alphas within [0, C]");
		CHECK_NEAR(sy, 0, 1e-9, "sum y alpha = 0");
		/* float kernel cache: allow a little on top of tol */
		CHECK(up - low <= tol + 1e-4, "KKT gap %g (kernel %d) within tol", up - low, kern);
		CHECK(sol.kkt_violation <= tol, "reported gap %g", sol.kkt_violation);
		/* rho between the bounds: free variables have y G = -rho ... */
		free(sol.alpha);
	}

	/* DCD: projected gradient of the bias-augmented dual within tol */
	{
		double		maxpg = -INFINITY,
					minpg = INFINITY;

		CHECK(pmed_svm_dcd(&prob, tol, 100000, 3, &sol, &err) == PMED_OK, "dcd");
		for (int i = 0; i < l; i++)
		{
			double		G = sol.w[p],
						C = prob.y[i] > 0 ? prob.Cp : prob.Cn,
						a = sol.alpha[i],
						pg;

			for (int t = 0; t < p; t++)
				G += sol.w[t] * prob.z[i * p + t];
			G = G * prob.y[i] - 1;
			pg = a <= 0 ? fmin(G, 0) : (a >= C ? fmax(G, 0) : G);
			maxpg = fmax(maxpg, pg);
			minpg = fmin(minpg, pg);
		}
		/* the stopping rule is liblinear's: the PG range seen over the last epoch */
		CHECK(sol.kkt_violation <= tol, "dcd stopping gap %g after %lld epochs", sol.kkt_violation, (long long) sol.iterations);
		CHECK(maxpg - minpg <= 0.01, "dcd final projected gradient gap %g", maxpg - minpg);
		free(sol.alpha);
		free(sol.w);
	}
	free(prob.z);
	free(prob.y);
}

/* Small problem with a tiny cache (evictions); larger one that shrinks and unshrinks. */
static void
test_kkt(void)
{
	test_kkt_size(300, 0.01);
	test_kkt_size(1500, 0.1);
}

/* Blobs: nc classes around distinct centres, with some missing values. */
static void
make_blobs(int n, int p, int nc, uint64_t seed, double *x, double *y, bool missing)
{
	PmedRng		rng;

	pmed_rng_seed(&rng, seed);
	for (int i = 0; i < n; i++)
	{
		int			c = i % nc;

		y[i] = c;
		for (int j = 0; j < p; j++)
		{
			x[i * p + j] = 4.0 * (1.0 + j) * (j == c % p) + 10.0 * j + (1.0 + j) * pmed_rng_normal(&rng);
			if (missing && pmed_rng_uniform(&rng) < 0.05)
				x[i * p + j] = NAN;
		}
	}
}

static void
test_multiclass_and_proba(void)
{
	int			n = 300,
				p = 4,
				k = 3;
	double	   *x = malloc(sizeof(double) * n * p),
			   *y = malloc(sizeof(double) * n);
	PmedSvmParams prm;

	make_blobs(n, p, k, 11, x, y, true);
	for (int kern = PMED_SVM_LINEAR; kern <= PMED_SVM_RBF; kern++)
	{
		PmedSvmModel *m;
		double	   *work;
		double		proba[3];
		int			correct = 0;
		bool		sums = true;
		int			agree = 0;

		pmed_svm_params_default(&prm);
		prm.kernel = kern;
		prm.seed = 5;
		m = fit_or_die(x, y, n, p, k, &prm);
		CHECK(m->n_pairs == 3 && m->has_probability, "three pairs");
		work = calloc(pmed_svm_work_size(m), sizeof(double));
		for (int i = 0; i < n; i++)
		{
			int			c = pmed_svm_predict(m, x + i * p, work),
						best = 0;

			correct += c == (int) y[i];
			CHECK(pmed_svm_predict_proba(m, x + i * p, proba, work), "proba");
			if (fabs(proba[0] + proba[1] + proba[2] - 1) > 1e-6)
				sums = false;
			for (int t = 1; t < k; t++)
				if (proba[t] > proba[best])
					best = t;
			if (best == c)
				agree++;
		}
		CHECK(agree >= 0.9 * n, "probabilities agree with votes %d/%d", agree, n);
		CHECK(correct >= 0.9 * n, "3-class accuracy %d/%d (kernel %d)", correct, n, kern);
		CHECK(sums, "coupled probabilities sum to 1");
		free(work);
		pmed_svm_free(m);
	}
	free(x);
	free(y);
}

/*
 * Platt's A and B against an independent reference: test/unit/platt_ref.py
 * minimises the same regularised likelihood (Lin, Lin & Weng 2007) with its
 * own Newton iteration to machine precision (and, where scikit-learn is
 * installed, cross-checks with sklearn's _sigmoid_calibration).  The data
 * are rebuilt here with the script's formulas.
 */
static void
test_platt_reference(void)
{
	static const struct
	{
		const char *name;
		double		A,
					B;
	}			ref[] = {
		{"hand", -0.534103316872, -0.404905158222},
		{"overlap", -1.058527883682, 0.089601058780},
		{"large", -0.100366223000, 0.028379942971},
		{"imbalanced", -1.894552547177, 1.903249067761},
	};
	double		dec[200];
	signed char y[200];

	for (int c = 0; c < 4; c++)
	{
		int			n = 0;
		double		A,
					B;

		if (c == 0)
		{
			double		d[] = {-3, -1, 0, 1, 3};
			signed char l[] = {-1, -1, 1, 1, 1};

			n = 5;
			memcpy(dec, d, sizeof(d));
			memcpy(y, l, sizeof(l));
		}
		else if (c == 1)
			for (n = 0; n < 60; n++)
			{
				dec[n] = 3.0 * sin(1.7 * n) + 0.2 * n / 60.0;
				y[n] = cos(2.3 * n) + 0.5 * dec[n] > 0 ? 1 : -1;
			}
		else if (c == 2)
			for (n = 0; n < 200; n++)
			{
				dec[n] = 40.0 * sin(0.37 * n + 0.1);
				y[n] = dec[n] + 25.0 * cos(1.3 * n) > 0 ? 1 : -1;
			}
		else
			for (n = 0; n < 50; n++)
			{
				bool		pos = n % 10 == 3;

				dec[n] = (pos ? 1.5 : -1.0) + sin(0.9 * n);
				y[n] = pos ? 1 : -1;
			}
		pmed_svm_sigmoid_fit(n, dec, y, &A, &B);
		CHECK_NEAR(A, ref[c].A, 1e-6, ref[c].name);
		CHECK_NEAR(B, ref[c].B, 1e-6, ref[c].name);
	}
}

/* Binary: Platt probabilities increase with the decision value. */
static void
test_platt(void)
{
	int			n = 400,
				p = 3;
	double	   *x = malloc(sizeof(double) * n * p),
			   *y = malloc(sizeof(double) * n);
	PmedSvmParams prm;
	PmedSvmModel *m;
	double	   *work;
	double		prev_f = -INFINITY,
				prev_p = -1,
				proba[2];
	bool		monotone = true;
	double		dec[] = {-3, -1, 0, 1, 3},
				A,
				B;
	signed char ys[] = {-1, -1, 1, 1, 1};

	make_blobs(n, p, 2, 3, x, y, false);
	pmed_svm_params_default(&prm);
	m = fit_or_die(x, y, n, p, 2, &prm);
	CHECK(m->prob_a[0] < 0, "sigmoid slope negative (A = %g)", m->prob_a[0]);
	work = calloc(pmed_svm_work_size(m), sizeof(double));
	for (double t = -2; t <= 2; t += 0.05)
	{
		double		pt[3],
					f;

		/* walk along the line between the class centres (feature 1) */
		pt[0] = 0 + t;
		pt[1] = 10 + 3 * (t + 2) / 4;
		pt[2] = 20;
		f = decision0(m, pt);
		pmed_svm_predict_proba(m, pt, proba, work);
		if ((f > prev_f) != (proba[1] > prev_p) && f != prev_f)
			monotone = false;
		prev_f = f;
		prev_p = proba[1];
	}
	CHECK(monotone, "P(positive) monotone in the decision value");
	free(work);
	pmed_svm_free(m);

	/* sigmoid fit on hand data: P(+1) at 0 between the class rates */
	pmed_svm_sigmoid_fit(5, dec, ys, &A, &B);
	CHECK(A < 0, "A < 0");
	CHECK(pmed_svm_sigmoid_predict(3, A, B) > 0.7, "p(3) high");
	CHECK(pmed_svm_sigmoid_predict(-3, A, B) < 0.3, "p(-3) low");
	free(x);
	free(y);
}

static void
test_missing_and_explain(void)
{
	int			n = 200,
				p = 4;
	double	   *x = malloc(sizeof(double) * n * p),
			   *y = malloc(sizeof(double) * n);
	PmedSvmParams prm;

	make_blobs(n, p, 2, 21, x, y, true);
	for (int kern = PMED_SVM_LINEAR; kern <= PMED_SVM_RBF; kern++)
	{
		PmedSvmModel *m;
		double		row[4] = {1.5, NAN, 22, NAN},
					imputed[4],
					contrib[4],
					base,
					sum = 0,
					f;
		double	   *work;

		pmed_svm_params_default(&prm);
		prm.kernel = kern;
		prm.probability = false;
		m = fit_or_die(x, y, n, p, 2, &prm);
		work = calloc(pmed_svm_work_size(m), sizeof(double));
		for (int j = 0; j < p; j++)
			imputed[j] = isnan(row[j]) ? m->mean[j] : row[j];
		f = decision0(m, row);
		CHECK_NEAR(f, decision0(m, imputed), 1e-12, "NULL imputed by the training mean");
		pmed_svm_explain(m, row, &base, contrib, work);
		CHECK_NEAR(base, decision0(m, m->mean), 1e-9, "base = decision at the means");
		CHECK(contrib[1] == 0 && contrib[3] == 0, "missing features contribute nothing");
		for (int j = 0; j < p; j++)
			sum += contrib[j];
		if (kern == PMED_SVM_LINEAR)
			CHECK_NEAR(base + sum, f, 1e-9, "linear: base + contributions = decision");
		else
		{
			double		occl[4];

			memcpy(occl, row, sizeof(occl));
			occl[0] = m->mean[0];
			CHECK_NEAR(contrib[0], f - decision0(m, occl), 1e-9, "rbf: occlusion by the mean");
		}
		CHECK(!pmed_svm_predict_proba(m, row, imputed, work), "no probability when disabled");
		free(work);
		pmed_svm_free(m);
	}
	free(x);
	free(y);
}

static void
test_codec(void)
{
	int			n = 150,
				p = 3,
				k = 3;
	double	   *x = malloc(sizeof(double) * n * p),
			   *y = malloc(sizeof(double) * n);
	PmedSvmParams prm;

	make_blobs(n, p, k, 5, x, y, false);
	for (int kern = PMED_SVM_LINEAR; kern <= PMED_SVM_RBF; kern++)
	{
		PmedSvmModel *m,
				   *m2 = NULL;
		PmedWriter	w,
					w2;
		PmedReader	r;
		PmedError	err = {0};
		bool		all_rejected = true,
					same = true;

		pmed_svm_params_default(&prm);
		prm.kernel = kern;
		m = fit_or_die(x, y, n, p, k, &prm);
		pmed_writer_init(&w);
		pmed_svm_write(&w, m);
		pmed_reader_init(&r, w.buf, w.len, &err);
		CHECK(pmed_svm_read(&r, p, k, &m2, &err) == PMED_OK && pmed_reader_done(&r),
			  "decode: %s", err.message);
		pmed_writer_init(&w2);
		pmed_svm_write(&w2, m2);
		CHECK(w2.len == w.len && memcmp(w.buf, w2.buf, w.len) == 0, "re-encode identical");
		for (int i = 0; i < n; i++)
			if (decision0(m, x + i * p) != decision0(m2, x + i * p))
				same = false;
		CHECK(same, "decoded model decides identically");
		for (size_t len = 0; len < w.len; len++)
		{
			PmedSvmModel *t = NULL;
			PmedError	e = {0};

			pmed_reader_init(&r, w.buf, len, &e);
			if (pmed_svm_read(&r, p, k, &t, &e) == PMED_OK && pmed_reader_done(&r))
			{
				all_rejected = false;
				break;
			}
			pmed_svm_free(t);
		}
		CHECK(all_rejected, "every truncation rejected");
		/* wrong shape rejected */
		{
			PmedError	e = {0};
			PmedSvmModel *t = NULL;

			pmed_reader_init(&r, w.buf, w.len, &e);
			CHECK(pmed_svm_read(&r, p + 1, k, &t, &e) != PMED_OK || !pmed_reader_done(&r),
				  "feature count mismatch rejected");
			pmed_svm_free(t);
		}
		/* a corrupted kernel byte */
		{
			PmedError	e = {0};
			PmedSvmModel *t = NULL;

			w.buf[1] = 9;
			pmed_reader_init(&r, w.buf, w.len, &e);
			CHECK(pmed_svm_read(&r, p, k, &t, &e) == PMED_ERR_CORRUPT, "bad kernel rejected");
		}
		free(w.buf);
		free(w2.buf);
		pmed_svm_free(m);
		pmed_svm_free(m2);
	}
	free(x);
	free(y);
}

/*
 * Every single-bit flip of an SVM payload (below the container CRC, as a
 * hostile decoder input): decoding fails cleanly or yields a model that
 * predicts without touching memory it does not own (run under valgrind).
 */
static void
test_bit_flips(void)
{
	int			n = 40,
				p = 2,
				k = 3;
	double	   *x = malloc(sizeof(double) * n * p),
			   *y = malloc(sizeof(double) * n);
	PmedSvmParams prm;

	make_blobs(n, p, k, 17, x, y, false);
	for (int kern = PMED_SVM_LINEAR; kern <= PMED_SVM_RBF; kern++)
	{
		PmedSvmModel *m;
		PmedWriter	w;
		int			decoded = 0,
					rejected = 0;

		pmed_svm_params_default(&prm);
		prm.kernel = kern;
		m = fit_or_die(x, y, n, p, k, &prm);
		pmed_writer_init(&w);
		pmed_svm_write(&w, m);
		for (size_t bit = 0; bit < w.len * 8; bit++)
		{
			PmedReader	r;
			PmedError	e = {0};
			PmedSvmModel *t = NULL;

			w.buf[bit / 8] ^= (uint8_t) (1u << (bit % 8));
			pmed_reader_init(&r, w.buf, w.len, &e);
			if (pmed_svm_read(&r, p, k, &t, &e) == PMED_OK && pmed_reader_done(&r))
			{
				double	   *work = calloc(pmed_svm_work_size(t), sizeof(double));
				double		proba[3],
							base,
							contrib[2];

				(void) pmed_svm_predict(t, x, work);
				(void) pmed_svm_predict_proba(t, x, proba, work);
				pmed_svm_explain(t, x, &base, contrib, work);
				free(work);
				decoded++;
			}
			else
				rejected++;
			pmed_svm_free(t);
			w.buf[bit / 8] ^= (uint8_t) (1u << (bit % 8));
		}
		CHECK(rejected > 0 && decoded + rejected == (int) w.len * 8,
			  "bit flips: %d rejected, %d decoded (values changed)", rejected, decoded);
		free(w.buf);
		pmed_svm_free(m);
	}
	free(x);
	free(y);
}

static void
test_bad_input(void)
{
	double		x[] = {1, 2, 3, 4};
	double		y1[] = {0, 0, 0, 0};
	double		y2[] = {0, 1, 1, 1};
	double		xn[] = {NAN, 1, NAN, 2, NAN, 3, NAN, 4};
	double		y4[] = {0, 0, 1, 1};
	PmedDataset ds = {4, 1, x, y1, 1};
	PmedSvmParams prm;
	PmedSvmModel *m = NULL;
	PmedError	err = {0};

	pmed_svm_params_default(&prm);
	CHECK(pmed_svm_fit(&ds, &prm, &m, &err) == PMED_ERR_INVALID &&
		  strstr(err.message, "two classes"), "single class: %s", err.message);
	ds.y = y2;
	ds.n_classes = 2;
	CHECK(pmed_svm_fit(&ds, &prm, &m, &err) == PMED_ERR_INVALID &&
		  strstr(err.message, "too few rows"), "one row class: %s", err.message);
	ds.x = xn;
	ds.n_features = 2;
	ds.y = y4;
	CHECK(pmed_svm_fit(&ds, &prm, &m, &err) == PMED_ERR_INVALID &&
		  strstr(err.message, "feature 1"), "all-NULL feature: %s", err.message);
	prm.C = 0;
	CHECK(pmed_svm_params_check(&prm, &err) == PMED_ERR_INVALID, "C = 0 rejected");
	prm.C = 1;
	prm.gamma_scale = false;
	prm.gamma = -1;
	CHECK(pmed_svm_params_check(&prm, &err) == PMED_ERR_INVALID, "gamma < 0 rejected");
}

/* Same data and seed: identical model bytes. */
static void
test_deterministic(void)
{
	int			n = 200,
				p = 3;
	double	   *x = malloc(sizeof(double) * n * p),
			   *y = malloc(sizeof(double) * n);
	PmedSvmParams prm;

	make_blobs(n, p, 2, 9, x, y, true);
	for (int kern = PMED_SVM_LINEAR; kern <= PMED_SVM_RBF; kern++)
	{
		PmedSvmModel *a,
				   *b;
		PmedWriter	wa,
					wb;

		pmed_svm_params_default(&prm);
		prm.kernel = kern;
		prm.seed = 42;
		a = fit_or_die(x, y, n, p, 2, &prm);
		b = fit_or_die(x, y, n, p, 2, &prm);
		pmed_writer_init(&wa);
		pmed_writer_init(&wb);
		pmed_svm_write(&wa, a);
		pmed_svm_write(&wb, b);
		CHECK(wa.len == wb.len && memcmp(wa.buf, wb.buf, wa.len) == 0, "deterministic bytes");
		free(wa.buf);
		free(wb.buf);
		pmed_svm_free(a);
		pmed_svm_free(b);
	}
	free(x);
	free(y);
}

/*
 * The fit in steps (parallel_fit.c's way): pairs solved in reverse order,
 * each through its flat (shared-memory) form and a copy of the shared
 * arrays, appended in pair order: the bytes of pmed_svm_fit.
 */
static void
test_pairs_any_order(void)
{
	int			n = 240,
				p = 3,
				k = 4;
	double	   *x = malloc(sizeof(double) * n * p),
			   *y = malloc(sizeof(double) * n);
	PmedSvmParams prm;

	make_blobs(n, p, k, 11, x, y, true);
	for (int v = 0; v < 4; v++)
	{
		PmedDataset ds = {n, p, x, y, k};
		PmedSvmModel *a,
				   *b = NULL;
		PmedSvmFit *fit = NULL;
		PmedSvmShared sh;
		PmedSvmPair *pairs;
		PmedWriter	wa,
					wb;
		PmedError	err = {0};
		double	   *z;
		bool		ok = true;

		pmed_svm_params_default(&prm);
		prm.kernel = v < 2 ? PMED_SVM_RBF : PMED_SVM_LINEAR;
		prm.probability = v % 2 == 0;
		prm.balanced = v == 3;
		prm.seed = 5;
		a = fit_or_die(x, y, n, p, k, &prm);
		CHECK(pmed_svm_prepare(&ds, &prm, &fit, &err) == PMED_OK, "prepare: %s", err.message);
		if (fit == NULL)
			break;
		sh = *pmed_svm_fit_shared(fit);
		CHECK(sh.n_pairs == 6, "6 pairs for 4 classes, got %d", sh.n_pairs);
		/* a copy of the scaled rows, as a worker sees them */
		z = malloc(sizeof(double) * n * p);
		memcpy(z, sh.z, sizeof(double) * n * p);
		sh.z = z;
		pairs = calloc(sh.n_pairs, sizeof(PmedSvmPair));
		for (int q = sh.n_pairs - 1; q >= 0; q--)
		{
			PmedSvmPair r;
			void	   *flat;

			ok = ok && pmed_svm_solve_pair(&sh, q, &r, &err) == PMED_OK;
			flat = malloc(pmed_svm_pair_flat_size(&sh, &r));
			pmed_svm_pair_flatten(&sh, &r, flat);
			pmed_svm_pair_free(&r);
			pmed_svm_pair_unflatten(&sh, flat, &pairs[q]);
			free(flat);
		}
		CHECK(ok, "every pair solved: %s", err.message);
		for (int q = 0; q < sh.n_pairs && ok; q++)
			ok = pmed_svm_append(fit, &pairs[q], &err) == PMED_OK;
		CHECK(ok, "pairs appended in order: %s", err.message);
		CHECK(pmed_svm_finish(fit, &b, &err) == PMED_OK, "finish: %s", err.message);
		pmed_writer_init(&wa);
		pmed_writer_init(&wb);
		pmed_svm_write(&wa, a);
		if (b != NULL)
			pmed_svm_write(&wb, b);
		CHECK(wa.len == wb.len && memcmp(wa.buf, wb.buf, wa.len) == 0,
			  "kernel %d, probability %d, balanced %d: pairs in reverse order through their flat form = the serial fit's bytes",
			  prm.kernel, prm.probability, prm.balanced);
		free(wa.buf);
		free(wb.buf);
		free(pairs);
		free(z);
		pmed_svm_free(a);
		pmed_svm_free(b);
	}
	{
		/* out of order: refused */
		PmedDataset ds = {n, p, x, y, k};
		PmedSvmFit *fit = NULL;
		PmedSvmPair r;
		PmedError	err = {0};

		pmed_svm_params_default(&prm);
		prm.kernel = PMED_SVM_LINEAR;
		prm.probability = false;
		CHECK(pmed_svm_prepare(&ds, &prm, &fit, &err) == PMED_OK, "prepare");
		CHECK(pmed_svm_solve_pair(pmed_svm_fit_shared(fit), 1, &r, &err) == PMED_OK, "solve pair 1");
		CHECK(pmed_svm_append(fit, &r, &err) == PMED_ERR_INTERNAL, "pair 1 before pair 0 is refused");
		pmed_svm_fit_free(fit);
	}
	free(x);
	free(y);
}

int
main(void)
{
	test_max_margin();
	test_xor();
	test_kkt();
	test_multiclass_and_proba();
	test_platt();
	test_platt_reference();
	test_missing_and_explain();
	test_codec();
	test_bit_flips();
	test_bad_input();
	test_deterministic();
	test_pairs_any_order();
	return unit_finish(__FILE__);
}
