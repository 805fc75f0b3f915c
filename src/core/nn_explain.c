/*
 * nn_explain.c - integrated gradients (Sundararajan, Taly & Yan 2017).
 *
 * Baseline: "an average patient, fully observed": every value at its
 * training mean (standardized 0) and observed at every step (mask 1,
 * delta 0), static features at their training means (mask 1).  The path
 * x(a) = base + a (x - base), a in [0, 1], is integrated with the
 * trapezoidal rule over `steps` intervals; the steps + 1 points run as
 * mini-batches through the ordinary forward and backward passes.
 * Attribution of internal input j is (x_j - base_j) times the path
 * integral of d output / d x_j; a raw feature's attribution at a step sums
 * its value, mask and delta inputs (so a missing value's effect, through
 * imputation, mask and delta, is attributed to that feature).  Completeness
 * (base_value + sum = output) is exact only in the limit of many steps;
 * the unit tests measure the gap.
 */
#include "nn_internal.h"

#include <math.h>
#include <string.h>

#define IG_CHUNK 32

/* The explained output of each row, and its gradient in the logits. */
static void
output_and_grad(const PmedNnModel *m, const float *logits, int B, int target, double *o,
				float *g)
{
	int			K = nn_n_logits(m);

	for (int b = 0; b < B; b++)
	{
		const float *a = logits + (size_t) b * K;
		float	   *gb = g + (size_t) b * K;

		if (m->n_classes == 2)
		{
			double		p = 1.0 / (1.0 + exp(-(double) a[0]));

			o[b] = target == 1 ? p : 1.0 - p;
			gb[0] = (float) ((target == 1 ? 1.0 : -1.0) * p * (1.0 - p));
		}
		else if (m->n_classes > 2)
		{
			double		mx = a[0],
						s = 0.0;

			for (int k = 1; k < K; k++)
				if (a[k] > mx)
					mx = a[k];
			for (int k = 0; k < K; k++)
				s += exp((double) a[k] - mx);
			o[b] = exp((double) a[target] - mx) / s;
			for (int k = 0; k < K; k++)
			{
				double		pk = exp((double) a[k] - mx) / s;

				gb[k] = (float) (o[b] * ((k == target ? 1.0 : 0.0) - pk));
			}
		}
		else
		{
			o[b] = (double) a[0] * m->y_std + m->y_mean;
			gb[0] = (float) m->y_std;
		}
	}
}

