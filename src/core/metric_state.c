/*
 * metric_state.c - score counts and flat-form helpers of
 * pmed.metric_state.  See metric_state.h.
 */
#include "metric_state.h"
#include "metrics.h"

#include <math.h>
#include <string.h>

/* ---- score counts ---- */

static inline double
canonical_zero(double s)
{
	return s == 0.0 ? 0.0 : s;
}

size_t
pmed_runs_absorb(const PmedScoreRun *runs, size_t n_runs,
				 const double *pos, size_t n_pos,
				 const double *neg, size_t n_neg, PmedScoreRun *out)
{
	size_t		i = 0,
				j = 0,
				k = 0,
				m = 0;

	while (i < n_runs || j < n_pos || k < n_neg)
	{
		double		s = HUGE_VAL;
		PmedScoreRun r;

		if ((m & 0xFFFF) == 0)
			pmed_check_interrupts();
		if (i < n_runs && runs[i].score < s)
			s = runs[i].score;
		if (j < n_pos && pos[j] < s)
			s = pos[j];
		if (k < n_neg && neg[k] < s)
			s = neg[k];
		r.score = canonical_zero(s);
		r.pos = 0;
		r.neg = 0;
		if (i < n_runs && runs[i].score == s)
		{
			r.pos = runs[i].pos;
			r.neg = runs[i].neg;
			i++;
		}
		while (j < n_pos && pos[j] == s)
		{
			r.pos++;
			j++;
		}
		while (k < n_neg && neg[k] == s)
		{
			r.neg++;
			k++;
		}
		out[m++] = r;
	}
	return m;
}

size_t
pmed_runs_merge(const PmedScoreRun *a, size_t na,
				const PmedScoreRun *b, size_t nb, PmedScoreRun *out)
{
	size_t		i = 0,
				j = 0,
				m = 0;

	while (i < na || j < nb)
	{
		if ((m & 0xFFFF) == 0)
			pmed_check_interrupts();
		if (j >= nb || (i < na && a[i].score < b[j].score))
			out[m++] = a[i++];
		else if (i >= na || b[j].score < a[i].score)
			out[m++] = b[j++];
		else
		{
			out[m] = a[i++];
			out[m].pos += b[j].pos;
			out[m].neg += b[j++].neg;
			m++;
		}
	}
	return m;
}

void
pmed_runs_expand(const PmedScoreRun *runs, size_t n, double *pos, double *neg)
{
	size_t		p = 0,
				q = 0;

	for (size_t i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			pmed_check_interrupts();
		for (uint64_t c = 0; c < runs[i].pos; c++)
			pos[p++] = runs[i].score;
		for (uint64_t c = 0; c < runs[i].neg; c++)
			neg[q++] = runs[i].score;
	}
}

#define RUNS_MAX_TOTAL	(UINT64_C(1) << 62)

PmedStatus
pmed_runs_check(const PmedScoreRun *runs, size_t n, bool probabilities,
				uint64_t *n_pos, uint64_t *n_neg, PmedError *err)
{
	uint64_t	tp = 0,
				tn = 0;

	for (size_t i = 0; i < n; i++)
	{
		double		s = runs[i].score;

		if (!isfinite(s) || (s == 0.0 && signbit(s)))
			return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed.metric_state value: score %zu is not a finite canonical number", i);
		if (probabilities && !(s >= 0.0 && s <= 1.0))
			return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed.metric_state value: probability %zu lies outside [0, 1]", i);
		if (i > 0 && !(runs[i - 1].score < s))
			return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed.metric_state value: scores are not strictly ascending");
		if (runs[i].pos >= RUNS_MAX_TOTAL || runs[i].neg >= RUNS_MAX_TOTAL ||
			runs[i].pos + runs[i].neg == 0)
			return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed.metric_state value: bad count at score %zu", i);
		tp += runs[i].pos;
		tn += runs[i].neg;
		if (tp >= RUNS_MAX_TOTAL || tn >= RUNS_MAX_TOTAL)
			return pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed.metric_state value: counts out of range");
	}
	*n_pos = tp;
	*n_neg = tn;
	return PMED_OK;
}

