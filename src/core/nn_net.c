/*
 * nn_net.c - the network as a whole: parameter layout, input encoding
 * (standardize, impute, mask, delta; see nn.h), buffers, and the forward
 * and backward passes over a mini-batch.
 */
#include "nn_internal.h"

#include <math.h>
#include <string.h>

int
nn_n_logits(const PmedNnModel *m)
{
	return m->n_classes > 2 ? m->n_classes : 1;
}

static bool
add_block(size_t *n, size_t count, size_t *at)
{
	*at = *n;
	if (count > PMED_NN_MAX_PARAMS || *n + count > PMED_NN_MAX_PARAMS)
		return false;
	*n += count;
	return true;
}

bool
nn_layout(const PmedNnModel *m, NnLayout *L)
{
	size_t		n = 0;
	int			dirs = m->bidirectional ? 2 : 1;

	memset(L, 0, sizeof(*L));
	L->in_dim = m->n_features * (m->use_mask ? (m->arch == PMED_NN_GRU ? 3 : 2) : 1);
	L->st_dim = m->n_static * (m->static_mask ? 2 : 1);
	if (m->arch == PMED_NN_CNN)
	{
		int			c = L->in_dim;

		L->conv_len[0] = m->fixed_len;
		for (int l = 0; l < m->n_conv; l++)
		{
			L->conv_in[l] = c;
			/* the bias row directly follows the kernel: nn_conv_* use [K*C + 1, F] */
			if (!add_block(&n, (size_t) m->kernel[l] * c * m->filters[l], &L->conv_w[l]) ||
				!add_block(&n, (size_t) m->filters[l], &L->conv_b[l]))
				return false;
			L->conv_len[l + 1] = L->conv_len[l] / m->pool[l];
			if (L->conv_len[l + 1] < 1)
				return false;
			c = m->filters[l];
		}
		L->head_dim = m->head == PMED_NN_HEAD_FLATTEN ? L->conv_len[m->n_conv] * c : c;
	}
	else
	{
		int			H = m->hidden;

		for (int l = 0; l < m->gru_layers; l++)
		{
			L->gru_in[l] = l == 0 ? L->in_dim : H * dirs;
			for (int d = 0; d < dirs; d++)
				if (!add_block(&n, (size_t) L->gru_in[l] * 3 * H, &L->gru_wx[l][d]) ||
					!add_block(&n, (size_t) 3 * H, &L->gru_bx[l][d]) ||
					!add_block(&n, (size_t) H * 3 * H, &L->gru_wh[l][d]) ||
					!add_block(&n, (size_t) 3 * H, &L->gru_bh[l][d]))
					return false;
		}
		L->head_dim = H * dirs;
	}
	L->n_lin = m->n_dense + 1;
	for (int i = 0; i < L->n_lin; i++)
	{
		L->lin_in[i] = i == 0 ? L->head_dim + L->st_dim : m->dense[i - 1];
		L->lin_out[i] = i < m->n_dense ? m->dense[i] : nn_n_logits(m);
		if (!add_block(&n, (size_t) L->lin_in[i] * L->lin_out[i], &L->lin_w[i]) ||
			!add_block(&n, (size_t) L->lin_out[i], &L->lin_b[i]))
			return false;
	}
	L->n_params = n;
	return true;
}

static void
init_block(float *w, size_t n, double bound, PmedRng *rng)
{
	for (size_t i = 0; i < n; i++)
		w[i] = (float) ((2.0 * pmed_rng_uniform(rng) - 1.0) * bound);
}

