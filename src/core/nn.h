/*
 * nn.h - a small neural engine, pure C: 1-D convolutional networks over
 * fixed-length signals and GRU networks over variable-length sequences,
 * trained by mini-batch Adam with float32 weights and BLAS sgemm.
 *
 * Data.  A sample is `len` steps of `n_features` values, step-major
 * (x[t * n_features + f]); a CNN's channels are its features.  NAN means a
 * missing value.  Optional static features (n_static per sample, e.g.
 * age or RR intervals) join the network after the convolution / GRU.
 *
 * Missing values, inside the model (all statistics from training rows):
 *   - every value is standardized with its feature's training mean and
 *     population standard deviation (observed values only);
 *   - CNN: a missing sample becomes 0 (the training mean);
 *   - GRU (a simplified GRU-D): a missing value becomes the last value
 *     observed earlier in the same sequence, else 0 (the training mean);
 *   - when the training data had any missing value (use_mask), each
 *     feature adds a mask input (1 observed, 0 missing) and, for the GRU,
 *     a delta input log(1 + steps since the feature was last observed)
 *     (the step count is t + 1 when it was never observed; 0 when observed
 *     now).  So a GRU sees 3 inputs per feature, a CNN 2;
 *   - static features: mean imputation, plus one mask input each when any
 *     static value was missing in training.
 *
 * Architectures.
 *   CNN: n_conv blocks of [conv1d (odd kernel, 'same' zero padding) ->
 *        relu -> pool (max or avg, size p, stride p; p = 1: none)], then a
 *        head: global average, global max, or flatten (fixed length).
 *   GRU: 1-2 layers of GRU cells (PyTorch's gate equations, order r, z, n),
 *        optionally bidirectional; the head is the last layer's final state
 *        (forward direction at the last step of the sequence, backward
 *        direction at step 0).
 *   Both: [head features, static inputs] -> dropout -> n_dense hidden dense
 *   layers with relu and dropout -> an output layer: one logit (binary,
 *   sigmoid), k logits (k > 2 classes, softmax) or one value (regression,
 *   on the standardized label).
 *
 * Training.  Mini-batch AdamW (decoupled weight decay), seeded shuffling,
 * early stopping on a seeded validation fraction (the best epoch's weights
 * are kept), class weights (balanced or given).  Single-threaded with a
 * fixed summation order: same data, options and seed give byte-identical
 * models.  pmed_check_interrupts() runs at least once per time step or
 * signal of every forward and backward pass.
 */
#ifndef PMED_NN_H
#define PMED_NN_H

#include "model.h"

typedef enum PmedNnArch
{
	PMED_NN_CNN = 1,
	PMED_NN_GRU = 2
} PmedNnArch;

typedef enum PmedNnHead
{
	PMED_NN_HEAD_AVG = 1,		/* global average over steps */
	PMED_NN_HEAD_MAX = 2,		/* global max over steps */
	PMED_NN_HEAD_FLATTEN = 3	/* all steps x channels (fixed length) */
} PmedNnHead;

typedef enum PmedNnPool
{
	PMED_NN_POOL_MAX = 1,
	PMED_NN_POOL_AVG = 2
} PmedNnPool;

/* Limits: options and decoders reject anything beyond them. */
#define PMED_NN_MAX_CONV		4
#define PMED_NN_MAX_DENSE		2
#define PMED_NN_MAX_GRU_LAYERS	2
#define PMED_NN_MAX_STEPS		10000	/* steps (samples) per sequence / signal */
#define PMED_NN_MAX_FEATURES	1000	/* features (channels) per step */
#define PMED_NN_MAX_STATIC		1000
#define PMED_NN_MAX_WIDTH		1024	/* filters, hidden or dense units */
#define PMED_NN_MAX_KERNEL		63
#define PMED_NN_MAX_PARAMS		((uint64_t) 50000000)
#define PMED_NN_MAX_CLASSES		1000
#define PMED_NN_MAX_ABS_WEIGHT	1e4		/* training clips, decoders reject beyond */
#define PMED_NN_MAX_ABS_INPUT	1e6		/* standardized inputs are clipped here */

typedef struct PmedNnOptions
{
	int			arch;			/* PmedNnArch */
	/* CNN */
	int			n_conv;			/* 1..4, default 2 */
	int			filters[PMED_NN_MAX_CONV];	/* default 16, 32 */
	int			kernel[PMED_NN_MAX_CONV];	/* odd, default 5, 5 */
	int			pool[PMED_NN_MAX_CONV];		/* default 2, 2 */
	int			pool_kind;		/* PmedNnPool, default max */
	int			head;			/* PmedNnHead, default avg */
	/* GRU */
	int			hidden;			/* default 32 */
	int			gru_layers;		/* 1..2, default 1 */
	bool		bidirectional;	/* default false */
	/* dense layers after the head */
	int			n_dense;		/* 0..2, default 1 */
	int			dense[PMED_NN_MAX_DENSE];	/* default 32 */
	double		dropout;		/* [0, 0.9], default 0 */
	/* optimisation */
	int			epochs;			/* 1..10000, default 30 */
	int			batch_size;		/* 1..4096, default 32 */
	double		learning_rate;	/* (0, 1], default 1e-3 */
	double		weight_decay;	/* [0, 1], default 0 */
	bool		balanced;		/* class weights n / (k n_c) */
	const double *class_weight; /* NULL, or n_classes positive weights */
	double		validation_fraction;	/* [0, 0.5], default 0.1; 0 = off */
	int			patience;		/* epochs without improvement, default 5 */
	bool		standardize;	/* default true */
	uint64_t	seed;			/* default 42 */
} PmedNnOptions;

