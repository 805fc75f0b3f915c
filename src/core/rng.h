/*
 * rng.h - seeded, portable pseudo-random numbers (xoshiro256** seeded by
 * splitmix64), so the same seed gives the same model on every platform.
 */
#ifndef PMED_RNG_H
#define PMED_RNG_H

#include <stdint.h>

typedef struct PmedRng
{
	uint64_t	s[4];
} PmedRng;

void		pmed_rng_seed(PmedRng *rng, uint64_t seed);
uint64_t	pmed_rng_next(PmedRng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double		pmed_rng_uniform(PmedRng *rng);
/* Uniform integer in [0, bound), bound > 0, without modulo bias. */
uint64_t	pmed_rng_below(PmedRng *rng, uint64_t bound);
/* Standard normal (Box-Muller, no cached second value: stays stateless). */
double		pmed_rng_normal(PmedRng *rng);
/* A 64-bit mix of x, for hashing keys (splitmix64 finaliser). */
uint64_t	pmed_mix64(uint64_t x);

#endif
