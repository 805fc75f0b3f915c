/*
 * nn_internal.h - the neural engine's building blocks, shared by its files
 * and the unit tests (not by the SQL glue, which uses nn.h).
 *
 * Tensors are float32, row-major.  A CNN activation is [B, T, C]
 * (sample, step, channel); a GRU sequence is time-major [T, B, D] so that
 * one step of a mini-batch is a contiguous [B, D] matrix.  Backward
 * functions *add* parameter gradients (callers zero them) and *overwrite*
 * input gradients.
 */
#ifndef PMED_NN_INTERNAL_H
#define PMED_NN_INTERNAL_H

#include "nn.h"
#include "rng.h"

/* ---- layers (nn_layers.c) ---- */

/* y[B,O] = x[B,I] W[I,O] + b */
void		nn_dense_forward(int B, int I, int O, const float *x, const float *W,
							 const float *b, float *y);
void		nn_dense_backward(int B, int I, int O, const float *x, const float *W,
							  const float *dy, float *dx, float *dW, float *db);

/* out[cols] += column sums of A[rows, cols] (row stride lda), by sgemm */
void		nn_colsum_add(int rows, int cols, const float *A, int lda, float *out);

/*
 * conv1d, 'same' zero padding, odd K: x[B,T,C] -> y[B,T,F].  Wb is
 * [K*C + 1, F]: the kernel (row k*C + c) then the bias as the last row, so
 * one sgemm against im2col with a ones column does both (and dWb likewise).
 * col: work of nn_conv_col_floats(B, T, max(K*C + 1, K*F)) floats; dx may
 * be NULL.  The batch runs as one sgemm when its im2col matrix fits
 * NN_COL_CAP floats, else in chunks of samples (at least one each).
 */
#define NN_COL_CAP ((size_t) 1 << 20)
size_t		nn_conv_col_floats(int B, int T, int KC);
void		nn_conv_forward(int B, int T, int C, int F, int K, const float *x,
							const float *Wb, float *y, float *col);
void		nn_conv_backward(int B, int T, int C, int F, int K, const float *x,
							 const float *Wb, const float *dy, float *dx, float *dWb,
							 float *col);

void		nn_relu_forward(size_t n, float *x);	/* in place */
/* dx = dy where y > 0 (in place on dy) */
void		nn_relu_backward(size_t n, const float *y, float *dy);

/* pool size P, stride P: [B,T,C] -> [B,T/P,C]; idx saves max positions */
void		nn_pool_forward(int kind, int B, int T, int C, int P, const float *x,
							float *y, int32_t *idx);
void		nn_pool_backward(int kind, int B, int T, int C, int P, const float *dy,
							 const int32_t *idx, float *dx);
/* global pooling [B,T,C] -> [B,C] (kind PmedNnHead avg or max) */
void		nn_global_forward(int kind, int B, int T, int C, const float *x, float *y,
							  int32_t *idx);
void		nn_global_backward(int kind, int B, int T, int C, const float *dy,
							   const int32_t *idx, float *dx);

/* ---- GRU (nn_gru.c) ---- */

/*
 * One direction of one GRU layer over a time-major batch.  X[T*B, D];
 * Wx[D, 3H], Wh[H, 3H], bx[3H], bh[3H], gate order r, z, n.  Rows with
 * t >= len[b] keep their state (forward: the state at len-1; reverse: 0).
 * Writes h_t into out[(t*B + b) * ldo] (H values) and saves gx, r, z, n,
 * ghn ([T*B, 3H] and [T*B, H] each) for the backward pass.
 */
typedef struct NnGruSaved
{
	float	   *gx;				/* [T*B, 3H] input part of the gates */
	float	   *r;
	float	   *z;
	float	   *n;
	float	   *ghn;			/* [T*B, H] Wh_n h + bh_n */
} NnGruSaved;

void		nn_gru_forward(int T, int B, int D, int H, const int32_t *len, bool reverse,
						   const float *X, const float *Wx, const float *bx,
						   const float *Wh, const float *bh, NnGruSaved *sv,
						   float *out, int ldo, float *work);
/*
 * dOut[(t*B + b) * ldo]: loss gradient of each output state (consumed: it
 * is modified).  dX[T*B, D] gets the input gradient added (may be NULL).
 * work: 3*B*H + 2*B*H floats plus T*B*3H for dgx.
 */
void		nn_gru_backward(int T, int B, int D, int H, const int32_t *len, bool reverse,
							const float *X, const float *Wx, const float *Wh,
							const NnGruSaved *sv, const float *out, int ldo,
							float *dOut, float *dX, float *dWx, float *dbx, float *dWh,
							float *dbh, float *work);
size_t		nn_gru_work_floats(int T, int B, int H);

/* ---- losses (nn_loss.c): weighted means, gradient of that mean ---- */

/* softmax cross-entropy, logits[B,K], y class indices, w per class or NULL */
double		nn_loss_softmax_ce(int B, int K, const float *logits, const double *y,
							   const double *w, float *dlogits);
/* sigmoid binary cross-entropy, one logit per row, y in {0,1} */
double		nn_loss_sigmoid_bce(int B, const float *logit, const double *y,
								const double *w, float *dlogit);
/* mean squared error */
double		nn_loss_mse(int B, const float *pred, const double *y, float *dpred);

/* ---- AdamW (nn_adam.c) ---- */

