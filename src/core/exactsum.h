/*
 * exactsum.h - exact, order-independent sums of doubles (and of products of
 * two doubles), for partial training states that carry statistics: merging
 * the states of any plan, in any order, gives the same bits.
 *
 * A sum starts as a plain double and stays one while every addition is
 * exact (integer or short dyadic weights: the common case, no allocation).
 * The first inexact addition promotes it to a window of a Kulisch-style
 * fixed-point accumulator: int64 limbs of 32-bit digits covering every
 * product of two doubles (2^-2176 .. 2^2176), carries normalised lazily.
 * pmed_exactsum_value rounds the exact sum to the nearest double (ties to
 * even), so the result does not depend on the order of the additions.
 *
 * Pure C: allocation through pmed_core.h (limbs live in the current memory
 * context of the host).
 */
#ifndef PMED_EXACTSUM_H
#define PMED_EXACTSUM_H

#include "codec.h"

#include <stdbool.h>
#include <stdint.h>

/* Limbs of the full accumulator (32 bits each; bit 0 of limb 0 is 2^-2176). */
#define PMED_EXACT_LIMBS	136

typedef struct PmedExactSum
{
	double		fast;			/* the exact sum while limbs == NULL */
	int32_t		lo;				/* absolute index of limbs[0] */
	int32_t		n;				/* limbs in the window */
	int32_t		pending;		/* additions since the last carry normalisation */
	int64_t    *limbs;			/* NULL: the sum is fast, exactly */
} PmedExactSum;

#define PMED_EXACTSUM_INIT {0, 0, 0, 0, NULL}

void		pmed_exactsum_init(PmedExactSum *s);
/* Back to 0, freeing the limbs. */
void		pmed_exactsum_reset(PmedExactSum *s);
/* Add a finite double. */
void		pmed_exactsum_add(PmedExactSum *s, double x);
/* Add a * b exactly (a, b finite; the product may be outside double range). */
void		pmed_exactsum_add_product(PmedExactSum *s, double a, double b);
/* dst += src. */
void		pmed_exactsum_merge(PmedExactSum *dst, const PmedExactSum *src);
/* The exact sum rounded to the nearest double (ties to even); +-inf on overflow. */
double		pmed_exactsum_value(const PmedExactSum *s);
/* -1, 0 or 1: the sign of the exact sum. */
int			pmed_exactsum_sign(const PmedExactSum *s);

/*
 * Serialized form, canonical (the same exact value gives the same bytes):
 *   u8 0, f64 value        when the exact sum is a finite double
 *   u8 1, u8 negative, u16 lo, u16 n, u32 digits[n] of |sum| (low first;
 *                          the lowest and highest digits not zero)
 * (little-endian, as every codec.h field).
 * pmed_exactsum_read validates every field (false, r's error set).
 */
void		pmed_exactsum_write(PmedWriter *w, const PmedExactSum *s);
bool		pmed_exactsum_read(PmedReader *r, PmedExactSum *s);
/* Bytes pmed_exactsum_write would write. */
size_t		pmed_exactsum_size(const PmedExactSum *s);

#endif
