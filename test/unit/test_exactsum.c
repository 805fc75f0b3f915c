/*
 * test_exactsum.c - the exact accumulator of statistics states: correct
 * rounding, order independence, merges, products outside double range,
 * and its serialized form (canonical, every damaged byte rejected).
 */
#include "unit.h"

#include "../../src/core/exactsum.h"

#include <float.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t
next_u64(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Doubles of both signs over a wide exponent range, some decimal-looking. */
static double
random_double(void)
{
	uint64_t	r = next_u64();
	double		m = (double) (r >> 11) / 9007199254740992.0;
	int			e = (int) (next_u64() % 120) - 60;

	if (r & 1)
		return ldexp(m, e) * ((r & 2) ? -1 : 1);
	return (double) ((r >> 20) % 1000) / 10.0;
}

static double
sum_of(const double *v, const int *order, int n)
{
	PmedExactSum s = PMED_EXACTSUM_INIT;
	double		r;

	for (int i = 0; i < n; i++)
		pmed_exactsum_add(&s, v[order[i]]);
	r = pmed_exactsum_value(&s);
	pmed_exactsum_reset(&s);
	return r;
}

static size_t
written(const PmedExactSum *s, uint8_t *buf)
{
	PmedWriter	w;
	size_t		n;

	pmed_writer_init(&w);
	pmed_exactsum_write(&w, s);
	n = w.len;
	memcpy(buf, w.buf, n);
	CHECK(n == pmed_exactsum_size(s), "size %zu = written %zu", pmed_exactsum_size(s), n);
	return n;
}

/*
 * Cases of the former metric-state accumulator (rmse, log_loss and brier
 * sum with this one now): squared errors over 80 binary orders of
 * magnitude split four ways by a hash and merged in another order give the
 * same canonical bytes; overflow and back; ten times 0.1.
 */
static void
test_metric_sums(void)
{
	enum
	{
	M = 50000};
	static double w[M];
	PmedExactSum all = PMED_EXACTSUM_INIT,
				rev = PMED_EXACTSUM_INIT,
				merged = PMED_EXACTSUM_INIT,
				parts[4] = {PMED_EXACTSUM_INIT, PMED_EXACTSUM_INIT, PMED_EXACTSUM_INIT, PMED_EXACTSUM_INIT},
				s = PMED_EXACTSUM_INIT;
	static uint8_t b1[1024],
				b2[1024];
	size_t		n1,
				n2;
	double		naive = 0;

	for (int i = 0; i < M; i++)
	{
		double		u = (double) (next_u64() >> 11) / 9007199254740992.0;

		w[i] = ldexp(u * u, (int) (next_u64() % 80) - 40) * (i % 7 == 0 ? -1.0 : 1.0);
		naive += w[i];
	}
	for (int i = 0; i < M; i++)
	{
		pmed_exactsum_add(&all, w[i]);
		pmed_exactsum_add(&rev, w[M - 1 - i]);
		pmed_exactsum_add(&parts[((uint32_t) i * 2654435761u) % 4], w[i]);
	}
	pmed_exactsum_merge(&merged, &parts[2]);
	pmed_exactsum_merge(&merged, &parts[0]);
	pmed_exactsum_merge(&merged, &parts[3]);
	pmed_exactsum_merge(&merged, &parts[1]);
	n1 = written(&all, b1);
	n2 = written(&rev, b2);
	CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0, "reversed order: the same canonical bytes");
	n2 = written(&merged, b2);
	CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0, "4 parts merged in another order: the same canonical bytes");
	CHECK(pmed_exactsum_value(&all) == pmed_exactsum_value(&merged), "4 parts merged: the same value bit for bit");
	CHECK(fabs(pmed_exactsum_value(&all) - naive) <= fabs(naive) * 1e-9, "close to the naive sum: %a vs %a",
		  pmed_exactsum_value(&all), naive);
	pmed_exactsum_reset(&all);
	pmed_exactsum_reset(&rev);
	pmed_exactsum_reset(&merged);
	for (int k = 0; k < 4; k++)
		pmed_exactsum_reset(&parts[k]);

	for (int i = 0; i < 10; i++)
		pmed_exactsum_add(&s, 0.1);
	CHECK(pmed_exactsum_value(&s) == 1.0, "ten times 0.1 rounds to 1.0");
	pmed_exactsum_reset(&s);
	pmed_exactsum_add(&s, DBL_MAX);
	pmed_exactsum_add(&s, DBL_MAX);
	CHECK(isinf(pmed_exactsum_value(&s)) && pmed_exactsum_value(&s) > 0, "DBL_MAX + DBL_MAX is +inf");
	pmed_exactsum_add(&s, -DBL_MAX);
	CHECK(pmed_exactsum_value(&s) == DBL_MAX, "and back in range exactly");
	pmed_exactsum_reset(&s);
	pmed_exactsum_add(&s, -2.5);
	pmed_exactsum_add(&s, 0.25);
	CHECK(pmed_exactsum_value(&s) == -2.25, "negative sums");
	pmed_exactsum_reset(&s);
	CHECK(pmed_exactsum_value(&s) == 0.0 && pmed_exactsum_sign(&s) == 0, "the empty sum is 0");
}

