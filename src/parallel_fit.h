/*
 * parallel_fit.h - every core for a fit: the trees of a forest and the
 * class pairs of an SVM by PostgreSQL parallel workers
 * (CreateParallelContext), the same model bit for bit whatever the number
 * of workers.
 */
#ifndef PMED_PARALLEL_FIT_H
#define PMED_PARALLEL_FIT_H

#include "core/forest.h"
#include "core/svm.h"

/* pmed.fit_workers and pmed.fit_workers_min_work (module.c) */
extern int	pmed_fit_workers;
extern int	pmed_fit_workers_min_work;

/*
 * pmed_forest_train, with the trees grown by up to pmed.fit_workers
 * parallel workers and this backend when the guard allows (see
 * parallel_fit.c); serial otherwise.  Errors are raised (ereport).
 */
extern PmedForest *pmed_forest_train_parallel(const PmedDataset *ds, const PmedForestParams *par);

/*
 * pmed_svm_fit, with the one-vs-one class pairs solved by up to
 * pmed.fit_workers parallel workers and this backend under the same guard;
 * serial otherwise.  The same model bytes either way.  Errors are raised.
 */
extern PmedSvmModel *pmed_svm_train_parallel(const PmedDataset *ds, const PmedSvmParams *params);

#endif
