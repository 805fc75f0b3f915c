/*
 * metric_state.h - pmed.metric_state, the transition type of every metric,
 * evaluation, curve, threshold and recalibration aggregate.
 *
 * In an aggregate the state is an expanded object (ExpandedObjectHeader)
 * whose memory context is a child of the aggregate context: the transition
 * functions return the same read-write pointer every row, so neither
 * nodeAgg nor Citus's worker_partial_agg ever copies it.  Outside the
 * aggregate (Gather tuple queues, the OUTPUT / SEND functions, a table
 * column) it is flat: the format is documented in metric_state.c.  The
 * state holds statistics where that is exact (counts, exact sums, sorted
 * score counts), and rows only for pmed.auc_compare (paired scores).
 */
#ifndef PMED_METRIC_STATE_GLUE_H
#define PMED_METRIC_STATE_GLUE_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/expandeddatum.h"
#include "utils/jsonb.h"

#include "core/exactsum.h"
#include "core/metric_state.h"

typedef enum MetricKind
{
	MS_ACCURACY = 1,			/* n, correct */
	MS_CONFUSION,				/* labels, (actual, predicted) -> count */
	MS_RMSE,					/* n, exact sum of squared errors */
	MS_LOG_LOSS,				/* n, exact sum of log-loss terms */
	MS_BRIER,					/* n, exact sum of squared differences */
	MS_SCORE,					/* score -> (pos, neg) */
	MS_SCORE_PARAM,				/* same + a float8 constant */
	MS_SCORE_INT,				/* same + an integer constant */
	MS_PROB,					/* probability -> (pos, neg) */
	MS_PROB_INT,				/* same + an integer constant */
	MS_PAIR,					/* rows (score_a, score_b) per class */
	MS_RECAL_FEATURES,			/* model + probability -> (pos, neg) */
	MS_RECAL_SCORE,				/* model + probability -> (pos, neg) */
	MS_KIND_MAX = MS_RECAL_SCORE
} MetricKind;

typedef struct MsList
{
	double	   *v;				/* n rows of ncol doubles */
	int64		n;
	int64		cap;
} MsList;

typedef struct CmLabel
{
	char	   *str;			/* not NUL-terminated */
	int32		len;
	uint32		hash;
} CmLabel;

typedef struct CmState
{
	/* distinct labels, with an open-addressing index (slot = label + 1) */
	CmLabel    *labels;
	int32		n_labels;
	int32		cap_labels;
	int32	   *label_slots;
	int32		n_label_slots;	/* power of 2 */
	/* pair counts keyed by (actual << 32 | predicted); 0 marks a free slot */
	uint64	   *pair_keys;		/* stored as key + 1 */
	int64	   *pair_counts;
	int32		n_pairs;
	int32		n_pair_slots;	/* power of 2 */
} CmState;

typedef struct MetricState
{
	ExpandedObjectHeader hdr;
	uint32		magic;
	int			kind;
	bool		has_param;
	double		param;
	/* accuracy; rows of the sums */
	int64		n;
	int64		correct;
	PmedExactSum sum;
	/* score kinds: sorted runs + rows not yet folded into them */
	PmedScoreRun *runs;
	int64		n_runs;
	MsList		bpos;			/* auc_compare: its rows (2 columns) */
	MsList		bneg;
	int64		total_pos;		/* rows of each class in runs + buffers */
	bool		keep_rows;		/* scores barely repeat: buffer until flatten / final */
	int64		total_neg;
	/* confusion_matrix */
	CmState    *cm;
	/* recalibrate */
	bool		configured;
	bytea	   *model;
	uint32		model_crc;
	uint64		model_size;
	int32		method;
	int32		max_steps;
	int64		skipped;
	bool		options_known;	/* options holds the rows' options */
	Jsonb	   *options;		/* the first row's options (not in the flat form) */
} MetricState;

/* R/W state for a transition function (argument 0); created when NULL. */
extern MetricState *ms_transition(FunctionCallInfo fcinfo, int kind);
/* The same state unchanged, NULL when there is none (a skipped row). */
extern Datum ms_skip_row(FunctionCallInfo fcinfo);
#define MS_RETURN(s) PG_RETURN_DATUM(EOHPGetRWDatum(&(s)->hdr))

/* A state argument of a final function (R/O, possibly flat), NULL if NULL;
 * ERROR XX001 unless its kind is one of kinds[0..nk). */
extern MetricState *ms_final_arg(FunctionCallInfo fcinfo, int argno, const int *kinds, int nk,
								 const char *fname);

/* The combine function shared by every aggregate. */
extern Datum ms_combine(FunctionCallInfo fcinfo);

/* Set the constant argument (the same in every row). */
extern void ms_set_param(MetricState *s, double param);

/* Score kinds */
extern void ms_add_score(MetricState *s, double score, bool positive);
extern void ms_add_pair(MetricState *s, double a, double b, bool positive);
/* Fold the buffered rows into the runs. */
extern void ms_compact(MetricState *s);
/* The sorted per-row scores of each class (palloc'd in the current context). */
extern void ms_sorted_scores(MetricState *s, double **pos, double **neg);

/* confusion_matrix */
extern void ms_cm_add(MetricState *s, const char *pred, int32 plen, const char *act, int32 alen);

/* memory context of the state object */
#define MS_CXT(s) ((s)->hdr.eoh_context)

#endif
