/*
 * nn_codec.c - the network's ALGO payload, all little-endian:
 *
 *   u8  arch, head, pool_kind, bidirectional, use_mask, static_mask
 *   i32 n_features, n_static, n_classes, fixed_len
 *   i32 n_conv, then per block: filters, kernel, pool
 *   i32 hidden, gru_layers, n_dense, then dense[n_dense]
 *   f64 mean[n_features], std[n_features], s_mean[n_static], s_std[n_static]
 *   f64 y_mean, y_std
 *   i32 epochs_run, best_epoch; f64 best_val_loss
 *   u64 n_params; f32 weights[n_params]
 *
 * The decoder checks every field against the limits in nn.h, recomputes
 * the parameter count from the architecture and demands it matches, checks
 * every float finite (standard deviations positive, weights within
 * PMED_NN_MAX_ABS_WEIGHT) and that nothing is
 * left over.  The container's CRC catches bit flips before this runs.
 */
#include "nn_internal.h"

#include <math.h>
#include <string.h>

void
pmed_nn_encode(const PmedNnModel *m, PmedWriter *w)
{
	pmed_put_u8(w, m->arch);
	pmed_put_u8(w, m->head);
	pmed_put_u8(w, m->pool_kind);
	pmed_put_u8(w, m->bidirectional);
	pmed_put_u8(w, m->use_mask);
	pmed_put_u8(w, m->static_mask);
	pmed_put_i32(w, m->n_features);
	pmed_put_i32(w, m->n_static);
	pmed_put_i32(w, m->n_classes);
	pmed_put_i32(w, m->fixed_len);
	pmed_put_i32(w, m->n_conv);
	for (int l = 0; l < m->n_conv; l++)
	{
		pmed_put_i32(w, m->filters[l]);
		pmed_put_i32(w, m->kernel[l]);
		pmed_put_i32(w, m->pool[l]);
	}
	pmed_put_i32(w, m->hidden);
	pmed_put_i32(w, m->gru_layers);
	pmed_put_i32(w, m->n_dense);
	for (int i = 0; i < m->n_dense; i++)
		pmed_put_i32(w, m->dense[i]);
	pmed_put_f64_array(w, m->mean, m->n_features);
	pmed_put_f64_array(w, m->std, m->n_features);
	pmed_put_f64_array(w, m->s_mean, m->n_static);
	pmed_put_f64_array(w, m->s_std, m->n_static);
	pmed_put_f64(w, m->y_mean);
	pmed_put_f64(w, m->y_std);
	pmed_put_i32(w, m->epochs_run);
	pmed_put_i32(w, m->best_epoch);
	pmed_put_f64(w, m->best_val_loss);
	pmed_put_u64(w, m->n_params);
	pmed_put_f32_array(w, m->w, m->n_params);
}

static bool
get_int(PmedReader *r, int lo, int hi, int32_t *v, const char *what)
{
	if (!pmed_get_i32(r, v))
		return false;
	if (*v < lo || *v > hi)
		return pmed_reader_fail(r, what);
	return true;
}

static bool
get_flag(PmedReader *r, uint8_t hi, uint8_t *v, const char *what)
{
	if (!pmed_get_u8(r, v))
		return false;
	if (*v > hi)
		return pmed_reader_fail(r, what);
	return true;
}

static bool
get_positive(PmedReader *r, const double *v, int n)
{
	for (int i = 0; i < n; i++)
		if (!(v[i] > 0.0))
			return pmed_reader_fail(r, "bad standard deviation");
	return true;
}