/* ---- metrics from runs ---- */

static void
runs_totals(const PmedScoreRun *runs, size_t n, uint64_t *n_pos, uint64_t *n_neg)
{
	uint64_t	p = 0,
				q = 0;

	for (size_t i = 0; i < n; i++)
	{
		p += runs[i].pos;
		q += runs[i].neg;
	}
	*n_pos = p;
	*n_neg = q;
}

bool
pmed_runs_auc(const PmedScoreRun *runs, size_t n, double *auc)
{
	/* twice the Mann-Whitney U, exactly: as pmed_roc_auc_sorted */
	PmedU128	u2 = {0, 0};
	uint64_t	below = 0,
				n_pos,
				n_neg;

	runs_totals(runs, n, &n_pos, &n_neg);
	if (n_pos == 0 || n_neg == 0)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			pmed_check_interrupts();
		if (runs[i].pos > 0)
			pmed_u128_add_mul(&u2, runs[i].pos, 2 * below + runs[i].neg);
		below += runs[i].neg;
	}
	*auc = ((double) u2.hi * 18446744073709551616.0 + (double) u2.lo) /
		(2.0 * (double) n_pos * (double) n_neg);
	return true;
}

bool
pmed_runs_average_precision(const PmedScoreRun *runs, size_t n, double *ap)
{
	uint64_t	n_pos,
				n_neg,
				tp = 0,
				fp = 0;
	double		sum = 0.0;

	runs_totals(runs, n, &n_pos, &n_neg);
	if (n_pos == 0)
		return false;
	/* thresholds in decreasing order; terms only where positives are */
	for (size_t k = n; k > 0 && tp < n_pos; k--)
	{
		const PmedScoreRun *r = &runs[k - 1];

		if ((k & 0xFFFF) == 0)
			pmed_check_interrupts();
		fp += r->neg;
		if (r->pos > 0)
		{
			tp += r->pos;
			sum += ((double) r->pos / (double) n_pos) * ((double) tp / (double) (tp + fp));
		}
	}
	*ap = sum;
	return true;
}

size_t
pmed_runs_curve_points(const PmedScoreRun *runs, size_t n,
					   double *thr, uint64_t *tp, uint64_t *fp)
{
	uint64_t	p = 0,
				q = 0;

	for (size_t k = 0; k < n; k++)
	{
		const PmedScoreRun *r = &runs[n - 1 - k];

		p += r->pos;
		q += r->neg;
		thr[k] = r->score;
		tp[k] = p;
		fp[k] = q;
	}
	return n;
}

void
pmed_runs_confusion_at(const PmedScoreRun *runs, size_t n, double t,
					   uint64_t *tp, uint64_t *fp, uint64_t *tn, uint64_t *fn)
{
	uint64_t	pb = 0,
				nb = 0,
				n_pos,
				n_neg;

	runs_totals(runs, n, &n_pos, &n_neg);
	for (size_t i = 0; i < n && runs[i].score < t; i++)
	{
		pb += runs[i].pos;
		nb += runs[i].neg;
	}
	*tp = n_pos - pb;
	*fn = pb;
	*fp = n_neg - nb;
	*tn = nb;
}

bool
pmed_runs_threshold_for_sensitivity(const PmedScoreRun *runs, size_t n,
									double target, double *t)
{
	uint64_t	n_pos,
				n_neg,
				p = 0;

	runs_totals(runs, n, &n_pos, &n_neg);
	if (n_pos == 0)
		return false;
	for (size_t k = n; k > 0; k--)
	{
		if (runs[k - 1].pos == 0)
			continue;
		p += runs[k - 1].pos;
		if ((double) p / (double) n_pos >= target)
		{
			*t = runs[k - 1].score;
			return true;
		}
	}
	return false;
}

