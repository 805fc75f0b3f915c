/*
 * baseline.h - the reference model every other must beat: class priors for
 * classification (scikit-learn's DummyClassifier "prior"), the mean for
 * regression (DummyRegressor "mean").
 */
#ifndef PMED_BASELINE_H
#define PMED_BASELINE_H

#include "model.h"

typedef struct PmedBaseline
{
	uint32_t	n_values;		/* n_classes, or 1 for regression */
	double	   *values;			/* class priors, or { mean } */
} PmedBaseline;

PmedBaseline *pmed_baseline_fit(const PmedDataset *ds);
void		pmed_baseline_write(PmedWriter *w, const PmedBaseline *b);
/* n_classes = 0 for regression; NULL (err set) on a bad payload. */
PmedBaseline *pmed_baseline_read(PmedReader *r, uint32_t n_classes);
/* Class index with the largest prior (first on ties), or the mean. */
double		pmed_baseline_predict(const PmedBaseline *b, bool classification);

#endif
