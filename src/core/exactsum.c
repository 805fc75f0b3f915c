/*
 * exactsum.c - exact, order-independent sums (see exactsum.h).
 *
 * Limb k of the full accumulator weighs 2^(32 k - 2176); a double m * 2^e
 * (m < 2^53, e >= -1074) or a product of two (m < 2^106, e >= -2148) is
 * added as 32-bit digits into at most three limbs per 64-bit part, so a
 * limb moves by less than 2^32 per addition; carries are propagated every
 * 2^29 additions (limbs stay below 2^62 in magnitude).
 */
#include "exactsum.h"
#include "util.h"

#include <math.h>
#include <string.h>

#define EXP_BASE	(-2176)
#define DIGIT		((int64_t) 1 << 32)
#define DIGIT_MASK	((uint64_t) 0xFFFFFFFF)
#define MAX_PENDING	(1 << 29)

typedef unsigned __int128 u128;

void
pmed_exactsum_init(PmedExactSum *s)
{
	memset(s, 0, sizeof(*s));
}

void
pmed_exactsum_reset(PmedExactSum *s)
{
	if (s->limbs)
		pmed_free(s->limbs);
	memset(s, 0, sizeof(*s));
}

/* x = (-1)^neg * m * 2^e, x finite and not zero. */
static void
decompose(double x, uint64_t *m, int *e, bool *neg)
{
	uint64_t	bits;
	int			ex;

	memcpy(&bits, &x, 8);
	*neg = (bits >> 63) != 0;
	ex = (int) ((bits >> 52) & 0x7FF);
	*m = bits & (((uint64_t) 1 << 52) - 1);
	if (ex == 0)
		*e = -1074;
	else
	{
		*m |= (uint64_t) 1 << 52;
		*e = ex - 1075;
	}
}

/* The window covers absolute limbs a..b (a <= b). */
static void
ensure(PmedExactSum *s, int a, int b)
{
	int			lo,
				hi;
	int64_t    *limbs;

	if (s->n > 0 && a >= s->lo && b < s->lo + s->n)
		return;
	lo = s->n > 0 && s->lo < a ? s->lo : a;
	hi = s->n > 0 && s->lo + s->n - 1 > b ? s->lo + s->n - 1 : b;
	if (lo < 0)
		lo = 0;
	if (hi > PMED_EXACT_LIMBS - 1)
		hi = PMED_EXACT_LIMBS - 1;
	limbs = pmed_alloc_array((size_t) (hi - lo + 1), sizeof(int64_t));
	if (s->n > 0)
		memcpy(limbs + (s->lo - lo), s->limbs, sizeof(int64_t) * s->n);
	if (s->limbs)
		pmed_free(s->limbs);
	s->limbs = limbs;
	s->lo = lo;
	s->n = hi - lo + 1;
}

/* Propagate carries: every limb but the top in [0, 2^32). */
static void
normalize(PmedExactSum *s)
{
	for (int i = 0; i + 1 < s->n; i++)
	{
		int64_t		c = s->limbs[i] >> 32;	/* floor */

		s->limbs[i] -= c * DIGIT;
		s->limbs[i + 1] += c;
	}
	/* keep the top limb within (-2^32, 2^32), growing the window */
	while (s->n > 0 && s->lo + s->n < PMED_EXACT_LIMBS &&
		   (s->limbs[s->n - 1] >= DIGIT || s->limbs[s->n - 1] <= -DIGIT))
	{
		int64_t		c;

		ensure(s, s->lo, s->lo + s->n);
		c = s->limbs[s->n - 2] >> 32;
		s->limbs[s->n - 2] -= c * DIGIT;
		s->limbs[s->n - 1] += c;
	}
	s->pending = 0;
}

/* Add (-1)^neg * m * 2^e, m a 64-bit integer, e >= EXP_BASE. */
static void
add_at(PmedExactSum *s, uint64_t m, int e, bool neg)
{
	int			pos = e - EXP_BASE;
	int			k = pos >> 5;
	u128		v = (u128) m << (pos & 31);
	int64_t		d[3];

	if (m == 0)
		return;
	d[0] = (int64_t) (uint64_t) (v & DIGIT_MASK);
	d[1] = (int64_t) (uint64_t) ((v >> 32) & DIGIT_MASK);
	d[2] = (int64_t) (uint64_t) (v >> 64);
	ensure(s, k, k + (d[2] ? 2 : d[1] ? 1 : 0));
	for (int i = 0; i < 3; i++)
	{
		if (d[i] == 0)
			continue;
		if (neg)
			s->limbs[k + i - s->lo] -= d[i];
		else
			s->limbs[k + i - s->lo] += d[i];
	}
	if (++s->pending >= MAX_PENDING)
		normalize(s);
}

static void
add_double_limbs(PmedExactSum *s, double x)
{
	uint64_t	m;
	int			e;
	bool		neg;

	if (x == 0)
		return;
	decompose(x, &m, &e, &neg);
	add_at(s, m, e, neg);
}

