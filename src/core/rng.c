/*
 * rng.c - xoshiro256** (Blackman & Vigna), seeded through splitmix64.
 */
#include "rng.h"

#include <math.h>

uint64_t
pmed_mix64(uint64_t x)
{
	x += UINT64_C(0x9E3779B97F4A7C15);
	x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

void
pmed_rng_seed(PmedRng *rng, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
	{
		seed += UINT64_C(0x9E3779B97F4A7C15);
		rng->s[i] = pmed_mix64(seed);
	}
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
pmed_rng_next(PmedRng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
pmed_rng_uniform(PmedRng *rng)
{
	return (double) (pmed_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t
pmed_rng_below(PmedRng *rng, uint64_t bound)
{
	uint64_t	threshold = (0 - bound) % bound;

	for (;;)
	{
		uint64_t	r = pmed_rng_next(rng);

		if (r >= threshold)
			return r % bound;
	}
}

double
pmed_rng_normal(PmedRng *rng)
{
	double		u1 = 1.0 - pmed_rng_uniform(rng);	/* (0, 1] */
	double		u2 = pmed_rng_uniform(rng);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