void
nn_init_weights(const PmedNnModel *m, const NnLayout *L, float *w, PmedRng *rng)
{
	if (m->arch == PMED_NN_CNN)
		for (int l = 0; l < m->n_conv; l++)
		{
			double		bound = 1.0 / sqrt((double) m->kernel[l] * L->conv_in[l]);

			init_block(w + L->conv_w[l], (size_t) m->kernel[l] * L->conv_in[l] * m->filters[l],
					   bound, rng);
			init_block(w + L->conv_b[l], m->filters[l], bound, rng);
		}
	else
	{
		double		bound = 1.0 / sqrt((double) m->hidden);
		int			H = m->hidden;

		for (int l = 0; l < m->gru_layers; l++)
			for (int d = 0; d < (m->bidirectional ? 2 : 1); d++)
			{
				init_block(w + L->gru_wx[l][d], (size_t) L->gru_in[l] * 3 * H, bound, rng);
				init_block(w + L->gru_bx[l][d], (size_t) 3 * H, bound, rng);
				init_block(w + L->gru_wh[l][d], (size_t) H * 3 * H, bound, rng);
				init_block(w + L->gru_bh[l][d], (size_t) 3 * H, bound, rng);
			}
	}
	for (int i = 0; i < L->n_lin; i++)
	{
		double		bound = 1.0 / sqrt((double) L->lin_in[i]);

		init_block(w + L->lin_w[i], (size_t) L->lin_in[i] * L->lin_out[i], bound, rng);
		init_block(w + L->lin_b[i], L->lin_out[i], bound, rng);
	}
}

/* A standardized value as float, absurd magnitudes clipped (no overflow). */
static inline float
nn_clamp_input(double z)
{
	if (!(z < PMED_NN_MAX_ABS_INPUT))
		return z > 0 || isnan(z) ? (float) PMED_NN_MAX_ABS_INPUT : (float) -PMED_NN_MAX_ABS_INPUT;
	if (z < -PMED_NN_MAX_ABS_INPUT)
		return (float) -PMED_NN_MAX_ABS_INPUT;
	return (float) z;
}

void
nn_input_sample(const PmedNnModel *m, int len, const double *x, float *dst, size_t step_stride)
{
	int			C = m->n_features;
	bool		gru = m->arch == PMED_NN_GRU;
	float		last[PMED_NN_MAX_FEATURES];
	int			last_t[PMED_NN_MAX_FEATURES];

	for (int f = 0; f < C; f++)
		last_t[f] = -1;
	for (int t = 0; t < len; t++)
	{
		float	   *d = dst + (size_t) t * step_stride;

		for (int f = 0; f < C; f++)
		{
			double		v = x[(size_t) t * C + f];

			if (isfinite(v))
			{
				float		z = nn_clamp_input((v - m->mean[f]) / m->std[f]);

				d[f] = z;
				last[f] = z;
				last_t[f] = t;
				if (m->use_mask)
				{
					d[C + f] = 1.0f;
					if (gru)
						d[2 * C + f] = 0.0f;
				}
			}
			else
			{
				d[f] = (gru && last_t[f] >= 0) ? last[f] : 0.0f;
				if (m->use_mask)
				{
					d[C + f] = 0.0f;
					if (gru)
						d[2 * C + f] = (float) log1p((double) (last_t[f] >= 0 ? t - last_t[f] : t + 1));
				}
			}
		}
	}
}

void
nn_input_static(const PmedNnModel *m, const double *s, float *dst)
{
	int			S = m->n_static;

	for (int j = 0; j < S; j++)
	{
		double		v = s ? s[j] : NAN;
		bool		ok = isfinite(v);

		dst[j] = ok ? nn_clamp_input((v - m->s_mean[j]) / m->s_std[j]) : 0.0f;
		if (m->static_mask)
			dst[S + j] = ok ? 1.0f : 0.0f;
	}
}

#define FLOATS(n) ((float *) pmed_alloc_array((n), sizeof(float)))

