/*
 * nn_train.c - options, input validation, standardization statistics and
 * the mini-batch training loop with early stopping (see nn.h).
 *
 * Determinism: the validation split and every epoch's order come from the
 * seeded generator, dropout masks too; sums run in a fixed order and BLAS
 * is the serial build, so the same data and options give the same bytes.
 */
#include "nn_internal.h"

#include <math.h>
#include <string.h>

void
pmed_nn_options_default(PmedNnOptions *o, int arch)
{
	memset(o, 0, sizeof(*o));
	o->arch = arch;
	o->n_conv = 2;
	o->filters[0] = 16;
	o->filters[1] = 32;
	o->filters[2] = o->filters[3] = 32;
	o->kernel[0] = o->kernel[1] = o->kernel[2] = o->kernel[3] = 5;
	o->pool[0] = o->pool[1] = o->pool[2] = o->pool[3] = 2;
	o->pool_kind = PMED_NN_POOL_MAX;
	o->head = PMED_NN_HEAD_AVG;
	o->hidden = 32;
	o->gru_layers = 1;
	o->bidirectional = false;
	o->n_dense = 1;
	o->dense[0] = o->dense[1] = 32;
	o->dropout = 0.0;
	o->epochs = 30;
	o->batch_size = 32;
	o->learning_rate = 1e-3;
	o->weight_decay = 0.0;
	o->validation_fraction = 0.1;
	o->patience = 5;
	o->standardize = true;
	o->seed = 42;
}

static bool
in_range(int v, int lo, int hi)
{
	return v >= lo && v <= hi;
}

PmedStatus
pmed_nn_options_check(const PmedNnOptions *o, PmedError *err)
{
	if (o->arch != PMED_NN_CNN && o->arch != PMED_NN_GRU)
		return pmed_fail(err, PMED_ERR_INVALID, "unknown network architecture %d", o->arch);
	if (o->arch == PMED_NN_CNN)
	{
		if (!in_range(o->n_conv, 1, PMED_NN_MAX_CONV))
			return pmed_fail(err, PMED_ERR_INVALID, "the number of convolution layers must be between 1 and %d", PMED_NN_MAX_CONV);
		for (int l = 0; l < o->n_conv; l++)
		{
			if (!in_range(o->filters[l], 1, PMED_NN_MAX_WIDTH))
				return pmed_fail(err, PMED_ERR_INVALID, "filters must be between 1 and %d", PMED_NN_MAX_WIDTH);
			if (!in_range(o->kernel[l], 1, PMED_NN_MAX_KERNEL) || o->kernel[l] % 2 == 0)
				return pmed_fail(err, PMED_ERR_INVALID, "kernel sizes must be odd and between 1 and %d", PMED_NN_MAX_KERNEL);
			if (!in_range(o->pool[l], 1, 16))
				return pmed_fail(err, PMED_ERR_INVALID, "pool sizes must be between 1 and 16");
		}
		if (o->pool_kind != PMED_NN_POOL_MAX && o->pool_kind != PMED_NN_POOL_AVG)
			return pmed_fail(err, PMED_ERR_INVALID, "unknown pooling kind %d", o->pool_kind);
		if (o->head < PMED_NN_HEAD_AVG || o->head > PMED_NN_HEAD_FLATTEN)
			return pmed_fail(err, PMED_ERR_INVALID, "unknown head %d", o->head);
	}
	else
	{
		if (!in_range(o->hidden, 1, PMED_NN_MAX_WIDTH))
			return pmed_fail(err, PMED_ERR_INVALID, "hidden size must be between 1 and %d", PMED_NN_MAX_WIDTH);
		if (!in_range(o->gru_layers, 1, PMED_NN_MAX_GRU_LAYERS))
			return pmed_fail(err, PMED_ERR_INVALID, "GRU layers must be 1 or 2");
	}
	if (!in_range(o->n_dense, 0, PMED_NN_MAX_DENSE))
		return pmed_fail(err, PMED_ERR_INVALID, "dense layers must be between 0 and %d", PMED_NN_MAX_DENSE);
	for (int i = 0; i < o->n_dense; i++)
		if (!in_range(o->dense[i], 1, PMED_NN_MAX_WIDTH))
			return pmed_fail(err, PMED_ERR_INVALID, "dense units must be between 1 and %d", PMED_NN_MAX_WIDTH);
	if (!(o->dropout >= 0.0 && o->dropout <= 0.9))
		return pmed_fail(err, PMED_ERR_INVALID, "dropout must be between 0 and 0.9");
	if (!in_range(o->epochs, 1, 10000))
		return pmed_fail(err, PMED_ERR_INVALID, "epochs must be between 1 and 10000");
	if (!in_range(o->batch_size, 1, 4096))
		return pmed_fail(err, PMED_ERR_INVALID, "batch_size must be between 1 and 4096");
	if (!(o->learning_rate > 0.0 && o->learning_rate <= 1.0))
		return pmed_fail(err, PMED_ERR_INVALID, "learning_rate must be in (0, 1]");
	if (!(o->weight_decay >= 0.0 && o->weight_decay <= 1.0))
		return pmed_fail(err, PMED_ERR_INVALID, "weight_decay must be between 0 and 1");
	if (!(o->validation_fraction >= 0.0 && o->validation_fraction <= 0.5))
		return pmed_fail(err, PMED_ERR_INVALID, "validation_fraction must be between 0 and 0.5");
	if (!in_range(o->patience, 1, 10000))
		return pmed_fail(err, PMED_ERR_INVALID, "patience must be between 1 and 10000");
	return PMED_OK;
}

