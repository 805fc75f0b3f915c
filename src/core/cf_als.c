/*
 * cf_als.c - alternating least squares for implicit feedback (Hu, Koren &
 * Volinsky 2008) and for explicit ratings.
 *
 * Implicit: minimise  sum_{u,i} c_ui (p_ui - x_u.y_i)^2 + lambda (|X|^2 + |Y|^2)
 * over every (patient, item) cell, with p_ui = 1 and c_ui = 1 + alpha w_ui
 * for an observed pair and p = 0, c = 1 otherwise.  Each half-step is the
 * exact least-squares solution per row:
 *
 *     x_u = (Y'Y + Y_u' (C_u - I) Y_u + lambda I)^-1 Y_u' C_u p_u
 *
 * where Y'Y is shared by all rows (dsyrk_ once per sweep) and only the
 * patient's own items add a rank-|u| update (dsyrk_ on the gathered rows
 * scaled by sqrt(alpha w)); the system is solved by Cholesky (dposv_).
 * Explicit: only observed cells count, c = 1, p = w (the rating).
 *
 * A sweep solves Y from X then X from Y, so the stored X is exactly the
 * optimum for the stored Y and fold-in of a training patient reproduces it.
 */
#include "cf.h"
#include "blas.h"
#include "rng.h"

#include <math.h>
#include <string.h>

/* G = F'F for F (n x k, row-major), full symmetric k x k. */
static void
gram(const double *F, uint32_t n, uint32_t k, double *G)
{
	int			ik = (int) k,
				in = (int) n;
	double		one = 1.0,
				zero = 0.0;

	if (n == 0)
	{
		memset(G, 0, sizeof(double) * k * k);
		return;
	}
	dsyrk_("U", "N", &ik, &in, &one, F, &ik, &zero, G, &ik);
	for (uint32_t c = 0; c < k; c++)
		for (uint32_t r = 0; r < c; r++)
			G[c + (size_t) r * k] = G[r + (size_t) c * k];
}

typedef struct Work
{
	double	   *A;				/* k x k */
	double	   *B;				/* max_rows x k gathered rows */
	double	   *b;				/* k */
} Work;

/*
 * The gather loops below run once per (row, item) pair with a k-long inner
 * loop; let GCC vectorise them at -O2 as it would at -O3.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize")
#endif

/*
 * Solve one row: F the fixed side, G = F'F (implicit only), idx/w the
 * row's entries (w NULL = 1).  Writes the k values to out.
 */
static bool
solve_row(const double *F, const double *G, uint32_t k, const uint32_t *idx,
		  const double *w, size_t n, double reg, double alpha, bool explicit_fb,
		  Work *wk, double *out)
{
	int			ik = (int) k,
				in = (int) n,
				one_rhs = 1,
				info = 0;
	double		one = 1.0;

	double	   *restrict A = wk->A;
	double	   *restrict bb = wk->b;

	if (explicit_fb)
		memset(A, 0, sizeof(double) * k * k);
	else
		memcpy(A, G, sizeof(double) * k * k);
	for (uint32_t f = 0; f < k; f++)
		A[f + (size_t) f * k] += reg;
	memset(bb, 0, sizeof(double) * k);

	for (size_t s = 0; s < n; s++)
	{
		const double *restrict y = F + (size_t) idx[s] * k;
		double		ws = w ? w[s] : 1.0;
		double		scale,
					rhs;
		double	   *restrict dst = wk->B + s * k;

		if (explicit_fb)
		{
			scale = 1.0;
			rhs = ws;
		}
		else
		{
			scale = sqrt(alpha * ws);
			rhs = 1.0 + alpha * ws;
		}
		for (uint32_t f = 0; f < k; f++)
			dst[f] = scale * y[f];
		for (uint32_t f = 0; f < k; f++)
			bb[f] += rhs * y[f];
	}
	if (n > 0)
		dsyrk_("L", "N", &ik, &in, &one, wk->B, &ik, &one, wk->A, &ik);
	dposv_("L", &ik, &one_rhs, wk->A, &ik, wk->b, &ik, &info);
	if (info != 0)
	{
		memset(out, 0, sizeof(double) * k);
		return false;
	}
	memcpy(out, wk->b, sizeof(double) * k);
	return true;
}

static void
work_init(Work *wk, uint32_t k, size_t max_rows)
{
	wk->A = pmed_alloc_array((size_t) k * k, sizeof(double));
	wk->B = pmed_alloc_array((max_rows ? max_rows : 1) * k, sizeof(double));
	wk->b = pmed_alloc_array(k, sizeof(double));
}

static void
work_free(Work *wk)
{
	pmed_free(wk->A);
	pmed_free(wk->B);
	pmed_free(wk->b);
}

/* Solve every row of T (rows given by ptr/idx/w) against F. */
static void
sweep(double *T, uint32_t n_rows, const uint32_t *ptr, const uint32_t *idx, const double *w,
	  const double *F, uint32_t n_other, const PmedCfModel *m, double *G, Work *wk)
{
	uint32_t	k = m->factors;
	double		work = 0;

	gram(F, n_other, k, G);
	for (uint32_t r = 0; r < n_rows; r++)
	{
		/* a row costs about (entries + k) * k * k: check every ~16M of that */
		work += ((double) (ptr[r + 1] - ptr[r]) + k) * k * k;
		if (work >= 16e6)
		{
			work = 0;
			pmed_check_interrupts();
		}
		solve_row(F, G, k, idx + ptr[r], w + ptr[r], ptr[r + 1] - ptr[r],
				  m->regularization, m->alpha, m->explicit_feedback, wk,
				  T + (size_t) r * k);
	}
}