typedef struct NnAdam
{
	size_t		n;
	float	   *m;
	float	   *v;
	int64_t		t;
	double		lr;
	double		beta1;
	double		beta2;
	double		eps;
	double		weight_decay;	/* decoupled: w -= lr * wd * w */
} NnAdam;

void		nn_adam_init(NnAdam *a, size_t n, double lr, double weight_decay);
void		nn_adam_step(NnAdam *a, float *w, const float *g);
void		nn_adam_free(NnAdam *a);

/* ---- network (nn_net.c) ---- */

/* Offsets of every parameter block in the model's weight vector. */
typedef struct NnLayout
{
	int			in_dim;			/* internal inputs per step */
	int			st_dim;			/* internal static inputs */
	size_t		conv_w[PMED_NN_MAX_CONV];
	size_t		conv_b[PMED_NN_MAX_CONV];
	int			conv_in[PMED_NN_MAX_CONV];
	int			conv_len[PMED_NN_MAX_CONV + 1];	/* steps into block l; [n_conv] = head */
	size_t		gru_wx[PMED_NN_MAX_GRU_LAYERS][2];
	size_t		gru_bx[PMED_NN_MAX_GRU_LAYERS][2];
	size_t		gru_wh[PMED_NN_MAX_GRU_LAYERS][2];
	size_t		gru_bh[PMED_NN_MAX_GRU_LAYERS][2];
	int			gru_in[PMED_NN_MAX_GRU_LAYERS];
	int			head_dim;		/* features out of the head, before static */
	int			n_lin;			/* dense layers including the output */
	size_t		lin_w[PMED_NN_MAX_DENSE + 1];
	size_t		lin_b[PMED_NN_MAX_DENSE + 1];
	int			lin_in[PMED_NN_MAX_DENSE + 1];
	int			lin_out[PMED_NN_MAX_DENSE + 1];
	size_t		n_params;
} NnLayout;

/* Fill the layout from the architecture; false when a size overflows. */
bool		nn_layout(const PmedNnModel *m, NnLayout *L);
/* Outputs of the last layer: 1 (binary, regression) or n_classes. */
int			nn_n_logits(const PmedNnModel *m);

/* Buffers for forward/backward passes of up to B_cap samples of T_cap steps. */
typedef struct NnNet
{
	const PmedNnModel *m;
	NnLayout	L;
	int			B_cap;
	int			T_cap;
	int			B;				/* current batch */
	int			T;				/* current steps (max length in batch) */
	int32_t    *len;			/* [B_cap] */
	float	   *in;				/* internal input: CNN [B,T,in], GRU [T,B,in] */
	float	   *st;				/* [B, st_dim] */
	float	   *d_in;			/* gradients of in and st (explain) */
	float	   *d_st;
	/* CNN */
	float	   *act[PMED_NN_MAX_CONV + 1];	/* act[0] = in; act[l+1] after pool */
	float	   *conv_y[PMED_NN_MAX_CONV];	/* after relu */
	int32_t    *pool_idx[PMED_NN_MAX_CONV];
	int32_t    *head_idx;
	float	   *col;
	/* GRU */
	float	   *gru_out[PMED_NN_MAX_GRU_LAYERS];	/* [T*B, H*dirs] */
	NnGruSaved	gru_sv[PMED_NN_MAX_GRU_LAYERS][2];
	float	   *gru_work;
	float	   *gru_dout;		/* [T*B, H*dirs] */
	float	   *gru_dx;			/* [T*B, max(in, H*dirs)] */
	/* dense stack: lin_x[i] is the input of linear layer i (after dropout) */
	float	   *lin_x[PMED_NN_MAX_DENSE + 1];
	float	   *drop[PMED_NN_MAX_DENSE + 1];	/* dropout scale per unit (0 or 1/(1-p)) */
	float	   *logits;
	float	   *d_a;			/* gradient scratch, [B, max width] */
	float	   *d_b;
	float	   *d_conv;			/* CNN gradient scratch */
	float	   *d_conv2;
} NnNet;

NnNet	   *nn_net_create(const PmedNnModel *m, int B_cap, int T_cap);
void		nn_net_free(NnNet *net);
/* Load internal inputs of samples idx[0..B-1] (T = their longest length). */
void		nn_net_load(NnNet *net, const PmedNnData *d, const int64_t *idx, int B);
/* One raw sample into row b of the batch (net->T must be set). */
void		nn_net_load_one(NnNet *net, int b, int len, const double *x, const double *s);
/* Forward pass; dropout only when rng != NULL and dropout > 0. */
void		nn_net_forward(NnNet *net, const float *w, double dropout, PmedRng *rng);
/*
 * Backward pass from dlogits [B, n_logits]: adds parameter gradients to
 * grad (NULL: skip) and, when want_input, fills d_in and d_st.
 */
void		nn_net_backward(NnNet *net, const float *w, const float *dlogits, float *grad,
							bool want_input);

/* Standardize + impute + mask + delta one raw sample into dst (steps apart). */
void		nn_input_sample(const PmedNnModel *m, int len, const double *x, float *dst,
							size_t step_stride);
void		nn_input_static(const PmedNnModel *m, const double *s, float *dst);

/* Initialise weights like PyTorch's defaults: U(-1/sqrt(fan_in), +). */
void		nn_init_weights(const PmedNnModel *m, const NnLayout *L, float *w, PmedRng *rng);

#endif