static PmedStatus
check_data(const PmedNnData *d, const PmedNnOptions *o, PmedError *err)
{
	if (d->n < 2)
		return pmed_fail(err, PMED_ERR_INVALID, "at least 2 training rows are needed");
	if (!in_range(d->n_features, 1, PMED_NN_MAX_FEATURES))
		return pmed_fail(err, PMED_ERR_INVALID, "features per step must be between 1 and %d", PMED_NN_MAX_FEATURES);
	if (!in_range(d->n_static, 0, PMED_NN_MAX_STATIC) || (d->n_static > 0 && !d->s))
		return pmed_fail(err, PMED_ERR_INVALID, "static features must be between 0 and %d", PMED_NN_MAX_STATIC);
	if (d->n_classes != 0 && !in_range(d->n_classes, 2, PMED_NN_MAX_CLASSES))
		return pmed_fail(err, PMED_ERR_INVALID, "classes must be between 2 and %d", PMED_NN_MAX_CLASSES);
	for (int64_t i = 0; i < d->n; i++)
	{
		int			len = d->len[i];

		if ((i & 255) == 0)
			pmed_check_interrupts();
		if (!in_range(len, 1, PMED_NN_MAX_STEPS))
			return pmed_fail(err, PMED_ERR_LIMIT, "sequence length %d is outside 1..%d", len, PMED_NN_MAX_STEPS);
		if (o->arch == PMED_NN_CNN && len != d->len[0])
			return pmed_fail(err, PMED_ERR_INVALID, "every signal must have the same length");
		for (int64_t k = 0; k < (int64_t) len * d->n_features; k++)
			if (isinf(d->x[d->offset[i] * d->n_features + k]))
				return pmed_fail(err, PMED_ERR_INVALID, "input values must be finite");
		for (int j = 0; j < d->n_static; j++)
			if (isinf(d->s[i * d->n_static + j]))
				return pmed_fail(err, PMED_ERR_INVALID, "input values must be finite");
		if (d->n_classes > 0 ? !(d->y[i] >= 0 && d->y[i] < d->n_classes && d->y[i] == floor(d->y[i]))
			: !isfinite(d->y[i]))
			return pmed_fail(err, PMED_ERR_INVALID, "bad label at row %lld", (long long) i);
	}
	if (o->class_weight && d->n_classes > 0)
		for (int c = 0; c < d->n_classes; c++)
			if (!(o->class_weight[c] > 0.0 && isfinite(o->class_weight[c])))
				return pmed_fail(err, PMED_ERR_INVALID, "class weights must be positive");
	return PMED_OK;
}