void		pmed_nn_options_default(PmedNnOptions *o, int arch);
PmedStatus	pmed_nn_options_check(const PmedNnOptions *o, PmedError *err);

typedef struct PmedNnData
{
	int64_t		n;				/* samples */
	int			n_features;		/* values per step (channels) */
	int			n_static;		/* static values per sample, may be 0 */
	const int32_t *len;			/* steps of sample i (1..PMED_NN_MAX_STEPS) */
	const int64_t *offset;		/* first step of sample i in x */
	const double *x;			/* steps x n_features, NAN = missing */
	const double *s;			/* n x n_static, NAN = missing; NULL if none */
	const double *y;			/* class index 0..n_classes-1, or the value */
	int			n_classes;		/* 0 = regression, else >= 2 */
} PmedNnData;

typedef struct PmedNnModel
{
	/* architecture */
	uint8_t		arch;
	uint8_t		head;
	uint8_t		pool_kind;
	uint8_t		bidirectional;
	uint8_t		use_mask;		/* mask (+ delta) inputs per feature */
	uint8_t		static_mask;	/* mask input per static feature */
	int32_t		n_features;
	int32_t		n_static;
	int32_t		n_classes;		/* 0 = regression */
	int32_t		fixed_len;		/* CNN: the signal length; GRU: 0 */
	int32_t		n_conv;
	int32_t		filters[PMED_NN_MAX_CONV];
	int32_t		kernel[PMED_NN_MAX_CONV];
	int32_t		pool[PMED_NN_MAX_CONV];
	int32_t		hidden;
	int32_t		gru_layers;
	int32_t		n_dense;
	int32_t		dense[PMED_NN_MAX_DENSE];
	/* standardization (training rows, observed values) */
	double	   *mean;			/* n_features */
	double	   *std;			/* n_features, > 0 */
	double	   *s_mean;			/* n_static */
	double	   *s_std;
	double		y_mean;			/* regression label; 0 / 1 otherwise */
	double		y_std;
	/* training summary */
	int32_t		epochs_run;
	int32_t		best_epoch;		/* 1-based epoch whose weights were kept */
	double		best_val_loss;	/* NAN-free: 0 when no validation */
	/*
	 * Training curve, epochs_run values each: the mean training loss of the
	 * epoch's mini-batches (with dropout) and the validation loss (0 without
	 * validation).  Set by pmed_nn_train only: not stored in the payload
	 * (NULL after decoding).
	 */
	double	   *train_loss;
	double	   *val_loss;
	/* weights */
	uint64_t	n_params;
	float	   *w;
} PmedNnModel;

/* Train a model (free with pmed_nn_free).  Returns a status and message. */
PmedStatus	pmed_nn_train(const PmedNnData *data, const PmedNnOptions *opt,
						  PmedNnModel **out, PmedError *err);
void		pmed_nn_free(PmedNnModel *m);

/*
 * Check one sample against the model: length limits, feature count, a
 * CNN's fixed length, no infinity.  PMED_ERR_INVALID with a message.
 */
PmedStatus	pmed_nn_check_input(const PmedNnModel *m, int len, PmedError *err);

/*
 * Outputs of one sample (x: len x n_features, s: n_static or NULL):
 * probabilities of each class (n_classes values; binary: 1 - p, p) or the
 * predicted value (1 value).  Call pmed_nn_check_input first.  Returns
 * false when an output is not finite (only possible for absurd inputs or
 * weights; the glue should raise an error).
 */
bool		pmed_nn_predict(const PmedNnModel *m, int len, const double *x,
							const double *s, double *out);
/* Number of values pmed_nn_predict writes. */
int			pmed_nn_n_outputs(const PmedNnModel *m);

/*
 * Integrated gradients (Sundararajan et al. 2017) of one output against the
 * baseline input "an average patient, fully observed": every value at its
 * training mean, observed at every step (mask 1, delta 0), static features
 * at their training means.  The explained
 * output is the probability of class `target` (classification) or the
 * predicted value (regression; target ignored).  The path integral uses
 * the trapezoidal rule over `steps` intervals (0 = default 64).
 *
 * Writes base_value (the output at the baseline), output (at the input),
 * per_step[t * n_features + f] (the value, mask and delta attributions of
 * feature f at step t summed) and per_feature[f] (summed over steps), then
 * per_feature[n_features + j] for static feature j.  base_value plus all
 * attributions equals output up to the quadrature error (see nn.md).
 */
PmedStatus	pmed_nn_explain(const PmedNnModel *m, int len, const double *x, const double *s,
							int target, int steps, double *base_value, double *output,
							double *per_step, double *per_feature, PmedError *err);

/* The ALGO payload: write, and read back (every length and float checked). */
void		pmed_nn_encode(const PmedNnModel *m, PmedWriter *w);
bool		pmed_nn_decode(PmedReader *r, PmedNnModel **out);

/* Bytes the decoded model occupies in memory (for model_info). */
size_t		pmed_nn_memory_size(const PmedNnModel *m);

#endif