int
main(void)
{
	PmedExactSum s = PMED_EXACTSUM_INIT;
	PmedExactSum a = PMED_EXACTSUM_INIT;
	PmedExactSum b = PMED_EXACTSUM_INIT;
	enum
	{
	N = 5000};
	static double v[N];
	static int	order[N];
	double		forward,
				reverse,
				shuffled;
	uint8_t		buf1[1024],
				buf2[1024];
	size_t		n1,
				n2;

	/* exact cases */
	pmed_exactsum_add(&s, 1e100);
	pmed_exactsum_add(&s, 1.0);
	pmed_exactsum_add(&s, -1e100);
	CHECK(pmed_exactsum_value(&s) == 1.0, "1e100 + 1 - 1e100 = 1, got %g", pmed_exactsum_value(&s));
	pmed_exactsum_reset(&s);

	pmed_exactsum_add(&s, 0.1);
	pmed_exactsum_add(&s, 0.2);
	pmed_exactsum_add(&s, -0.3);
	CHECK(pmed_exactsum_value(&s) == ldexp(1, -55), "0.1 + 0.2 - 0.3 = 2^-55 exactly, got %a",
		  pmed_exactsum_value(&s));
	CHECK(0.1 + 0.2 - 0.3 != ldexp(1, -55), "(plain double sum differs: %a)", 0.1 + 0.2 - 0.3);
	pmed_exactsum_reset(&s);

	/* ties to even: 2^53 + 1 -> 2^53; + 2^-100 -> 2^53 + 2 */
	pmed_exactsum_add(&s, 9007199254740992.0);
	pmed_exactsum_add(&s, 1.0);
	CHECK(pmed_exactsum_value(&s) == 9007199254740992.0, "2^53 + 1 ties to even");
	pmed_exactsum_add(&s, ldexp(1, -100));
	CHECK(pmed_exactsum_value(&s) == 9007199254740994.0, "2^53 + 1 + 2^-100 rounds up");
	pmed_exactsum_add(&s, -9007199254740992.0);
	CHECK(pmed_exactsum_value(&s) == 1.0, "... - 2^53 = 1 (+2^-100 rounds away)");
	pmed_exactsum_reset(&s);

	/* products: (1 + 2^-30)(1 - 2^-30) - 1 = -2^-60 exactly */
	pmed_exactsum_add_product(&s, 1 + ldexp(1, -30), 1 - ldexp(1, -30));
	pmed_exactsum_add(&s, -1.0);
	CHECK(pmed_exactsum_value(&s) == -ldexp(1, -60), "product exact: got %a", pmed_exactsum_value(&s));
	CHECK(pmed_exactsum_sign(&s) == -1, "sign of a negative sum");
	pmed_exactsum_reset(&s);

	/* outside double range, both ways */
	pmed_exactsum_add_product(&s, 1e300, 1e300);
	CHECK(isinf(pmed_exactsum_value(&s)), "1e600 overflows to infinity");
	pmed_exactsum_add_product(&s, -1e300, 1e300);
	CHECK(pmed_exactsum_value(&s) == 0 && pmed_exactsum_sign(&s) == 0, "1e600 - 1e600 = 0");
	pmed_exactsum_add_product(&s, 1e-200, 1e-200);
	CHECK(pmed_exactsum_value(&s) == 0 && pmed_exactsum_sign(&s) == 1,
		  "1e-400 rounds to 0 but is positive");
	pmed_exactsum_add_product(&s, 1e-200, -1e-200);
	CHECK(pmed_exactsum_sign(&s) == 0, "1e-400 - 1e-400 = 0");
	pmed_exactsum_add(&s, ldexp(1, -1074));
	pmed_exactsum_add(&s, ldexp(1, -1074));
	CHECK(pmed_exactsum_value(&s) == ldexp(1, -1073), "subnormals add exactly");
	pmed_exactsum_reset(&s);

	/* integers stay in the fast form (no limbs) */
	for (int i = 0; i < 1000; i++)
		pmed_exactsum_add_product(&s, (double) (i % 7), 3.0);
	CHECK(s.limbs == NULL && pmed_exactsum_value(&s) == 3.0 * 2997, "integer sums stay fast: %g",
		  pmed_exactsum_value(&s));
	pmed_exactsum_reset(&s);

	/* order independence: forward, reverse, shuffled, split and merged */
	for (int i = 0; i < N; i++)
	{
		v[i] = random_double();
		order[i] = i;
	}
	forward = sum_of(v, order, N);
	for (int i = 0; i < N; i++)
		order[i] = N - 1 - i;
	reverse = sum_of(v, order, N);
	for (int i = N - 1; i > 0; i--)
	{
		int			j = (int) (next_u64() % (uint64_t) (i + 1));
		int			t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	shuffled = sum_of(v, order, N);
	CHECK(forward == reverse && forward == shuffled, "same bits in any order: %a %a %a",
		  forward, reverse, shuffled);
	for (int i = 0; i < N; i++)
		pmed_exactsum_add(i % 3 == 0 ? &a : &b, v[i]);
	pmed_exactsum_merge(&a, &b);
	CHECK(pmed_exactsum_value(&a) == forward, "split and merged: %a vs %a", pmed_exactsum_value(&a), forward);
	{
		/* a plain left-to-right double sum is not order independent here */
		double		p1 = 0,
					p2 = 0;

		for (int i = 0; i < N; i++)
			p1 += v[i];
		for (int i = N - 1; i >= 0; i--)
			p2 += v[i];
		printf("# plain sums: forward %a reverse %a exact %a\n", p1, p2, forward);
	}
	/* subtracting every value again leaves exactly 0 */
	for (int i = 0; i < N; i++)
		pmed_exactsum_add(&a, -v[i]);
	CHECK(pmed_exactsum_sign(&a) == 0, "x - x = 0 exactly");
	pmed_exactsum_reset(&a);
	pmed_exactsum_reset(&b);

	/* serialized form: the same bytes whatever the order, round trip */
	for (int i = 0; i < N; i++)
		pmed_exactsum_add_product(&a, v[i], v[(i * 7) % N]);
	for (int i = N - 1; i >= 0; i--)
		pmed_exactsum_add_product(&b, v[(i * 7) % N], v[i]);
	n1 = written(&a, buf1);
	n2 = written(&b, buf2);
	CHECK(n1 == n2 && memcmp(buf1, buf2, n1) == 0 && buf1[0] == 1, "canonical bytes (%zu, %zu)", n1, n2);
	{
		PmedReader	r;
		PmedError	err = {0};
		PmedExactSum c;
		int			rejected = 0,
					flips = 0;

		pmed_reader_init(&r, buf1, n1, &err);
		CHECK(pmed_exactsum_read(&r, &c) && pmed_reader_done(&r), "reads back");
		CHECK(pmed_exactsum_value(&c) == pmed_exactsum_value(&a), "same value after a round trip");
		n2 = written(&c, buf2);
		CHECK(n1 == n2 && memcmp(buf1, buf2, n1) == 0, "same bytes after a round trip");
		for (size_t cut = 0; cut < n1; cut++)
		{
			pmed_reader_init(&r, buf1, cut, &err);
			rejected += !(pmed_exactsum_read(&r, &c) && pmed_reader_done(&r));
		}
		CHECK(rejected == (int) n1, "every truncation rejected (%d of %zu)", rejected, n1);
		/* flips in the header (tag, sign, window) or the end digits */
		for (size_t at = 0; at < n1; at++)
			for (int bit = 0; bit < 8; bit++)
			{
				bool		ok;

				memcpy(buf2, buf1, n1);
				buf2[at] ^= (uint8_t) (1 << bit);
				pmed_reader_init(&r, buf2, n1, &err);
				ok = pmed_exactsum_read(&r, &c) && pmed_reader_done(&r);
				/* a flip inside a middle digit is another valid sum */
				if (ok && (at < 6 || at >= n1 - 4))
					flips++;
			}
		printf("# header/last-digit flips accepted: %d (sign flips are valid sums)\n", flips);
		CHECK(flips <= 8 + 32, "header flips rejected except sign/valid digit changes: %d", flips);
	}
	{
		/* hand-made damaged forms */
		uint8_t		bad_tag[] = {2, 0, 0, 0, 0, 0, 0, 0, 0};
		uint8_t		nan[9] = {0};
		uint8_t		exactly_one[] = {1, 0, 68, 0, 1, 0, 1, 0, 0, 0};	/* 2^0 as digits */
		uint8_t		window[] = {1, 0, 135, 0, 2, 0, 1, 0, 0, 0, 1, 0, 0, 0};
		PmedReader	r;
		PmedError	err = {0};
		PmedExactSum c;
		double		q = NAN;

		pmed_reader_init(&r, bad_tag, sizeof(bad_tag), &err);
		CHECK(!pmed_exactsum_read(&r, &c), "bad tag rejected");
		memcpy(nan + 1, &q, 8);
		pmed_reader_init(&r, nan, sizeof(nan), &err);
		CHECK(!pmed_exactsum_read(&r, &c), "NaN rejected");
		pmed_reader_init(&r, exactly_one, sizeof(exactly_one), &err);
		CHECK(!pmed_exactsum_read(&r, &c), "a double written as digits is not canonical: rejected");
		pmed_reader_init(&r, window, sizeof(window), &err);
		CHECK(!pmed_exactsum_read(&r, &c), "window past the accumulator rejected");
	}
	test_metric_sums();
	return unit_finish(__FILE__);
}
