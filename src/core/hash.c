/*
 * hash.c - the portable fold hash behind pmed.fold (see hash.h).
 */
#include "hash.h"

static inline uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xBF58476D1CE4E5B9);
	x ^= x >> 27;
	x *= UINT64_C(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

uint64_t
pmed_fold_hash(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t	h = mix(seed * UINT64_C(0x9E3779B97F4A7C15) + (uint64_t) len);

	while (len > 0)
	{
		uint64_t	w = 0;
		size_t		n = len < 8 ? len : 8;

		/* little-endian block, assembled byte by byte: portable */
		for (size_t b = 0; b < n; b++)
			w |= (uint64_t) p[b] << (8 * b);
		h = mix(h ^ mix(w + UINT64_C(0x9E3779B97F4A7C15)));
		h *= UINT64_C(0x9E3779B97F4A7C15);
		p += n;
		len -= n;
	}
	return mix(h);
}

int
pmed_fold_of(uint64_t hash, int folds)
{
	/*
	 * floor(hash * folds / 2^64) (multiply-shift range reduction), in 64-bit
	 * arithmetic: folds < 2^31, so neither partial product overflows.
	 */
	uint64_t	hi = (hash >> 32) * (uint64_t) folds;
	uint64_t	lo = (hash & 0xFFFFFFFFu) * (uint64_t) folds;

	return (int) ((hi + (lo >> 32)) >> 32);
}