NnNet *
nn_net_create(const PmedNnModel *m, int B_cap, int T_cap)
{
	NnNet	   *net = pmed_alloc(sizeof(NnNet));
	NnLayout   *L = &net->L;
	size_t		B = B_cap;
	int			maxw = 1;

	net->m = m;
	nn_layout(m, L);
	if (m->arch == PMED_NN_CNN)
		T_cap = m->fixed_len;
	net->B_cap = B_cap;
	net->T_cap = T_cap;
	net->len = pmed_alloc_array(B, sizeof(int32_t));
	net->in = FLOATS(B * T_cap * L->in_dim + 1);
	net->d_in = FLOATS(B * T_cap * L->in_dim + 1);
	net->st = FLOATS(B * L->st_dim + 1);
	net->d_st = FLOATS(B * L->st_dim + 1);
	for (int i = 0; i < L->n_lin; i++)
	{
		net->lin_x[i] = FLOATS(B * L->lin_in[i]);
		net->drop[i] = FLOATS(B * L->lin_in[i]);
		if (L->lin_in[i] > maxw)
			maxw = L->lin_in[i];
		if (L->lin_out[i] > maxw)
			maxw = L->lin_out[i];
	}
	net->logits = FLOATS(B * nn_n_logits(m));
	if (L->head_dim > maxw)
		maxw = L->head_dim;
	net->d_a = FLOATS(B * maxw);
	net->d_b = FLOATS(B * maxw);

	if (m->arch == PMED_NN_CNN)
	{
		size_t		big = 1,
					col = 1;

		net->act[0] = net->in;
		for (int l = 0; l < m->n_conv; l++)
		{
			size_t		Tl = L->conv_len[l];
			size_t		F = m->filters[l];

			net->conv_y[l] = FLOATS(B * Tl * F);
			if (m->pool[l] > 1)
			{
				net->act[l + 1] = FLOATS(B * L->conv_len[l + 1] * F);
				net->pool_idx[l] = pmed_alloc_array(B * L->conv_len[l + 1] * F, sizeof(int32_t));
			}
			else
				net->act[l + 1] = net->conv_y[l];
			if (Tl * F > big)
				big = Tl * F;
			if (Tl * L->conv_in[l] > big)
				big = Tl * L->conv_in[l];
			{
				int			wide = (L->conv_in[l] > (int) F ? L->conv_in[l] : (int) F) * m->kernel[l] + 1;

				if (nn_conv_col_floats(B_cap, Tl, wide) > col)
					col = nn_conv_col_floats(B_cap, Tl, wide);
			}
		}
		net->head_idx = pmed_alloc_array(B * m->filters[m->n_conv - 1], sizeof(int32_t));
		net->col = FLOATS(col);
		net->d_conv = FLOATS(B * big);
		net->d_conv2 = FLOATS(B * big);
	}
	else
	{
		int			H = m->hidden;
		int			HD = H * (m->bidirectional ? 2 : 1);
		size_t		rows = B * T_cap;
		size_t		wide = L->in_dim > HD ? L->in_dim : HD;

		for (int l = 0; l < m->gru_layers; l++)
		{
			net->gru_out[l] = FLOATS(rows * HD);
			for (int d = 0; d < (m->bidirectional ? 2 : 1); d++)
			{
				NnGruSaved *sv = &net->gru_sv[l][d];

				sv->gx = FLOATS(rows * 3 * H);
				sv->r = FLOATS(rows * H);
				sv->z = FLOATS(rows * H);
				sv->n = FLOATS(rows * H);
				sv->ghn = FLOATS(rows * H);
			}
		}
		net->gru_work = FLOATS(nn_gru_work_floats(T_cap, B_cap, H));
		net->gru_dout = FLOATS(rows * wide);
		net->gru_dx = FLOATS(rows * wide);
	}
	return net;
}

void
nn_net_free(NnNet *net)
{
	if (!net)
		return;
	pmed_free(net->len);
	pmed_free(net->in);
	pmed_free(net->d_in);
	pmed_free(net->st);
	pmed_free(net->d_st);
	for (int i = 0; i < net->L.n_lin; i++)
	{
		pmed_free(net->lin_x[i]);
		pmed_free(net->drop[i]);
	}
	pmed_free(net->logits);
	pmed_free(net->d_a);
	pmed_free(net->d_b);
	for (int l = 0; l < PMED_NN_MAX_CONV; l++)
	{
		if (net->act[l + 1] && net->act[l + 1] != net->conv_y[l])
			pmed_free(net->act[l + 1]);
		pmed_free(net->conv_y[l]);
		pmed_free(net->pool_idx[l]);
	}
	pmed_free(net->head_idx);
	pmed_free(net->col);
	pmed_free(net->d_conv);
	pmed_free(net->d_conv2);
	for (int l = 0; l < PMED_NN_MAX_GRU_LAYERS; l++)
	{
		pmed_free(net->gru_out[l]);
		for (int d = 0; d < 2; d++)
		{
			pmed_free(net->gru_sv[l][d].gx);
			pmed_free(net->gru_sv[l][d].r);
			pmed_free(net->gru_sv[l][d].z);
			pmed_free(net->gru_sv[l][d].n);
			pmed_free(net->gru_sv[l][d].ghn);
		}
	}
	pmed_free(net->gru_work);
	pmed_free(net->gru_dout);
	pmed_free(net->gru_dx);
	pmed_free(net);
}

