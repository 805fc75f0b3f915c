/*
 * parallel_fit.h - every core for a fit: the trees of a forest grown by
 * PostgreSQL parallel workers (CreateParallelContext), the same model bit
 * for bit whatever the number of workers.
 */
#ifndef PMED_PARALLEL_FIT_H
#define PMED_PARALLEL_FIT_H

#include "core/forest.h"

/* pmed.fit_workers and pmed.fit_workers_min_work (module.c) */
extern int	pmed_fit_workers;
extern int	pmed_fit_workers_min_work;

/*
 * pmed_forest_train, with the trees grown by up to pmed.fit_workers
 * parallel workers and this backend when the guard allows (see
 * parallel_fit.c); serial otherwise.  Errors are raised (ereport).
 */
extern PmedForest *pmed_forest_train_parallel(const PmedDataset *ds, const PmedForestParams *par);

#endif
