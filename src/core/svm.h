/*
 * svm.h - support vector machine classifiers, pure C.
 *
 * Two kernels:
 *   - rbf: the C-SVC dual solved by SMO with second-order working-set
 *     selection, shrinking and a kernel-row cache (Fan, Chen & Lin 2005).
 *     Kernel rows of the dense, standardized training matrix are computed
 *     with BLAS dgemv plus precomputed squared norms, then exp.
 *   - linear: L1-loss dual coordinate descent with shrinking (Hsieh et al.
 *     2008) on features augmented with a constant bias feature 1.
 *
 * Two classes give one binary machine; k > 2 classes give k(k-1)/2
 * one-vs-one machines that vote (as libsvm).  Pair (i, j), i < j, has
 * decision f > 0 for class j, so a binary model's decision is positive for
 * the greater class.  Optional probabilities: Platt sigmoids fitted on
 * 5-fold cross-validated decision values (Lin, Lin & Weng 2007), coupled
 * over pairs for k > 2 (Wu, Lin & Weng 2004, method 2).
 *
 * Missing values (NAN) are imputed with the training mean, at training and
 * at prediction; features are standardized with the training mean and
 * (population) standard deviation unless standardize is false.
 */
#ifndef PMED_SVM_H
#define PMED_SVM_H

#include "model.h"

typedef enum PmedSvmKernel
{
	PMED_SVM_LINEAR = 1,
	PMED_SVM_RBF = 2
} PmedSvmKernel;

typedef struct PmedSvmParams
{
	int			kernel;			/* PmedSvmKernel */
	double		C;				/* > 0 */
	double		gamma;			/* > 0; ignored when gamma_scale */
	bool		gamma_scale;	/* gamma = 1 / (p * var(X)) after scaling */
	bool		standardize;
	bool		balanced;		/* class_weight: n / (k * n_c) */
	double		tol;			/* stopping tolerance, > 0 */
	int64_t		max_iter;		/* 0 = default (libsvm's max(1e7, 100 l)) */
	uint64_t	seed;
	bool		probability;	/* fit Platt sigmoids by 5-fold CV */
	double		cache_mb;		/* kernel cache budget, 0 = default 200 */
	bool		linear_smo;		/* tests: solve linear kernel by SMO, no bias feature */
	bool		overwrite_x;	/* the caller lends ds->x: standardize it in place */
} PmedSvmParams;

void		pmed_svm_params_default(PmedSvmParams *p);
/* Checks C, gamma, tol, max_iter, cache; PMED_ERR_INVALID with a message. */
PmedStatus	pmed_svm_params_check(const PmedSvmParams *p, PmedError *err);

typedef struct PmedSvmModel
{
	int			kernel;
	int			n_features;
	int			n_classes;
	int			n_pairs;		/* k(k-1)/2, pair order (0,1),(0,2)..(1,2).. */
	double		C;
	double		gamma;			/* rbf: the gamma used; linear: 0 */
	bool		standardized;
	bool		has_probability;
	int64_t		iterations;		/* total solver iterations, all pairs */
	double	   *mean;			/* p: imputation value and centre */
	double	   *scale;			/* p: divisor (1 when not standardized) */
	double	   *rho;			/* n_pairs: f = sum - rho */
	double	   *prob_a;			/* n_pairs: P(j | i or j) = 1 / (1 + exp(A f + B)) */
	double	   *prob_b;
	/* linear */
	double	   *w;				/* n_pairs * p, on the scaled features */
	/* rbf: support vectors grouped by class, libsvm's coefficient layout */
	int			n_sv;
	int		   *sv_count;		/* n_classes */
	double	   *sv;				/* n_sv * p, scaled */
	double	   *sv_coef;		/* (n_classes - 1) * n_sv */
	/* derived at fit / read time, not stored */
	int		   *sv_start;		/* n_classes */
	double	   *sv_norm2;		/* n_sv */
	double	   *w_orig;			/* linear: n_pairs * p in original units */
	double	   *b_orig;			/* linear: n_pairs, decision at x = 0 */
} PmedSvmModel;

/* Train on ds (NAN = missing, y = class index).  *out allocated via hooks. */
PmedStatus	pmed_svm_fit(const PmedDataset *ds, const PmedSvmParams *params,
						 PmedSvmModel **out, PmedError *err);

/*
 * The fit in steps, for parallel_fit.c: prepare (checks, scaling, classes),
 * solve each one-vs-one pair independently (any process, any order, from a
 * copy of the shared arrays), append the pairs in pair order, finish.
 * pmed_svm_fit is exactly these steps, serially.
 */
typedef struct PmedSvmFit PmedSvmFit;

/* What solving a pair reads; every array read-only. */
typedef struct PmedSvmShared
{
	PmedSvmParams params;
	int64_t		n;
	int			p;
	int			k;
	int			n_pairs;
	double		gamma;			/* the gamma used (rbf) */
	const double *z;			/* n * p: the scaled, imputed rows */
	const int  *cls;			/* n: row indices grouped by class */
	const int64_t *start;		/* k + 1: class c's rows are cls[start[c] .. start[c + 1]) */
	const double *cw;			/* k: class weights */
} PmedSvmShared;

/* One solved pair: what the model keeps of it. */
typedef struct PmedSvmPair
{
	int			q;
	int			l;				/* rows of the pair's problem */
	double		rho;
	double		prob_a;			/* Platt, when params.probability */
	double		prob_b;
	int64_t		iterations;
	double	   *w;				/* linear: p, else NULL */
	double	   *alpha;			/* rbf: l, else NULL */
} PmedSvmPair;

