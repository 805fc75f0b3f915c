/*
 * baseline.h - the reference model every other must beat: class priors for
 * classification (scikit-learn's DummyClassifier "prior"), the mean for
 * regression (DummyRegressor "mean").
 */
#ifndef PMED_BASELINE_H
#define PMED_BASELINE_H

#include "model.h"
#include "exactsum.h"

typedef struct PmedBaseline
{
	uint32_t	n_values;		/* n_classes, or 1 for regression */
	double	   *values;			/* class priors, or { mean } */
} PmedBaseline;

PmedBaseline *pmed_baseline_fit(const PmedDataset *ds);
/*
 * From statistics: class counts (n_classes > 0, in class order) or the
 * exact sum of the labels (n_classes = 0), n rows.  The same bits as
 * pmed_baseline_fit on those rows.
 */
PmedBaseline *pmed_baseline_from_stats(const int64_t *counts, int n_classes, int64_t n,
									   const PmedExactSum *sum);
void		pmed_baseline_write(PmedWriter *w, const PmedBaseline *b);
/* n_classes = 0 for regression; NULL (err set) on a bad payload. */
PmedBaseline *pmed_baseline_read(PmedReader *r, uint32_t n_classes);
/* Class index with the largest prior (first on ties), or the mean. */
double		pmed_baseline_predict(const PmedBaseline *b, bool classification);

#endif