/* mean / population std of the observed values in the training rows */
static void
feature_stats(const PmedNnData *d, const int64_t *rows, int64_t n, bool standardize,
			  PmedNnModel *m)
{
	int			C = d->n_features;
	int			S = d->n_static;
	double	   *cnt = pmed_alloc_array((size_t) (C > S ? C : S) + 1, sizeof(double));

	for (int f = 0; f < C; f++)
	{
		double		s1 = 0.0,
					s2 = 0.0;

		cnt[f] = 0;
		for (int64_t k = 0; k < n; k++)
		{
			int64_t		i = rows[k];
			const double *x = d->x + d->offset[i] * C;

			if ((k & 1023) == 0)
				pmed_check_interrupts();
			for (int t = 0; t < d->len[i]; t++)
				if (isfinite(x[(size_t) t * C + f]))
				{
					cnt[f] += 1;
					s1 += x[(size_t) t * C + f];
				}
				else
					m->use_mask = 1;
		}
		m->mean[f] = cnt[f] > 0 ? s1 / cnt[f] : 0.0;
		for (int64_t k = 0; k < n; k++)
		{
			int64_t		i = rows[k];
			const double *x = d->x + d->offset[i] * C;

			for (int t = 0; t < d->len[i]; t++)
				if (isfinite(x[(size_t) t * C + f]))
				{
					double		e = x[(size_t) t * C + f] - m->mean[f];

					s2 += e * e;
				}
		}
		m->std[f] = cnt[f] > 0 ? sqrt(s2 / cnt[f]) : 1.0;
		if (!(m->std[f] > 1e-12))
			m->std[f] = 1.0;
		if (!standardize)
		{
			m->mean[f] = 0.0;
			m->std[f] = 1.0;
		}
		pmed_check_interrupts();
	}
	for (int j = 0; j < S; j++)
	{
		double		s1 = 0.0,
					s2 = 0.0,
					c = 0.0;

		for (int64_t k = 0; k < n; k++)
		{
			double		v = d->s[rows[k] * S + j];

			if (isfinite(v))
			{
				c += 1;
				s1 += v;
			}
			else
				m->static_mask = 1;
		}
		m->s_mean[j] = c > 0 ? s1 / c : 0.0;
		for (int64_t k = 0; k < n; k++)
		{
			double		v = d->s[rows[k] * S + j];

			if (isfinite(v))
				s2 += (v - m->s_mean[j]) * (v - m->s_mean[j]);
		}
		m->s_std[j] = c > 0 ? sqrt(s2 / c) : 1.0;
		if (!(m->s_std[j] > 1e-12))
			m->s_std[j] = 1.0;
		if (!standardize)
		{
			m->s_mean[j] = 0.0;
			m->s_std[j] = 1.0;
		}
	}
	pmed_free(cnt);
}

/*
 * Activation buffers of a mini-batch: each must stay under 1 GB (the
 * host's largest single allocation) and all together under 2 GB.
 */
static bool
buffers_fit(const PmedNnModel *m, const NnLayout *L, int B, int T)
{
	double		one = 0.0,
				all = 0.0;
	const double cap = (double) (1 << 28) - 1;	/* floats in 1 GB */

	if (m->arch == PMED_NN_CNN)
	{
		all = 3.0 * B * (double) m->fixed_len * L->in_dim;
		one = all / 3.0;
		for (int l = 0; l < m->n_conv; l++)
		{
			double		wide = (double) B * L->conv_len[l] *
				(m->filters[l] > L->conv_in[l] ? m->filters[l] : L->conv_in[l]);

			if (wide > one)
				one = wide;
			all += 4.0 * wide;
		}
	}
	else
	{
		int			dirs = m->bidirectional ? 2 : 1;
		double		rows = (double) B * T;
		double		wide = rows * (L->in_dim > m->hidden * dirs ? L->in_dim : m->hidden * dirs);

		one = rows * 3.0 * m->hidden;
		if (wide > one)
			one = wide;
		all = m->gru_layers * dirs * 8.0 * rows * m->hidden + 4.0 * wide;
	}
	return one <= cap && all <= 2.0 * cap;
}

/* Loss (and its gradient in g) of the current batch; returns sum of weights in *wsum. */
static double
batch_loss(const PmedNnModel *m, NnNet *net, const double *yb, const double *cw, float *g,
		   double *wsum)
{
	int			B = net->B;

	*wsum = 0.0;
	for (int b = 0; b < B; b++)
		*wsum += cw ? cw[(int) yb[b]] : 1.0;
	if (m->n_classes > 2)
		return nn_loss_softmax_ce(B, m->n_classes, net->logits, yb, cw, g);
	if (m->n_classes == 2)
		return nn_loss_sigmoid_bce(B, net->logits, yb, cw, g);
	return nn_loss_mse(B, net->logits, yb, g);
}

static void
gather_y(const PmedNnModel *m, const PmedNnData *d, const int64_t *idx, int B, double *yb)
{
	for (int b = 0; b < B; b++)
		yb[b] = m->n_classes > 0 ? d->y[idx[b]] : (d->y[idx[b]] - m->y_mean) / m->y_std;
}