/* Leave the fast form: the limbs hold the value from now on. */
static void
promote(PmedExactSum *s)
{
	double		f = s->fast;

	s->fast = 0;
	s->n = 0;
	s->lo = 0;
	s->pending = 0;
	/* a small window around 2^0 to start with */
	ensure(s, 66, 70);
	add_double_limbs(s, f);
}

void
pmed_exactsum_add(PmedExactSum *s, double x)
{
	if (x == 0)
		return;
	if (s->limbs == NULL)
	{
		double		t = s->fast + x;

		if (isfinite(t))
		{
			/* TwoSum: the rounding error of fast + x, exactly */
			double		bv = t - s->fast;
			double		av = t - bv;
			double		err = (s->fast - av) + (x - bv);

			if (err == 0)
			{
				s->fast = t;
				return;
			}
		}
		promote(s);
	}
	add_double_limbs(s, x);
}

void
pmed_exactsum_add_product(PmedExactSum *s, double a, double b)
{
	uint64_t	ma,
				mb;
	int			ea,
				eb;
	bool		na,
				nb;
	u128		p;

	if (a == 0 || b == 0)
		return;
	decompose(a, &ma, &ea, &na);
	decompose(b, &mb, &eb, &nb);
	if (s->limbs == NULL)
	{
		double		q = a * b;

		/*
		 * The product is exact when the significant bits of both mantissas
		 * fit in 53 and it is a normal double (integers, short decimals
		 * like 0.5: the common case).
		 */
		if ((53 - __builtin_ctzll(ma)) + (53 - __builtin_ctzll(mb)) <= 53 &&
			isfinite(q) && fabs(q) >= 0x1p-1022)
		{
			pmed_exactsum_add(s, q);
			return;
		}
		promote(s);
	}
	p = (u128) ma * mb;
	add_at(s, (uint64_t) p, ea + eb, na != nb);
	add_at(s, (uint64_t) (p >> 64), ea + eb + 64, na != nb);
}

void
pmed_exactsum_merge(PmedExactSum *dst, const PmedExactSum *src)
{
	if (src->limbs == NULL)
	{
		pmed_exactsum_add(dst, src->fast);
		return;
	}
	if (dst->limbs == NULL)
		promote(dst);
	normalize(dst);
	ensure(dst, src->lo, src->lo + src->n - 1);
	for (int i = 0; i < src->n; i++)
		dst->limbs[src->lo + i - dst->lo] += src->limbs[i];
	normalize(dst);
}

/*
 * The full accumulator of s, normalised: every limb in [0, 2^32) but the
 * highest nonzero one, which carries the sign.  Returns the sign; with
 * magnitude set, full[] then holds |sum| with every limb in [0, 2^32).
 */
static int
full_limbs(const PmedExactSum *s, int64_t *full, bool magnitude)
{
	int			top = -1;
	int			sign = 1;
	int			first = 0;

	memset(full, 0, sizeof(int64_t) * PMED_EXACT_LIMBS);
	for (int i = 0; i < s->n; i++)
		full[s->lo + i] = s->limbs[i];
	for (int pass = 0; pass < 2; pass++)
	{
		for (int i = 0; i + 1 < PMED_EXACT_LIMBS; i++)
		{
			int64_t		c = full[i] >> 32;

			full[i] -= c * DIGIT;
			full[i + 1] += c;
		}
		top = -1;
		for (int i = PMED_EXACT_LIMBS - 1; i >= 0; i--)
			if (full[i] != 0)
			{
				top = i;
				break;
			}
		if (top < 0)
			return 0;
		if (pass == 1)
			return first;
		sign = full[PMED_EXACT_LIMBS - 1] < 0 ? -1 : 1;
		if (!magnitude || sign > 0)
			return sign;
		first = sign;
		for (int i = 0; i < PMED_EXACT_LIMBS; i++)
			full[i] = -full[i];
	}
	return first;
}

/* |sum| (limbs in [0, 2^32)) rounded to the nearest double; *exact: no rounding. */
static double
round_magnitude(const int64_t *full, bool *exact)
{
	int			t = -1;
	u128		acc = 0;
	bool		sticky = false;
	int			E,
				len,
				sh,
				drop;
	uint64_t	h,
				keep,
				rem,
				half;

	for (int i = PMED_EXACT_LIMBS - 1; i >= 0; i--)
		if (full[i] != 0)
		{
			t = i;
			break;
		}
	*exact = true;
	if (t < 0)
		return 0;
	for (int i = t; i >= t - 2; i--)
		acc = (acc << 32) | (u128) (uint64_t) (i >= 0 ? full[i] : 0);
	for (int i = 0; i < t - 2; i++)
		if (full[i] != 0)
			sticky = true;
	E = 32 * (t - 2) + EXP_BASE;
	len = 64;
	while (len < 128 && (acc >> len) != 0)
		len++;
	sh = len - 64;				/* 1..32: the top limb is not zero */
	if (sh > 0)
	{
		if ((acc & (((u128) 1 << sh) - 1)) != 0)
			sticky = true;
		acc >>= sh;
		E += sh;
	}
	h = (uint64_t) acc;			/* bit 63 set: |sum| = h * 2^E (+ sticky) */
	drop = 11;
	if (E + drop < -1074)
		drop = -1074 - E;		/* subnormal */
	if (drop >= 65)
	{
		*exact = false;
		return 0;
	}
	keep = drop < 64 ? h >> drop : 0;
	rem = drop < 64 ? h & (((uint64_t) 1 << drop) - 1) : h;
	half = (uint64_t) 1 << (drop - 1);
	*exact = rem == 0 && !sticky;
	if (rem > half || (rem == half && (sticky || (keep & 1))))
		keep++;
	return ldexp((double) keep, E + drop);
}

