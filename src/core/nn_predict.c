/*
 * nn_predict.c - input checks and predictions of one sample.
 */
#include "nn_internal.h"

#include <math.h>
#include <string.h>

int
pmed_nn_n_outputs(const PmedNnModel *m)
{
	return m->n_classes > 0 ? m->n_classes : 1;
}

PmedStatus
pmed_nn_check_input(const PmedNnModel *m, int len, PmedError *err)
{
	if (len < 1 || len > PMED_NN_MAX_STEPS)
		return pmed_fail(err, len < 1 ? PMED_ERR_INVALID : PMED_ERR_LIMIT,
						 "sequence length %d is outside 1..%d", len, PMED_NN_MAX_STEPS);
	if (m->arch == PMED_NN_CNN && len != m->fixed_len)
		return pmed_fail(err, PMED_ERR_INVALID, "signal length %d does not match the model's %d",
						 len, m->fixed_len);
	return PMED_OK;
}

/* Outputs from logits: probabilities, or the label on its own scale. */
static void
outputs(const PmedNnModel *m, const float *logit, double *out)
{
	if (m->n_classes == 2)
	{
		double		p = 1.0 / (1.0 + exp(-(double) logit[0]));

		out[0] = 1.0 - p;
		out[1] = p;
	}
	else if (m->n_classes > 2)
	{
		double		mx = logit[0],
					s = 0.0;

		for (int k = 1; k < m->n_classes; k++)
			if (logit[k] > mx)
				mx = logit[k];
		for (int k = 0; k < m->n_classes; k++)
			s += (out[k] = exp((double) logit[k] - mx));
		for (int k = 0; k < m->n_classes; k++)
			out[k] /= s;
	}
	else
		out[0] = (double) logit[0] * m->y_std + m->y_mean;
}

/* False on a bad length too (the glue calls pmed_nn_check_input first for its message). */
bool
pmed_nn_predict(const PmedNnModel *m, int len, const double *x, const double *s, double *out)
{
	NnNet	   *net;
	PmedError	err;

	if (pmed_nn_check_input(m, len, &err) != PMED_OK)
		return false;
	net = nn_net_create(m, 1, len);
	net->B = 1;
	net->T = m->arch == PMED_NN_CNN ? m->fixed_len : len;
	nn_net_load_one(net, 0, len, x, s);
	nn_net_forward(net, m->w, 0.0, NULL);
	outputs(m, net->logits, out);
	nn_net_free(net);
	for (int k = 0; k < pmed_nn_n_outputs(m); k++)
		if (!isfinite(out[k]))
			return false;
	return true;
}