static bool
decode(PmedReader *r, PmedNnModel *m)
{
	NnLayout	L;
	uint64_t	n_params;
	bool		cnn;

	if (!get_flag(r, 2, &m->arch, "bad network architecture") || m->arch == 0)
		return pmed_reader_fail(r, "bad network architecture");
	cnn = m->arch == PMED_NN_CNN;
	if (!get_flag(r, cnn ? 3 : 0, &m->head, "bad network head") ||
		(cnn && m->head == 0) ||
		!get_flag(r, cnn ? 2 : 0, &m->pool_kind, "bad pooling kind") ||
		(cnn && m->pool_kind == 0) ||
		!get_flag(r, cnn ? 0 : 1, &m->bidirectional, "bad direction flag") ||
		!get_flag(r, 1, &m->use_mask, "bad mask flag") ||
		!get_flag(r, 1, &m->static_mask, "bad mask flag") ||
		!get_int(r, 1, PMED_NN_MAX_FEATURES, &m->n_features, "bad feature count") ||
		!get_int(r, 0, PMED_NN_MAX_STATIC, &m->n_static, "bad static feature count") ||
		!get_int(r, 0, PMED_NN_MAX_CLASSES, &m->n_classes, "bad class count") ||
		m->n_classes == 1 ||
		!get_int(r, cnn ? 1 : 0, cnn ? PMED_NN_MAX_STEPS : 0, &m->fixed_len, "bad signal length") ||
		!get_int(r, cnn ? 1 : 0, cnn ? PMED_NN_MAX_CONV : 0, &m->n_conv, "bad layer count"))
		return pmed_reader_fail(r, "bad network header");
	for (int l = 0; l < m->n_conv; l++)
		if (!get_int(r, 1, PMED_NN_MAX_WIDTH, &m->filters[l], "bad filter count") ||
			!get_int(r, 1, PMED_NN_MAX_KERNEL, &m->kernel[l], "bad kernel size") ||
			m->kernel[l] % 2 == 0 ||
			!get_int(r, 1, 16, &m->pool[l], "bad pool size"))
			return pmed_reader_fail(r, "bad convolution layer");
	if (!get_int(r, cnn ? 0 : 1, cnn ? 0 : PMED_NN_MAX_WIDTH, &m->hidden, "bad hidden size") ||
		!get_int(r, cnn ? 0 : 1, cnn ? 0 : PMED_NN_MAX_GRU_LAYERS, &m->gru_layers, "bad GRU layer count") ||
		!get_int(r, 0, PMED_NN_MAX_DENSE, &m->n_dense, "bad dense layer count"))
		return false;
	for (int i = 0; i < m->n_dense; i++)
		if (!get_int(r, 1, PMED_NN_MAX_WIDTH, &m->dense[i], "bad dense width"))
			return false;
	if (!pmed_get_f64_array(r, m->n_features, &m->mean) ||
		!pmed_get_f64_array(r, m->n_features, &m->std) ||
		!get_positive(r, m->std, m->n_features) ||
		!pmed_get_f64_array(r, m->n_static, &m->s_mean) ||
		!pmed_get_f64_array(r, m->n_static, &m->s_std) ||
		!get_positive(r, m->s_std, m->n_static) ||
		!pmed_get_f64(r, &m->y_mean) ||
		!pmed_get_f64(r, &m->y_std))
		return false;
	if (!(m->y_std > 0.0))
		return pmed_reader_fail(r, "bad label scale");
	if (!get_int(r, 0, 10000, &m->epochs_run, "bad epoch count") ||
		!get_int(r, 0, m->epochs_run, &m->best_epoch, "bad epoch count") ||
		!pmed_get_f64(r, &m->best_val_loss) ||
		!pmed_get_u64(r, &n_params))
		return false;
	if (!nn_layout(m, &L) || n_params != L.n_params)
		return pmed_reader_fail(r, "parameter count does not match the architecture");
	/* a weight takes 4 bytes: check before allocating */
	if (n_params > r->left / 4)
		return pmed_reader_fail(r, "truncated");
	m->n_params = n_params;
	if (!pmed_get_f32_array(r, n_params, &m->w))
		return false;
	for (uint64_t i = 0; i < n_params; i++)
		if (fabsf(m->w[i]) > (float) PMED_NN_MAX_ABS_WEIGHT)
			return pmed_reader_fail(r, "weight out of range");
	return pmed_reader_done(r);
}

bool
pmed_nn_decode(PmedReader *r, PmedNnModel **out)
{
	PmedNnModel *m = pmed_alloc(sizeof(PmedNnModel));

	*out = NULL;
	if (!decode(r, m))
	{
		pmed_nn_free(m);
		return false;
	}
	*out = m;
	return true;
}
