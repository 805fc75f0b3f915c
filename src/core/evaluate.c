/*
 * evaluate.c - DeLong, thresholds, curves and calibration.  See
 * evaluate.h for the definitions.
 */
#include "evaluate.h"

#include <math.h>
#include <string.h>

#include "metrics.h"

/* ---- normal distribution ---- */

double
pmed_normal_sf(double z)
{
	return 0.5 * erfc(z / sqrt(2.0));
}

double
pmed_normal_quantile(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
	2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
	2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
	2.445134137142996e+00, 3.754408661907416e+00};
	double		q,
				r,
				x,
				e,
				u;

	if (p < 0.02425)
	{
		q = sqrt(-2.0 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
	}
	else if (p > 1.0 - 0.02425)
	{
		q = sqrt(-2.0 * log1p(-p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
	}
	else
	{
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
			(((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
	}
	/* two Halley steps on Phi(x) - p */
	for (int k = 0; k < 2; k++)
	{
		e = 0.5 * erfc(-x / sqrt(2.0)) - p;
		u = e * sqrt(2.0 * M_PI) * exp(x * x / 2.0);
		x = x - u / (1.0 + x * u / 2.0);
	}
	return x;
}

/* ---- sorted-array searches ---- */

/* Number of v[0..n) below x (v ascending). */
static size_t
count_below(const double *v, size_t n, double x)
{
	size_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Number of v[0..n) at or below x. */
static size_t
count_at_or_below(const double *v, size_t n, double x)
{
	size_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static double *
sorted_copy(const double *v, size_t n)
{
	double	   *out = pmed_alloc_array(n > 0 ? n : 1, sizeof(double));
	double	   *tmp = pmed_alloc_array(n > 0 ? n : 1, sizeof(double));

	if (n > 0)
		memcpy(out, v, n * sizeof(double));
	pmed_sort_doubles(out, n, tmp);
	pmed_free(tmp);
	return out;
}

/* ---- DeLong ---- */

void
pmed_delong_placements(const double *pos, size_t n_pos,
					   const double *neg, size_t n_neg,
					   double *v10, double *v01)
{
	double	   *sp = sorted_copy(pos, n_pos);
	double	   *sn = sorted_copy(neg, n_neg);

	for (size_t i = 0; i < n_pos; i++)
	{
		size_t		below = count_below(sn, n_neg, pos[i]);
		size_t		tied = count_at_or_below(sn, n_neg, pos[i]) - below;

		if ((i & 0xFFFF) == 0)
			pmed_check_interrupts();
		v10[i] = ((double) below + 0.5 * (double) tied) / (double) n_neg;
	}
	for (size_t j = 0; j < n_neg; j++)
	{
		size_t		at_or_below = count_at_or_below(sp, n_pos, neg[j]);
		size_t		tied = at_or_below - count_below(sp, n_pos, neg[j]);

		if ((j & 0xFFFF) == 0)
			pmed_check_interrupts();
		v01[j] = ((double) (n_pos - at_or_below) + 0.5 * (double) tied) / (double) n_pos;
	}
	pmed_free(sp);
	pmed_free(sn);
}

/* Sample covariance (n - 1) of x and y with the given means; n >= 2. */
static double
sample_cov(const double *x, double mx, const double *y, double my, size_t n)
{
	PmedSum		s = {0, 0};

	for (size_t i = 0; i < n; i++)
		pmed_sum_add(&s, (x[i] - mx) * (y[i] - my));
	return pmed_sum_value(&s) / (double) (n - 1);
}

static double
mean_of(const double *x, size_t n)
{
	PmedSum		s = {0, 0};

	for (size_t i = 0; i < n; i++)
		pmed_sum_add(&s, x[i]);
	return pmed_sum_value(&s) / (double) n;
}

bool
pmed_delong_auc(const double *pos, size_t n_pos,
				const double *neg, size_t n_neg, PmedAucCi *out)
{
	double	   *v10;
	double	   *v01;
	double		m10,
				m01;

	if (!pmed_roc_auc_sorted(pos, n_pos, neg, n_neg, &out->auc))
		return false;
	out->se = NAN;
	if (n_pos < 2 || n_neg < 2)
		return true;
	v10 = pmed_alloc_array(n_pos, sizeof(double));
	v01 = pmed_alloc_array(n_neg, sizeof(double));
	pmed_delong_placements(pos, n_pos, neg, n_neg, v10, v01);
	m10 = mean_of(v10, n_pos);
	m01 = mean_of(v01, n_neg);
	out->se = sqrt(fmax(sample_cov(v10, m10, v10, m10, n_pos) / (double) n_pos +
						sample_cov(v01, m01, v01, m01, n_neg) / (double) n_neg, 0.0));
	pmed_free(v10);
	pmed_free(v01);
	return true;
}

bool
pmed_delong_compare(const double *pos_a, const double *pos_b, size_t n_pos,
					const double *neg_a, const double *neg_b, size_t n_neg,
					PmedAucCompare *out)
{
	double	   *sa,
			   *sb,
			   *ta,
			   *tb;
	double	   *a10,
			   *a01,
			   *b10,
			   *b01;
	double		ma10,
				ma01,
				mb10,
				mb01,
				var;
	bool		ok;

	if (n_pos == 0 || n_neg == 0)
		return false;
	sa = sorted_copy(pos_a, n_pos);
	sb = sorted_copy(pos_b, n_pos);
	ta = sorted_copy(neg_a, n_neg);
	tb = sorted_copy(neg_b, n_neg);
	ok = pmed_roc_auc_sorted(sa, n_pos, ta, n_neg, &out->auc_a) &&
		pmed_roc_auc_sorted(sb, n_pos, tb, n_neg, &out->auc_b);
	pmed_free(sa);
	pmed_free(sb);
	pmed_free(ta);
	pmed_free(tb);
	if (!ok)
		return false;
	out->se = out->z = out->p_value = NAN;
	if (n_pos < 2 || n_neg < 2)
		return true;
	a10 = pmed_alloc_array(n_pos, sizeof(double));
	b10 = pmed_alloc_array(n_pos, sizeof(double));
	a01 = pmed_alloc_array(n_neg, sizeof(double));
	b01 = pmed_alloc_array(n_neg, sizeof(double));
	pmed_delong_placements(pos_a, n_pos, neg_a, n_neg, a10, a01);
	pmed_delong_placements(pos_b, n_pos, neg_b, n_neg, b10, b01);
	ma10 = mean_of(a10, n_pos);
	mb10 = mean_of(b10, n_pos);
	ma01 = mean_of(a01, n_neg);
	mb01 = mean_of(b01, n_neg);
	var = (sample_cov(a10, ma10, a10, ma10, n_pos) + sample_cov(b10, mb10, b10, mb10, n_pos) -
		   2.0 * sample_cov(a10, ma10, b10, mb10, n_pos)) / (double) n_pos +
		(sample_cov(a01, ma01, a01, ma01, n_neg) + sample_cov(b01, mb01, b01, mb01, n_neg) -
		 2.0 * sample_cov(a01, ma01, b01, mb01, n_neg)) / (double) n_neg;
	out->se = sqrt(fmax(var, 0.0));
	if (out->se > 0.0)
	{
		out->z = (out->auc_a - out->auc_b) / out->se;
		out->p_value = fmin(1.0, 2.0 * pmed_normal_sf(fabs(out->z)));
	}
	pmed_free(a10);
	pmed_free(b10);
	pmed_free(a01);
	pmed_free(b01);
	return true;
}

/* ---- thresholds ---- */

void
pmed_confusion_at(const double *pos, size_t n_pos, const double *neg, size_t n_neg,
				  double t, PmedConfusion *c)
{
	size_t		pos_below = count_below(pos, n_pos, t);
	size_t		neg_below = count_below(neg, n_neg, t);

	c->tp = n_pos - pos_below;
	c->fn = pos_below;
	c->fp = n_neg - neg_below;
	c->tn = neg_below;
}

bool
pmed_threshold_for_sensitivity(const double *pos, size_t n_pos,
							   const double *neg, size_t n_neg,
							   double target, double *t)
{
	size_t		i = n_pos;

	if (n_pos == 0)
		return false;
	/* distinct positive scores, highest first: tp(s) = #positives >= s */
	while (i > 0)
	{
		double		s = pos[i - 1];

		while (i > 0 && pos[i - 1] == s)
			i--;
		if ((double) (n_pos - i) / (double) n_pos >= target)
		{
			*t = s;
			return true;
		}
	}
	/* unreachable for target <= 1: the lowest positive score gives 1 */
	return false;
}

bool
pmed_threshold_for_specificity(const double *pos, size_t n_pos,
							   const double *neg, size_t n_neg,
							   double target, double *t)
{
	size_t		i = 0,
				j = 0;

	if (n_neg == 0)
		return false;
	/* distinct observed scores, lowest first: tn(s) = #negatives < s */
	while (i < n_pos || j < n_neg)
	{
		double		s;

		if (j >= n_neg || (i < n_pos && pos[i] < neg[j]))
			s = pos[i];
		else
			s = neg[j];
		if ((double) j / (double) n_neg >= target)
		{
			*t = s;
			return true;
		}
		while (i < n_pos && pos[i] == s)
			i++;
		while (j < n_neg && neg[j] == s)
			j++;
	}
	return false;
}

/* ---- curves ---- */

size_t
pmed_curve_points(const double *pos, size_t n_pos, const double *neg, size_t n_neg,
				  double *thr, uint64_t *tp, uint64_t *fp)
{
	size_t		i = n_pos,
				j = n_neg,
				m = 0;

	while (i > 0 || j > 0)
	{
		double		s;

		if ((m & 0xFFFF) == 0)
			pmed_check_interrupts();
		if (j == 0 || (i > 0 && pos[i - 1] > neg[j - 1]))
			s = pos[i - 1];
		else
			s = neg[j - 1];
		while (i > 0 && pos[i - 1] == s)
			i--;
		while (j > 0 && neg[j - 1] == s)
			j--;
		thr[m] = s;
		tp[m] = n_pos - i;
		fp[m] = n_neg - j;
		m++;
	}
	return m;
}

size_t
pmed_curve_select(const uint64_t *cum, size_t m, size_t max_points, size_t *idx)
{
	size_t		n = 0,
				i = 1;
	double		lo,
				span;

	if (m <= max_points)
	{
		for (size_t k = 0; k < m; k++)
			idx[k] = k;
		return m;
	}
	lo = (double) cum[0];
	span = (double) cum[m - 1] - lo;
	idx[n++] = 0;
	for (size_t k = 1; k + 1 < max_points; k++)
	{
		double		level = lo + span * (double) k / (double) (max_points - 1);

		while (i < m - 1 && (double) cum[i] < level)
			i++;
		if (i >= m - 1)
			break;
		if (idx[n - 1] != i)
			idx[n++] = i;
	}
	idx[n++] = m - 1;
	return n;
}

int
pmed_prob_bin(double p, int bins)
{
	int			k = (int) floor(p * (double) bins);

	if (k >= bins)
		k = bins - 1;
	if (k < 0)
		k = 0;
	return k;
}

void
pmed_calibration_bins(const double *pos, size_t n_pos, const double *neg, size_t n_neg,
					  int bins, uint64_t *count, uint64_t *positives, double *sum_p)
{
	PmedSum    *sums = pmed_alloc_array(bins, sizeof(PmedSum));

	memset(count, 0, bins * sizeof(uint64_t));
	memset(positives, 0, bins * sizeof(uint64_t));
	for (size_t j = 0; j < n_neg; j++)
	{
		int			k = pmed_prob_bin(neg[j], bins);

		count[k]++;
		pmed_sum_add(&sums[k], neg[j]);
	}
	for (size_t i = 0; i < n_pos; i++)
	{
		int			k = pmed_prob_bin(pos[i], bins);

		count[k]++;
		positives[k]++;
		pmed_sum_add(&sums[k], pos[i]);
	}
	for (int k = 0; k < bins; k++)
		sum_p[k] = pmed_sum_value(&sums[k]);
	pmed_free(sums);
}

/* ---- calibration ---- */

/* log(1 + exp(eta)) without overflow. */
static double
log1pexp(double eta)
{
	return eta > 0 ? eta + log1p(exp(-eta)) : log1p(exp(eta));
}

static double
sigmoid(double eta)
{
	if (eta >= 0)
		return 1.0 / (1.0 + exp(-eta));
	else
	{
		double		e = exp(eta);

		return e / (1.0 + e);
	}
}

/*
 * Log-likelihood, gradient and Hessian (negated: positive definite) of the
 * logistic model eta = a + b x over the rows (x, y); with_slope false fixes
 * b = 1 (offset) and fills only the a entries.
 */
static double
logit_ll(const double *x, const bool *y, size_t n, double a, double b, bool with_slope,
		 double g[2], double h[3])
{
	PmedSum		ll = {0, 0},
				g0 = {0, 0},
				g1 = {0, 0},
				h00 = {0, 0},
				h01 = {0, 0},
				h11 = {0, 0};

	for (size_t i = 0; i < n; i++)
	{
		double		eta = a + (with_slope ? b : 1.0) * x[i];
		double		mu = sigmoid(eta);
		double		w = mu * (1.0 - mu);
		double		r = (y[i] ? 1.0 : 0.0) - mu;

		pmed_sum_add(&ll, (y[i] ? eta : 0.0) - log1pexp(eta));
		pmed_sum_add(&g0, r);
		pmed_sum_add(&h00, w);
		if (with_slope)
		{
			pmed_sum_add(&g1, r * x[i]);
			pmed_sum_add(&h01, w * x[i]);
			pmed_sum_add(&h11, w * x[i] * x[i]);
		}
	}
	g[0] = pmed_sum_value(&g0);
	g[1] = pmed_sum_value(&g1);
	h[0] = pmed_sum_value(&h00);
	h[1] = pmed_sum_value(&h01);
	h[2] = pmed_sum_value(&h11);
	return pmed_sum_value(&ll);
}

/* Newton's method with step halving; false when no maximum was found. */
static bool
logit_fit(const double *x, const bool *y, size_t n, bool with_slope, double *a, double *b)
{
	double		g[2],
				h[3],
				ca = 0.0,
				cb = 1.0,
				last_step = INFINITY;
	double		ll = logit_ll(x, y, n, ca, cb, with_slope, g, h);

	for (int iter = 0; iter < 100; iter++)
	{
		double		da,
					db = 0.0,
					step = 1.0;
		bool		better = false;

		pmed_check_interrupts();
		if (with_slope)
		{
			double		det = h[0] * h[2] - h[1] * h[1];

			if (!(det > 1e-12 * h[0] * h[2]) || !(h[0] > 0))
				return false;	/* singular: constant logit(p) */
			da = (h[2] * g[0] - h[1] * g[1]) / det;
			db = (h[0] * g[1] - h[1] * g[0]) / det;
		}
		else
		{
			if (!(h[0] > 0))
				return false;
			da = g[0] / h[0];
		}
		if (!isfinite(da) || !isfinite(db))
			return false;
		/*
		 * Step halving far from the optimum; near it, the likelihood changes
		 * less than its rounding noise, so a step that loses no more than
		 * that noise is taken (Newton converges there quadratically).
		 */
		for (int half = 0; half < 60; half++)
		{
			double		g2[2],
						h2[3];
			double		ll2 = logit_ll(x, y, n, ca + step * da, cb + step * db, with_slope,
									   g2, h2);

			if (isfinite(ll2) && ll2 >= ll - 1e-12 * (1.0 + fabs(ll)))
			{
				ca += step * da;
				cb += step * db;
				ll = ll2;
				memcpy(g, g2, sizeof(g2));
				memcpy(h, h2, sizeof(h2));
				better = true;
				break;
			}
			step /= 2;
		}
		if (!better)
		{
			/* no step helps: converged only if Newton's step is tiny */
			if (fabs(da) <= 1e-8 * (1.0 + fabs(ca)) && fabs(db) <= 1e-8 * (1.0 + fabs(cb)))
			{
				*a = ca;
				*b = cb;
				return true;
			}
			return false;
		}
		if (fabs(step * da) <= 1e-13 * (1.0 + fabs(ca)) &&
			fabs(step * db) <= 1e-13 * (1.0 + fabs(cb)))
		{
			*a = ca;
			*b = cb;
			return true;
		}
		last_step = fmax(fabs(step * da) / (1.0 + fabs(ca)), fabs(step * db) / (1.0 + fabs(cb)));
	}
	/* rounding noise can keep the last steps above 1e-13: accept tiny ones */
	if (last_step <= 1e-8)
	{
		*a = ca;
		*b = cb;
		return true;
	}
	return false;
}

void
pmed_calibration(const double *pos, size_t n_pos, const double *neg, size_t n_neg,
				 PmedCalibration *out)
{
	size_t		n = n_pos + n_neg;
	uint64_t	count[10],
				positives[10];
	double		sum_p[10];
	PmedSum		brier = {0, 0};
	double		ybar,
				ece = 0.0,
				rel = 0.0,
				res = 0.0;
	double	   *x;
	bool	   *y;
	size_t		m = 0;
	bool		has_pos = false,
				has_neg = false;

	memset(out, 0, sizeof(*out));
	out->n = n;
	if (n == 0)
		return;
	for (size_t j = 0; j < n_neg; j++)
		pmed_sum_add(&brier, neg[j] * neg[j]);
	for (size_t i = 0; i < n_pos; i++)
		pmed_sum_add(&brier, (1.0 - pos[i]) * (1.0 - pos[i]));
	out->brier = pmed_sum_value(&brier) / (double) n;

	pmed_calibration_bins(pos, n_pos, neg, n_neg, 10, count, positives, sum_p);
	ybar = (double) n_pos / (double) n;
	for (int k = 0; k < 10; k++)
	{
		double		share,
					pbar,
					obar;

		if (count[k] == 0)
			continue;
		share = (double) count[k] / (double) n;
		pbar = sum_p[k] / (double) count[k];
		obar = (double) positives[k] / (double) count[k];
		ece += share * fabs(pbar - obar);
		rel += share * (pbar - obar) * (pbar - obar);
		res += share * (obar - ybar) * (obar - ybar);
	}
	out->ece = ece;
	out->reliability = rel;
	out->resolution = res;
	out->uncertainty = ybar * (1.0 - ybar);

	x = pmed_alloc_array(n, sizeof(double));
	y = pmed_alloc_array(n, sizeof(bool));
	for (size_t j = 0; j < n_neg; j++)
		if (neg[j] > 0.0 && neg[j] < 1.0)
		{
			x[m] = log(neg[j]) - log1p(-neg[j]);
			y[m++] = false;
			has_neg = true;
		}
	for (size_t i = 0; i < n_pos; i++)
		if (pos[i] > 0.0 && pos[i] < 1.0)
		{
			x[m] = log(pos[i]) - log1p(-pos[i]);
			y[m++] = true;
			has_pos = true;
		}
	out->n_extreme = n - m;
	if (has_pos && has_neg)
	{
		double		unused;

		out->fit_ok = logit_fit(x, y, m, true, &out->intercept, &out->slope);
		out->citl_ok = logit_fit(x, y, m, false, &out->citl, &unused);
	}
	pmed_free(x);
	pmed_free(y);
}