PmedStatus	pmed_svm_prepare(const PmedDataset *ds, const PmedSvmParams *params,
							 PmedSvmFit **out, PmedError *err);
const PmedSvmShared *pmed_svm_fit_shared(const PmedSvmFit *f);
PmedStatus	pmed_svm_solve_pair(const PmedSvmShared *sh, int q, PmedSvmPair *out,
								PmedError *err);
void		pmed_svm_pair_free(PmedSvmPair *r);
size_t		pmed_svm_pair_flat_size(const PmedSvmShared *sh, const PmedSvmPair *r);
void		pmed_svm_pair_flatten(const PmedSvmShared *sh, const PmedSvmPair *r, void *dst);
void		pmed_svm_pair_unflatten(const PmedSvmShared *sh, const void *src, PmedSvmPair *r);
/* Pair r must be the next in pair order; takes r's arrays. */
PmedStatus	pmed_svm_append(PmedSvmFit *f, PmedSvmPair *r, PmedError *err);
/* After every pair: the model; frees f. */
PmedStatus	pmed_svm_finish(PmedSvmFit *f, PmedSvmModel **out, PmedError *err);
void		pmed_svm_fit_free(PmedSvmFit *f);

/*
 * Decision values of every pair for one row x (p values, NAN = missing):
 * dec[n_pairs].  work: scratch of pmed_svm_work_size(m) doubles.
 */
size_t		pmed_svm_work_size(const PmedSvmModel *m);
void		pmed_svm_decision(const PmedSvmModel *m, const double *x, double *dec, double *work);
/* Predicted class index by one-vs-one voting (ties: lowest index). */
int			pmed_svm_predict(const PmedSvmModel *m, const double *x, double *work);
/* Class probabilities proba[n_classes]; false when the model has none. */
bool		pmed_svm_predict_proba(const PmedSvmModel *m, const double *x, double *proba,
								   double *work);

/*
 * Explain the decision value of pair 0 (binary: the model's decision, > 0
 * for class 1; multi-class: classes 0 vs 1, > 0 for class 1).
 * linear: exact, base = decision at the training mean, contrib[j] =
 * w_j (x_j - mean_j) in original units, base + sum = decision.
 * rbf: contrib[j] = f(x) - f(x with feature j set to its mean); base =
 * f(all means).  These need not add up to f(x) - base.
 */
void		pmed_svm_explain(const PmedSvmModel *m, const double *x, double *base,
							 double *contrib, double *work);

void		pmed_svm_write(PmedWriter *w, const PmedSvmModel *m);
/* Validates every field against n_features and n_classes. */
PmedStatus	pmed_svm_read(PmedReader *r, int n_features, int n_classes,
						  PmedSvmModel **out, PmedError *err);
void		pmed_svm_free(PmedSvmModel *m);

/* ---- internals shared by svm*.c (not a public API) ---- */

/*
 * One binary problem over rows of a shared scaled matrix z (row-major p):
 * row i of the problem is z row rows[i] (or row i when rows is NULL), with
 * label y[i] = +1/-1.  Pairs and cross-validation folds are index lists
 * into the one matrix, never copies of it.
 */
typedef struct PmedSvmProblem
{
	int			l;
	int			p;
	double	   *z;
	const int  *rows;			/* l indices into z, or NULL: rows 0..l-1 */
	signed char *y;
	double		Cp;				/* bound for y = +1 */
	double		Cn;				/* bound for y = -1 */
} PmedSvmProblem;

/* Row i of a problem. */
static inline const double *
pmed_svm_row(const PmedSvmProblem *prob, int i)
{
	return prob->z + (size_t) (prob->rows ? prob->rows[i] : i) * prob->p;
}

typedef struct PmedSvmSolution
{
	double	   *alpha;			/* l */
	double		rho;
	double	   *w;				/* linear DCD: p (scaled features), else NULL */
	int64_t		iterations;
	double		kkt_violation;	/* max violation (Gmax + Gmin) at the end */
} PmedSvmSolution;

/*
 * SMO for a kernel (rbf, or a plain dot product for linear).  At max_iter it
 * stops with the current iterate; kkt_violation then tells how far it was.
 */
PmedStatus	pmed_svm_smo(const PmedSvmProblem *prob, int kernel, double gamma, double tol,
						 int64_t max_iter, double cache_mb, PmedSvmSolution *sol,
						 PmedError *err);
/* Dual coordinate descent with bias feature 1; w has p values, rho = -b. */
PmedStatus	pmed_svm_dcd(const PmedSvmProblem *prob, double tol, int64_t max_iter,
						 uint64_t seed, PmedSvmSolution *sol, PmedError *err);

/* Platt sigmoid fit on decision values and +1/-1 labels. */
void		pmed_svm_sigmoid_fit(int n, const double *dec, const signed char *y,
								 double *A, double *B);
double		pmed_svm_sigmoid_predict(double f, double A, double B);
/* Pairwise coupling: r[i*k + j] = P(i | i or j); p[k] out. */
void		pmed_svm_couple(int k, const double *r, double *p);

/* RBF kernel exp(-gamma * d2) over a vector, in place. */
void		pmed_svm_exp_neg(double *v, int n, double gamma);

#endif
