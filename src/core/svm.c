/*
 * svm.c - SVM training orchestration (scaling, one-vs-one pairs, Platt
 * cross-validation), prediction, explanation and the model encoding.
 * The solvers are in svm_smo.c (rbf) and svm_linear.c (linear), the
 * probability fits in svm_platt.c.
 */
#include "svm.h"
#include "blas.h"
#include "rng.h"

#include <math.h>
#include <string.h>

#define PLATT_FOLDS 5
#define MIN_PROB 1e-7

void
pmed_svm_params_default(PmedSvmParams *p)
{
	memset(p, 0, sizeof(*p));
	p->kernel = PMED_SVM_RBF;
	p->C = 1.0;
	p->gamma = 0;
	p->gamma_scale = true;
	p->standardize = true;
	p->balanced = false;
	p->tol = 1e-3;
	p->max_iter = 0;
	p->seed = 0;
	p->probability = true;
	p->cache_mb = 0;
}

PmedStatus
pmed_svm_params_check(const PmedSvmParams *p, PmedError *err)
{
	if (p->kernel != PMED_SVM_LINEAR && p->kernel != PMED_SVM_RBF)
		return pmed_fail(err, PMED_ERR_INVALID, "unknown svm kernel %d", p->kernel);
	if (!(p->C > 0) || !isfinite(p->C))
		return pmed_fail(err, PMED_ERR_INVALID, "svm C must be a positive number");
	if (p->kernel == PMED_SVM_RBF && !p->gamma_scale && (!(p->gamma > 0) || !isfinite(p->gamma)))
		return pmed_fail(err, PMED_ERR_INVALID, "svm gamma must be a positive number or \"scale\"");
	if (!(p->tol > 0) || !isfinite(p->tol))
		return pmed_fail(err, PMED_ERR_INVALID, "svm tol must be a positive number");
	if (p->max_iter < 0)
		return pmed_fail(err, PMED_ERR_INVALID, "svm max_iter must not be negative");
	if (p->cache_mb < 0 || !isfinite(p->cache_mb))
		return pmed_fail(err, PMED_ERR_INVALID, "svm cache size must not be negative");
	return PMED_OK;
}

/* ---- training ---- */

/*
 * Decision values of n_rows rows of z (row-major p; rows[] are indices
 * into z) for a solved subproblem.
 */
static void
subproblem_decisions(const PmedSvmProblem *train, const PmedSvmSolution *sol, int kernel,
					 double gamma, const double *z, int p, const int *rows, int n_rows,
					 double *dec)
{
	if (sol->w != NULL)
	{
		for (int r = 0; r < n_rows; r++)
		{
			const double *x = z + (size_t) rows[r] * p;
			double		f = -sol->rho;

			for (int k = 0; k < p; k++)
				f += sol->w[k] * x[k];
			dec[r] = f;
		}
		return;
	}
	else
	{
		/* gather the support vectors, then one dgemv per row */
		int			nsv = 0,
					one = 1;
		double		done = 1.0,
					dzero = 0.0;
		double	   *sv,
				   *coef,
				   *nrm,
				   *d;

		for (int i = 0; i < train->l; i++)
			if (sol->alpha[i] > 0)
				nsv++;
		if (nsv == 0)
		{
			for (int r = 0; r < n_rows; r++)
				dec[r] = -sol->rho;
			return;
		}
		sv = pmed_alloc_array((size_t) nsv * p, sizeof(double));
		coef = pmed_alloc_array(nsv, sizeof(double));
		nrm = pmed_alloc_array(nsv, sizeof(double));
		d = pmed_alloc_array(nsv, sizeof(double));
		nsv = 0;
		for (int i = 0; i < train->l; i++)
		{
			if (sol->alpha[i] > 0)
			{
				const double *zi = pmed_svm_row(train, i);
				double		s = 0;

				memcpy(sv + (size_t) nsv * p, zi, p * sizeof(double));
				for (int k = 0; k < p; k++)
					s += zi[k] * zi[k];
				nrm[nsv] = s;
				coef[nsv] = sol->alpha[i] * train->y[i];
				nsv++;
			}
		}
		for (int r = 0; r < n_rows; r++)
		{
			const double *x = z + (size_t) rows[r] * p;
			double		xn = 0,
						f = -sol->rho;

			if ((r & 255) == 255)
				pmed_check_interrupts();
			for (int k = 0; k < p; k++)
				xn += x[k] * x[k];
			dgemv_("T", &p, &nsv, &done, sv, &p, x, &one, &dzero, d, &one);
			if (kernel == PMED_SVM_RBF)
			{
				for (int s = 0; s < nsv; s++)
				{
					double		d2 = nrm[s] + xn - 2.0 * d[s];

					d[s] = d2 > 0 ? d2 : 0;
				}
				pmed_svm_exp_neg(d, nsv, gamma);
			}
			for (int s = 0; s < nsv; s++)
				f += coef[s] * d[s];
			dec[r] = f;
		}
		pmed_free(sv);
		pmed_free(coef);
		pmed_free(nrm);
		pmed_free(d);
	}
}

static PmedStatus
solve(const PmedSvmProblem *prob, const PmedSvmParams *params, double gamma, uint64_t seed,
	  PmedSvmSolution *sol, PmedError *err)
{
	if (params->kernel == PMED_SVM_LINEAR && !params->linear_smo)
		return pmed_svm_dcd(prob, params->tol, params->max_iter, seed, sol, err);
	return pmed_svm_smo(prob, params->kernel, gamma, params->tol, params->max_iter,
						params->cache_mb, sol, err);
}

