/*
 * content.h - content-based drug recommendation: each item is a feature
 * vector (optionally standardised per feature, then L2-normalised); a
 * patient's profile is the mean of the vectors of the items in the
 * history, and items are ranked by cosine similarity to that profile.
 */
#ifndef PMED_CONTENT_H
#define PMED_CONTENT_H

#include "cf.h"

#define PMED_CONTENT_MAX_ITEMS		10000000

typedef struct PmedContentModel
{
	uint32_t	n_items;
	uint32_t	n_features;
	uint8_t		standardized;
	int64_t    *items;			/* ascending ids */
	double	   *v;				/* n_items x n_features, each row unit length or zero */
} PmedContentModel;

/*
 * Fit from n rows (ids[i], x[i * d .. i * d + d - 1]) in any order: sorts
 * by item id; a repeated item id or a non-finite value is an error.
 */
PmedStatus	pmed_content_fit(const int64_t *ids, const double *x, size_t n, uint32_t d,
							 bool standardize, PmedContentModel **out, PmedError *err);

void		pmed_content_encode(const PmedContentModel *m, PmedWriter *w);
PmedContentModel *pmed_content_decode(PmedReader *r, PmedError *err);

/* Rank by cosine to the mean of the known history items; none known: no rows. */
PmedStatus	pmed_content_recommend(const PmedContentModel *m, const PmedRecRequest *req,
								   PmedRecResult *res, PmedError *err);

#endif