static double
objective(const PmedCfModel *m, const double *w)
{
	uint32_t	k = m->factors;
	double		loss = 0,
				reg = 0;

	if (!m->explicit_feedback)
	{
		double	   *gx = pmed_alloc_array((size_t) k * k, sizeof(double));
		double	   *gy = pmed_alloc_array((size_t) k * k, sizeof(double));

		gram(m->X, m->n_patients, k, gx);
		gram(m->Y, m->n_items, k, gy);
		for (size_t i = 0; i < (size_t) k * k; i++)
			loss += gx[i] * gy[i];
		pmed_free(gx);
		pmed_free(gy);
	}
	for (uint32_t u = 0; u < m->n_patients; u++)
	{
		const double *x = m->X + (size_t) u * k;

		if ((u & 1023) == 0)
			pmed_check_interrupts();
		for (uint32_t t = m->hist_ptr[u]; t < m->hist_ptr[u + 1]; t++)
		{
			const double *y = m->Y + (size_t) m->hist_item[t] * k;
			double		xy = 0;

			for (uint32_t f = 0; f < k; f++)
				xy += x[f] * y[f];
			if (m->explicit_feedback)
				loss += (w[t] - xy) * (w[t] - xy);
			else
				loss += (1.0 + m->alpha * w[t]) * (1.0 - xy) * (1.0 - xy) - xy * xy;
		}
	}
	for (size_t i = 0; i < (size_t) m->n_patients * k; i++)
		reg += m->X[i] * m->X[i];
	for (size_t i = 0; i < (size_t) m->n_items * k; i++)
		reg += m->Y[i] * m->Y[i];
	return loss + m->regularization * reg;
}

double
pmed_cf_als_objective(const PmedCfModel *m, const PmedCfTriple *t, size_t n)
{
	double	   *w = pmed_alloc_array(n ? n : 1, sizeof(double));
	double		loss;

	for (size_t i = 0; i < n; i++)
		w[i] = t[i].weight;
	loss = objective(m, w);
	pmed_free(w);
	return loss;
}

void
pmed_cf_fit_als(PmedCfModel *m, const double *w, const PmedCfParams *p, double *loss_trace)
{
	uint32_t	k = (uint32_t) p->factors;
	uint32_t	nu = m->n_patients,
				ni = m->n_items;
	size_t		nnz = m->hist_ptr[nu];
	uint32_t   *cptr,
			   *cpat,
			   *fill;
	double	   *cw,
			   *G;
	size_t		max_rows = 0;
	PmedRng		rng;
	Work		wk;

	m->factors = k;
	m->iterations = (uint32_t) p->iterations;
	m->regularization = p->regularization;
	m->alpha = p->alpha;

	/* item columns: the transpose of the patient histories */
	cptr = pmed_alloc_array((size_t) ni + 1, sizeof(uint32_t));
	cpat = pmed_alloc_array(nnz, sizeof(uint32_t));
	cw = pmed_alloc_array(nnz, sizeof(double));
	for (size_t t = 0; t < nnz; t++)
		cptr[m->hist_item[t] + 1]++;
	for (uint32_t i = 0; i < ni; i++)
	{
		if (cptr[i + 1] > max_rows)
			max_rows = cptr[i + 1];
		cptr[i + 1] += cptr[i];
	}
	fill = pmed_alloc_array((size_t) ni + 1, sizeof(uint32_t));
	memcpy(fill, cptr, sizeof(uint32_t) * ((size_t) ni + 1));
	for (uint32_t u = 0; u < nu; u++)
	{
		if (m->hist_ptr[u + 1] - m->hist_ptr[u] > max_rows)
			max_rows = m->hist_ptr[u + 1] - m->hist_ptr[u];
		for (uint32_t t = m->hist_ptr[u]; t < m->hist_ptr[u + 1]; t++)
		{
			uint32_t	i = m->hist_item[t];

			cpat[fill[i]] = u;
			cw[fill[i]] = w[t];
			fill[i]++;
		}
	}
	pmed_free(fill);

	m->X = pmed_alloc_array((size_t) nu * k, sizeof(double));
	m->Y = pmed_alloc_array((size_t) ni * k, sizeof(double));
	pmed_rng_seed(&rng, p->seed);
	for (size_t i = 0; i < (size_t) nu * k; i++)
		m->X[i] = 0.1 * pmed_rng_normal(&rng);
	for (size_t i = 0; i < (size_t) ni * k; i++)
		m->Y[i] = 0.1 * pmed_rng_normal(&rng);

	G = pmed_alloc_array((size_t) k * k, sizeof(double));
	work_init(&wk, k, max_rows);
	for (int it = 0; it < p->iterations; it++)
	{
		sweep(m->Y, ni, cptr, cpat, cw, m->X, nu, m, G, &wk);
		sweep(m->X, nu, m->hist_ptr, m->hist_item, w, m->Y, ni, m, G, &wk);
		if (loss_trace != NULL)
			loss_trace[it] = objective(m, w);
	}
	m->final_loss = objective(m, w);
	work_free(&wk);
	pmed_free(G);
	pmed_free(cptr);
	pmed_free(cpat);
	pmed_free(cw);
	pmed_cf_als_prepare(m);
}

void
pmed_cf_als_prepare(PmedCfModel *m)
{
	m->YtY = pmed_alloc_array((size_t) m->factors * m->factors, sizeof(double));
	gram(m->Y, m->n_items, m->factors, m->YtY);
}

bool
pmed_cf_als_fold_in(const PmedCfModel *m, const uint32_t *items, const double *weights,
					size_t n, double *x)
{
	Work		wk;
	bool		ok;

	work_init(&wk, m->factors, n);
	ok = solve_row(m->Y, m->YtY, m->factors, items, weights, n, m->regularization,
				   m->alpha, m->explicit_feedback, &wk, x);
	work_free(&wk);
	return ok;
}
