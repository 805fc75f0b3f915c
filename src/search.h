/*
 * search.h - cross-validated hyperparameter search inside the training
 * aggregates (options "search", "cv", "metric", and "k" for cf), run by
 * the final-function skeleton (train_state.c) in place of one fit.
 */
#ifndef PMED_SEARCH_H
#define PMED_SEARCH_H

#include "pmed.h"

/* The option keys the search adds to a family's own. */
#define PMED_SEARCH_OPTION_KEYS "search", "cv", "metric"

/*
 * Validate the search options on the first row: the grid (every trial's
 * options go through the family's parse_params, so a bad value is reported
 * like a top-level option), cv, metric.  Nothing when there is no search.
 */
extern void pmed_search_check(Jsonb *options, const PmedFamily *family,
							  const PmedCommonParams *common);

/*
 * When the options ask for a search or cross-validation: run every trial on
 * deterministic folds, refit the best on all rows (family->fit into schema,
 * algo, meta) and add the "search" member to meta; returns true.  Returns
 * false (nothing done) otherwise.
 */
extern bool pmed_search_fit(const PmedFamily *family, const char *options_text,
							PmedTrainSet *set, PmedSchema *schema, PmedWriter *algo,
							PmedJson *meta);

#endif