void
nn_net_load_one(NnNet *net, int b, int len, const double *x, const double *s)
{
	const PmedNnModel *m = net->m;
	int			D = net->L.in_dim;

	net->len[b] = len;
	if (m->arch == PMED_NN_CNN)
		nn_input_sample(m, len, x, net->in + (size_t) b * net->T * D, D);
	else
		nn_input_sample(m, len, x, net->in + (size_t) b * D, (size_t) net->B * D);
	if (net->L.st_dim > 0)
		nn_input_static(m, s, net->st + (size_t) b * net->L.st_dim);
}

void
nn_net_load(NnNet *net, const PmedNnData *d, const int64_t *idx, int B)
{
	int			T = 1;

	for (int b = 0; b < B; b++)
		if (d->len[idx[b]] > T)
			T = d->len[idx[b]];
	if (net->m->arch == PMED_NN_CNN)
		T = net->m->fixed_len;
	net->B = B;
	net->T = T;
	memset(net->in, 0, sizeof(float) * B * T * net->L.in_dim);
	for (int b = 0; b < B; b++)
	{
		int64_t		i = idx[b];

		nn_net_load_one(net, b, d->len[i], d->x + d->offset[i] * d->n_features,
						d->s ? d->s + i * d->n_static : NULL);
	}
}

/* Block l max-pools: its relu runs after the pooling (same result, less work). */
static inline bool
fused_max(const PmedNnModel *m, int l)
{
	return m->pool[l] > 1 && m->pool_kind == PMED_NN_POOL_MAX;
}

static void
head_forward(NnNet *net, const float *w)
{
	const PmedNnModel *m = net->m;
	const NnLayout *L = &net->L;
	int			B = net->B;
	float	   *hb = net->d_a;	/* head output [B, head_dim] before the copy */

	if (m->arch == PMED_NN_CNN)
	{
		for (int l = 0; l < m->n_conv; l++)
		{
			int			Tl = L->conv_len[l];
			int			F = m->filters[l];

			nn_conv_forward(B, Tl, L->conv_in[l], F, m->kernel[l], net->act[l],
							w + L->conv_w[l], net->conv_y[l], net->col);
			if (fused_max(m, l))
			{
				/* relu commutes with max pooling: apply it to the P times smaller output */
				nn_pool_forward(PMED_NN_POOL_MAX, B, Tl, F, m->pool[l], net->conv_y[l],
								net->act[l + 1], net->pool_idx[l]);
				nn_relu_forward((size_t) B * L->conv_len[l + 1] * F, net->act[l + 1]);
				continue;
			}
			nn_relu_forward((size_t) B * Tl * F, net->conv_y[l]);
			if (m->pool[l] > 1)
				nn_pool_forward(m->pool_kind, B, Tl, F, m->pool[l], net->conv_y[l],
								net->act[l + 1], net->pool_idx[l]);
		}
		if (m->head == PMED_NN_HEAD_FLATTEN)
			hb = net->act[m->n_conv];
		else
			nn_global_forward(m->head, B, L->conv_len[m->n_conv], m->filters[m->n_conv - 1],
							  net->act[m->n_conv], hb, net->head_idx);
	}
	else
	{
		int			H = m->hidden;
		int			dirs = m->bidirectional ? 2 : 1;
		int			HD = H * dirs;
		int			T = net->T;

		for (int l = 0; l < m->gru_layers; l++)
		{
			const float *X = l == 0 ? net->in : net->gru_out[l - 1];

			for (int d = 0; d < dirs; d++)
				nn_gru_forward(T, B, L->gru_in[l], H, net->len, d == 1, X,
							   w + L->gru_wx[l][d], w + L->gru_bx[l][d],
							   w + L->gru_wh[l][d], w + L->gru_bh[l][d],
							   &net->gru_sv[l][d], net->gru_out[l] + d * H, HD, net->gru_work);
		}
		for (int b = 0; b < B; b++)
		{
			const float *o = net->gru_out[m->gru_layers - 1];

			memcpy(hb + (size_t) b * HD, o + ((size_t) (T - 1) * B + b) * HD, sizeof(float) * H);
			if (dirs == 2)
				memcpy(hb + (size_t) b * HD + H, o + (size_t) b * HD + H, sizeof(float) * H);
		}
	}
	/* [head, static] is the input of the first linear layer */
	for (int b = 0; b < B; b++)
	{
		float	   *x0 = net->lin_x[0] + (size_t) b * L->lin_in[0];

		memcpy(x0, hb + (size_t) b * L->head_dim, sizeof(float) * L->head_dim);
		memcpy(x0 + L->head_dim, net->st + (size_t) b * L->st_dim, sizeof(float) * L->st_dim);
	}
}