static void
solution_free(PmedSvmSolution *sol)
{
	pmed_free(sol->alpha);
	pmed_free(sol->w);
	sol->alpha = NULL;
	sol->w = NULL;
}

/* z row of row i of a problem */
static int
row_index(const PmedSvmProblem *prob, int i)
{
	return prob->rows ? prob->rows[i] : i;
}

/*
 * Platt sigmoid of one binary problem from 5-fold cross-validated decision
 * values (libsvm's -b 1 procedure, with a seeded permutation).  The folds
 * are index lists into the problem's matrix.
 */
static PmedStatus
platt_cv(const PmedSvmProblem *prob, const PmedSvmParams *params, double gamma, uint64_t seed,
		 double *A, double *B, PmedError *err)
{
	int			l = prob->l,
				p = prob->p;
	int		   *perm = pmed_alloc_array(l, sizeof(int));
	int		   *fold_rows = pmed_alloc_array(l, sizeof(int));
	int		   *sub_rows = pmed_alloc_array(l, sizeof(int));
	double	   *dec = pmed_alloc_array(l, sizeof(double));
	double	   *fold_dec = pmed_alloc_array(l, sizeof(double));
	signed char *ys = pmed_alloc_array(l, 1);
	PmedSvmProblem sub;
	PmedRng		rng;

	pmed_rng_seed(&rng, seed ^ 0x9e3779b97f4a7c15ULL);
	for (int i = 0; i < l; i++)
		perm[i] = i;
	for (int i = 0; i < l - 1; i++)
	{
		int			j = i + (int) pmed_rng_below(&rng, (uint64_t) (l - i));
		int			t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	sub.p = p;
	sub.Cp = prob->Cp;
	sub.Cn = prob->Cn;
	sub.z = prob->z;
	sub.rows = sub_rows;
	sub.y = pmed_alloc_array(l, 1);
	for (int f = 0; f < PLATT_FOLDS; f++)
	{
		int			begin = (int) ((int64_t) f * l / PLATT_FOLDS);
		int			end = (int) ((int64_t) (f + 1) * l / PLATT_FOLDS);
		int			npos = 0,
					nneg = 0;

		sub.l = 0;
		for (int s = 0; s < l; s++)
		{
			int			i;

			if (s >= begin && s < end)
				continue;
			i = perm[s];
			sub_rows[sub.l] = row_index(prob, i);
			sub.y[sub.l] = prob->y[i];
			if (prob->y[i] > 0)
				npos++;
			else
				nneg++;
			sub.l++;
		}
		if (end == begin)
			continue;
		if (npos == 0 || nneg == 0)
		{
			for (int s = begin; s < end; s++)
				fold_dec[s - begin] = npos > 0 ? 1.0 : (nneg > 0 ? -1.0 : 0.0);
		}
		else
		{
			PmedSvmSolution sol;
			PmedStatus	st = solve(&sub, params, gamma, seed + 1 + f, &sol, err);

			if (st != PMED_OK)
				return st;
			for (int s = begin; s < end; s++)
				fold_rows[s - begin] = row_index(prob, perm[s]);
			subproblem_decisions(&sub, &sol, params->linear_smo ? PMED_SVM_LINEAR : params->kernel,
								 gamma, prob->z, p, fold_rows, end - begin, fold_dec);
			solution_free(&sol);
		}
		for (int s = begin; s < end; s++)
		{
			dec[s] = fold_dec[s - begin];
			ys[s] = prob->y[perm[s]];
		}
	}
	pmed_svm_sigmoid_fit(l, dec, ys, A, B);
	pmed_free(perm);
	pmed_free(fold_rows);
	pmed_free(sub_rows);
	pmed_free(dec);
	pmed_free(fold_dec);
	pmed_free(ys);
	pmed_free(sub.y);
	return PMED_OK;
}

static void
model_derive(PmedSvmModel *m)
{
	int			p = m->n_features,
				k = m->n_classes;

	if (m->kernel == PMED_SVM_RBF)
	{
		m->sv_start = pmed_alloc_array(k, sizeof(int));
		for (int c = 1; c < k; c++)
			m->sv_start[c] = m->sv_start[c - 1] + m->sv_count[c - 1];
		m->sv_norm2 = pmed_alloc_array(m->n_sv > 0 ? m->n_sv : 1, sizeof(double));
		for (int s = 0; s < m->n_sv; s++)
		{
			const double *v = m->sv + (size_t) s * p;
			double		t = 0;

			for (int j = 0; j < p; j++)
				t += v[j] * v[j];
			m->sv_norm2[s] = t;
		}
	}
	else
	{
		m->w_orig = pmed_alloc_array((size_t) m->n_pairs * p, sizeof(double));
		m->b_orig = pmed_alloc_array(m->n_pairs, sizeof(double));
		for (int q = 0; q < m->n_pairs; q++)
		{
			double		b = -m->rho[q];

			for (int j = 0; j < p; j++)
			{
				double		wo = m->w[(size_t) q * p + j] / m->scale[j];

				m->w_orig[(size_t) q * p + j] = wo;
				b -= wo * m->mean[j];
			}
			m->b_orig[q] = b;
		}
	}
}

/* Training in phases; the state they share. */
struct PmedSvmFit
{
	const PmedDataset *ds;
	const PmedSvmParams *params;
	PmedSvmModel *m;
	int64_t		n;
	int			p;
	int			k;
	int64_t    *count;			/* rows per class */
	int64_t    *start;			/* k + 1: class c's rows are cls[start[c] .. start[c + 1]) */
	int		   *cls;			/* row indices grouped by class, ascending */
	double	   *z;				/* the scaled, imputed matrix (ds->x itself when overwrite_x) */
	double	   *cw;				/* k: class weights */
	double		gamma;
	PmedSvmShared sh;			/* what a pair's solver reads */
	int			next_pair;		/* the next pair pmed_svm_append takes */
	/* per pair (rbf): its alphas, to gather support vectors */
	double	  **pair_alpha;
};
typedef struct PmedSvmFit SvmFit;

/* Phase 1: parameters, shape, class counts. */
static PmedStatus
fit_check(SvmFit *f, PmedError *err)
{
	PmedStatus	st = pmed_svm_params_check(f->params, err);

	if (st != PMED_OK)
		return st;
	if (f->p < 1)
		return pmed_fail(err, PMED_ERR_INVALID, "svm needs at least one feature");
	if (f->k < 2)
		return pmed_fail(err, PMED_ERR_INVALID, "svm needs at least two classes, found %d", f->k);
	if (f->k > PMED_MAX_CLASSES || f->p > PMED_MAX_FEATURES)
		return pmed_fail(err, PMED_ERR_LIMIT, "too many classes or features for svm");
	if (f->n > INT32_MAX / 2)
		return pmed_fail(err, PMED_ERR_LIMIT, "too many rows for svm: %lld", (long long) f->n);
	f->count = pmed_alloc_array(f->k, sizeof(int64_t));
	for (int64_t i = 0; i < f->n; i++)
	{
		double		yi = f->ds->y[i];

		if (!(yi >= 0 && yi < f->k) || yi != floor(yi))
			return pmed_fail(err, PMED_ERR_INVALID, "invalid class index in svm training data");
		f->count[(int) yi]++;
	}
	for (int c = 0; c < f->k; c++)
		if (f->count[c] < 2)
		{
			pmed_fail(err, PMED_ERR_INVALID, "too few rows for class %d: %lld", c,
					  (long long) f->count[c]);
			pmed_fail_detail(err, "Each class needs at least two training rows.");
			return PMED_ERR_INVALID;
		}
	return PMED_OK;
}

/* Phase 2: the model shell. */
static void
fit_model_alloc(SvmFit *f)
{
	PmedSvmModel *m = pmed_alloc(sizeof(PmedSvmModel));

	m->kernel = f->params->kernel;
	m->n_features = f->p;
	m->n_classes = f->k;
	m->n_pairs = f->k * (f->k - 1) / 2;
	m->C = f->params->C;
	m->standardized = f->params->standardize;
	m->has_probability = f->params->probability;
	m->mean = pmed_alloc_array(f->p, sizeof(double));
	m->scale = pmed_alloc_array(f->p, sizeof(double));
	m->rho = pmed_alloc_array(m->n_pairs, sizeof(double));
	if (m->has_probability)
	{
		m->prob_a = pmed_alloc_array(m->n_pairs, sizeof(double));
		m->prob_b = pmed_alloc_array(m->n_pairs, sizeof(double));
	}
	if (m->kernel == PMED_SVM_LINEAR)
		m->w = pmed_alloc_array((size_t) m->n_pairs * f->p, sizeof(double));
	f->m = m;
}

/* Phase 3: means and deviations over observed values (Welford). */
static PmedStatus
fit_scale(SvmFit *f, PmedError *err)
{
	PmedSvmModel *m = f->m;
	int			p = f->p;
	int64_t    *seen = pmed_alloc_array(p, sizeof(int64_t));
	double	   *m2 = pmed_alloc_array(p, sizeof(double));

	for (int64_t i = 0; i < f->n; i++)
	{
		const double *x = f->ds->x + (size_t) i * p;

		for (int j = 0; j < p; j++)
		{
			if (!isnan(x[j]))
			{
				double		d = x[j] - m->mean[j];

				seen[j]++;
				m->mean[j] += d / seen[j];
				m2[j] += d * (x[j] - m->mean[j]);
			}
		}
	}
	for (int j = 0; j < p; j++)
	{
		double		sd;

		if (seen[j] == 0)
		{
			pmed_fail(err, PMED_ERR_INVALID, "feature %d has no value in any training row", j + 1);
			pmed_fail_detail(err, "The training mean imputes missing values, so every feature needs at least one non-NULL value.");
			return PMED_ERR_INVALID;
		}
		sd = sqrt(m2[j] / seen[j]);
		m->scale[j] = (f->params->standardize && sd > 1e-12 * (1 + fabs(m->mean[j]))) ? sd : 1.0;
	}
	pmed_free(seen);
	pmed_free(m2);
	return PMED_OK;
}

/*
 * Phase 4: the scaled, imputed matrix z, and gamma.  In place when the
 * caller lends its copy of the rows (params->overwrite_x): then training
 * holds no second dense copy.
 */
static void
fit_scaled_matrix(SvmFit *f)
{
	PmedSvmModel *m = f->m;
	int			p = f->p;
	double		s1 = 0,
				s2 = 0;

	f->z = f->params->overwrite_x ? (double *) f->ds->x
		: pmed_alloc_array((size_t) f->n * p, sizeof(double));
	for (int64_t i = 0; i < f->n; i++)
	{
		const double *x = f->ds->x + (size_t) i * p;
		double	   *zi = f->z + (size_t) i * p;

		for (int j = 0; j < p; j++)
		{
			double		v = isnan(x[j]) ? 0.0 : (x[j] - m->mean[j]) / m->scale[j];

			zi[j] = v;
			s1 += v;
			s2 += v * v;
		}
	}
	if (f->params->kernel == PMED_SVM_RBF)
	{
		if (f->params->gamma_scale)
		{
			double		cnt = (double) f->n * p;
			double		var = s2 / cnt - (s1 / cnt) * (s1 / cnt);

			f->gamma = var > 0 ? 1.0 / (p * var) : 1.0;
		}
		else
			f->gamma = f->params->gamma;
	}
	m->gamma = f->gamma;
}

/* Phase 5: row indices grouped by class. */
static void
fit_class_rows(SvmFit *f)
{
	int64_t    *fill = pmed_alloc_array(f->k, sizeof(int64_t));

	f->start = pmed_alloc_array(f->k + 1, sizeof(int64_t));
	for (int c = 0; c < f->k; c++)
		f->start[c + 1] = f->start[c] + f->count[c];
	f->cls = pmed_alloc_array((size_t) f->n, sizeof(int));
	for (int64_t i = 0; i < f->n; i++)
	{
		int			c = (int) f->ds->y[i];

		f->cls[f->start[c] + fill[c]++] = (int) i;
	}
	pmed_free(fill);
}

/* The classes (a, b), a < b, of pair q in pair order (0,1),(0,2)..(1,2).. */
static void
pair_classes(int k, int q, int *a, int *b)
{
	for (int i = 0; i < k; i++)
	{
		if (q < k - 1 - i)
		{
			*a = i;
			*b = i + 1 + q;
			return;
		}
		q -= k - 1 - i;
	}
	*a = *b = 0;
}

/* z row of row s of pair (a, b)'s problem: class a's rows, then class b's */
static int
pair_row(const PmedSvmShared *sh, int a, int b, int s)
{
	int64_t		na = sh->start[a + 1] - sh->start[a];

	return s < na ? sh->cls[sh->start[a] + s] : sh->cls[sh->start[b] + s - na];
}

/*
 * Phase 6, one pair: the binary problem of pair q (one-vs-one), solved, with
 * its Platt sigmoid.  Reads only sh, so any process holding a copy of sh's
 * arrays may solve any pair: the result depends on nothing else.
 */
PmedStatus
pmed_svm_solve_pair(const PmedSvmShared *sh, int q, PmedSvmPair *out, PmedError *err)
{
	const PmedSvmParams *params = &sh->params;
	PmedSvmProblem prob;
	PmedSvmSolution sol;
	int			p = sh->p,
				a,
				b,
				l;
	int		   *rows;
	PmedStatus	st;

	memset(out, 0, sizeof(*out));
	pair_classes(sh->k, q, &a, &b);
	l = (int) (sh->start[a + 1] - sh->start[a] + sh->start[b + 1] - sh->start[b]);
	rows = pmed_alloc_array(l, sizeof(int));
	out->q = q;
	out->l = l;
	prob.l = l;
	prob.p = p;
	prob.Cp = params->C * sh->cw[b];
	prob.Cn = params->C * sh->cw[a];
	prob.z = (double *) sh->z;
	prob.rows = rows;
	prob.y = pmed_alloc_array(l, 1);
	for (int s = 0; s < l; s++)
	{
		rows[s] = pair_row(sh, a, b, s);
		prob.y[s] = s < sh->start[a + 1] - sh->start[a] ? -1 : 1;
	}
	st = solve(&prob, params, sh->gamma, params->seed + (uint64_t) q, &sol, err);
	if (st != PMED_OK)
		return st;
	out->iterations = sol.iterations;
	out->rho = sol.rho;
	if (params->kernel == PMED_SVM_LINEAR)
	{
		if (sol.w != NULL)
		{
			out->w = sol.w;
			sol.w = NULL;
		}
		else
		{
			/* linear kernel by SMO (tests): w = sum alpha y z */
			out->w = pmed_alloc_array(p, sizeof(double));
			for (int s = 0; s < l; s++)
			{
				const double *zs = pmed_svm_row(&prob, s);

				for (int j = 0; j < p; j++)
					out->w[j] += sol.alpha[s] * prob.y[s] * zs[j];
			}
		}
	}
	if (params->probability)
	{
		st = platt_cv(&prob, params, sh->gamma, params->seed + 7919u * (uint64_t) (q + 1),
					  &out->prob_a, &out->prob_b, err);
		if (st != PMED_OK)
			return st;
	}
	if (params->kernel == PMED_SVM_RBF)
		out->alpha = sol.alpha;
	else
		pmed_free(sol.alpha);
	pmed_free(sol.w);
	pmed_free(prob.y);
	pmed_free(rows);
	return PMED_OK;
}

void
pmed_svm_pair_free(PmedSvmPair *r)
{
	pmed_free(r->w);
	pmed_free(r->alpha);
	r->w = NULL;
	r->alpha = NULL;
}

/* The pair's results flattened: a header, then w (p), then alpha (l). */
typedef struct SvmPairFlat
{
	int32_t		q;
	int32_t		l;
	int32_t		has_w;
	int32_t		has_alpha;
	double		rho;
	double		prob_a;
	double		prob_b;
	int64_t		iterations;
} SvmPairFlat;

size_t
pmed_svm_pair_flat_size(const PmedSvmShared *sh, const PmedSvmPair *r)
{
	return sizeof(SvmPairFlat) + (r->w ? sizeof(double) * (size_t) sh->p : 0) +
		(r->alpha ? sizeof(double) * (size_t) r->l : 0);
}

void
pmed_svm_pair_flatten(const PmedSvmShared *sh, const PmedSvmPair *r, void *dst)
{
	SvmPairFlat h;
	char	   *d = (char *) dst + sizeof(SvmPairFlat);

	memset(&h, 0, sizeof(h));
	h.q = r->q;
	h.l = r->l;
	h.has_w = r->w != NULL;
	h.has_alpha = r->alpha != NULL;
	h.rho = r->rho;
	h.prob_a = r->prob_a;
	h.prob_b = r->prob_b;
	h.iterations = r->iterations;
	memcpy(dst, &h, sizeof(h));
	if (r->w)
	{
		memcpy(d, r->w, sizeof(double) * (size_t) sh->p);
		d += sizeof(double) * (size_t) sh->p;
	}
	if (r->alpha)
		memcpy(d, r->alpha, sizeof(double) * (size_t) r->l);
}

void
pmed_svm_pair_unflatten(const PmedSvmShared *sh, const void *src, PmedSvmPair *r)
{
	SvmPairFlat h;
	const char *d = (const char *) src + sizeof(SvmPairFlat);

	memcpy(&h, src, sizeof(h));
	memset(r, 0, sizeof(*r));
	r->q = h.q;
	r->l = h.l;
	r->rho = h.rho;
	r->prob_a = h.prob_a;
	r->prob_b = h.prob_b;
	r->iterations = h.iterations;
	if (h.has_w)
	{
		r->w = pmed_alloc_array(sh->p, sizeof(double));
		memcpy(r->w, d, sizeof(double) * (size_t) sh->p);
		d += sizeof(double) * (size_t) sh->p;
	}
	if (h.has_alpha)
	{
		r->alpha = pmed_alloc_array(h.l, sizeof(double));
		memcpy(r->alpha, d, sizeof(double) * (size_t) h.l);
	}
}

/* Phase 6, merge: pair r (the next in pair order) into the model; takes r's arrays. */
PmedStatus
pmed_svm_append(PmedSvmFit *f, PmedSvmPair *r, PmedError *err)
{
	PmedSvmModel *m = f->m;
	int			q = f->next_pair;

	if (r->q != q || q >= m->n_pairs)
	{
		pmed_svm_pair_free(r);
		return pmed_fail(err, PMED_ERR_INTERNAL, "svm pair %d appended out of order", r->q);
	}
	m->iterations += r->iterations;
	m->rho[q] = r->rho;
	if (m->kernel == PMED_SVM_LINEAR && r->w != NULL)
		memcpy(m->w + (size_t) q * f->p, r->w, f->p * sizeof(double));
	if (m->has_probability)
	{
		m->prob_a[q] = r->prob_a;
		m->prob_b[q] = r->prob_b;
	}
	f->pair_alpha[q] = r->alpha;
	r->alpha = NULL;
	pmed_svm_pair_free(r);
	f->next_pair++;
	return PMED_OK;
}

/* Phase 7 (rbf): support vectors grouped by class, and their coefficients. */
static void
fit_support_vectors(SvmFit *f)
{
	PmedSvmModel *m = f->m;
	int			p = f->p,
				k = f->k,
				q = 0;
	bool	   *nonzero = pmed_alloc_array((size_t) f->n, sizeof(bool));
	int		   *pos = pmed_alloc_array((size_t) f->n, sizeof(int));

	for (int a = 0; a < k; a++)
		for (int b = a + 1; b < k; b++, q++)
		{
			int			l = (int) (f->count[a] + f->count[b]);

			for (int s = 0; s < l; s++)
				if (f->pair_alpha[q][s] > 0)
					nonzero[pair_row(&f->sh, a, b, s)] = true;
		}
	m->sv_count = pmed_alloc_array(k, sizeof(int));
	for (int c = 0; c < k; c++)
		for (int64_t s = f->start[c]; s < f->start[c + 1]; s++)
			if (nonzero[f->cls[s]])
			{
				pos[f->cls[s]] = m->n_sv++;
				m->sv_count[c]++;
			}
	m->sv = pmed_alloc_array((size_t) (m->n_sv > 0 ? m->n_sv : 1) * p, sizeof(double));
	m->sv_coef = pmed_alloc_array((size_t) (k - 1) * (m->n_sv > 0 ? m->n_sv : 1), sizeof(double));
	for (int64_t i = 0; i < f->n; i++)
		if (nonzero[i])
			memcpy(m->sv + (size_t) pos[i] * p, f->z + (size_t) i * p, p * sizeof(double));
	q = 0;
	for (int a = 0; a < k; a++)
		for (int b = a + 1; b < k; b++, q++)
		{
			int			l = (int) (f->count[a] + f->count[b]);

			for (int s = 0; s < l; s++)
			{
				int			i = pair_row(&f->sh, a, b, s);
				double		al = f->pair_alpha[q][s];

				if (al <= 0)
					continue;
				if (s < f->count[a])	/* class a, y = -1: row b - 1 */
					m->sv_coef[(size_t) (b - 1) * m->n_sv + pos[i]] = -al;
				else			/* class b, y = +1: row a */
					m->sv_coef[(size_t) a * m->n_sv + pos[i]] = al;
			}
		}
	pmed_free(pos);
	pmed_free(nonzero);
}

static void
fit_free(SvmFit *f)
{
	if (f->pair_alpha && f->m)
		for (int q = 0; q < f->m->n_pairs; q++)
			pmed_free(f->pair_alpha[q]);
	pmed_free(f->pair_alpha);
	pmed_free(f->start);
	pmed_free(f->cls);
	pmed_free(f->count);
	pmed_free(f->cw);
	if (!f->params->overwrite_x)
		pmed_free(f->z);
	f->pair_alpha = NULL;
	f->start = NULL;
	f->cls = NULL;
	f->count = NULL;
	f->cw = NULL;
	f->z = NULL;
}

void
pmed_svm_fit_free(PmedSvmFit *f)
{
	if (f == NULL)
		return;
	fit_free(f);
	if (f->m)
		pmed_svm_free(f->m);
	pmed_free(f);
}

PmedStatus
pmed_svm_prepare(const PmedDataset *ds, const PmedSvmParams *params, PmedSvmFit **out,
				 PmedError *err)
{
	SvmFit	   *f = pmed_alloc(sizeof(SvmFit));
	PmedStatus	st;

	*out = NULL;
	f->ds = ds;
	f->params = params;
	f->n = ds->n_rows;
	f->p = ds->n_features;
	f->k = ds->n_classes;
	st = fit_check(f, err);
	if (st != PMED_OK)
	{
		pmed_svm_fit_free(f);
		return st;
	}
	fit_model_alloc(f);
	st = fit_scale(f, err);
	if (st != PMED_OK)
	{
		pmed_svm_fit_free(f);
		return st;
	}
	fit_scaled_matrix(f);
	fit_class_rows(f);
	f->cw = pmed_alloc_array(f->k, sizeof(double));
	for (int c = 0; c < f->k; c++)
		f->cw[c] = params->balanced ? (double) f->n / ((double) f->k * f->count[c]) : 1.0;
	f->pair_alpha = pmed_alloc_array(f->m->n_pairs, sizeof(double *));
	f->sh.params = *params;
	f->sh.n = f->n;
	f->sh.p = f->p;
	f->sh.k = f->k;
	f->sh.n_pairs = f->m->n_pairs;
	f->sh.gamma = f->gamma;
	f->sh.z = f->z;
	f->sh.cls = f->cls;
	f->sh.start = f->start;
	f->sh.cw = f->cw;
	*out = f;
	return PMED_OK;
}

const PmedSvmShared *
pmed_svm_fit_shared(const PmedSvmFit *f)
{
	return &f->sh;
}

PmedStatus
pmed_svm_finish(PmedSvmFit *f, PmedSvmModel **out, PmedError *err)
{
	*out = NULL;
	if (f->next_pair != f->m->n_pairs)
		return pmed_fail(err, PMED_ERR_INTERNAL, "svm fit finished with %d of %d pairs",
						 f->next_pair, f->m->n_pairs);
	if (f->m->kernel == PMED_SVM_RBF)
		fit_support_vectors(f);
	fit_free(f);
	model_derive(f->m);
	*out = f->m;
	f->m = NULL;
	pmed_free(f);
	return PMED_OK;
}

PmedStatus
pmed_svm_fit(const PmedDataset *ds, const PmedSvmParams *params, PmedSvmModel **out,
			 PmedError *err)
{
	PmedSvmFit *f;
	PmedStatus	st;

	*out = NULL;
	st = pmed_svm_prepare(ds, params, &f, err);
	if (st != PMED_OK)
		return st;
	for (int q = 0; q < f->sh.n_pairs; q++)
	{
		PmedSvmPair r;

		st = pmed_svm_solve_pair(&f->sh, q, &r, err);
		if (st == PMED_OK)
			st = pmed_svm_append(f, &r, err);
		if (st != PMED_OK)
		{
			pmed_svm_fit_free(f);
			return st;
		}
	}
	return pmed_svm_finish(f, out, err);
}

/* ---- prediction ---- */

size_t
pmed_svm_work_size(const PmedSvmModel *m)
{
	return (size_t) m->n_features + (m->n_sv > 0 ? m->n_sv : 1) + m->n_pairs + m->n_classes;
}

/* Decisions from the scaled row z (p values, no missing). */
static void
decision_scaled(const PmedSvmModel *m, const double *z, double *dec, double *kv)
{
	int			p = m->n_features,
				k = m->n_classes,
				nsv = m->n_sv;

	if (m->kernel == PMED_SVM_LINEAR)
	{
		for (int q = 0; q < m->n_pairs; q++)
		{
			const double *w = m->w + (size_t) q * p;
			double		f = -m->rho[q];

			for (int j = 0; j < p; j++)
				f += w[j] * z[j];
			dec[q] = f;
		}
		return;
	}
	if (nsv > 0)
	{
		int			one = 1;
		double		done = 1.0,
					dzero = 0.0,
					zn = 0;

		for (int j = 0; j < p; j++)
			zn += z[j] * z[j];
		dgemv_("T", &p, &nsv, &done, m->sv, &p, z, &one, &dzero, kv, &one);
		for (int s = 0; s < nsv; s++)
		{
			double		d2 = m->sv_norm2[s] + zn - 2.0 * kv[s];

			kv[s] = d2 > 0 ? d2 : 0;
		}
		pmed_svm_exp_neg(kv, nsv, m->gamma);
	}
	{
		int			q = 0;

		for (int a = 0; a < k; a++)
			for (int b = a + 1; b < k; b++, q++)
			{
				double		f = -m->rho[q];
				const double *ca = m->sv_coef + (size_t) (b - 1) * nsv;
				const double *cb = m->sv_coef + (size_t) a * nsv;

				for (int s = m->sv_start[a]; s < m->sv_start[a] + m->sv_count[a]; s++)
					f += ca[s] * kv[s];
				for (int s = m->sv_start[b]; s < m->sv_start[b] + m->sv_count[b]; s++)
					f += cb[s] * kv[s];
				dec[q] = f;
			}
	}
}

static void
scale_row(const PmedSvmModel *m, const double *x, double *z)
{
	for (int j = 0; j < m->n_features; j++)
		z[j] = isnan(x[j]) ? 0.0 : (x[j] - m->mean[j]) / m->scale[j];
}

void
pmed_svm_decision(const PmedSvmModel *m, const double *x, double *dec, double *work)
{
	int			p = m->n_features;

	if (m->kernel == PMED_SVM_LINEAR)
	{
		for (int q = 0; q < m->n_pairs; q++)
		{
			const double *w = m->w_orig + (size_t) q * p;
			double		f = m->b_orig[q];

			for (int j = 0; j < p; j++)
				f += w[j] * (isnan(x[j]) ? m->mean[j] : x[j]);
			dec[q] = f;
		}
		return;
	}
	scale_row(m, x, work);
	decision_scaled(m, work, dec, work + p);
}

static int
vote(const PmedSvmModel *m, const double *dec, double *votes)
{
	int			k = m->n_classes,
				q = 0,
				best = 0;

	for (int c = 0; c < k; c++)
		votes[c] = 0;
	for (int a = 0; a < k; a++)
		for (int b = a + 1; b < k; b++, q++)
			votes[dec[q] > 0 ? b : a] += 1;
	for (int c = 1; c < k; c++)
		if (votes[c] > votes[best])
			best = c;
	return best;
}

int
pmed_svm_predict(const PmedSvmModel *m, const double *x, double *work)
{
	double	   *dec = work + m->n_features + (m->n_sv > 0 ? m->n_sv : 1);

	pmed_svm_decision(m, x, dec, work);
	if (m->n_classes == 2)
		return dec[0] > 0 ? 1 : 0;
	return vote(m, dec, dec + m->n_pairs);
}

bool
pmed_svm_predict_proba(const PmedSvmModel *m, const double *x, double *proba, double *work)
{
	double	   *dec = work + m->n_features + (m->n_sv > 0 ? m->n_sv : 1);
	int			k = m->n_classes;

	if (!m->has_probability)
		return false;
	pmed_svm_decision(m, x, dec, work);
	if (k == 2)
	{
		double		s = pmed_svm_sigmoid_predict(dec[0], m->prob_a[0], m->prob_b[0]);

		s = fmin(fmax(s, MIN_PROB), 1 - MIN_PROB);
		proba[1] = s;
		proba[0] = 1 - s;
		return true;
	}
	{
		double	   *r = pmed_alloc_array((size_t) k * k, sizeof(double));
		int			q = 0;

		for (int a = 0; a < k; a++)
			for (int b = a + 1; b < k; b++, q++)
			{
				double		s = pmed_svm_sigmoid_predict(dec[q], m->prob_a[q], m->prob_b[q]);

				s = fmin(fmax(s, MIN_PROB), 1 - MIN_PROB);
				r[b * k + a] = s;	/* P(b | a or b) */
				r[a * k + b] = 1 - s;
			}
		pmed_svm_couple(k, r, proba);
		pmed_free(r);
	}
	return true;
}

void
pmed_svm_explain(const PmedSvmModel *m, const double *x, double *base, double *contrib,
				 double *work)
{
	int			p = m->n_features;
	double	   *dec = work + p + (m->n_sv > 0 ? m->n_sv : 1);
	double		fx;

	if (m->kernel == PMED_SVM_LINEAR)
	{
		double		b = m->b_orig[0];

		for (int j = 0; j < p; j++)
		{
			double		v = isnan(x[j]) ? m->mean[j] : x[j];

			b += m->w_orig[j] * m->mean[j];
			contrib[j] = m->w_orig[j] * (v - m->mean[j]);
		}
		*base = b;
		return;
	}
	/* rbf: occlusion by the training mean (z_j = 0) */
	{
		double	   *z = work;
		double	   *kv = work + p;

		scale_row(m, x, z);
		decision_scaled(m, z, dec, kv);
		fx = dec[0];
		for (int j = 0; j < p; j++)
		{
			double		keep = z[j];

			if (keep == 0)
			{
				contrib[j] = 0;
				continue;
			}
			z[j] = 0;
			decision_scaled(m, z, dec, kv);
			contrib[j] = fx - dec[0];
			z[j] = keep;
		}
		for (int j = 0; j < p; j++)
			z[j] = 0;
		decision_scaled(m, z, dec, kv);
		*base = dec[0];
	}
}

/* ---- encoding ---- */

#define SVM_FORMAT 1

void
pmed_svm_write(PmedWriter *w, const PmedSvmModel *m)
{
	int			p = m->n_features;

	pmed_put_u8(w, SVM_FORMAT);
	pmed_put_u8(w, (uint8_t) m->kernel);
	pmed_put_u8(w, m->standardized ? 1 : 0);
	pmed_put_u8(w, m->has_probability ? 1 : 0);
	pmed_put_f64(w, m->C);
	pmed_put_f64(w, m->gamma);
	pmed_put_i64(w, m->iterations);
	pmed_put_f64_array(w, m->mean, p);
	pmed_put_f64_array(w, m->scale, p);
	pmed_put_f64_array(w, m->rho, m->n_pairs);
	if (m->has_probability)
	{
		pmed_put_f64_array(w, m->prob_a, m->n_pairs);
		pmed_put_f64_array(w, m->prob_b, m->n_pairs);
	}
	if (m->kernel == PMED_SVM_LINEAR)
		pmed_put_f64_array(w, m->w, (size_t) m->n_pairs * p);
	else
	{
		pmed_put_u32(w, (uint32_t) m->n_sv);
		for (int c = 0; c < m->n_classes; c++)
			pmed_put_u32(w, (uint32_t) m->sv_count[c]);
		pmed_put_f64_array(w, m->sv, (size_t) m->n_sv * p);
		pmed_put_f64_array(w, m->sv_coef, (size_t) (m->n_classes - 1) * m->n_sv);
	}
}

static bool
get_flag(PmedReader *r, bool *out, const char *what)
{
	uint8_t		v;

	if (!pmed_get_u8(r, &v))
		return false;
	if (v > 1)
		return pmed_reader_fail(r, what);
	*out = v == 1;
	return true;
}

/* n1 * n2 doubles, with overflow and remaining length checked first. */
static bool
get_matrix(PmedReader *r, size_t n1, size_t n2, double **out)
{
	size_t		n,
				bytes;

	*out = NULL;
	if (!pmed_mul_size(n1, n2, &n) || !pmed_mul_size(n, sizeof(double), &bytes) ||
		bytes > r->left)
		return pmed_reader_fail(r, "truncated");
	return pmed_get_f64_array(r, n, out);
}

PmedStatus
pmed_svm_read(PmedReader *r, int n_features, int n_classes, PmedSvmModel **out, PmedError *err)
{
	PmedSvmModel *m;
	uint8_t		fmt,
				kernel;
	int			p = n_features,
				k = n_classes;

	*out = NULL;
	if (p < 1 || p > PMED_MAX_FEATURES || k < 2 || k > PMED_MAX_CLASSES)
		return pmed_fail(err, PMED_ERR_CORRUPT,
						 "invalid svm model: %d features and %d classes", p, k);
	m = pmed_alloc(sizeof(PmedSvmModel));
	m->n_features = p;
	m->n_classes = k;
	m->n_pairs = k * (k - 1) / 2;
	if (!pmed_get_u8(r, &fmt))
		goto fail;
	if (fmt != SVM_FORMAT)
	{
		pmed_reader_fail(r, "unknown svm payload format");
		goto fail;
	}
	if (!pmed_get_u8(r, &kernel))
		goto fail;
	if (kernel != PMED_SVM_LINEAR && kernel != PMED_SVM_RBF)
	{
		pmed_reader_fail(r, "unknown svm kernel");
		goto fail;
	}
	m->kernel = kernel;
	if (!get_flag(r, &m->standardized, "bad svm flag") ||
		!get_flag(r, &m->has_probability, "bad svm flag") ||
		!pmed_get_f64(r, &m->C) || !pmed_get_f64(r, &m->gamma) ||
		!pmed_get_i64(r, &m->iterations))
		goto fail;
	if (!(m->C > 0) || m->iterations < 0 ||
		(kernel == PMED_SVM_RBF ? !(m->gamma > 0) : m->gamma != 0))
	{
		pmed_reader_fail(r, "svm parameter out of range");
		goto fail;
	}
	if (!get_matrix(r, p, 1, &m->mean) || !get_matrix(r, p, 1, &m->scale))
		goto fail;
	for (int j = 0; j < p; j++)
		if (!(m->scale[j] > 0))
		{
			pmed_reader_fail(r, "svm scale not positive");
			goto fail;
		}
	if (!get_matrix(r, m->n_pairs, 1, &m->rho))
		goto fail;
	if (m->has_probability &&
		(!get_matrix(r, m->n_pairs, 1, &m->prob_a) || !get_matrix(r, m->n_pairs, 1, &m->prob_b)))
		goto fail;
	if (kernel == PMED_SVM_LINEAR)
	{
		if (!get_matrix(r, m->n_pairs, p, &m->w))
			goto fail;
	}
	else
	{
		uint32_t	nsv;
		uint64_t	total = 0;

		if (!pmed_get_count(r, INT32_MAX / 2, (size_t) p * sizeof(double), &nsv))
			goto fail;
		m->n_sv = (int) nsv;
		if ((size_t) k * 4 > r->left)
		{
			pmed_reader_fail(r, "truncated");
			goto fail;
		}
		m->sv_count = pmed_alloc_array(k, sizeof(int));
		for (int c = 0; c < k; c++)
		{
			uint32_t	v;

			if (!pmed_get_u32(r, &v))
				goto fail;
			if (v > nsv)
			{
				pmed_reader_fail(r, "svm support vector count out of range");
				goto fail;
			}
			m->sv_count[c] = (int) v;
			total += v;
		}
		if (total != nsv)
		{
			pmed_reader_fail(r, "svm support vector counts do not add up");
			goto fail;
		}
		if (!get_matrix(r, nsv, p, &m->sv) || !get_matrix(r, (size_t) (k - 1), nsv, &m->sv_coef))
			goto fail;
	}
	model_derive(m);
	*out = m;
	return PMED_OK;

fail:
	if (!r->failed)
		pmed_reader_fail(r, "invalid svm payload");
	pmed_svm_free(m);
	return err->status != PMED_OK ? err->status : PMED_ERR_CORRUPT;
}

void
pmed_svm_free(PmedSvmModel *m)
{
	if (m == NULL)
		return;
	pmed_free(m->mean);
	pmed_free(m->scale);
	pmed_free(m->rho);
	pmed_free(m->prob_a);
	pmed_free(m->prob_b);
	pmed_free(m->w);
	pmed_free(m->sv_count);
	pmed_free(m->sv);
	pmed_free(m->sv_coef);
	pmed_free(m->sv_start);
	pmed_free(m->sv_norm2);
	pmed_free(m->w_orig);
	pmed_free(m->b_orig);
	pmed_free(m);
}
