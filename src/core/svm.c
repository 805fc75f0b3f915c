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

/* Decision values of rows `rows` of z (row-major p) for a solved subproblem. */
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
				const double *zi = train->z + (size_t) i * p;
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

/*
 * Platt sigmoid of one binary problem from 5-fold cross-validated decision
 * values (libsvm's -b 1 procedure, with a seeded permutation).
 */
static PmedStatus
platt_cv(const PmedSvmProblem *prob, const PmedSvmParams *params, double gamma, uint64_t seed,
		 double *A, double *B, PmedError *err)
{
	int			l = prob->l,
				p = prob->p;
	int		   *perm = pmed_alloc_array(l, sizeof(int));
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
	sub.z = pmed_alloc_array((size_t) l * p, sizeof(double));
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
			memcpy(sub.z + (size_t) sub.l * p, prob->z + (size_t) i * p, p * sizeof(double));
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
			subproblem_decisions(&sub, &sol, params->linear_smo ? PMED_SVM_LINEAR : params->kernel,
								 gamma, prob->z, p, perm + begin, end - begin, fold_dec);
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
	pmed_free(dec);
	pmed_free(fold_dec);
	pmed_free(ys);
	pmed_free(sub.z);
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

PmedStatus
pmed_svm_fit(const PmedDataset *ds, const PmedSvmParams *params, PmedSvmModel **out,
			 PmedError *err)
{
	int64_t		n = ds->n_rows;
	int			p = ds->n_features,
				k = ds->n_classes;
	int64_t    *count;
	double	   *z,
			   *cw;
	int		   *cls;
	PmedSvmModel *m;
	PmedStatus	st;
	double		gamma = 0;
	int			q;
	bool	   *nonzero = NULL;
	double	  **pair_alpha;
	int		  **pair_rows;
	int		   *pair_l;

	*out = NULL;
	st = pmed_svm_params_check(params, err);
	if (st != PMED_OK)
		return st;
	if (p < 1)
		return pmed_fail(err, PMED_ERR_INVALID, "svm needs at least one feature");
	if (k < 2)
		return pmed_fail(err, PMED_ERR_INVALID, "svm needs at least two classes, found %d", k);
	if (k > PMED_MAX_CLASSES || p > PMED_MAX_FEATURES)
		return pmed_fail(err, PMED_ERR_LIMIT, "too many classes or features for svm");
	if (n > INT32_MAX / 2)
		return pmed_fail(err, PMED_ERR_LIMIT, "too many rows for svm: %lld", (long long) n);
	count = pmed_alloc_array(k, sizeof(int64_t));
	for (int64_t i = 0; i < n; i++)
	{
		double		yi = ds->y[i];

		if (!(yi >= 0 && yi < k) || yi != floor(yi))
			return pmed_fail(err, PMED_ERR_INVALID, "invalid class index in svm training data");
		count[(int) yi]++;
	}
	for (int c = 0; c < k; c++)
		if (count[c] < 2)
		{
			pmed_fail(err, PMED_ERR_INVALID, "too few rows for class %d: %lld", c,
					  (long long) count[c]);
			pmed_fail_detail(err, "Each class needs at least two training rows.");
			return PMED_ERR_INVALID;
		}

	m = pmed_alloc(sizeof(PmedSvmModel));
	m->kernel = params->kernel;
	m->n_features = p;
	m->n_classes = k;
	m->n_pairs = k * (k - 1) / 2;
	m->C = params->C;
	m->standardized = params->standardize;
	m->has_probability = params->probability;
	m->mean = pmed_alloc_array(p, sizeof(double));
	m->scale = pmed_alloc_array(p, sizeof(double));
	m->rho = pmed_alloc_array(m->n_pairs, sizeof(double));
	if (m->has_probability)
	{
		m->prob_a = pmed_alloc_array(m->n_pairs, sizeof(double));
		m->prob_b = pmed_alloc_array(m->n_pairs, sizeof(double));
	}

	/* means and deviations over observed values */
	{
		int64_t    *seen = pmed_alloc_array(p, sizeof(int64_t));
		double	   *m2 = pmed_alloc_array(p, sizeof(double));

		for (int64_t i = 0; i < n; i++)
		{
			const double *x = ds->x + (size_t) i * p;

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
			m->scale[j] = (params->standardize && sd > 1e-12 * (1 + fabs(m->mean[j]))) ? sd : 1.0;
		}
		pmed_free(seen);
		pmed_free(m2);
	}

	/* scaled, imputed matrix */
	z = pmed_alloc_array((size_t) n * p, sizeof(double));
	{
		double		s1 = 0,
					s2 = 0;

		for (int64_t i = 0; i < n; i++)
		{
			const double *x = ds->x + (size_t) i * p;
			double	   *zi = z + (size_t) i * p;

			for (int j = 0; j < p; j++)
			{
				double		v = isnan(x[j]) ? 0.0 : (x[j] - m->mean[j]) / m->scale[j];

				zi[j] = v;
				s1 += v;
				s2 += v * v;
			}
		}
		if (params->kernel == PMED_SVM_RBF)
		{
			if (params->gamma_scale)
			{
				double		cnt = (double) n * p;
				double		var = s2 / cnt - (s1 / cnt) * (s1 / cnt);

				gamma = var > 0 ? 1.0 / (p * var) : 1.0;
			}
			else
				gamma = params->gamma;
		}
	}
	m->gamma = gamma;

	/* class weights */
	cw = pmed_alloc_array(k, sizeof(double));
	for (int c = 0; c < k; c++)
		cw[c] = params->balanced ? (double) n / ((double) k * count[c]) : 1.0;

	/* rows of each class, in order */
	cls = pmed_alloc_array((size_t) n, sizeof(int));
	{
		int64_t    *start = pmed_alloc_array(k + 1, sizeof(int64_t));
		int64_t    *fill = pmed_alloc_array(k, sizeof(int64_t));

		for (int c = 0; c < k; c++)
			start[c + 1] = start[c] + count[c];
		for (int64_t i = 0; i < n; i++)
		{
			int			c = (int) ds->y[i];

			cls[start[c] + fill[c]++] = (int) i;
		}
		pmed_free(fill);
		pair_rows = pmed_alloc_array(m->n_pairs, sizeof(int *));
		pair_alpha = pmed_alloc_array(m->n_pairs, sizeof(double *));
		pair_l = pmed_alloc_array(m->n_pairs, sizeof(int));
		if (m->kernel == PMED_SVM_LINEAR)
			m->w = pmed_alloc_array((size_t) m->n_pairs * p, sizeof(double));
		else
			nonzero = pmed_alloc_array((size_t) n, sizeof(bool));

		q = 0;
		for (int a = 0; a < k; a++)
		{
			for (int b = a + 1; b < k; b++, q++)
			{
				PmedSvmProblem prob;
				PmedSvmSolution sol;
				int			l = (int) (count[a] + count[b]);
				int		   *rows = pmed_alloc_array(l, sizeof(int));

				prob.l = l;
				prob.p = p;
				prob.Cp = params->C * cw[b];
				prob.Cn = params->C * cw[a];
				prob.z = pmed_alloc_array((size_t) l * p, sizeof(double));
				prob.y = pmed_alloc_array(l, 1);
				for (int s = 0; s < l; s++)
				{
					int			i = s < count[a] ? cls[start[a] + s] : cls[start[b] + s - count[a]];

					rows[s] = i;
					memcpy(prob.z + (size_t) s * p, z + (size_t) i * p, p * sizeof(double));
					prob.y[s] = s < count[a] ? -1 : 1;
				}
				st = solve(&prob, params, gamma, params->seed + (uint64_t) q, &sol, err);
				if (st != PMED_OK)
					return st;
				m->iterations += sol.iterations;
				m->rho[q] = sol.rho;
				if (m->kernel == PMED_SVM_LINEAR)
				{
					if (sol.w != NULL)
						memcpy(m->w + (size_t) q * p, sol.w, p * sizeof(double));
					else
					{
						/* linear kernel by SMO (tests): w = sum alpha y z */
						for (int s = 0; s < l; s++)
							for (int j = 0; j < p; j++)
								m->w[(size_t) q * p + j] +=
									sol.alpha[s] * prob.y[s] * prob.z[(size_t) s * p + j];
					}
				}
				else
				{
					for (int s = 0; s < l; s++)
						if (sol.alpha[s] > 0)
							nonzero[rows[s]] = true;
				}
				if (m->has_probability)
				{
					st = platt_cv(&prob, params, gamma, params->seed + 7919u * (uint64_t) (q + 1),
								  &m->prob_a[q], &m->prob_b[q], err);
					if (st != PMED_OK)
						return st;
				}
				pair_rows[q] = rows;
				pair_alpha[q] = sol.alpha;
				pair_l[q] = l;
				pmed_free(sol.w);
				pmed_free(prob.z);
				pmed_free(prob.y);
			}
		}

		if (m->kernel == PMED_SVM_RBF)
		{
			/* support vectors grouped by class; position of each row */
			int		   *pos = pmed_alloc_array((size_t) n, sizeof(int));

			m->sv_count = pmed_alloc_array(k, sizeof(int));
			for (int c = 0; c < k; c++)
				for (int64_t s = start[c]; s < start[c + 1]; s++)
					if (nonzero[cls[s]])
					{
						pos[cls[s]] = m->n_sv++;
						m->sv_count[c]++;
					}
			m->sv = pmed_alloc_array((size_t) (m->n_sv > 0 ? m->n_sv : 1) * p, sizeof(double));
			m->sv_coef = pmed_alloc_array((size_t) (k - 1) * (m->n_sv > 0 ? m->n_sv : 1),
										  sizeof(double));
			for (int64_t i = 0; i < n; i++)
				if (nonzero[i])
					memcpy(m->sv + (size_t) pos[i] * p, z + (size_t) i * p, p * sizeof(double));
			q = 0;
			for (int a = 0; a < k; a++)
				for (int b = a + 1; b < k; b++, q++)
				{
					for (int s = 0; s < pair_l[q]; s++)
					{
						int			i = pair_rows[q][s];
						double		al = pair_alpha[q][s];

						if (al <= 0)
							continue;
						if (s < count[a])	/* class a, y = -1: row b - 1 */
							m->sv_coef[(size_t) (b - 1) * m->n_sv + pos[i]] = -al;
						else	/* class b, y = +1: row a */
							m->sv_coef[(size_t) a * m->n_sv + pos[i]] = al;
					}
				}
			pmed_free(pos);
		}
		for (q = 0; q < m->n_pairs; q++)
		{
			pmed_free(pair_rows[q]);
			pmed_free(pair_alpha[q]);
		}
		pmed_free(pair_rows);
		pmed_free(pair_alpha);
		pmed_free(pair_l);
		pmed_free(start);
	}
	pmed_free(nonzero);
	pmed_free(cls);
	pmed_free(cw);
	pmed_free(z);
	pmed_free(count);
	model_derive(m);
	*out = m;
	return PMED_OK;
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