static void
apply_dropout(NnNet *net, int i, double p, PmedRng *rng)
{
	size_t		n = (size_t) net->B * net->L.lin_in[i];
	float		keep = (float) (1.0 / (1.0 - p));

	for (size_t k = 0; k < n; k++)
	{
		net->drop[i][k] = pmed_rng_uniform(rng) < p ? 0.0f : keep;
		net->lin_x[i][k] *= net->drop[i][k];
	}
}

void
nn_net_forward(NnNet *net, const float *w, double dropout, PmedRng *rng)
{
	const NnLayout *L = &net->L;
	bool		drop = rng != NULL && dropout > 0.0;

	head_forward(net, w);
	for (int i = 0; i < L->n_lin; i++)
	{
		float	   *y = i + 1 < L->n_lin ? net->lin_x[i + 1] : net->logits;

		if (drop)
			apply_dropout(net, i, dropout, rng);
		else
			for (size_t k = 0; k < (size_t) net->B * L->lin_in[i]; k++)
				net->drop[i][k] = 1.0f;
		nn_dense_forward(net->B, L->lin_in[i], L->lin_out[i], net->lin_x[i], w + L->lin_w[i],
						 w + L->lin_b[i], y);
		if (i + 1 < L->n_lin)
			nn_relu_forward((size_t) net->B * L->lin_out[i], y);
	}
}

static void
cnn_backward(NnNet *net, const float *w, const float *dh, float *grad, bool want_input)
{
	const PmedNnModel *m = net->m;
	const NnLayout *L = &net->L;
	int			B = net->B;
	int			n = m->n_conv;
	float	   *ga = net->d_conv;	/* gradient of act[l + 1] */
	float	   *gb = net->d_conv2;

	if (m->head == PMED_NN_HEAD_FLATTEN)
		memcpy(ga, dh, sizeof(float) * B * L->head_dim);
	else
		nn_global_backward(m->head, B, L->conv_len[n], m->filters[n - 1], dh, net->head_idx, ga);
	for (int l = n - 1; l >= 0; l--)
	{
		int			Tl = L->conv_len[l];
		int			F = m->filters[l];
		float	   *gy;
		float	   *gx;
		float	   *tmp;

		if (fused_max(m, l))
		{
			/* relu after max pooling: mask by the pooled output, then scatter */
			nn_relu_backward((size_t) B * L->conv_len[l + 1] * F, net->act[l + 1], ga);
			nn_pool_backward(PMED_NN_POOL_MAX, B, Tl, F, m->pool[l], ga, net->pool_idx[l], gb);
			gy = gb;
			gx = ga;
		}
		else if (m->pool[l] > 1)
		{
			nn_pool_backward(m->pool_kind, B, Tl, F, m->pool[l], ga, net->pool_idx[l], gb);
			gy = gb;
			gx = ga;
			nn_relu_backward((size_t) B * Tl * F, net->conv_y[l], gy);
		}
		else
		{
			gy = ga;
			gx = gb;
			nn_relu_backward((size_t) B * Tl * F, net->conv_y[l], gy);
		}
		if (l == 0)
			gx = want_input ? net->d_in : NULL;
		nn_conv_backward(B, Tl, L->conv_in[l], F, m->kernel[l], net->act[l],
						 w + L->conv_w[l], gy, gx, grad + L->conv_w[l], net->col);
		/* the input gradient of block l is the output gradient of block l-1 */
		if (gx == gb)
		{
			tmp = ga;
			ga = gb;
			gb = tmp;
		}
	}
}

