/*
 * federated.h - federated random forests in the training pipeline.
 *
 * With the forest option "federated": true, a partial state that leaves
 * the node where it was made (the final function of the *_train_partial
 * aggregates today; the output / send functions of the state type) is
 * first turned into a fragment: a forest fitted on its own rows plus their
 * statistics, without any row.  The final function unions the fragments
 * (src/core/federated.c).  PostgreSQL's own parallel query does NOT fit
 * fragments (its split of rows between workers changes between runs): its
 * workers ship rows, as for any training.
 */
#ifndef PMED_FEDERATED_GLUE_H
#define PMED_FEDERATED_GLUE_H

#include "pmed.h"

#include "nodes/pg_list.h"

struct TrainState;
struct PmedFragment;

/*
 * Fit the rows of a federated forest state into one fragment kept in the
 * state (the rows are freed).  A no-op for a state that is not federated
 * or holds no rows.  Call it where a state leaves its node, right before
 * state_serialize.
 */
extern void state_federate(struct TrainState *st);

/*
 * The same without changing st: its serialized bytes with its rows fitted
 * into one more fragment (state_serialize's bytes for a state that is not
 * federated or holds no rows).  For output / send functions of the state
 * type, which must not modify a read-only argument.
 */
extern bytea *state_serialize_federated(const struct TrainState *st);

/* forest.c */
extern bytea *pmed_forest_fragment_fit(const PmedTrainSet *data, const PmedSchema *schema,
									   uint64 digest);
extern struct PmedFragment *pmed_forest_fragment_read(const char *data, size_t len);
extern bytea *pmed_forest_federated_model(List *fragments, const char *options_text,
										  const PmedCommonParams *common, const void *params,
										  int union_trees, PmedLabelKind label_kind,
										  int64 rows_skipped);

#endif