PmedStatus
pmed_nn_train(const PmedNnData *d, const PmedNnOptions *o, PmedNnModel **out, PmedError *err)
{
	PmedStatus	st;
	PmedNnModel *m;
	NnLayout	L;
	PmedRng		rng;
	int64_t    *perm;
	int64_t		n_val = 0,
				n_tr;
	int64_t    *tr,
			   *va;
	double	   *cw = NULL;
	int			T_cap = 1;
	int			B_cap;
	NnNet	   *net;
	NnAdam		adam;
	float	   *grad,
			   *gl,
			   *best_w;
	double	   *yb;
	double		best = INFINITY;
	int			since_best = 0;

	*out = NULL;
	if ((st = pmed_nn_options_check(o, err)) != PMED_OK)
		return st;
	if ((st = check_data(d, o, err)) != PMED_OK)
		return st;

	m = pmed_alloc(sizeof(PmedNnModel));
	m->arch = o->arch;
	m->head = o->arch == PMED_NN_CNN ? o->head : 0;
	m->pool_kind = o->arch == PMED_NN_CNN ? o->pool_kind : 0;
	m->bidirectional = o->arch == PMED_NN_GRU && o->bidirectional;
	m->n_features = d->n_features;
	m->n_static = d->n_static;
	m->n_classes = d->n_classes;
	m->fixed_len = o->arch == PMED_NN_CNN ? d->len[0] : 0;
	if (o->arch == PMED_NN_CNN)
	{
		m->n_conv = o->n_conv;
		for (int l = 0; l < o->n_conv; l++)
		{
			m->filters[l] = o->filters[l];
			m->kernel[l] = o->kernel[l];
			m->pool[l] = o->pool[l];
		}
	}
	else
	{
		m->hidden = o->hidden;
		m->gru_layers = o->gru_layers;
	}
	m->n_dense = o->n_dense;
	for (int i = 0; i < o->n_dense; i++)
		m->dense[i] = o->dense[i];
	m->mean = pmed_alloc_array(d->n_features, sizeof(double));
	m->std = pmed_alloc_array(d->n_features, sizeof(double));
	m->s_mean = pmed_alloc_array(d->n_static + 1, sizeof(double));
	m->s_std = pmed_alloc_array(d->n_static + 1, sizeof(double));
	m->y_mean = 0.0;
	m->y_std = 1.0;

	/* seeded validation split */
	pmed_rng_seed(&rng, o->seed);
	perm = pmed_alloc_array(d->n, sizeof(int64_t));
	for (int64_t i = 0; i < d->n; i++)
		perm[i] = i;
	for (int64_t i = d->n - 1; i > 0; i--)
	{
		int64_t		j = (int64_t) pmed_rng_below(&rng, (uint64_t) i + 1);
		int64_t		t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	n_val = (int64_t) floor(o->validation_fraction * d->n + 0.5);
	if (n_val >= d->n)
		n_val = d->n - 1;
	va = perm;
	tr = perm + n_val;
	n_tr = d->n - n_val;

	feature_stats(d, tr, n_tr, o->standardize, m);
	if (d->n_classes == 0)
	{
		double		s1 = 0.0,
					s2 = 0.0;

		for (int64_t k = 0; k < n_tr; k++)
			s1 += d->y[tr[k]];
		m->y_mean = s1 / n_tr;
		for (int64_t k = 0; k < n_tr; k++)
			s2 += (d->y[tr[k]] - m->y_mean) * (d->y[tr[k]] - m->y_mean);
		m->y_std = sqrt(s2 / n_tr);
		if (!(m->y_std > 1e-12))
			m->y_std = 1.0;
	}
	if (d->n_classes > 0 && (o->balanced || o->class_weight))
	{
		cw = pmed_alloc_array(d->n_classes, sizeof(double));
		if (o->class_weight)
			memcpy(cw, o->class_weight, sizeof(double) * d->n_classes);
		else
		{
			for (int64_t k = 0; k < n_tr; k++)
				cw[(int) d->y[tr[k]]] += 1.0;
			for (int c = 0; c < d->n_classes; c++)
				cw[c] = cw[c] > 0 ? (double) n_tr / (d->n_classes * cw[c]) : 1.0;
		}
	}

	if (!nn_layout(m, &L))
	{
		pmed_nn_free(m);
		pmed_free(perm);
		pmed_free(cw);
		return pmed_fail(err, PMED_ERR_LIMIT, "the network is too large or its signal too short for its pooling");
	}
	m->n_params = L.n_params;
	m->w = pmed_alloc_array(L.n_params, sizeof(float));
	nn_init_weights(m, &L, m->w, &rng);

	for (int64_t i = 0; i < d->n; i++)
		if (d->len[i] > T_cap)
			T_cap = d->len[i];
	B_cap = o->batch_size < n_tr ? o->batch_size : (int) n_tr;
	if (n_val > B_cap)
		B_cap = n_val < o->batch_size ? (int) n_val : o->batch_size;
	if (!buffers_fit(m, &L, B_cap, T_cap))
	{
		pmed_nn_free(m);
		pmed_free(perm);
		pmed_free(cw);
		pmed_fail(err, PMED_ERR_LIMIT, "a mini-batch of this network needs too much memory");
		pmed_fail_detail(err, "Lower batch_size, the layer sizes or the sequence length.");
		return PMED_ERR_LIMIT;
	}
	net = nn_net_create(m, B_cap, T_cap);
	nn_adam_init(&adam, L.n_params, o->learning_rate, o->weight_decay);
	grad = pmed_alloc_array(L.n_params, sizeof(float));
	best_w = pmed_alloc_array(L.n_params, sizeof(float));
	gl = pmed_alloc_array((size_t) B_cap * nn_n_logits(m), sizeof(float));
	yb = pmed_alloc_array(B_cap, sizeof(double));

	m->train_loss = pmed_alloc_array(o->epochs, sizeof(double));
	m->val_loss = pmed_alloc_array(o->epochs, sizeof(double));
	for (int epoch = 1; epoch <= o->epochs; epoch++)
	{
		double		val = 0.0;
		double		tr_sum = 0.0,
					tr_w = 0.0;

		/* seeded shuffle of the training rows */
		for (int64_t i = n_tr - 1; i > 0; i--)
		{
			int64_t		j = (int64_t) pmed_rng_below(&rng, (uint64_t) i + 1);
			int64_t		t = tr[i];

			tr[i] = tr[j];
			tr[j] = t;
		}
		for (int64_t s = 0; s < n_tr; s += o->batch_size)
		{
			int			B = (int) (n_tr - s < o->batch_size ? n_tr - s : o->batch_size);
			double		ws;

			pmed_check_interrupts();
			nn_net_load(net, d, tr + s, B);
			gather_y(m, d, tr + s, B, yb);
			nn_net_forward(net, m->w, o->dropout, &rng);
			tr_sum += batch_loss(m, net, yb, cw, gl, &ws) * ws;
			tr_w += ws;
			memset(grad, 0, sizeof(float) * L.n_params);
			nn_net_backward(net, m->w, gl, grad, false);
			nn_adam_step(&adam, m->w, grad);
			for (size_t k = 0; k < L.n_params; k++)
				if (fabsf(m->w[k]) > (float) PMED_NN_MAX_ABS_WEIGHT)
					m->w[k] = m->w[k] > 0 ? (float) PMED_NN_MAX_ABS_WEIGHT : (float) -PMED_NN_MAX_ABS_WEIGHT;
		}
		m->epochs_run = epoch;
		m->train_loss[epoch - 1] = tr_w > 0 ? tr_sum / tr_w : 0.0;
		if (n_val == 0)
		{
			m->best_epoch = epoch;
			continue;
		}
		{
			double		wtot = 0.0;

			for (int64_t s = 0; s < n_val; s += B_cap)
			{
				int			B = (int) (n_val - s < B_cap ? n_val - s : B_cap);
				double		ws,
							l;

				pmed_check_interrupts();
				nn_net_load(net, d, va + s, B);
				gather_y(m, d, va + s, B, yb);
				nn_net_forward(net, m->w, 0.0, NULL);
				l = batch_loss(m, net, yb, cw, gl, &ws);
				val += l * ws;
				wtot += ws;
			}
			val = wtot > 0 ? val / wtot : 0.0;
			m->val_loss[epoch - 1] = val;
		}
		if (val < best)
		{
			best = val;
			m->best_epoch = epoch;
			m->best_val_loss = val;
			memcpy(best_w, m->w, sizeof(float) * L.n_params);
			since_best = 0;
		}
		else if (++since_best >= o->patience)
			break;
	}
	if (n_val > 0)
		memcpy(m->w, best_w, sizeof(float) * L.n_params);

	nn_net_free(net);
	nn_adam_free(&adam);
	pmed_free(grad);
	pmed_free(best_w);
	pmed_free(gl);
	pmed_free(yb);
	pmed_free(perm);
	pmed_free(cw);
	*out = m;
	return PMED_OK;
}

void
pmed_nn_free(PmedNnModel *m)
{
	if (!m)
		return;
	pmed_free(m->mean);
	pmed_free(m->std);
	pmed_free(m->s_mean);
	pmed_free(m->s_std);
	pmed_free(m->w);
	pmed_free(m->train_loss);
	pmed_free(m->val_loss);
	pmed_free(m);
}

size_t
pmed_nn_memory_size(const PmedNnModel *m)
{
	return sizeof(PmedNnModel) + sizeof(float) * m->n_params +
		sizeof(double) * 2 * ((size_t) m->n_features + m->n_static + 1);
}