static void
gru_backward(NnNet *net, const float *w, const float *dh, float *grad, bool want_input)
{
	const PmedNnModel *m = net->m;
	const NnLayout *L = &net->L;
	int			B = net->B;
	int			T = net->T;
	int			H = m->hidden;
	int			dirs = m->bidirectional ? 2 : 1;
	int			HD = H * dirs;
	float	   *dout = net->gru_dout;
	float	   *dx = net->gru_dx;

	memset(dout, 0, sizeof(float) * T * B * HD);
	for (int b = 0; b < B; b++)
	{
		memcpy(dout + ((size_t) (T - 1) * B + b) * HD, dh + (size_t) b * HD, sizeof(float) * H);
		if (dirs == 2)
			memcpy(dout + (size_t) b * HD + H, dh + (size_t) b * HD + H, sizeof(float) * H);
	}
	for (int l = m->gru_layers - 1; l >= 0; l--)
	{
		const float *X = l == 0 ? net->in : net->gru_out[l - 1];
		int			D = L->gru_in[l];
		float	   *gx = l > 0 ? dx : (want_input ? net->d_in : NULL);
		float	   *tmp;

		if (gx)
			memset(gx, 0, sizeof(float) * T * B * D);
		for (int d = 0; d < dirs; d++)
		{
			/* a zero gradient vector stands in when parameters are not wanted */
			nn_gru_backward(T, B, D, H, net->len, d == 1, X, w + L->gru_wx[l][d],
							w + L->gru_wh[l][d], &net->gru_sv[l][d], net->gru_out[l] + d * H,
							HD, dout + d * H, gx,
							grad + L->gru_wx[l][d], grad + L->gru_bx[l][d],
							grad + L->gru_wh[l][d], grad + L->gru_bh[l][d], net->gru_work);
		}
		tmp = dout;
		dout = dx;
		dx = tmp;
	}
}

void
nn_net_backward(NnNet *net, const float *w, const float *dlogits, float *grad, bool want_input)
{
	const NnLayout *L = &net->L;
	int			B = net->B;
	const float *g = dlogits;
	float	   *bufs[2] = {net->d_a, net->d_b};
	int			which = 0;
	float	   *dh;

	for (int i = L->n_lin - 1; i >= 0; i--)
	{
		float	   *dx = bufs[which];
		size_t		n = (size_t) B * L->lin_in[i];

		nn_dense_backward(B, L->lin_in[i], L->lin_out[i], net->lin_x[i], w + L->lin_w[i], g, dx,
						  grad + L->lin_w[i], grad + L->lin_b[i]);
		for (size_t k = 0; k < n; k++)
			dx[k] *= net->drop[i][k];
		if (i > 0)
			nn_relu_backward(n, net->lin_x[i], dx);
		g = dx;
		which ^= 1;
	}
	/* g: gradient of [head, static] */
	dh = bufs[which];
	for (int b = 0; b < B; b++)
	{
		const float *gr = g + (size_t) b * L->lin_in[0];

		memcpy(dh + (size_t) b * L->head_dim, gr, sizeof(float) * L->head_dim);
		if (want_input)
			memcpy(net->d_st + (size_t) b * L->st_dim, gr + L->head_dim, sizeof(float) * L->st_dim);
	}
	if (net->m->arch == PMED_NN_CNN)
		cnn_backward(net, w, dh, grad, want_input);
	else
		gru_backward(net, w, dh, grad, want_input);
}