bool
pmed_runs_threshold_for_specificity(const PmedScoreRun *runs, size_t n,
									double target, double *t)
{
	uint64_t	n_pos,
				n_neg,
				below = 0;

	runs_totals(runs, n, &n_pos, &n_neg);
	if (n_neg == 0)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		if ((double) below / (double) n_neg >= target)
		{
			*t = runs[i].score;
			return true;
		}
		below += runs[i].neg;
	}
	return false;
}

/*
 * DeLong from runs.  The row-based code computes v10 per positive and v01
 * per negative in ascending score order, then a compensated mean and a
 * compensated sum of squared deviations over them; the same terms in the
 * same order are produced here from the counts.
 */
typedef enum
{
	PLACE_MEAN10, PLACE_MEAN01, PLACE_VAR10, PLACE_VAR01
} PlacePass;

static double
runs_placement_sum(const PmedScoreRun *runs, size_t n, uint64_t n_pos, uint64_t n_neg,
				   PlacePass pass, double mean)
{
	PmedSum		s = {0, 0};
	uint64_t	neg_below = 0,
				pos_upto = 0;

	for (size_t i = 0; i < n; i++)
	{
		const PmedScoreRun *r = &runs[i];

		if ((i & 0xFFFF) == 0)
			pmed_check_interrupts();
		pos_upto += r->pos;
		if ((pass == PLACE_MEAN10 || pass == PLACE_VAR10) && r->pos > 0)
		{
			double		v = ((double) neg_below + 0.5 * (double) r->neg) / (double) n_neg;
			double		term = pass == PLACE_MEAN10 ? v : (v - mean) * (v - mean);

			for (uint64_t c = 0; c < r->pos; c++)
				pmed_sum_add(&s, term);
		}
		if ((pass == PLACE_MEAN01 || pass == PLACE_VAR01) && r->neg > 0)
		{
			double		v = ((double) (n_pos - pos_upto) + 0.5 * (double) r->pos) / (double) n_pos;
			double		term = pass == PLACE_MEAN01 ? v : (v - mean) * (v - mean);

			for (uint64_t c = 0; c < r->neg; c++)
				pmed_sum_add(&s, term);
		}
		neg_below += r->neg;
	}
	return pmed_sum_value(&s);
}

bool
pmed_runs_delong_auc(const PmedScoreRun *runs, size_t n, PmedAucCi *out)
{
	uint64_t	n_pos,
				n_neg;
	double		m10,
				m01;

	if (!pmed_runs_auc(runs, n, &out->auc))
		return false;
	runs_totals(runs, n, &n_pos, &n_neg);
	out->se = NAN;
	if (n_pos < 2 || n_neg < 2)
		return true;
	m10 = runs_placement_sum(runs, n, n_pos, n_neg, PLACE_MEAN10, 0.0) / (double) n_pos;
	m01 = runs_placement_sum(runs, n, n_pos, n_neg, PLACE_MEAN01, 0.0) / (double) n_neg;
	out->se = sqrt(fmax(runs_placement_sum(runs, n, n_pos, n_neg, PLACE_VAR10, m10) / (double) (n_pos - 1) / (double) n_pos +
						runs_placement_sum(runs, n, n_pos, n_neg, PLACE_VAR01, m01) / (double) (n_neg - 1) / (double) n_neg, 0.0));
	return true;
}

/* ---- byte order ---- */

void
pmed_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--)
	{
		p[i] = (uint8_t) (v & 0xFF);
		v >>= 8;
	}
}

void
pmed_put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
	{
		p[i] = (uint8_t) (v & 0xFF);
		v >>= 8;
	}
}

void
pmed_put_be_f64(uint8_t *p, double v)
{
	uint64_t	u;

	memcpy(&u, &v, sizeof(u));
	pmed_put_be64(p, u);
}