double
pmed_exactsum_value(const PmedExactSum *s)
{
	int64_t		full[PMED_EXACT_LIMBS];
	int			sign;
	bool		exact;
	double		v;

	if (s->limbs == NULL)
		return s->fast;
	sign = full_limbs(s, full, true);
	if (sign == 0)
		return 0;
	v = round_magnitude(full, &exact);
	return sign < 0 ? -v : v;
}

int
pmed_exactsum_sign(const PmedExactSum *s)
{
	int64_t		full[PMED_EXACT_LIMBS];

	if (s->limbs == NULL)
		return (s->fast > 0) - (s->fast < 0);
	return full_limbs(s, full, false);
}

/* The canonical form: a finite double, or sign + magnitude digits lo..hi. */
static bool
canonical(const PmedExactSum *s, int64_t *full, int *sign, int *lo, int *hi, double *v)
{
	bool		exact;

	if (s->limbs == NULL)
	{
		*v = s->fast;
		return true;
	}
	*sign = full_limbs(s, full, true);
	if (*sign == 0)
	{
		*v = 0;
		return true;
	}
	*v = round_magnitude(full, &exact);
	if (exact && isfinite(*v))
	{
		if (*sign < 0)
			*v = -*v;
		return true;
	}
	*lo = 0;
	while (full[*lo] == 0)
		(*lo)++;
	*hi = PMED_EXACT_LIMBS - 1;
	while (full[*hi] == 0)
		(*hi)--;
	return false;
}

size_t
pmed_exactsum_size(const PmedExactSum *s)
{
	int64_t		full[PMED_EXACT_LIMBS];
	int			sign,
				lo,
				hi;
	double		v;

	if (canonical(s, full, &sign, &lo, &hi, &v))
		return 9;
	return 1 + 1 + 2 + 2 + 4 * (size_t) (hi - lo + 1);
}

void
pmed_exactsum_write(PmedWriter *w, const PmedExactSum *s)
{
	int64_t		full[PMED_EXACT_LIMBS];
	int			sign,
				lo,
				hi;
	double		v;

	if (canonical(s, full, &sign, &lo, &hi, &v))
	{
		pmed_put_u8(w, 0);
		pmed_put_f64(w, v == 0 ? 0.0 : v);	/* no -0 */
		return;
	}
	pmed_put_u8(w, 1);
	pmed_put_u8(w, sign < 0);
	pmed_put_u16(w, (uint16_t) lo);
	pmed_put_u16(w, (uint16_t) (hi - lo + 1));
	for (int i = lo; i <= hi; i++)
		pmed_put_u32(w, (uint32_t) full[i]);
}

bool
pmed_exactsum_read(PmedReader *r, PmedExactSum *s)
{
	uint8_t		tag,
				neg;
	uint16_t	lo,
				n;

	pmed_exactsum_init(s);
	if (!pmed_get_u8(r, &tag))
		return false;
	if (tag == 0)
	{
		/* pmed_get_f64 rejects NaN and infinity */
		if (!pmed_get_f64(r, &s->fast))
			return false;
		if (s->fast == 0 && signbit(s->fast))
			return pmed_reader_fail(r, "exact sum is not canonical");
		return true;
	}
	if (tag != 1)
		return pmed_reader_fail(r, "bad exact-sum tag");
	if (!pmed_get_u8(r, &neg) || !pmed_get_u16(r, &lo) || !pmed_get_u16(r, &n))
		return false;
	if (neg > 1 || n == 0 || (int) lo + n > PMED_EXACT_LIMBS)
		return pmed_reader_fail(r, "bad exact-sum window");
	if ((size_t) n * 4 > r->left)
		return pmed_reader_fail(r, "truncated");
	s->limbs = pmed_alloc_array(n, sizeof(int64_t));
	s->lo = lo;
	s->n = n;
	for (int i = 0; i < n; i++)
	{
		uint32_t	d;

		if (!pmed_get_u32(r, &d))
			return false;
		s->limbs[i] = neg ? -(int64_t) d : (int64_t) d;
	}
	if (s->limbs[0] == 0 || s->limbs[n - 1] == 0)
		return pmed_reader_fail(r, "exact sum is not canonical");
	{
		/* canonical: a sum a double holds exactly is written as that double */
		int64_t		full[PMED_EXACT_LIMBS];
		int			sign,
					l,
					h;
		double		v;

		if (canonical(s, full, &sign, &l, &h, &v))
			return pmed_reader_fail(r, "exact sum is not canonical");
	}
	return true;
}
