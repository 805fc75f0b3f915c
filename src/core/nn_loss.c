/*
 * nn_loss.c - losses of the neural engine.  Each returns the (class-)
 * weighted mean over the batch, sum_i w_i l_i / sum_i w_i as PyTorch's
 * weighted losses do, and writes the gradient of that mean.
 */
#include "nn_internal.h"

#include <math.h>

double
nn_loss_softmax_ce(int B, int K, const float *logits, const double *y, const double *w,
				   float *dlogits)
{
	double		total = 0.0;
	double		wsum = 0.0;

	for (int i = 0; i < B; i++)
		wsum += w ? w[(int) y[i]] : 1.0;
	if (wsum <= 0.0)
		wsum = 1.0;
	for (int i = 0; i < B; i++)
	{
		const float *a = logits + (size_t) i * K;
		float	   *g = dlogits + (size_t) i * K;
		int			c = (int) y[i];
		double		wi = w ? w[c] : 1.0;
		double		mx = a[0];
		double		se = 0.0;

		for (int k = 1; k < K; k++)
			if (a[k] > mx)
				mx = a[k];
		for (int k = 0; k < K; k++)
			se += exp((double) a[k] - mx);
		total += wi * (log(se) + mx - a[c]);
		for (int k = 0; k < K; k++)
		{
			double		p = exp((double) a[k] - mx) / se;

			g[k] = (float) (wi * (p - (k == c ? 1.0 : 0.0)) / wsum);
		}
	}
	return total / wsum;
}

double
nn_loss_sigmoid_bce(int B, const float *logit, const double *y, const double *w, float *dlogit)
{
	double		total = 0.0;
	double		wsum = 0.0;

	for (int i = 0; i < B; i++)
		wsum += w ? w[y[i] > 0.5 ? 1 : 0] : 1.0;
	if (wsum <= 0.0)
		wsum = 1.0;
	for (int i = 0; i < B; i++)
	{
		double		a = logit[i];
		double		yi = y[i] > 0.5 ? 1.0 : 0.0;
		double		wi = w ? w[(int) yi] : 1.0;
		/* softplus(a) - y a, computed without overflow */
		double		sp = a > 0 ? a + log1p(exp(-a)) : log1p(exp(a));
		double		p = 1.0 / (1.0 + exp(-a));

		total += wi * (sp - yi * a);
		dlogit[i] = (float) (wi * (p - yi) / wsum);
	}
	return total / wsum;
}

double
nn_loss_mse(int B, const float *pred, const double *y, float *dpred)
{
	double		total = 0.0;

	for (int i = 0; i < B; i++)
	{
		double		e = (double) pred[i] - y[i];

		total += e * e;
		dpred[i] = (float) (2.0 * e / B);
	}
	return B > 0 ? total / B : 0.0;
}
