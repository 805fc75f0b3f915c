/*
 * nn_adam.c - AdamW (Loshchilov & Hutter 2019): Adam with bias correction
 * and decoupled weight decay, as torch.optim.AdamW computes it:
 *   w <- w (1 - lr wd);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
 *   w <- w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 */
#include "nn_internal.h"

#include <math.h>

void
nn_adam_init(NnAdam *a, size_t n, double lr, double weight_decay)
{
	a->n = n;
	a->m = pmed_alloc_array(n, sizeof(float));
	a->v = pmed_alloc_array(n, sizeof(float));
	a->t = 0;
	a->lr = lr;
	a->beta1 = 0.9;
	a->beta2 = 0.999;
	a->eps = 1e-8;
	a->weight_decay = weight_decay;
}

void
nn_adam_step(NnAdam *a, float *w, const float *g)
{
	double		c1,
				c2;
	float		b1 = (float) a->beta1,
				b2 = (float) a->beta2;
	float		step,
				decay,
				eps = (float) a->eps;

	a->t++;
	c1 = 1.0 - pow(a->beta1, (double) a->t);
	c2 = 1.0 - pow(a->beta2, (double) a->t);
	step = (float) (a->lr / c1);
	decay = (float) (1.0 - a->lr * a->weight_decay);
	for (size_t i = 0; i < a->n; i++)
	{
		float		gi = g[i];

		a->m[i] = b1 * a->m[i] + (1.0f - b1) * gi;
		a->v[i] = b2 * a->v[i] + (1.0f - b2) * gi * gi;
		w[i] = w[i] * decay - step * a->m[i] / (sqrtf(a->v[i] / (float) c2) + eps);
	}
}

void
nn_adam_free(NnAdam *a)
{
	pmed_free(a->m);
	pmed_free(a->v);
	a->m = a->v = NULL;
}
