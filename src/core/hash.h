/*
 * hash.h - the deterministic fold hash behind pmed.fold: the same key,
 * seed and fold count give the same fold on every platform and release.
 *
 * Pure C: no postgres.h, no allocation.
 */
#ifndef PMED_HASH_H
#define PMED_HASH_H

#include "pmed_core.h"

/*
 * A portable 64-bit hash of a byte string (independent of byte order and
 * word size): 8-byte little-endian blocks folded through the splitmix64
 * finaliser, seeded with seed and the length.
 */
uint64_t	pmed_fold_hash(const void *data, size_t len, uint64_t seed);
/* The fold of a hash: an integer in [0, folds), folds >= 1. */
int			pmed_fold_of(uint64_t hash, int folds);

#endif
