/*
 * svm_platt.c - probabilities from decision values.
 *
 * Platt's sigmoid P(+1 | f) = 1 / (1 + exp(A f + B)), fitted by Newton's
 * method with backtracking on the regularised targets, written so that no
 * exp overflows (Lin, Lin & Weng 2007, "A note on Platt's probabilistic
 * outputs for support vector machines").  Pairwise probabilities of k > 2
 * classes are coupled by the second method of Wu, Lin & Weng 2004.
 */
#include "svm.h"

#include <math.h>

/* log(1 + exp(-|t|)) style terms of the negative log-likelihood. */
static double
sigmoid_nll(int n, const double *dec, const double *t, double A, double B)
{
	double		f = 0;

	for (int i = 0; i < n; i++)
	{
		double		fApB = dec[i] * A + B;

		if (fApB >= 0)
			f += t[i] * fApB + log1p(exp(-fApB));
		else
			f += (t[i] - 1) * fApB + log1p(exp(fApB));
	}
	return f;
}

void
pmed_svm_sigmoid_fit(int n, const double *dec, const signed char *y, double *A, double *B)
{
	double		prior1 = 0,
				prior0 = 0;
	double		hi,
				lo,
				a,
				b,
				fval;
	double	   *t = pmed_alloc_array(n > 0 ? n : 1, sizeof(double));

	for (int i = 0; i < n; i++)
	{
		if (y[i] > 0)
			prior1++;
		else
			prior0++;
	}
	hi = (prior1 + 1.0) / (prior1 + 2.0);
	lo = 1.0 / (prior0 + 2.0);
	for (int i = 0; i < n; i++)
		t[i] = y[i] > 0 ? hi : lo;
	a = 0.0;
	b = log((prior0 + 1.0) / (prior1 + 1.0));
	fval = sigmoid_nll(n, dec, t, a, b);

	for (int it = 0; it < 100; it++)
	{
		double		h11 = 1e-12,
					h22 = 1e-12,
					h21 = 0,
					g1 = 0,
					g2 = 0;
		double		det,
					dA,
					dB,
					gd,
					step;

		for (int i = 0; i < n; i++)
		{
			double		fApB = dec[i] * a + b;
			double		p,
						q,
						d1,
						d2;

			if (fApB >= 0)
			{
				double		e = exp(-fApB);

				p = e / (1.0 + e);
				q = 1.0 / (1.0 + e);
			}
			else
			{
				double		e = exp(fApB);

				p = 1.0 / (1.0 + e);
				q = e / (1.0 + e);
			}
			d2 = p * q;
			h11 += dec[i] * dec[i] * d2;
			h22 += d2;
			h21 += dec[i] * d2;
			d1 = t[i] - p;
			g1 += dec[i] * d1;
			g2 += d1;
		}
		det = h11 * h22 - h21 * h21;
		dA = -(h22 * g1 - h21 * g2) / det;
		dB = -(-h21 * g1 + h11 * g2) / det;

		/*
		 * Stop when the Newton step is negligible.  (libsvm stops as soon as
		 * the gradient is below 1e-5, which can leave A off the optimum by
		 * more than 1e-6: test_platt_reference in test/unit/test_svm.c.)
		 * Near the optimum Newton converges quadratically, so this costs
		 * an iteration or two; should rounding stall it, the line search
		 * below ends the loop.
		 */
		if (fabs(dA) <= 1e-10 * (1.0 + fabs(a)) && fabs(dB) <= 1e-10 * (1.0 + fabs(b)))
			break;
		gd = g1 * dA + g2 * dB;
		for (step = 1.0; step >= 1e-10; step /= 2)
		{
			double		na = a + step * dA,
						nb = b + step * dB;
			double		nf = sigmoid_nll(n, dec, t, na, nb);

			if (nf < fval + 1e-4 * step * gd)
			{
				a = na;
				b = nb;
				fval = nf;
				break;
			}
		}
		if (step < 1e-10)
			break;
	}
	pmed_free(t);
	*A = a;
	*B = b;
}

double
pmed_svm_sigmoid_predict(double f, double A, double B)
{
	double		fApB = f * A + B;

	if (fApB >= 0)
		return exp(-fApB) / (1.0 + exp(-fApB));
	return 1.0 / (1.0 + exp(fApB));
}

void
pmed_svm_couple(int k, const double *r, double *p)
{
	int			max_iter = k > 100 ? k : 100;
	double	   *Q = pmed_alloc_array((size_t) k * k, sizeof(double));
	double	   *Qp = pmed_alloc_array(k, sizeof(double));
	double		eps = 0.005 / k;

	for (int t = 0; t < k; t++)
	{
		p[t] = 1.0 / k;
		Q[t * k + t] = 0;
		for (int j = 0; j < k; j++)
		{
			if (j == t)
				continue;
			Q[t * k + t] += r[j * k + t] * r[j * k + t];
			Q[t * k + j] = -r[j * k + t] * r[t * k + j];
		}
	}
	for (int it = 0; it < max_iter; it++)
	{
		double		pQp = 0,
					maxe = 0;

		for (int t = 0; t < k; t++)
		{
			Qp[t] = 0;
			for (int j = 0; j < k; j++)
				Qp[t] += Q[t * k + j] * p[j];
			pQp += p[t] * Qp[t];
		}
		for (int t = 0; t < k; t++)
			maxe = fmax(maxe, fabs(Qp[t] - pQp));
		if (maxe < eps)
			break;
		for (int t = 0; t < k; t++)
		{
			double		diff = (-Qp[t] + pQp) / Q[t * k + t];

			p[t] += diff;
			pQp = (pQp + diff * (diff * Q[t * k + t] + 2 * Qp[t])) / (1 + diff) / (1 + diff);
			for (int j = 0; j < k; j++)
			{
				Qp[j] = (Qp[j] + diff * Q[t * k + j]) / (1 + diff);
				p[j] /= (1 + diff);
			}
		}
	}
	pmed_free(Q);
	pmed_free(Qp);
}
