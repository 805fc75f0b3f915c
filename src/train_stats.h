/*
 * train_stats.h - training states that carry statistics instead of rows.
 *
 * A family whose exact fit needs only sums and counts sets
 * PmedFamily.stats: its aggregate's state (the same container as the row
 * store: train_state.c's transfn, combine, serialize, deserialize, final)
 * then keeps the statistics these hooks maintain, and the rows are never
 * stored.  Other families keep the generic row store.
 *
 *   baseline       class counts, or n and the exact sum of the labels
 *   cf (histories) item and co-occurrence pair statistics (cf_hist.c)
 *   interactions   the set of distinct pairs
 *
 * Serialized: the state header's kind carries STATE_STATS, the rows are
 * replaced by the family's statistics section (write/read; read validates
 * every field, the state's CRC32C covers it).
 */
#ifndef PMED_TRAIN_STATS_H
#define PMED_TRAIN_STATS_H

#include "pmed.h"

/* What a hook may see of its state. */
typedef struct PmedStatsInfo
{
	const PmedFamily *family;
	PmedLabelKind label_kind;	/* NONE without a LABEL column */
	const PmedCommonParams *common;
	const void *params;			/* the family's parsed parameters */
	int		   *n_features;		/* the state's width (-1 until known) */
	int64	   *rows_skipped;	/* parts of a row skipped (NULL elements) */
	int64		n_rows;			/* read: the rows the state's header counts */
} PmedStatsInfo;

typedef struct PmedStatsOps
{
	/* Statistics for this aggregate call (first row), or false: rows. */
	bool		(*wanted) (FunctionCallInfo fcinfo, Jsonb *options, bool named_features);
	/* An empty statistics object, in the current memory context. */
	void	   *(*create) (void);
	/*
	 * One input row (no NULL column argument), in the aggregate: allocate
	 * in aggcontext.  Returns how many training rows it counts.
	 */
	int64		(*add) (void *stats, FunctionCallInfo fcinfo, MemoryContext aggcontext,
						const PmedStatsInfo *info);
	/* dst += src, in the current memory context. */
	void		(*merge) (void *dst, const void *src, const PmedStatsInfo *info);
	/* The statistics section (may reorder stats internally). */
	void		(*write) (PmedWriter *w, void *stats);
	/* Read and validate a section; NULL when invalid (r's error set). */
	void	   *(*read) (PmedReader *r, const PmedStatsInfo *info);
	/* Like PmedFamily.fit, from the statistics (set: n_rows, n_features, common, params). */
	void		(*fit) (void *stats, const PmedTrainSet *set, PmedSchema *schema, PmedWriter *algo,
						PmedJson *meta);
} PmedStatsOps;

/* train_stats.c: the statistics of baseline and interactions */
extern const PmedStatsOps pmed_baseline_stats_ops;
extern const PmedStatsOps pmed_interactions_stats_ops;

/* train_stats.c: dispatch for train_state.c */
extern void *pmed_stats_begin(FunctionCallInfo fcinfo, const PmedFamily *family, Jsonb *options,
							  bool named_features);
/* The family a serialized statistics state of this kind belongs to (NULL: none). */
extern const PmedFamily *pmed_stats_family(const PmedFamily *family);

/* train_state.c: a label argument as a number (bool, integers, floats, numeric). */
extern double pmed_train_numeric_label(Datum d, Oid type);

/* cf_hist.c: pmed.cf_train(items bigint[], weights float8[] [, options]) */
extern const PmedFamily pmed_cf_hist_family;

#endif
