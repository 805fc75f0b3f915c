/*
 * compat.c - C entry points that only older install scripts name.
 *
 * A database keeps the catalog of the version it installed until
 * ALTER EXTENSION pmed UPDATE, but always loads today's library: every C
 * symbol an older script names must stay here, doing what its new
 * counterpart does.  pmed 0.1.0 had a separate state machinery for the
 * recommenders (rec_*); the one training state serves them now.  Partial
 * states written by 0.1.0 are of the old format and are rejected (XX001).
 */
#include "pmed.h"

extern Datum train_combinefn(PG_FUNCTION_ARGS);
extern Datum train_serialfn(PG_FUNCTION_ARGS);
extern Datum train_deserialfn(PG_FUNCTION_ARGS);
extern Datum train_merge_transfn(PG_FUNCTION_ARGS);
extern Datum train_merge_finalfn(PG_FUNCTION_ARGS);

#define PMED_COMPAT_ENTRY(old_name, new_name) \
	PG_FUNCTION_INFO_V1(old_name); \
	Datum old_name(PG_FUNCTION_ARGS) { return new_name(fcinfo); }

/* 0.1.0: combine, serialize and deserialize of cf/content/interactions_train */
PMED_COMPAT_ENTRY(rec_combinefn, train_combinefn)
PMED_COMPAT_ENTRY(rec_serialfn, train_serialfn)
PMED_COMPAT_ENTRY(rec_deserialfn, train_deserialfn)
/* 0.1.0: pmed.recommender_from_partials(state) */
PMED_COMPAT_ENTRY(rec_merge_transfn, train_merge_transfn)
PMED_COMPAT_ENTRY(rec_merge_finalfn, train_merge_finalfn)

/*
 * 0.1.0 / 0.2.0: serialize and deserialize of the metric, evaluation and
 * recalibration aggregates (STYPE internal then).  Their states are now
 * pmed.metric_state expanded objects, which an internal state carries as
 * well: these write and read the type's flat form (metric_state.c).
 */
extern Datum metric_state_compat_serialize(PG_FUNCTION_ARGS);
extern Datum metric_state_compat_deserialize(PG_FUNCTION_ARGS);

PMED_COMPAT_ENTRY(metrics_score_serialize, metric_state_compat_serialize)
PMED_COMPAT_ENTRY(metrics_score_deserialize, metric_state_compat_deserialize)
PMED_COMPAT_ENTRY(metrics_accuracy_serialize, metric_state_compat_serialize)
PMED_COMPAT_ENTRY(metrics_accuracy_deserialize, metric_state_compat_deserialize)
PMED_COMPAT_ENTRY(metrics_confusion_serialize, metric_state_compat_serialize)
PMED_COMPAT_ENTRY(metrics_confusion_deserialize, metric_state_compat_deserialize)
PMED_COMPAT_ENTRY(metrics_sum_serialize, metric_state_compat_serialize)
PMED_COMPAT_ENTRY(metrics_sum_deserialize, metric_state_compat_deserialize)
PMED_COMPAT_ENTRY(eval_serialize, metric_state_compat_serialize)
PMED_COMPAT_ENTRY(eval_deserialize, metric_state_compat_deserialize)
PMED_COMPAT_ENTRY(recal_serialize, metric_state_compat_serialize)
PMED_COMPAT_ENTRY(recal_deserialize, metric_state_compat_deserialize)
