/*
 * svm_linear.c - the linear L1-loss SVM dual by coordinate descent with
 * shrinking (Hsieh, Chang, Lin, Keerthi & Sundararajan 2008).
 *
 *   min 1/2 a'Qa - e'a   s.t.  0 <= a_i <= C_i,  Q_ij = y_i y_j (z_i'z_j + 1)
 *
 * The constant 1 is the bias feature: w has p + 1 entries and the last one
 * is the intercept b (regularised like the others, as liblinear's -B 1).
 * Coordinates are visited in a seeded random order each epoch.
 */
#include "svm.h"
#include "rng.h"

#include <math.h>
#include <string.h>

PmedStatus
pmed_svm_dcd(const PmedSvmProblem *prob, double tol, int64_t max_iter,
			 uint64_t seed, PmedSvmSolution *sol, PmedError *err)
{
	int			l = prob->l,
				p = prob->p;
	double	   *w,
			   *alpha,
			   *QD;
	int		   *index;
	int			active = l;
	double		PGmax_old = INFINITY,
				PGmin_old = -INFINITY,
				gap = 0;
	int64_t		iter = 0;
	PmedRng		rng;

	memset(sol, 0, sizeof(*sol));
	if (l < 1 || p < 1)
		return pmed_fail(err, PMED_ERR_INVALID, "svm subproblem needs at least one row");
	if (max_iter <= 0)
		max_iter = 1000;
	pmed_rng_seed(&rng, seed);
	w = pmed_alloc_array((size_t) p + 1, sizeof(double));
	alpha = pmed_alloc_array(l, sizeof(double));
	QD = pmed_alloc_array(l, sizeof(double));
	index = pmed_alloc_array(l, sizeof(int));
	for (int i = 0; i < l; i++)
	{
		const double *zi = pmed_svm_row(prob, i);
		double		s = 1.0;

		for (int k = 0; k < p; k++)
			s += zi[k] * zi[k];
		QD[i] = s;
		index[i] = i;
	}

	while (iter < max_iter)
	{
		double		PGmax_new = -INFINITY,
					PGmin_new = INFINITY;

		pmed_check_interrupts();
		for (int s = 0; s < active - 1; s++)
		{
			int			t = s + (int) pmed_rng_below(&rng, (uint64_t) (active - s));
			int			tmp = index[s];

			index[s] = index[t];
			index[t] = tmp;
		}
		for (int s = 0; s < active; s++)
		{
			int			i = index[s];
			const double *zi = pmed_svm_row(prob, i);
			double		yi = prob->y[i];
			double		Ci = yi > 0 ? prob->Cp : prob->Cn;
			double		G = w[p],
						PG = 0;

			if ((s & 4095) == 0)
				pmed_check_interrupts();	/* an epoch of millions of rows takes seconds */
			for (int k = 0; k < p; k++)
				G += w[k] * zi[k];
			G = G * yi - 1.0;
			if (alpha[i] == 0)
			{
				if (G > PGmax_old)
				{
					active--;
					index[s] = index[active];
					index[active] = i;
					s--;
					continue;
				}
				if (G < 0)
					PG = G;
			}
			else if (alpha[i] == Ci)
			{
				if (G < PGmin_old)
				{
					active--;
					index[s] = index[active];
					index[active] = i;
					s--;
					continue;
				}
				if (G > 0)
					PG = G;
			}
			else
				PG = G;
			if (PG > PGmax_new)
				PGmax_new = PG;
			if (PG < PGmin_new)
				PGmin_new = PG;
			if (fabs(PG) > 1e-12)
			{
				double		old = alpha[i];
				double		a = old - G / QD[i];
				double		d;

				a = a < 0 ? 0 : (a > Ci ? Ci : a);
				alpha[i] = a;
				d = (a - old) * yi;
				for (int k = 0; k < p; k++)
					w[k] += d * zi[k];
				w[p] += d;
			}
		}
		iter++;
		gap = PGmax_new - PGmin_new;
		if (active == 0)
			gap = 0;
		if (gap <= tol)
		{
			if (active == l)
				break;
			active = l;
			PGmax_old = INFINITY;
			PGmin_old = -INFINITY;
			continue;
		}
		PGmax_old = PGmax_new > 0 ? PGmax_new : INFINITY;
		PGmin_old = PGmin_new < 0 ? PGmin_new : -INFINITY;
	}

	sol->alpha = alpha;
	sol->w = w;					/* p + 1 values, the last one b */
	sol->rho = -w[p];
	sol->iterations = iter;
	sol->kkt_violation = gap;
	pmed_free(QD);
	pmed_free(index);
	return PMED_OK;
}