PmedStatus
pmed_nn_explain(const PmedNnModel *m, int len, const double *x, const double *s, int target,
				int steps, double *base_value, double *output, double *per_step,
				double *per_feature, PmedError *err)
{
	PmedStatus	st;
	NnNet	   *net;
	int			T,
				D,
				SD,
				C = m->n_features;
	float	   *xin,
			   *xst,
			   *bin,
			   *bst,
			   *grad,
			   *g;
	double	   *acc,
			   *acc_st,
			   *o;

	if ((st = pmed_nn_check_input(m, len, err)) != PMED_OK)
		return st;
	if (steps == 0)
		steps = 64;
	if (steps < 1 || steps > 10000)
		return pmed_fail(err, PMED_ERR_INVALID, "integrated-gradient steps must be between 1 and 10000");
	if (m->n_classes == 2 && target != 0 && target != 1)
		target = 1;
	if (m->n_classes > 2 && (target < 0 || target >= m->n_classes))
		return pmed_fail(err, PMED_ERR_INVALID, "class index %d is out of range", target);

	net = nn_net_create(m, IG_CHUNK, len);
	T = m->arch == PMED_NN_CNN ? m->fixed_len : len;
	D = net->L.in_dim;
	SD = net->L.st_dim;
	xin = pmed_alloc_array((size_t) T * D, sizeof(float));
	xst = pmed_alloc_array((size_t) SD + 1, sizeof(float));
	bin = pmed_alloc_array((size_t) D, sizeof(float));
	bst = pmed_alloc_array((size_t) SD + 1, sizeof(float));
	acc = pmed_alloc_array((size_t) T * D, sizeof(double));
	acc_st = pmed_alloc_array((size_t) SD + 1, sizeof(double));
	grad = pmed_alloc_array(m->n_params, sizeof(float));
	g = pmed_alloc_array((size_t) IG_CHUNK * nn_n_logits(m), sizeof(float));
	o = pmed_alloc_array(IG_CHUNK, sizeof(double));

	/* the encoded input (with B = 1 both layouts are [T, D]) */
	net->B = 1;
	net->T = T;
	nn_net_load_one(net, 0, len, x, s);
	memcpy(xin, net->in, sizeof(float) * T * D);
	memcpy(xst, net->st, sizeof(float) * SD);
	/* baseline: values 0, masks 1 (inputs C..2C-1), deltas 0 */
	for (int j = 0; j < D; j++)
		bin[j] = (j >= C && j < 2 * C) ? 1.0f : 0.0f;
	for (int j = 0; j < SD; j++)
		bst[j] = j >= m->n_static ? 1.0f : 0.0f;

	for (int k0 = 0; k0 <= steps; k0 += IG_CHUNK)
	{
		int			B = steps + 1 - k0 < IG_CHUNK ? steps + 1 - k0 : IG_CHUNK;

		pmed_check_interrupts();
		net->B = B;
		net->T = T;
		for (int b = 0; b < B; b++)
		{
			float		a = (float) ((double) (k0 + b) / steps);

			net->len[b] = len;
			for (int t = 0; t < T; t++)
			{
				float	   *dst = m->arch == PMED_NN_CNN
					? net->in + ((size_t) b * T + t) * D
					: net->in + ((size_t) t * B + b) * D;

				for (int j = 0; j < D; j++)
					dst[j] = bin[j] + a * (xin[(size_t) t * D + j] - bin[j]);
			}
			for (int j = 0; j < SD; j++)
				net->st[(size_t) b * SD + j] = bst[j] + a * (xst[j] - bst[j]);
		}
		nn_net_forward(net, m->w, 0.0, NULL);
		output_and_grad(m, net->logits, B, target, o, g);
		memset(grad, 0, sizeof(float) * m->n_params);
		nn_net_backward(net, m->w, g, grad, true);
		for (int b = 0; b < B; b++)
		{
			int			k = k0 + b;
			double		wk = (k == 0 || k == steps) ? 0.5 / steps : 1.0 / steps;

			if (k == 0)
				*base_value = o[b];
			if (k == steps)
				*output = o[b];
			for (int t = 0; t < T; t++)
			{
				const float *src = m->arch == PMED_NN_CNN
					? net->d_in + ((size_t) b * T + t) * D
					: net->d_in + ((size_t) t * B + b) * D;

				for (int j = 0; j < D; j++)
					acc[(size_t) t * D + j] += wk * src[j];
			}
			for (int j = 0; j < SD; j++)
				acc_st[j] += wk * net->d_st[(size_t) b * SD + j];
		}
	}

	memset(per_feature, 0, sizeof(double) * (C + m->n_static));
	for (int t = 0; t < len; t++)
		for (int f = 0; f < C; f++)
		{
			double		a = 0.0;

			for (int j = f; j < D; j += C)
				a += acc[(size_t) t * D + j] * (xin[(size_t) t * D + j] - bin[j]);
			per_step[(size_t) t * C + f] = a;
			per_feature[f] += a;
		}
	for (int j = 0; j < SD; j++)
		per_feature[C + j % m->n_static] += acc_st[j] * (xst[j] - bst[j]);

	nn_net_free(net);
	pmed_free(xin);
	pmed_free(xst);
	pmed_free(bin);
	pmed_free(bst);
	pmed_free(acc);
	pmed_free(acc_st);
	pmed_free(grad);
	pmed_free(g);
	pmed_free(o);
	return PMED_OK;
}
