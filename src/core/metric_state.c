/*
 * metric_state.c - exact sums, score counts and flat-form helpers of
 * pmed.metric_state.  See metric_state.h.
 */
#include "metric_state.h"
#include "metrics.h"

#include <math.h>
#include <string.h>

/* ---- exact sums ---- */

#define XSUM_DIGIT		UINT64_C(0xFFFFFFFF)
/* each add puts < 2^32 into a limb: normalize well before 2^63 */
#define XSUM_MAX_PENDING	(UINT32_C(1) << 30)

void
pmed_xsum_init(PmedExactSum *s)
{
	memset(s, 0, sizeof(*s));
}

void
pmed_xsum_normalize(PmedExactSum *s)
{
	int64_t		carry = 0;

	for (int i = 0; i < PMED_XSUM_LIMBS - 1; i++)
	{
		int64_t		v = s->limb[i] + carry;
		int64_t		low = (int64_t) ((uint64_t) v & XSUM_DIGIT);

		s->limb[i] = low;
		/* v - low is a multiple of 2^32: the division is exact (floor) */
		carry = (v - low) / (INT64_C(1) << 32);
	}
	s->limb[PMED_XSUM_LIMBS - 1] += carry;
	s->pending = 0;
}

void
pmed_xsum_add(PmedExactSum *s, double x)
{
	uint64_t	bits;
	uint64_t	mant;
	int			e;
	int			p;
	int			i;
	int			sh;
	int64_t		d0,
				d1,
				d2;

	if (x == 0.0)
		return;
	memcpy(&bits, &x, sizeof(bits));
	e = (int) ((bits >> 52) & 0x7FF);
	mant = bits & ((UINT64_C(1) << 52) - 1);
	if (e == 0)
		p = 0;					/* subnormal: mant * 2^-1074 */
	else
	{
		mant |= UINT64_C(1) << 52;
		p = e - 1;				/* mant * 2^(e - 1075) = mant * 2^(p - 1074) */
	}
	i = p >> 5;
	sh = p & 31;
	d0 = (int64_t) ((mant << sh) & XSUM_DIGIT);
	if (sh == 0)
	{
		d1 = (int64_t) ((mant >> 32) & XSUM_DIGIT);
		d2 = 0;
	}
	else
	{
		d1 = (int64_t) ((mant >> (32 - sh)) & XSUM_DIGIT);
		d2 = (int64_t) (mant >> (64 - sh));
	}
	if (bits >> 63)
	{
		s->limb[i] -= d0;
		s->limb[i + 1] -= d1;
		s->limb[i + 2] -= d2;
	}
	else
	{
		s->limb[i] += d0;
		s->limb[i + 1] += d1;
		s->limb[i + 2] += d2;
	}
	if (++s->pending >= XSUM_MAX_PENDING)
		pmed_xsum_normalize(s);
}

void
pmed_xsum_merge(PmedExactSum *a, const PmedExactSum *b)
{
	PmedExactSum nb = *b;

	pmed_xsum_normalize(a);
	pmed_xsum_normalize(&nb);
	for (int i = 0; i < PMED_XSUM_LIMBS; i++)
		a->limb[i] += nb.limb[i];
	pmed_xsum_normalize(a);
}

bool
pmed_xsum_is_normalized(const PmedExactSum *s)
{
	for (int i = 0; i < PMED_XSUM_LIMBS - 1; i++)
		if (s->limb[i] < 0 || s->limb[i] > (int64_t) XSUM_DIGIT)
			return false;
	/* the top limb: at most 2^63 terms below 2^1024 each */
	return s->limb[PMED_XSUM_LIMBS - 1] > -(INT64_C(1) << 40) &&
		s->limb[PMED_XSUM_LIMBS - 1] < (INT64_C(1) << 40);
}

double
pmed_xsum_value(const PmedExactSum *in)
{
	PmedExactSum s = *in;
	double		sum = 0.0;
	double		comp = 0.0;
	double		v;
	bool		negative;

	pmed_xsum_normalize(&s);
	/* a negative value: sum its magnitude (every digit then non-negative) */
	negative = s.limb[PMED_XSUM_LIMBS - 1] < 0;
	if (negative)
	{
		for (int i = 0; i < PMED_XSUM_LIMBS; i++)
			s.limb[i] = -s.limb[i];
		pmed_xsum_normalize(&s);
	}
	/* the digits are exact doubles; add them from the least significant up
	 * with Neumaier's compensation (deterministic: canonical limbs) */
	for (int i = 0; i < PMED_XSUM_LIMBS; i++)
	{
		double		x,
					t;

		if (s.limb[i] == 0)
			continue;
		x = ldexp((double) s.limb[i], 32 * i - 1074);
		t = sum + x;
		if (fabs(sum) >= fabs(x))
			comp += (sum - t) + x;
		else
			comp += (x - t) + sum;
		sum = t;
	}
	v = sum + comp;
	if (!isfinite(v))
		v = HUGE_VAL;			/* beyond the double range */
	return negative ? -v : v;
}

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

/* acc += a * b, 128-bit without compiler extensions */
static void
u128_add_mul(uint64_t *hi_acc, uint64_t *lo_acc, uint64_t a, uint64_t b)
{
	uint64_t	a_lo = a & 0xFFFFFFFFu;
	uint64_t	a_hi = a >> 32;
	uint64_t	b_lo = b & 0xFFFFFFFFu;
	uint64_t	b_hi = b >> 32;
	uint64_t	ll = a_lo * b_lo;
	uint64_t	lh = a_lo * b_hi;
	uint64_t	hl = a_hi * b_lo;
	uint64_t	hh = a_hi * b_hi;
	uint64_t	mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
	uint64_t	lo = (mid << 32) | (ll & 0xFFFFFFFFu);
	uint64_t	hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);

	*lo_acc += lo;
	*hi_acc += hi + (*lo_acc < lo);
}

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
	uint64_t	hi = 0,
				lo = 0,
				below = 0,
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
			u128_add_mul(&hi, &lo, runs[i].pos, 2 * below + runs[i].neg);
		below += runs[i].neg;
	}
	*auc = ((double) hi * 18446744073709551616.0 + (double) lo) /
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
