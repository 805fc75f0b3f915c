/*
 * interactions.h - a symmetric set of interacting drug pairs (drug-drug
 * interactions): pairs stored as (min, max) id pairs in ascending order and
 * found by binary search; the DDI rate of a drug set (GAMENet / SafeDrug:
 * interacting unordered pairs over all unordered pairs).
 */
#ifndef PMED_INTERACTIONS_H
#define PMED_INTERACTIONS_H

#include "codec.h"

#define PMED_DDI_MAX_PAIRS		100000000

typedef struct PmedInteractions
{
	uint64_t	n_pairs;
	int64_t    *a;				/* a[i] < b[i]; (a, b) strictly ascending */
	int64_t    *b;
	uint64_t	self_pairs;		/* (x, x) rows ignored at training */
	uint64_t	rows_skipped;	/* rows with a NULL drug */
} PmedInteractions;

/*
 * Build from raw pairs (a[i], b[i] in any order, any duplicates): orders
 * each pair, sorts, merges duplicates, drops self pairs (counted).  The
 * arrays are reused (sorted in place); n_pairs gets the distinct count.
 */
void		pmed_ddi_build(PmedInteractions *d, int64_t *a, int64_t *b, uint64_t n);

bool		pmed_ddi_has(const PmedInteractions *d, int64_t x, int64_t y);

/* Share of interacting unordered pairs among distinct drugs; 0 under two. */
double		pmed_ddi_rate(const PmedInteractions *d, const int64_t *drugs, size_t n);

void		pmed_ddi_encode(const PmedInteractions *d, PmedWriter *w);
/* Validates order (strictly ascending, a < b); NULL when corrupt. */
PmedInteractions *pmed_ddi_decode(PmedReader *r, PmedError *err);

#endif
