/*
 * train_state.c - the one training machinery of every model family.
 *
 *   transfn   each row's typed columns (features, label, id, item, weight)
 *             go into chunks of a row store in the aggregate context; the
 *             options are parsed once, on the first row, into the common
 *             parameters and the family's typed parameter struct
 *   combine   appends one state's rows to another (parallel query, Citus)
 *   serial    state -> bytes; deserial: bytes -> state, validating every
 *             byte (a CRC32C, then every field: the bytes are untrusted)
 *   final     consumes the row store into one dense copy, puts supervised
 *             rows in canonical order (sorting an index, then permuting in
 *             place), builds the class dictionary and schema, and hands a
 *             PmedTrainSet to the family's fit; encodes the model
 *
 * Partial states as values: pmed.<family>_train_partial(...) and
 * pmed.train_partial(...) return the serialized state of their rows;
 * pmed.train_from_partials(state [, family]) merges states and fits.
 */
#include "pmed.h"
#include "search.h"
#include "train_stats.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "core/federated.h"
#include "core/forest.h"
#include "core/nn.h"
#include "core/rng.h"
#include "federated.h"
#include "named_features.h"
#include "train_state_type.h"
#include "core/util.h"

/* Chunks start at this many rows and double up to CHUNK_MAX_BYTES of features. */
#define CHUNK_MIN_ROWS		1024
/* Large enough for malloc to map each chunk itself, so freeing one returns it. */
#define CHUNK_MAX_BYTES		((Size) 64 * 1024 * 1024)
/* A training set larger than this many feature values is refused. */
#define MAX_TRAIN_VALUES	((int64) 1 << 30)
#define MAX_TRAIN_ROWS		((int64) PG_INT32_MAX - 1)

#define STATE_MAGIC			0x504D5453	/* "PMTS" */
#define STATE_VERSION		1
#define STATE_STATICS		0x8000	/* kind flag: the family's with_statics variant */
#define STATE_STATS			0x4000	/* kind flag: statistics instead of rows (train_stats.h) */

typedef struct TrainChunk
{
	struct TrainChunk *next;
	int			n;				/* rows used */
	int			cap;			/* rows allocated */
	double	   *x;				/* FEATURES: cap * n_features */
	double	   *y;				/* LABEL, numeric */
	uint32	   *text_off;		/* LABEL, text: offset into the arena */
	int64	   *id;				/* ID */
	int64	   *item;			/* ITEM */
	double	   *w;				/* WEIGHT */
	int32	   *steps;			/* SIGNAL / SEQUENCE: steps of each row */
	double	   *sx;				/* their values, steps * n_features per row, appended */
	int64		sx_n;			/* values used */
	int64		sx_cap;			/* values allocated */
	double	   *stx;			/* STATICS: cap * n_static */
} TrainChunk;

typedef struct TrainState
{
	const PmedFamily *family;	/* rows_family: supervised rows, family chosen later */
	const PmedFamily *named;	/* pmed.train_from_partials(state, family): the family */
	PmedLabelKind label_kind;	/* NONE without a LABEL column */
	int			n_features;		/* -1 until the first row (FEATURES column) */
	int64		n_rows;
	int64		rows_skipped;
	int64		seq_values;		/* SIGNAL / SEQUENCE values held */
	int			n_static;		/* STATICS width, -1 until the first row */
	char	   *options_text;	/* the options as given (jsonb text), or NULL */
	uint64		options_hash;	/* hash of the first row's jsonb bytes */
	bool		parsed;			/* common and params hold the parsed options */
	PmedCommonParams common;
	void	   *params;			/* family->params_size bytes */
	bool		consumed;		/* the final function took the rows */
	bytea	   *final_model;	/* ... and the model it made from them */
	const PmedFamily *final_family; /* ... for this family */
	TrainChunk *head;
	TrainChunk *tail;
	StringInfoData arena;		/* text labels, NUL-terminated */
	/* named features (jsonb or a composite row): n_features = 0 then */
	PmedRowStore *raw_rows;		/* the raw rows, row i = label i; NULL for float8[] */
	PmedRecordPlan *plan;		/* composite rows: per row type */
	/* federated forests (federated.h): fitted partitions, no rows */
	bool		federated;		/* option "federated" */
	int			union_trees;	/* option "union_trees", 0 = keep every tree */
	List	   *fragments;		/* bytea *: one fitted fragment per partition */
	void	   *stats;			/* family->stats keeps these instead of rows, or NULL */
} TrainState;

static const char *const task_choices[] = {"classification", "regression", NULL};

static void federated_parse_options(TrainState *st, Jsonb *options);
static const char *const any_option_keys[] = {NULL};

/*
 * pmed.train_partial: the rows of a supervised family named only when the
 * states are merged (pmed.train_from_partials(state, family)).  Not a model
 * family: its options are checked against the family at the merge.
 */
static const PmedFamily rows_family = {
	.kind = 0,
	.name = "partial",
	.option_keys = any_option_keys,
	.classification = true,
	.regression = true,
	.n_columns = 2,
	.columns = {PMED_COL_FEATURES, PMED_COL_LABEL},
	.null_detail = "feature array or a NULL label",
};

static bool
has_column(const PmedFamily *f, PmedColumn c)
{
	for (int i = 0; i < f->n_columns; i++)
		if (f->columns[i] == c)
			return true;
	return false;
}

/* The column of a signal or sequence per row (neural families), or 0. */
static PmedColumn
seq_column(const PmedFamily *f)
{
	for (int i = 0; i < f->n_columns; i++)
		if (f->columns[i] == PMED_COL_SIGNAL || f->columns[i] == PMED_COL_SEQUENCE)
			return f->columns[i];
	return 0;
}

/* The state's n_features is a row width (features) or a step width (signal, sequence). */
static bool
has_width(const PmedFamily *f)
{
	return has_column(f, PMED_COL_FEATURES) || seq_column(f) != 0;
}

static bool
takes_options(const PmedFamily *f)
{
	return f == &rows_family || (f->option_keys != NULL && f->option_keys[0] != NULL);
}

static TrainState *
state_create(const PmedFamily *family, PmedLabelKind label_kind)
{
	TrainState *st = palloc0(sizeof(TrainState));

	st->family = family;
	st->label_kind = label_kind;
	st->n_features = has_width(family) ? -1 : 0;
	st->n_static = has_column(family, PMED_COL_STATICS) ? -1 : 0;
	initStringInfo(&st->arena);
	return st;
}

/* What the statistics hooks (train_stats.h) see of a state. */
static PmedStatsInfo
stats_info(TrainState *st)
{
	PmedStatsInfo info = {st->family, st->label_kind, &st->common, st->params,
	&st->n_features, &st->rows_skipped, st->n_rows};

	return info;
}

/* ---- options: parsed once ---- */

static PmedLabelKind
label_kind_for_type(Oid type)
{
	switch (type)
	{
		case BOOLOID:
			return PMED_LABEL_BOOL;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return PMED_LABEL_INT;
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return PMED_LABEL_FLOAT;
		default:
			return PMED_LABEL_TEXT;
	}
}

/* The task the options and the label type call for. */
static PmedTask
resolve_task(Jsonb *options, PmedLabelKind label_kind, const PmedFamily *family)
{
	const char *task = pmed_option_choice(options, "task", NULL, task_choices);
	PmedTask	t;

	if (task == NULL)
		t = label_kind == PMED_LABEL_FLOAT ? PMED_TASK_REGRESSION : PMED_TASK_CLASSIFICATION;
	else if (strcmp(task, "regression") == 0)
		t = PMED_TASK_REGRESSION;
	else
		t = PMED_TASK_CLASSIFICATION;

	if (t == PMED_TASK_REGRESSION && label_kind == PMED_LABEL_TEXT)
		pmed_option_error("task", "Regression needs a numeric label.");
	if (t == PMED_TASK_REGRESSION && !family->regression)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s models do not support regression", family->name),
				 errhint("Use a boolean, integer or text label for classification, or pmed.forest_train for regression.")));
	if (t == PMED_TASK_CLASSIFICATION && !family->classification)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s models do not support classification", family->name)));
	return t;
}

/*
 * Check and parse options into st->common and st->params (call in the
 * state's context).  The family-less rows state checks only what every
 * family shares; the family's own keys are checked at the merge.
 */
static void
state_parse_options(TrainState *st, Jsonb *options)
{
	const PmedFamily *f = st->family;
	PmedCommonParams *c = &st->common;

	if (f != &rows_family && st->raw_rows != NULL)
	{
		/* named features: the family's keys and min_category_count */
		int			n = 0;
		const char **keys;

		while (f->option_keys[n] != NULL)
			n++;
		keys = palloc(sizeof(char *) * (n + 2));
		memcpy(keys, f->option_keys, sizeof(char *) * n);
		keys[n] = "min_category_count";
		keys[n + 1] = NULL;
		pmed_options_check_keys(options, keys, f->name);
	}
	else if (f != &rows_family)
		pmed_options_check_keys(options, f->option_keys, f->name);
	memset(c, 0, sizeof(*c));
	c->seed = pmed_option_seed(options);
	c->positive = pmed_option_string(options, "positive");
	c->feature_names = pmed_option_text_array(options, "feature_names", &c->n_feature_names);
	c->min_category_count = pmed_option_int(options, "min_category_count", 0, 1, 1000000000);
	if (has_column(f, PMED_COL_LABEL))
	{
		c->task = resolve_task(options, st->label_kind, f);
		if (c->task == PMED_TASK_REGRESSION && c->positive != NULL)
			pmed_option_error("positive", "A positive class only applies to classification.");
	}
	if (f->params_size > 0)
	{
		st->params = palloc0(f->params_size);
		f->parse_params(options, c, st->params);
	}
	if (f != &rows_family)
		pmed_search_check(options, f, c);	/* "search", "cv", "metric" (search.c) */
	if (f == &rows_family || f->kind == PMED_KIND_FOREST)
		federated_parse_options(st, options);
	st->parsed = (f != &rows_family);
}

/* Forests (and family-less rows): "federated" and "union_trees" (federated.h). */
static void
federated_parse_options(TrainState *st, Jsonb *options)
{
	st->federated = pmed_option_bool(options, "federated", false);
	st->union_trees = pmed_option_int(options, "union_trees", 0, 1, PMED_FOREST_MAX_TREES);
	if (!st->federated && st->union_trees != 0)
		pmed_option_error("union_trees", "It caps the trees of a federated forest: set \"federated\": true.");
	if (st->federated && st->raw_rows != NULL)
		pmed_option_error("federated", "A federated forest needs float8[] features (each partition would learn its own encoding of named features).");
	if (st->federated && pmed_option_present(options, "search"))
		pmed_option_error("federated", "A cross-validated search needs all rows in one place.");
}

/* The options text as jsonb, parsed once when a family-less state meets its family. */
static Jsonb *
options_from_text(const char *text)
{
	if (text == NULL)
		return NULL;
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
}

static uint64
options_hash(Jsonb *options)
{
	return hash_bytes_extended((const unsigned char *) options, VARSIZE(options), 0x706d6564);
}

/* ---- the row store ---- */

static TrainChunk *
chunk_new(TrainState *st)
{
	const PmedFamily *f = st->family;
	TrainChunk *c = palloc0(sizeof(TrainChunk));
	int			p = Max(st->n_features, 1);
	int64		max_rows = Max(CHUNK_MIN_ROWS, (int64) (CHUNK_MAX_BYTES / (sizeof(double) * p)));

	c->cap = st->tail ? (int) Min((int64) st->tail->cap * 2, max_rows) : CHUNK_MIN_ROWS;
	/* pmed.max_training_memory, as rows arrive: features + 4 columns at most */
	pmed_training_memory_check(GetMemoryChunkContext(st), (Size) c->cap * sizeof(double) * (p + 4),
							   "the next block of rows");
	for (int i = 0; i < f->n_columns; i++)
	{
		switch (f->columns[i])
		{
			case PMED_COL_FEATURES:
				if (st->n_features > 0) /* 0: named features, in st->raw_rows */
					c->x = palloc_extended(sizeof(double) * c->cap * p, MCXT_ALLOC_HUGE);
				break;
			case PMED_COL_LABEL:
				if (st->label_kind == PMED_LABEL_TEXT)
					c->text_off = palloc(sizeof(uint32) * c->cap);
				else
					c->y = palloc(sizeof(double) * c->cap);
				break;
			case PMED_COL_ID:
				c->id = palloc(sizeof(int64) * c->cap);
				break;
			case PMED_COL_ITEM:
				c->item = palloc(sizeof(int64) * c->cap);
				break;
			case PMED_COL_WEIGHT:
				c->w = palloc(sizeof(double) * c->cap);
				break;
			case PMED_COL_STATICS:
				c->stx = palloc_extended(sizeof(double) * c->cap * Max(st->n_static, 1), MCXT_ALLOC_HUGE);
				break;
			case PMED_COL_SIGNAL:
			case PMED_COL_SEQUENCE:
				c->steps = palloc(sizeof(int32) * c->cap);
				c->sx_cap = 1024;
				c->sx = palloc(sizeof(double) * c->sx_cap);
				break;
		}
	}
	if (st->tail)
		st->tail->next = c;
	else
		st->head = c;
	st->tail = c;
	return c;
}

void
pmed_check_feature_width(int *n_features, int width)
{
	if (*n_features == -1)
	{
		if (width > PMED_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many features: %d", width),
					 errdetail("At most %d features are supported.", PMED_MAX_FEATURES)));
		*n_features = width;
	}
	else if (*n_features != width)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature arrays must all have the same length"),
				 errdetail("Earlier rows have %d features; this row has %d.", *n_features, width)));
}

/* Room for one more row of width n_features; returns the chunk and slot. */
static TrainChunk *
state_next_slot(TrainState *st, int n_features, int *slot)
{
	TrainChunk *c = st->tail;

	if (has_width(st->family))
	{
		pmed_check_feature_width(&st->n_features, n_features);
		if (has_column(st->family, PMED_COL_FEATURES) &&
			(st->n_rows + 1) * (int64) Max(n_features, 1) > MAX_TRAIN_VALUES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("training set too large"),
					 errdetail("At most %lld feature values can be held for training.",
							   (long long) MAX_TRAIN_VALUES)));
	}
	if (st->n_rows >= MAX_TRAIN_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training set too large"),
				 errdetail("At most %lld rows can be held for training.", (long long) MAX_TRAIN_ROWS)));
	if (c == NULL || c->n == c->cap)
		c = chunk_new(st);
	*slot = c->n++;
	st->n_rows++;
	return c;
}

/* Store a signal or sequence of steps x n_features values in slot of c. */
static void
seq_store(TrainState *st, TrainChunk *c, int slot, const double *v, int steps)
{
	int64		n = (int64) steps * st->n_features;

	if (st->seq_values + n > MAX_TRAIN_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training set too large"),
				 errdetail("At most %lld signal or sequence values can be held for training.",
						   (long long) MAX_TRAIN_VALUES)));
	if (c->sx_n + n > c->sx_cap)
	{
		int64		cap = Max(c->sx_cap * 2, c->sx_n + n);

		c->sx = repalloc_huge(c->sx, sizeof(double) * cap);
		c->sx_cap = cap;
	}
	memcpy(c->sx + c->sx_n, v, sizeof(double) * n);
	c->sx_n += n;
	c->steps[slot] = steps;
	st->seq_values += n;
}

/* Append a text label to the arena; returns its offset. */
static uint32
arena_add(TrainState *st, const char *s)
{
	uint32		off = st->arena.len;

	if ((size_t) st->arena.len + strlen(s) + 1 > MaxAllocSize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training labels take too much memory")));
	appendBinaryStringInfo(&st->arena, s, strlen(s) + 1);
	return off;
}

static double
numeric_label(Datum d, Oid type)
{
	double		v;

	switch (type)
	{
		case BOOLOID:
			return DatumGetBool(d) ? 1.0 : 0.0;
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		case INT8OID:
			if (DatumGetInt64(d) > ((int64) 1 << 53) || DatumGetInt64(d) < -((int64) 1 << 53))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("integer label %lld is out of range", (long long) DatumGetInt64(d)),
						 errdetail("Integer labels must lie within plus or minus 2^53.")));
			return (double) DatumGetInt64(d);
		case FLOAT4OID:
			v = DatumGetFloat4(d);
			break;
		case FLOAT8OID:
			v = DatumGetFloat8(d);
			break;
		default:				/* NUMERICOID */
			v = DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
			break;
	}
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label is %s", isnan(v) ? "NaN" : "infinite"),
				 errhint("Leave such rows out with WHERE.")));
	return v;
}

double
pmed_train_numeric_label(Datum d, Oid type)
{
	return numeric_label(d, type);
}

/* Item features (content): every element present and finite. */
static void
read_complete_features(ArrayType *arr, int n, int64 item, double *dst)
{
	const double *src = (const double *) ARR_DATA_PTR(arr);

	if (ARR_HASNULL(arr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("item features must not contain NULL"),
				 errdetail("Item " INT64_FORMAT " has a NULL feature.", item)));
	for (int j = 0; j < n; j++)
	{
		if (!isfinite(src[j]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature %d of item " INT64_FORMAT " is %s", j + 1, item,
							isnan(src[j]) ? "NaN" : "infinite")));
		dst[j] = src[j];
	}
}

/* ---- named features (jsonb or a composite row) ---- */

static bool
named_features_type(Oid type)
{
	return type == JSONBOID || type == RECORDOID || type_is_rowtype(type);
}

/*
 * Decode the row's named values (in the per-row context) and append them
 * to the raw-row store (in the aggregate context: the store grows there).
 */
static void
named_features_add(FunctionCallInfo fcinfo, TrainState *st, int argno, MemoryContext aggcontext)
{
	PmedFeatureRow row;
	PmedError	err = {0};
	MemoryContext old;

	if (pmed_state_argtype(fcinfo, argno) == JSONBOID)
		pmed_features_from_jsonb(PG_GETARG_JSONB_P(argno), &row);
	else
		pmed_features_from_record(PG_GETARG_HEAPTUPLEHEADER(argno), &st->plan, aggcontext, &row);
	old = MemoryContextSwitchTo(aggcontext);
	if (pmed_rowstore_add(st->raw_rows, row.values, row.n, &err) != PMED_OK)
		pmed_report(&err);
	MemoryContextSwitchTo(old);
}

/* Check that named and float8[] features do not meet, and min_category_count. */
static void
named_features_check(const TrainState *st)
{
	if (st->raw_rows == NULL && st->common.min_category_count != 0)
		pmed_option_error("min_category_count",
						  "It applies to named features (jsonb or a row), not to float8[] features.");
	if (st->raw_rows != NULL && st->common.feature_names != NULL)
		pmed_option_error("feature_names",
						  "Named features (jsonb or a row) carry their names.");
}

/*
 * Final: learn the encoding from the raw rows (freed afterwards) and fill
 * the dense matrix in row-store order; *enc gets the encoding.
 */
static double *
named_features_encode(TrainState *st, const PmedFamily *family, PmedEncoding **enc)
{
	PmedEncodeParams params = {0};
	PmedError	err = {0};
	int64		n = st->n_rows;
	double	   *x;

	params.min_category_count = st->common.min_category_count > 0 ?
		st->common.min_category_count : PMED_ENC_DEFAULT_MIN_COUNT;
	/* forests split a category natively on its level index; others one-hot */
	params.mode = strcmp(family->name, "forest") == 0 ? PMED_ENC_NATIVE : PMED_ENC_ONEHOT;
	if (pmed_rowstore_rows(st->raw_rows) != n)
		elog(ERROR, "named-feature rows do not match the labels");
	if (pmed_encoding_learn(st->raw_rows, &params, enc, &err) != PMED_OK)
		pmed_report(&err);
	if ((*enc)->n_dense == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no feature has a value in any training row")));
	if (n * (int64) (*enc)->n_dense > MAX_TRAIN_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training set too large"),
				 errdetail("%lld rows of %u encoded columns exceed %lld feature values.",
						   (long long) n, (*enc)->n_dense, (long long) MAX_TRAIN_VALUES)));
	x = palloc_extended(sizeof(double) * Max(n * (int64) (*enc)->n_dense, 1), MCXT_ALLOC_HUGE);
	for (int64 at = 0; at < n; at += 4096)
	{
		int64		k = Min(4096, n - at);

		if (pmed_encoding_encode_store(*enc, st->raw_rows, at, k, x + (size_t) at * (*enc)->n_dense,
									   &err) != PMED_OK)
			pmed_report(&err);
		CHECK_FOR_INTERRUPTS();
	}
	(void) family;
	return x;
}

/* ---- transition ---- */

Datum
pmed_train_transfn(FunctionCallInfo fcinfo, const PmedFamily *family)
{
	MemoryContext aggcontext;
	MemoryContext old;
	TrainState *st;
	int			n_args = PG_NARGS() - 1;	/* after the state */
	int			options_arg = family->n_columns + 1;
	bool		has_options = n_args > family->n_columns;
	Oid			label_type = InvalidOid;
	int			label_arg = -1,
				features_arg = -1;
	ArrayType  *arr = NULL;
	int			width = 0;
	TrainChunk *c;
	int			slot;
	int64		id = 0,
				item = 0;
	double		w = 1.0;
	PmedColumn	seq_col = seq_column(family);
	double	   *seq = NULL;
	int			seq_steps = 0;
	int			statics_arg = -1;
	double	   *statics = NULL;
	void	   *obj;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s_train called in non-aggregate context", family->name);
	for (int i = 0; i < family->n_columns; i++)
	{
		if (family->columns[i] == PMED_COL_LABEL)
			label_arg = i + 1;
		else if (family->columns[i] == PMED_COL_FEATURES || family->columns[i] == seq_col)
			features_arg = i + 1;
		else if (family->columns[i] == PMED_COL_STATICS)
			statics_arg = i + 1;
	}
	if (label_arg > 0)
		label_type = pmed_state_argtype(fcinfo, label_arg);

	/* the pmed.train_state object; aggcontext becomes its own context */
	st = pmed_state_arg_rw(fcinfo, 0, &aggcontext, &obj);
	if (st == NULL)
	{
		Jsonb	   *options = (has_options && !PG_ARGISNULL(options_arg)) ?
			PG_GETARG_JSONB_P(options_arg) : NULL;

		old = MemoryContextSwitchTo(aggcontext);
		st = state_create(family, label_arg > 0 ? label_kind_for_type(label_type) : PMED_LABEL_NONE);
		if (features_arg > 0 && named_features_type(pmed_state_argtype(fcinfo, features_arg)))
		{
			st->raw_rows = pmed_rowstore_new();
			st->n_features = 0;
		}
		state_parse_options(st, options);
		if (options != NULL)
		{
			st->options_text = JsonbToCString(NULL, &options->root, VARSIZE(options));
			st->options_hash = options_hash(options);
		}
		st->stats = pmed_stats_begin(fcinfo, family, options, st->raw_rows != NULL);
		MemoryContextSwitchTo(old);
	}
	else if (has_options)
	{
		/*
		 * Options that change between rows would make the model depend on
		 * the plan; hashing a few bytes per row is cheap.
		 */
		Jsonb	   *options = PG_ARGISNULL(options_arg) ? NULL : PG_GETARG_JSONB_P(options_arg);

		if ((options == NULL) != (st->options_text == NULL) ||
			(options != NULL && options_hash(options) != st->options_hash))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("training options must be the same for every row")));
	}

	/* A NULL in any column skips the row (counted in rows_skipped). */
	for (int i = 1; i <= family->n_columns && i <= n_args; i++)
		if (PG_ARGISNULL(i))
		{
			st->rows_skipped++;
			PG_RETURN_DATUM(pmed_state_return(fcinfo, obj, st));
		}
	if (st->stats != NULL)
	{
		/* statistics instead of rows (train_stats.h) */
		PmedStatsInfo info = stats_info(st);

		st->n_rows += family->stats->add(st->stats, fcinfo, aggcontext, &info);
		PG_RETURN_DATUM(pmed_state_return(fcinfo, obj, st));
	}

	if (features_arg > 0 && st->raw_rows != NULL)
		named_features_add(fcinfo, st, features_arg, aggcontext);
	else if (features_arg > 0 && seq_col != 0)
		seq = pmed_sequence_array(PG_GETARG_ARRAYTYPE_P(features_arg), seq_col == PMED_COL_SIGNAL,
								  PMED_NN_MAX_STEPS, PMED_NN_MAX_FEATURES, &seq_steps, &width);
	else if (features_arg > 0)
	{
		arr = PG_GETARG_ARRAYTYPE_P(features_arg);
		width = pmed_feature_array_length(arr);
	}
	if (statics_arg > 0)
	{
		int			k;

		statics = pmed_statics_array(PG_GETARG_ARRAYTYPE_P(statics_arg), PMED_NN_MAX_STATIC, &k);
		if (st->n_static == -1)
			st->n_static = k;
		else if (st->n_static != k)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("static arrays must all have the same length"),
					 errdetail("Earlier rows have %d static values; this row has %d.", st->n_static, k)));
	}
	for (int i = 0; i < family->n_columns && i < n_args; i++)
	{
		if (family->columns[i] == PMED_COL_ID)
			id = PG_GETARG_INT64(i + 1);
		else if (family->columns[i] == PMED_COL_ITEM)
			item = PG_GETARG_INT64(i + 1);
		else if (family->columns[i] == PMED_COL_WEIGHT)
			w = PG_GETARG_FLOAT8(i + 1);
	}
	if (has_column(family, PMED_COL_WEIGHT) && (!(w >= 0) || isinf(w)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid weight %g for patient " INT64_FORMAT " and item " INT64_FORMAT,
						w, id, item),
				 errdetail("Weights must be finite and not negative.")));

	old = MemoryContextSwitchTo(aggcontext);
	c = state_next_slot(st, width, &slot);
	if (seq != NULL)
		seq_store(st, c, slot, seq, seq_steps);
	if (statics != NULL)
		memcpy(c->stx + (size_t) slot * st->n_static, statics, sizeof(double) * st->n_static);
	if (arr != NULL)
	{
		double	   *dst = c->x + (size_t) slot * width;

		if (family->features_complete)
			read_complete_features(arr, width, item, dst);
		else if (pmed_copy_features(arr, width, dst) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a training row has no feature values: all %d are NULL", width),
					 errhint("Leave such rows out with WHERE, or pass a NULL array to skip them.")));
	}
	if (c->text_off)
	{
		Oid			typoutput;
		bool		isvarlena;
		char	   *s;

		getTypeOutputInfo(label_type, &typoutput, &isvarlena);
		s = OidOutputFunctionCall(typoutput, PG_GETARG_DATUM(label_arg));
		c->text_off[slot] = arena_add(st, s);
		pfree(s);
	}
	else if (c->y)
		c->y[slot] = numeric_label(PG_GETARG_DATUM(label_arg), label_type);
	if (c->id)
		c->id[slot] = id;
	if (c->item)
		c->item[slot] = item;
	if (c->w)
		c->w[slot] = w;
	MemoryContextSwitchTo(old);
	PG_RETURN_DATUM(pmed_state_return(fcinfo, obj, st));
}

/* ---- combine ---- */

static void
copy_common(PmedCommonParams *dst, const PmedCommonParams *src)
{
	*dst = *src;
	dst->positive = src->positive ? pstrdup(src->positive) : NULL;
	if (src->feature_names)
	{
		dst->feature_names = palloc(sizeof(char *) * Max(src->n_feature_names, 1));
		for (int i = 0; i < src->n_feature_names; i++)
			dst->feature_names[i] = pstrdup(src->feature_names[i]);
	}
}

/* Take over src's options (dst has none yet). */
static void
adopt_options(TrainState *dst, const TrainState *src)
{
	dst->options_text = src->options_text ? pstrdup(src->options_text) : NULL;
	dst->options_hash = src->options_hash;
	dst->parsed = src->parsed;
	dst->federated = src->federated;
	dst->union_trees = src->union_trees;
	copy_common(&dst->common, &src->common);
	if (src->params)
	{
		dst->params = palloc(dst->family->params_size);
		memcpy(dst->params, src->params, dst->family->params_size);
	}
}

/* dst's feature width from src's (-1: no row yet); both known must agree. */
static void
merge_width(TrainState *dst, const TrainState *src)
{
	if (dst->n_features == -1)
		dst->n_features = src->n_features;
	else if (src->n_features != -1 && dst->n_features != src->n_features)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature arrays must all have the same length"),
				 errdetail("One state has %d features per row, the other %d.",
						   dst->n_features, src->n_features)));
}

/*
 * Federated forests: src's fragments join dst's (copied into the current
 * context); fragments and rows must agree on the label type and width.
 */
static void
federated_append(TrainState *dst, const TrainState *src)
{
	ListCell   *lc;

	if (dst->fragments == NIL && dst->n_rows == 0)
		dst->label_kind = src->label_kind;
	else if ((src->fragments != NIL || src->n_rows > 0) && dst->label_kind != src->label_kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine training rows with labels of different types")));
	merge_width(dst, src);
	foreach(lc, src->fragments)
	{
		bytea	   *b = lfirst(lc);
		bytea	   *copy = palloc(VARSIZE(b));

		memcpy(copy, b, VARSIZE(b));
		dst->fragments = lappend(dst->fragments, copy);
	}
}

/* Append every row of src to dst (both in the current context). */
static void
state_append(TrainState *dst, const TrainState *src)
{
	const PmedFamily *f = dst->family;

	if (dst->family->kind != src->family->kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge partial states of different model kinds"),
				 errdetail("One state is for a %s model, the other for a %s model.",
						   dst->family->name, src->family->name)));
	if (has_column(dst->family, PMED_COL_STATICS) != has_column(src->family, PMED_COL_STATICS))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge partial states with and without static values")));
	dst->rows_skipped += src->rows_skipped;
	if (src->options_text != NULL)
	{
		if (dst->options_text == NULL)
			adopt_options(dst, src);
		else if (strcmp(dst->options_text, src->options_text) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("training options must be the same for every row")));
	}
	if ((dst->stats == NULL) != (src->stats == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge a statistics state with a rows state"),
				 errdetail("One %s state holds statistics, the other rows.", dst->family->name)));
	if (src->fragments != NIL || dst->fragments != NIL)
		federated_append(dst, src);
	if (src->n_rows == 0 && src->stats == NULL)
		return;
	if (dst->n_rows == 0)
		dst->label_kind = src->label_kind;
	else if (dst->label_kind != src->label_kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine training rows with labels of different types")));

	if (has_column(f, PMED_COL_STATICS))
	{
		if (dst->n_static == -1)
			dst->n_static = src->n_static;
		else if (src->n_static != -1 && dst->n_static != src->n_static)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("static arrays must all have the same length"),
					 errdetail("One state has %d static values per row, the other %d.",
							   dst->n_static, src->n_static)));
	}
	if (src->stats != NULL)
	{
		PmedStatsInfo info = stats_info(dst);

		merge_width(dst, src);
		f->stats->merge(dst->stats, src->stats, &info);
		dst->n_rows += src->n_rows;
		return;
	}
	if ((dst->raw_rows == NULL) != (src->raw_rows == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine training rows of named features with float8[] features")));
	if (dst->raw_rows != NULL)
	{
		PmedError	err = {0};

		if (pmed_rowstore_merge(dst->raw_rows, src->raw_rows, &err) != PMED_OK)
			pmed_report(&err);
	}
	for (TrainChunk *c = src->head; c != NULL; c = c->next)
	{
		int64		sx_at = 0;

		for (int i = 0; i < c->n; i++)
		{
			int			slot;
			TrainChunk *d = state_next_slot(dst, src->n_features, &slot);

			if (c->steps)
			{
				seq_store(dst, d, slot, c->sx + sx_at, c->steps[i]);
				sx_at += (int64) c->steps[i] * src->n_features;
			}
			if (c->x)
				memcpy(d->x + (size_t) slot * src->n_features, c->x + (size_t) i * src->n_features,
					   sizeof(double) * src->n_features);
			if (c->stx)
				memcpy(d->stx + (size_t) slot * src->n_static, c->stx + (size_t) i * src->n_static,
					   sizeof(double) * src->n_static);
			if (c->text_off)
				d->text_off[slot] = arena_add(dst, src->arena.data + c->text_off[i]);
			if (c->y)
				d->y[slot] = c->y[i];
			if (c->id)
				d->id[slot] = c->id[i];
			if (c->item)
				d->item[slot] = c->item[i];
			if (c->w)
				d->w[slot] = c->w[i];
		}
		CHECK_FOR_INTERRUPTS();
	}
	(void) f;
}

/* An empty state like src (same family, label kind, options). */
static TrainState *
state_like(const TrainState *src)
{
	TrainState *st = state_create(src->family, src->label_kind);

	adopt_options(st, src);
	if (src->stats != NULL)
		st->stats = src->family->stats->create();
	if (src->raw_rows != NULL)
	{
		st->raw_rows = pmed_rowstore_new();
		st->n_features = 0;
	}
	return st;
}

PG_FUNCTION_INFO_V1(train_combinefn);
Datum
train_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext old;
	TrainState *s1;
	TrainState *s2;
	void	   *obj;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "train_combinefn called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	/* the second state: an object (read only) or flat bytes, validated */
	s2 = pmed_state_arg_ro(fcinfo, 1);
	s1 = pmed_state_arg_rw(fcinfo, 0, &aggcontext, &obj);

	old = MemoryContextSwitchTo(aggcontext);
	if (s1 == NULL)
		s1 = state_like(s2);
	state_append(s1, s2);
	MemoryContextSwitchTo(old);
	PG_RETURN_DATUM(pmed_state_return(fcinfo, obj, s1));
}

/* ---- serialize / deserialize ---- */

static void
write_params(PmedWriter *w, const PmedFamily *f, const void *params)
{
	for (int i = 0; i < f->n_param_fields; i++)
	{
		const PmedParamField *pf = &f->param_fields[i];
		const char *at = (const char *) params + pf->offset;

		switch (pf->type)
		{
			case PMED_PARAM_BOOL:
				pmed_put_u8(w, *(const bool *) at ? 1 : 0);
				break;
			case PMED_PARAM_INT:
				pmed_put_i32(w, *(const int *) at);
				break;
			case PMED_PARAM_INT64:
				pmed_put_i64(w, *(const int64_t *) at);
				break;
			case PMED_PARAM_DOUBLE:
				pmed_put_f64(w, *(const double *) at);
				break;
		}
	}
}

static bool
read_params(PmedReader *r, const PmedFamily *f, void *params)
{
	for (int i = 0; i < f->n_param_fields; i++)
	{
		const PmedParamField *pf = &f->param_fields[i];
		char	   *at = (char *) params + pf->offset;
		double		v;

		switch (pf->type)
		{
			case PMED_PARAM_BOOL:
				{
					uint8		b;

					if (!pmed_get_u8(r, &b))
						return false;
					if (b > 1)
						return pmed_reader_fail(r, "bad parameter flag");
					*(bool *) at = b;
					continue;
				}
			case PMED_PARAM_INT:
				{
					int32		x;

					if (!pmed_get_i32(r, &x))
						return false;
					*(int *) at = x;
					v = x;
					break;
				}
			case PMED_PARAM_INT64:
				{
					int64		x;

					if (!pmed_get_i64(r, &x))
						return false;
					*(int64_t *) at = x;
					v = (double) x;
					break;
				}
			default:
				if (!pmed_get_f64(r, (double *) at))
					return false;
				v = *(double *) at;
				break;
		}
		if (!(v >= pf->min && v <= pf->max))
			return pmed_reader_fail(r, "parameter out of range");
	}
	return true;
}

static bool
valid_text(const char *s)
{
	return pg_verifymbstr(s, strlen(s), true);
}

/*
 * The bytes the rows of a serialized state take (at least): computed before
 * serializing, so a state past the 1 GB a bytea can hold fails with a clear
 * error before any of it is written.
 */
static double
state_rows_bytes(const TrainState *st)
{
	const PmedFamily *f = st->family;
	double		per_row = 0;

	if (st->stats != NULL)
		return 0;				/* statistics: no rows */
	for (int i = 0; i < f->n_columns; i++)
	{
		if (f->columns[i] == PMED_COL_FEATURES)
			per_row += sizeof(double) * (double) Max(st->n_features, 0);
		else if (f->columns[i] == PMED_COL_STATICS)
			per_row += sizeof(double) * (double) Max(st->n_static, 0);
		else if (f->columns[i] != PMED_COL_LABEL || st->label_kind != PMED_LABEL_TEXT)
			per_row += 8;
	}
	/* text labels: each row's string is in the arena, NUL-terminated */
	return per_row * (double) st->n_rows + (double) st->arena.len;
}

static bytea *
state_serialize(const TrainState *st)
{
	const PmedFamily *f = st->family;
	PmedWriter	w;
	int			p = st->n_features;
	double		need = state_rows_bytes(st);

	if (need > (double) (MaxAllocSize - VARHDRSZ - 4096))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("partial training state too large to ship: %.0f MB", need / (1024.0 * 1024)),
				 errdetail("The %lld rows of this partial state (one parallel worker's, or one pmed.*_train_partial call's) need %.0f MB serialized; a serialized state must stay under 1 GB.",
						   (long long) st->n_rows, need / (1024.0 * 1024)),
				 errhint("Split the rows into smaller partial states (GROUP BY a bucket, or sample the rows), or train without parallel aggregation (SET max_parallel_workers_per_gather = 0).")));

	pmed_writer_init(&w);
	pmed_put_u32(&w, STATE_MAGIC);
	pmed_put_u8(&w, STATE_VERSION);
	pmed_put_u16(&w, (uint16) f->kind | (has_column(f, PMED_COL_STATICS) ? STATE_STATICS : 0) |
				 (st->stats ? STATE_STATS : 0));
	pmed_put_u8(&w, (uint8) st->label_kind);
	pmed_put_i32(&w, p);
	pmed_put_i64(&w, st->n_rows);
	pmed_put_i64(&w, st->rows_skipped);
	if (has_column(f, PMED_COL_STATICS))
		pmed_put_i32(&w, st->n_static);
	pmed_put_u8(&w, st->options_text != NULL);
	if (st->options_text)
		pmed_put_str(&w, st->options_text);
	/* the parsed options */
	pmed_put_u8(&w, st->parsed);
	pmed_put_u8(&w, st->common.task);
	pmed_put_u64(&w, st->common.seed);
	pmed_put_u8(&w, st->common.positive != NULL);
	if (st->common.positive)
		pmed_put_str(&w, st->common.positive);
	pmed_put_u8(&w, st->common.feature_names != NULL);
	if (st->common.feature_names)
	{
		pmed_put_u32(&w, st->common.n_feature_names);
		for (int i = 0; i < st->common.n_feature_names; i++)
			pmed_put_str(&w, st->common.feature_names[i]);
	}
	if (st->params)
		write_params(&w, f, st->params);
	if (st->stats)
		f->stats->write(&w, st->stats); /* instead of rows */
	/* the rows, column by column within each row */
	for (TrainChunk *c = st->head; c != NULL; c = c->next)
	{
		int64		sx_at = 0;

		for (int i = 0; i < c->n; i++)
		{
			if (c->steps)
			{
				pmed_put_i32(&w, c->steps[i]);
				pmed_put_bytes(&w, c->sx + sx_at, sizeof(double) * c->steps[i] * p);
				sx_at += (int64) c->steps[i] * p;
			}
			if (c->x)
				pmed_put_bytes(&w, c->x + (size_t) i * p, sizeof(double) * p);
			if (c->stx)
				pmed_put_bytes(&w, c->stx + (size_t) i * st->n_static, sizeof(double) * st->n_static);
			if (c->text_off)
				pmed_put_str(&w, st->arena.data + c->text_off[i]);
			if (c->y)
				pmed_put_f64(&w, c->y[i]);
			if (c->id)
				pmed_put_i64(&w, c->id[i]);
			if (c->item)
				pmed_put_i64(&w, c->item[i]);
			if (c->w)
				pmed_put_f64(&w, c->w[i]);
		}
		CHECK_FOR_INTERRUPTS();
	}
	/* named features: the raw rows */
	pmed_put_u8(&w, st->raw_rows != NULL);
	pmed_put_i32(&w, st->common.min_category_count);
	if (st->raw_rows)
		pmed_rowstore_write(&w, st->raw_rows);
	/* federated forests only: the flag and the fragments (absent otherwise) */
	if (st->federated)
	{
		ListCell   *lc;

		pmed_put_u8(&w, 1);
		pmed_put_i32(&w, st->union_trees);
		pmed_put_u32(&w, (uint32) list_length(st->fragments));
		foreach(lc, st->fragments)
		{
			bytea	   *b = lfirst(lc);

			pmed_put_u32(&w, (uint32) VARSIZE(b) - VARHDRSZ);
			pmed_put_bytes(&w, VARDATA(b), VARSIZE(b) - VARHDRSZ);
		}
	}
	pmed_put_u32(&w, pmed_crc32c(0, w.buf, w.len));
	if (w.len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("partial training state too large to serialize (%zu bytes)", w.len)));
	return pmed_writer_to_bytea(&w);
}

PG_FUNCTION_INFO_V1(train_serialfn);
Datum
train_serialfn(PG_FUNCTION_ARGS)
{
	/* the SERIALFUNC of 0.1.0 / 0.2.0 catalogs (internal states) */
	PG_RETURN_BYTEA_P(state_serialize(pmed_state_arg_ro(fcinfo, 0)));
}

static void pg_attribute_noreturn()
deserial_fail(PmedReader *r, const char *what)
{
	if (what)
		pmed_reader_fail(r, what);
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid pmed training state"),
			 errdetail("%s.", r->err->message[0] ? r->err->message : "The state does not decode")));
}

/*
 * The federated section of a serialized state: flag, union_trees, then the
 * fragments, each validated whole (federated.c) and against the state.
 */
static void
federated_read(PmedReader *r, TrainState *st, int p)
{
	uint8		flag;
	int32		union_trees;
	uint32		n;

	if (!pmed_get_u8(r, &flag) || !pmed_get_i32(r, &union_trees))
		deserial_fail(r, NULL);
	if (flag != 1 || union_trees < 0 || union_trees > PMED_FOREST_MAX_TREES ||
		(st->family != &rows_family && st->family->kind != PMED_KIND_FOREST) ||
		st->raw_rows != NULL)
		deserial_fail(r, "bad federated section");
	st->federated = true;
	st->union_trees = union_trees;
	/* a fragment takes far more than 64 bytes */
	if (!pmed_get_count(r, PMED_FOREST_MAX_TREES, 64, &n))
		deserial_fail(r, NULL);
	if (n > 0 && p < 1)
		deserial_fail(r, "fragments without a feature width");
	if (n > 0)
		st->n_features = p;		/* the rows' width, also without rows */
	for (uint32 i = 0; i < n; i++)
	{
		uint32		len;
		bytea	   *b;
		PmedFragment *fr;

		if (!pmed_get_u32(r, &len))
			deserial_fail(r, NULL);
		if (len > r->left)
			deserial_fail(r, "truncated");
		fr = pmed_forest_fragment_read((const char *) r->p, len);
		if (fr->n_features != st->n_features || fr->task != st->common.task)
			deserial_fail(r, "fragment does not match the state");
		b = palloc(len + VARHDRSZ);
		SET_VARSIZE(b, len + VARHDRSZ);
		if (!pmed_get_bytes(r, VARDATA(b), len))
			deserial_fail(r, NULL);
		st->fragments = lappend(st->fragments, b);
	}
}

/* Is text one valid JSON value?  (jsonapi's parser, without building jsonb) */
static bool
valid_json(char *text)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen(text, strlen(text), GetDatabaseEncoding(), true);

	return pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS;
}

/*
 * Bytes -> state, in the current context.  The bytes are untrusted (Citus
 * exposes the deserializer to any user): a CRC32C over all of them rejects
 * damage, and every field is checked on its own against crafted states.
 */
static TrainState *
state_deserialize(const char *data, size_t len)
{
	PmedReader	r;
	PmedError	err = {0};
	TrainState *st;
	const PmedFamily *f;
	uint32		magic,
				crc;
	uint8		version,
				label_kind,
				has_options,
				parsed,
				task,
				has_positive,
				has_names;
	uint16		kind;
	int32		p,
				n_static = 0;
	int64		n_rows,
				skipped;
	int64		row_bytes = 0;

	pmed_reader_init(&r, data, len, &err);
	if (len < 4)
		deserial_fail(&r, "truncated");
	memcpy(&crc, data + len - 4, 4);
	if (pmed_crc32c(0, data, len - 4) != crc)
		deserial_fail(&r, "checksum mismatch");
	r.left -= 4;

	if (!pmed_get_u32(&r, &magic) || !pmed_get_u8(&r, &version) || !pmed_get_u16(&r, &kind) ||
		!pmed_get_u8(&r, &label_kind) || !pmed_get_i32(&r, &p) ||
		!pmed_get_i64(&r, &n_rows) || !pmed_get_i64(&r, &skipped) ||
		((kind & STATE_STATICS) && !pmed_get_i32(&r, &n_static)) || !pmed_get_u8(&r, &has_options))
		deserial_fail(&r, NULL);
	if (magic != STATE_MAGIC || version != STATE_VERSION)
		deserial_fail(&r, "not a pmed training state of this version");
	f = kind == 0 ? &rows_family : pmed_family_for_kind(kind & ~(STATE_STATICS | STATE_STATS));
	if (f != NULL && (kind & STATE_STATICS))
		f = f->with_statics;
	if (f != NULL && (kind & STATE_STATS))
		f = (kind & STATE_STATICS) ? NULL : pmed_stats_family(f);
	if (f == NULL)
		deserial_fail(&r, "unknown model kind");
	if ((kind & STATE_STATICS) &&
		(n_static < -1 || n_static == 0 || n_static > PMED_NN_MAX_STATIC || (n_static == -1 && n_rows > 0)))
		deserial_fail(&r, "bad static width");
	if (label_kind > PMED_LABEL_FLOAT ||
		(has_column(f, PMED_COL_LABEL) != (label_kind != PMED_LABEL_NONE)) ||
		n_rows < 0 || (n_rows > MAX_TRAIN_ROWS && !(kind & STATE_STATS)) || skipped < 0 || has_options > 1 ||
		(has_width(f) ?
		 (p < -1 || (p == 0 && !has_column(f, PMED_COL_FEATURES)) || p > PMED_MAX_FEATURES ||
		  (p == -1 && n_rows > 0)) : p != 0))
		deserial_fail(&r, "bad header");

	st = state_create(f, (PmedLabelKind) label_kind);
	st->rows_skipped = skipped;
	if (kind & STATE_STATICS)
		st->n_static = n_static;
	if (has_options)
	{
		if (!pmed_get_str(&r, &st->options_text))
			deserial_fail(&r, NULL);
		if (!valid_text(st->options_text) || !valid_json(st->options_text))
			deserial_fail(&r, "options are not valid JSON");
	}
	if (!pmed_get_u8(&r, &parsed) || !pmed_get_u8(&r, &task) ||
		!pmed_get_u64(&r, &st->common.seed) || !pmed_get_u8(&r, &has_positive))
		deserial_fail(&r, NULL);
	if (parsed != (f != &rows_family) || task > PMED_TASK_REGRESSION ||
		(has_column(f, PMED_COL_LABEL) && f != &rows_family && task == 0) || has_positive > 1)
		deserial_fail(&r, "bad parameters");
	st->parsed = parsed;
	st->common.task = task;
	if (has_positive)
	{
		if (!pmed_get_str(&r, &st->common.positive))
			deserial_fail(&r, NULL);
		if (!valid_text(st->common.positive))
			deserial_fail(&r, "positive class is not valid text");
	}
	if (!pmed_get_u8(&r, &has_names) || has_names > 1)
		deserial_fail(&r, "bad feature-name flag");
	if (has_names)
	{
		uint32		n;

		if (!pmed_get_count(&r, PMED_MAX_FEATURES, 4, &n))
			deserial_fail(&r, NULL);
		st->common.n_feature_names = (int) n;
		st->common.feature_names = palloc(sizeof(char *) * Max(n, 1));
		for (uint32 i = 0; i < n; i++)
			if (!pmed_get_str(&r, &st->common.feature_names[i]) ||
				!valid_text(st->common.feature_names[i]))
				deserial_fail(&r, "bad feature name");
	}
	if (f->params_size > 0)
	{
		st->params = palloc0(f->params_size);
		if (!read_params(&r, f, st->params))
			deserial_fail(&r, NULL);
	}

	if (kind & STATE_STATS)
	{
		/* statistics instead of rows (train_stats.h): validated by the family */
		PmedStatsInfo info;

		st->n_features = p;
		st->n_rows = n_rows;
		info = stats_info(st);
		if (has_column(f, PMED_COL_FEATURES) && p == 0)
			deserial_fail(&r, "bad header");
		st->stats = f->stats->read(&r, &info);
		if (st->stats == NULL)
			deserial_fail(&r, NULL);
		n_rows = 0;				/* no rows follow */
	}

	/* Each row takes at least this many bytes. */
	for (int i = 0; i < f->n_columns; i++)
		row_bytes += f->columns[i] == PMED_COL_FEATURES ? (int64) Max(p, 0) * 8 :
			(f->columns[i] == PMED_COL_SIGNAL || f->columns[i] == PMED_COL_SEQUENCE) ?
			4 + (int64) Max(p, 1) * 8 :
			f->columns[i] == PMED_COL_STATICS ? (int64) Max(n_static, 1) * 8 :
			(f->columns[i] == PMED_COL_LABEL && label_kind == PMED_LABEL_TEXT) ? 4 : 8;
	if (n_rows > 0 && (uint64) n_rows > r.left / (uint64) Max(row_bytes, 1))
		deserial_fail(&r, "truncated");

	for (int64 i = 0; i < n_rows; i++)
	{
		int			slot;
		TrainChunk *c = state_next_slot(st, p, &slot);

		if (c->steps)
		{
			int32		steps;
			double	   *v;
			int64		present = 0;

			if (!pmed_get_i32(&r, &steps))
				deserial_fail(&r, NULL);
			if (steps < 1 || steps > PMED_NN_MAX_STEPS ||
				(uint64) steps * p * 8 > r.left)
				deserial_fail(&r, "bad sequence length");
			v = palloc(sizeof(double) * steps * p);
			if (!pmed_get_bytes(&r, v, sizeof(double) * steps * p))
				deserial_fail(&r, NULL);
			for (int64 j = 0; j < (int64) steps * p; j++)
			{
				if (isinf(v[j]))
					deserial_fail(&r, "bad sequence value");
				present += !isnan(v[j]);
			}
			if (present == 0)
				deserial_fail(&r, "sequence without values");
			seq_store(st, c, slot, v, steps);
			pfree(v);
		}
		if (c->stx)
		{
			double	   *v = c->stx + (size_t) slot * n_static;

			if (!pmed_get_bytes(&r, v, sizeof(double) * n_static))
				deserial_fail(&r, NULL);
			for (int j = 0; j < n_static; j++)
				if (isinf(v[j]))
					deserial_fail(&r, "bad static value");
		}
		if (c->x)
		{
			double	   *x = c->x + (size_t) slot * p;
			int			present = 0;

			if (!pmed_get_bytes(&r, x, sizeof(double) * p))
				deserial_fail(&r, NULL);
			for (int j = 0; j < p; j++)
			{
				if (isinf(x[j]) || (isnan(x[j]) && f->features_complete))
					deserial_fail(&r, "bad feature value");
				present += !isnan(x[j]);
			}
			if (present == 0)
				deserial_fail(&r, "row without feature values");
		}
		if (c->text_off)
		{
			char	   *s;

			if (!pmed_get_str(&r, &s))
				deserial_fail(&r, NULL);
			/* A label becomes a class name: it must be valid text. */
			if (!valid_text(s))
				deserial_fail(&r, "label is not valid text in the server encoding");
			c->text_off[slot] = arena_add(st, s);
			pfree(s);
		}
		if (c->y && (!pmed_get_f64(&r, &c->y[slot]) || !isfinite(c->y[slot])))
			deserial_fail(&r, "bad label");
		if (c->id && !pmed_get_i64(&r, &c->id[slot]))
			deserial_fail(&r, NULL);
		if (c->item && !pmed_get_i64(&r, &c->item[slot]))
			deserial_fail(&r, NULL);
		if (c->w && (!pmed_get_f64(&r, &c->w[slot]) || !(c->w[slot] >= 0) || isinf(c->w[slot])))
			deserial_fail(&r, "bad weight");
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	/* named features: present exactly when the width is 0 */
	{
		uint8		has_named;
		int32		min_count;

		if (!pmed_get_u8(&r, &has_named) || !pmed_get_i32(&r, &min_count))
			deserial_fail(&r, NULL);
		if (has_named != (has_column(f, PMED_COL_FEATURES) && p == 0) || min_count < 0 ||
			min_count > 1000000000)
			deserial_fail(&r, "bad named-feature header");
		st->common.min_category_count = min_count;
		if (has_named)
		{
			st->raw_rows = pmed_rowstore_read(&r);
			if (st->raw_rows == NULL)
				deserial_fail(&r, NULL);
			if (pmed_rowstore_rows(st->raw_rows) != n_rows)
				deserial_fail(&r, "named-feature rows do not match the labels");
			st->n_features = 0;
		}
	}
	if (r.left > 0)
		federated_read(&r, st, p);
	if (!pmed_reader_done(&r))
		deserial_fail(&r, NULL);
	return st;
}

PG_FUNCTION_INFO_V1(train_deserialfn);
Datum
train_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	void	   *obj;
	TrainState *st;

	/* 0.1.0 / 0.2.0 catalogs: their internal state is a state object too */
	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "train_deserialfn called in non-aggregate context");
	st = pmed_state_arg_rw(fcinfo, 0, &aggcontext, &obj);
	PG_RETURN_DATUM(pmed_state_return(fcinfo, obj, st));
}

/* ---- final: one dense copy, canonical order, classes, fit, encode ---- */

typedef struct SortArg
{
	const double *x;
	int			p;
	const double *y;			/* numeric labels, or NULL */
	const char *arena;			/* text labels */
	const uint32 *text_off;
	const int32 *seq_len;		/* SIGNAL / SEQUENCE rows, or NULL */
	const int64 *seq_off;
	const double *stx;			/* STATICS rows, or NULL */
	int			n_static;
} SortArg;

/* Label, then the feature bytes (a total order even with NaN = missing). */
static int
compare_rows(const void *a, const void *b, void *arg)
{
	const SortArg *s = arg;
	int64		i = *(const int64 *) a;
	int64		j = *(const int64 *) b;
	int			c;

	if (s->text_off)
	{
		c = strcmp(s->arena + s->text_off[i], s->arena + s->text_off[j]);
		if (c != 0)
			return c;
	}
	else if (s->y[i] != s->y[j])
		return s->y[i] < s->y[j] ? -1 : 1;
	if (s->seq_len)
	{
		/* then the length, then the value bytes */
		if (s->seq_len[i] != s->seq_len[j])
			return s->seq_len[i] < s->seq_len[j] ? -1 : 1;
		c = memcmp(s->x + s->seq_off[i] * s->p, s->x + s->seq_off[j] * s->p,
				   sizeof(double) * s->seq_len[i] * s->p);
		if (c != 0 || s->stx == NULL)
			return c;
		/* then the static values */
		return memcmp(s->stx + (size_t) i * s->n_static, s->stx + (size_t) j * s->n_static,
					  sizeof(double) * s->n_static);
	}
	return memcmp(s->x + (size_t) i * s->p, s->x + (size_t) j * s->p, sizeof(double) * s->p);
}

/* Rows of x (p wide) so that row k becomes old row perm[k]; in place, one row of scratch. */
static void
permute_rows(double *x, int p, const int64 *perm, int64 n)
{
	bits8	   *done = palloc_extended(n / 8 + 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	double	   *tmp = palloc(sizeof(double) * Max(p, 1));

	for (int64 s = 0; s < n; s++)
	{
		int64		k = s;

		if (done[s / 8] & (1 << (s % 8)))
			continue;
		memcpy(tmp, x + (size_t) s * p, sizeof(double) * p);
		for (;;)
		{
			int64		j = perm[k];

			done[k / 8] |= 1 << (k % 8);
			if (j == s)
			{
				memcpy(x + (size_t) k * p, tmp, sizeof(double) * p);
				break;
			}
			memcpy(x + (size_t) k * p, x + (size_t) j * p, sizeof(double) * p);
			k = j;
			/* one cycle may span every row */
			if ((k & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		if ((s & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(tmp);
	pfree(done);
}

char *
pmed_class_text(PmedLabelKind kind, double v)
{
	if (kind == PMED_LABEL_BOOL)
		return pstrdup(v != 0 ? "true" : "false");
	if (kind == PMED_LABEL_INT)
		return psprintf("%.0f", v);
	return DatumGetCString(DirectFunctionCall1(float8out, Float8GetDatum(v)));
}

/*
 * The rows as dense columns, chunk by chunk; each chunk is freed once
 * copied when consume is set (the aggregate's final function owns the
 * state: FINALFUNC_MODIFY = READ_WRITE), so the row store and the dense
 * copy never both hold all the rows.
 */
static void
gather_columns(TrainState *st, bool consume, PmedTrainSet *set, double **y, uint32 **text_off)
{
	int64		n = st->n_rows;
	int			p = Max(st->n_features, 0);
	const PmedFamily *f = st->family;
	double	   *x = NULL,
			   *w = NULL;
	int64	   *id = NULL,
			   *item = NULL;
	int64		at = 0;
	int32	   *seq_len = NULL;
	int64	   *seq_off = NULL;
	double	   *seq_x = NULL;
	int64		sx_at = 0;
	double	   *stx = NULL;

	*y = NULL;
	*text_off = NULL;
	/* consumed, the row store is freed as fast as the copy grows */
	pmed_training_memory_check(NULL, consume ? 0 : sizeof(double) * (Size) n * (p + 1),
							   "a dense copy of the rows");
	if (seq_column(f) != 0)
	{
		seq_len = palloc_extended(sizeof(int32) * Max(n, 1), MCXT_ALLOC_HUGE);
		seq_off = palloc_extended(sizeof(int64) * Max(n, 1), MCXT_ALLOC_HUGE);
		seq_x = palloc_extended(sizeof(double) * Max(st->seq_values, 1), MCXT_ALLOC_HUGE);
	}
	if (has_column(f, PMED_COL_FEATURES))
		x = palloc_extended(sizeof(double) * Max(n * p, 1), MCXT_ALLOC_HUGE);
	if (has_column(f, PMED_COL_STATICS))
		stx = palloc_extended(sizeof(double) * Max(n * Max(st->n_static, 0), 1), MCXT_ALLOC_HUGE);
	if (has_column(f, PMED_COL_LABEL))
	{
		if (st->label_kind == PMED_LABEL_TEXT)
			*text_off = palloc_extended(sizeof(uint32) * Max(n, 1), MCXT_ALLOC_HUGE);
		else
			*y = palloc_extended(sizeof(double) * Max(n, 1), MCXT_ALLOC_HUGE);
	}
	if (has_column(f, PMED_COL_ID))
		id = palloc_extended(sizeof(int64) * Max(n, 1), MCXT_ALLOC_HUGE);
	if (has_column(f, PMED_COL_ITEM))
		item = palloc_extended(sizeof(int64) * Max(n, 1), MCXT_ALLOC_HUGE);
	if (has_column(f, PMED_COL_WEIGHT))
		w = palloc_extended(sizeof(double) * Max(n, 1), MCXT_ALLOC_HUGE);

	for (TrainChunk *c = st->head, *next; c != NULL; c = next)
	{
		next = c->next;
		/* a chunk is up to 64 MB: copy it in steps (page faults are slow) */
		for (Size off = 0, len = sizeof(double) * c->n * p; x && off < len; off += 4 * 1024 * 1024)
		{
			CHECK_FOR_INTERRUPTS();
			memcpy((char *) (x + (size_t) at * p) + off, (char *) c->x + off, Min(len - off, 4 * 1024 * 1024));
		}
		if (stx)
			memcpy(stx + (size_t) at * st->n_static, c->stx, sizeof(double) * c->n * st->n_static);
		if (*y)
			memcpy(*y + at, c->y, sizeof(double) * c->n);
		if (*text_off)
			memcpy(*text_off + at, c->text_off, sizeof(uint32) * c->n);
		if (id)
			memcpy(id + at, c->id, sizeof(int64) * c->n);
		if (item)
			memcpy(item + at, c->item, sizeof(int64) * c->n);
		if (w)
			memcpy(w + at, c->w, sizeof(double) * c->n);
		if (seq_len)
		{
			for (int i = 0; i < c->n; i++)
			{
				seq_len[at + i] = c->steps[i];
				seq_off[at + i] = p > 0 ? sx_at / p : 0;
				sx_at += (int64) c->steps[i] * p;
			}
			memcpy(seq_x + (sx_at - c->sx_n), c->sx, sizeof(double) * c->sx_n);
		}
		at += c->n;
		if (consume)
		{
			if (c->sx)
				pfree(c->sx);
			if (c->x)
				pfree(c->x);
			if (c->stx)
				pfree(c->stx);
			pfree(c);
		}
		CHECK_FOR_INTERRUPTS();
	}
	if (consume)
	{
		st->head = st->tail = NULL;
		st->consumed = true;
	}
	set->n_rows = n;
	set->n_features = p;
	set->x = x;
	set->id = id;
	set->item = item;
	set->weight = w;
	set->seq_len = seq_len;
	set->seq_offset = seq_off;
	set->seq_x = seq_x;
	set->n_static = stx ? st->n_static : 0;
	set->static_x = stx;
}

/*
 * Supervised rows: canonical order (so any plan trains the same model) by
 * sorting an index and permuting the dense rows in place; then classes.
 */
static void
canonical_supervised(TrainState *st, PmedTrainSet *set, double *y, uint32 *text_off,
					 PmedSchema *schema)
{
	int64		n = set->n_rows;
	int			p = set->n_features;
	double	   *x = (double *) set->x;
	int64	   *perm = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
	double	   *ys = palloc_extended(sizeof(double) * n, MCXT_ALLOC_HUGE);
	SortArg		arg = {x, p, y, st->arena.data, text_off, set->seq_len, set->seq_offset};

	if (set->seq_len)
		arg.x = set->seq_x;
	arg.stx = set->static_x;
	arg.n_static = set->n_static;

	for (int64 i = 0; i < n; i++)
		perm[i] = i;
	pmed_sort_arg(perm, n, sizeof(int64), compare_rows, &arg);
	CHECK_FOR_INTERRUPTS();

	if (schema->task == PMED_TASK_CLASSIFICATION)
	{
		/* Rows are sorted by label: classes are the runs, ascending. */
		int			n_classes = 0;

		schema->classes = palloc(sizeof(char *) * Min(n, PMED_MAX_CLASSES + 1));
		for (int64 k = 0; k < n; k++)
		{
			int64		i = perm[k];
			bool		new_class = (k == 0) ||
				(text_off ? strcmp(st->arena.data + text_off[i], st->arena.data + text_off[perm[k - 1]]) != 0
				 : y[i] != y[perm[k - 1]]);

			if (new_class)
			{
				if (n_classes == PMED_MAX_CLASSES)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("too many classes"),
							 errdetail("At most %d distinct labels are supported.", PMED_MAX_CLASSES)));
				schema->classes[n_classes++] = text_off ? pstrdup(st->arena.data + text_off[i])
					: pmed_class_text(st->label_kind, y[i]);
			}
			ys[k] = n_classes - 1;
		}
		if (n_classes < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("only one class in the training rows: %s", schema->classes[0]),
					 errdetail("Classification needs at least two distinct labels.")));
		schema->n_classes = n_classes;
		if (st->common.positive != NULL)
		{
			for (int k = 0; k < n_classes; k++)
				if (strcmp(schema->classes[k], st->common.positive) == 0)
					schema->positive = k;
			if (schema->positive < 0)
				pmed_option_error("positive", psprintf("\"%s\" is not one of the training labels.",
													   st->common.positive));
		}
		else if (n_classes == 2)
			schema->positive = 1;	/* true, or the greatest label */
	}
	else
	{
		for (int64 k = 0; k < n; k++)
			ys[k] = y[perm[k]];
	}
	if (set->seq_len)
	{
		/* signals / sequences: a permuted copy (rows differ in length) */
		int32	   *len = palloc_extended(sizeof(int32) * Max(n, 1), MCXT_ALLOC_HUGE);
		int64	   *off = palloc_extended(sizeof(int64) * Max(n, 1), MCXT_ALLOC_HUGE);
		double	   *sx = palloc_extended(sizeof(double) * Max(st->seq_values, 1), MCXT_ALLOC_HUGE);
		int64		at = 0;

		for (int64 k = 0; k < n; k++)
		{
			int64		i = perm[k];

			len[k] = set->seq_len[i];
			off[k] = at;
			memcpy(sx + at * p, set->seq_x + set->seq_offset[i] * p,
				   sizeof(double) * set->seq_len[i] * p);
			at += set->seq_len[i];
			if ((k & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		pfree((void *) set->seq_len);
		pfree((void *) set->seq_offset);
		pfree((void *) set->seq_x);
		set->seq_len = len;
		set->seq_offset = off;
		set->seq_x = sx;
		if (set->static_x)
			permute_rows((double *) set->static_x, set->n_static, perm, n);
	}
	else
		permute_rows(x, p, perm, n);
	pfree(perm);
	if (y)
		pfree(y);
	if (text_off)
		pfree(text_off);

	set->ds.n_rows = n;
	set->ds.n_features = p;
	set->ds.x = x;
	set->x_owned = x;
	set->ds.y = ys;
	set->ds.n_classes = schema->n_classes;
}

/*
 * A final function met a state whose rows another final function already
 * took: two different pmed aggregates over the same rows and transition
 * function in one query, whose state the planner shared.
 */
static void
state_consumed_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("two pmed training aggregates cannot share the same rows in one query"),
			 errdetail("The first one to finish took the rows out of their shared state."),
			 errhint("Compute them in separate queries or subqueries.")));
}

static bytea *federated_final(TrainState *st, const PmedFamily *family, bool consume);

/*
 * The final-function skeleton every family shares.  consume: the rows may
 * be taken out of the state (see gather_columns).
 */
static bytea *
train_final(TrainState *st, const PmedFamily *family, bool consume)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext work;
	PmedTrainSet set = {0};
	PmedSchema	schema = {0};
	PmedWriter	algo,
				out;
	PmedError	err = {0};
	PmedJson	meta;
	double		t0;
	double	   *y;
	uint32	   *text_off;
	bytea	   *result;
	PmedEncoding *enc = NULL;

	if (st->consumed)
		state_consumed_error();
	if (st->federated)
		return federated_final(st, family, consume);
	if (st->n_rows == 0 && !family->allow_empty)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no rows to train on"),
				 errdetail("All %lld input rows had a NULL %s.",
						   (long long) st->rows_skipped, family->null_detail)));

	work = AllocSetContextCreate(caller, "pmed training", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(work);
	/* pmed.max_training_memory: the rows and the fit (ends with work) */
	pmed_training_budget_begin(GetMemoryChunkContext(st), work);

	if (!st->parsed)
	{
		/*
		 * A pmed.train_partial state meets its family only now: its options
		 * are checked and parsed here, once.
		 */
		TrainState	tmp = *st;

		tmp.family = family;
		state_parse_options(&tmp, options_from_text(st->options_text));
		st->common = tmp.common;
		st->params = tmp.params;
		st->parsed = true;
	}

	named_features_check(st);
	t0 = pmed_now_seconds();
	if (st->stats != NULL)
	{
		/* statistics: no rows to gather (train_stats.h) */
		set.n_rows = st->n_rows;
		set.n_features = Max(st->n_features, 0);
		y = NULL;
		text_off = NULL;
	}
	else
		gather_columns(st, consume, &set, &y, &text_off);
	if (st->raw_rows != NULL)
	{
		pfree((double *) set.x);
		set.x = named_features_encode(st, family, &enc);
		set.n_features = enc->n_dense;
		set.enc = enc;
		if (consume)
		{
			pmed_rowstore_free(st->raw_rows);
			st->raw_rows = NULL;
		}
	}
	schema.n_features = set.n_features;
	schema.positive = -1;
	schema.rows_used = st->n_rows;
	schema.rows_skipped = st->rows_skipped;
	if (has_column(family, PMED_COL_LABEL))
	{
		schema.task = st->common.task;
		schema.label_kind = st->label_kind;
		if (st->stats == NULL)
			canonical_supervised(st, &set, y, text_off, &schema);
	}
	else
	{
		schema.task = PMED_TASK_RECOMMENDATION;
		schema.label_kind = PMED_LABEL_NONE;
	}
	if (st->common.feature_names != NULL)
	{
		if (st->common.n_feature_names != set.n_features)
			pmed_option_error("feature_names",
							  psprintf("It names %d features but the rows have %d.",
									   st->common.n_feature_names, set.n_features));
		schema.feature_names = st->common.feature_names;
	}
	if (enc != NULL)
	{
		schema.feature_names = palloc(sizeof(char *) * enc->n_dense);
		for (uint32 j = 0; j < enc->n_dense; j++)
			schema.feature_names[j] = pmed_encoding_dense_name(enc, j);
	}
	set.common = &st->common;
	set.options_text = st->options_text;
	set.params = st->params;

	pmed_json_init(&meta);
	pmed_json_begin_object(&meta);
	if (takes_options(family))
	{
		pmed_json_key(&meta, "options");
		pmed_json_raw(&meta, st->options_text ? st->options_text : "{}");
	}
	pmed_writer_init(&algo);
	/* a cross-validated search (search.c) refits its best setting itself */
	if (st->stats != NULL)
		st->family->stats->fit(st->stats, &set, &schema, &algo, &meta);
	else if (!pmed_search_fit(family, st->options_text, &set, &schema, &algo, &meta))
		family->fit(&set, &schema, &algo, &meta);
	pmed_json_end_object(&meta);
	if (pmed_json_finish(&meta, &err) != PMED_OK)
		pmed_report(&err);
	schema.train_seconds = pmed_now_seconds() - t0;

	if (algo.len > PMED_MAX_MODEL_BYTES - 4096)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model too large: %zu bytes", algo.len),
				 errdetail("A pmed model must stay under 1 GB.")));
	if (pmed_model_encode_named(&out, family->kind, &schema, meta.buf, enc, &algo, &err) != PMED_OK)
		pmed_report(&err);

	MemoryContextSwitchTo(caller);
	result = pmed_writer_to_bytea(&out);
	MemoryContextDelete(work);
	return result;
}

/*
 * The model of a final function call.  As a plain aggregate the final
 * function runs once per state, so it takes the rows out of the state as it
 * copies them (train_final's consume) and the row store and the dense copy
 * are never both whole in memory.  It keeps the model, in case the planner
 * shares the state between identical aggregate calls of one query.  As a
 * window aggregate the state lives on and grows with the frame: copy.
 */
static bytea *
final_model(FunctionCallInfo fcinfo, TrainState *st, const PmedFamily *family)
{
	MemoryContext aggcontext;
	bool		consume = AggCheckCallContext(fcinfo, &aggcontext) == AGG_CONTEXT_AGGREGATE;
	bytea	   *model;

	if (st->consumed)
	{
		if (st->final_model == NULL || st->final_family != family)
			state_consumed_error();
		model = palloc(VARSIZE(st->final_model));
		memcpy(model, st->final_model, VARSIZE(st->final_model));
		return model;
	}
	model = train_final(st, family, consume);
	if (consume)
	{
		st->final_model = MemoryContextAlloc(aggcontext, VARSIZE(model));
		memcpy(st->final_model, model, VARSIZE(model));
		st->final_family = family;
	}
	return model;
}

Datum
pmed_train_finalfn(FunctionCallInfo fcinfo, const PmedFamily *family)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* no input rows at all, as for avg() */
	PG_RETURN_BYTEA_P(final_model(fcinfo, pmed_state_arg_ro(fcinfo, 0), family));
}

/*
 * ---- Federated forests (federated.h) ----
 *
 * A partial state that leaves its node becomes a fragment: a forest of its
 * own rows.  Its trees are seeded by the user's seed and the digest of its
 * rows, so the same rows in one partition grow the same trees on any node
 * and plan; the final function unions the fragments (forest.c, core).
 */

static void pg_attribute_noreturn()
federated_family_error(const PmedFamily *family)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("federated training is only for forests, not for %s models", family->name),
			 errhint("Drop \"federated\" from the options, or merge the states as a forest.")));
}

/* Order-independent hash of the rows (a sum of per-row hashes): the partition's digest. */
static uint64
state_digest(const TrainState *st)
{
	uint64		digest = 0;
	int			p = Max(st->n_features, 0);

	for (TrainChunk *c = st->head; c != NULL; c = c->next)
	{
		for (int i = 0; i < c->n; i++)
		{
			uint64		h = hash_bytes_extended((const unsigned char *) (c->x + (size_t) i * p),
												sizeof(double) * p, 0x66656431);

			if (c->text_off)
			{
				const char *s = st->arena.data + c->text_off[i];

				h = hash_bytes_extended((const unsigned char *) s, strlen(s), h);
			}
			else if (c->y)
				h = hash_bytes_extended((const unsigned char *) &c->y[i], sizeof(double), h);
			digest += pmed_mix64(h);
		}
		CHECK_FOR_INTERRUPTS();
	}
	return digest;
}

/*
 * The rows of st as one fragment (train_final's preparation, then the
 * forest of these rows).  consume: the rows are taken out of the state.
 */
static bytea *
federate_rows(TrainState *st, bool consume)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext work;
	PmedTrainSet set = {0};
	PmedSchema	schema = {0};
	PmedCommonParams common = st->common;
	void	   *params = st->params;
	double	   *y;
	uint32	   *text_off;
	uint64		digest;
	bytea	   *frag,
			   *result;

	if (st->consumed)
		state_consumed_error();
	if (st->raw_rows != NULL)
		pmed_option_error("federated", "A federated forest needs float8[] features.");
	digest = state_digest(st);
	work = AllocSetContextCreate(caller, "pmed federated fragment", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(work);
	pmed_training_budget_begin(GetMemoryChunkContext(st), work);
	if (!st->parsed)
	{
		/* pmed.train_partial rows: parsed as forest options (not kept) */
		TrainState	tmp = *st;

		tmp.family = &pmed_forest_family;
		state_parse_options(&tmp, options_from_text(st->options_text));
		common = tmp.common;
		params = tmp.params;
	}
	gather_columns(st, consume, &set, &y, &text_off);
	schema.n_features = set.n_features;
	schema.positive = -1;
	schema.rows_used = st->n_rows;
	schema.task = common.task;
	schema.label_kind = st->label_kind;
	canonical_supervised(st, &set, y, text_off, &schema);
	set.common = &common;
	set.options_text = st->options_text;
	set.params = params;
	frag = pmed_forest_fragment_fit(&set, &schema, digest);
	MemoryContextSwitchTo(caller);
	result = palloc(VARSIZE(frag));
	memcpy(result, frag, VARSIZE(frag));
	MemoryContextDelete(work);
	if (consume)
	{
		/* the state lives on, with the fragment instead of its rows */
		st->consumed = false;
		st->n_rows = 0;
		resetStringInfo(&st->arena);
	}
	return result;
}

void
state_federate(TrainState *st)
{
	MemoryContext old;
	bytea	   *frag;

	if (st == NULL || !st->federated || st->n_rows == 0)
		return;
	old = MemoryContextSwitchTo(GetMemoryChunkContext(st));
	frag = federate_rows(st, true);
	st->fragments = lappend(st->fragments, frag);
	MemoryContextSwitchTo(old);
}

/*
 * The bytes of st as it leaves its node, st unchanged: a federated forest
 * state's rows are fitted into one more fragment in the bytes (a
 * non-federated state, or one without rows: state_serialize's bytes).  For
 * output / send functions that must not modify a read-only state.
 */
bytea *
state_serialize_federated(const TrainState *st)
{
	TrainState	tmp;

	if (st == NULL || !st->federated || st->n_rows == 0)
		return state_serialize(st);
	tmp = *st;
	tmp.fragments = lappend(list_copy(st->fragments), federate_rows((TrainState *) st, false));
	tmp.head = tmp.tail = NULL;
	tmp.n_rows = 0;
	return state_serialize(&tmp);
}

/*
 * Final function of a federated forest: rows still in the state are one
 * more partition (all rows of a plain or parallel aggregate: the central
 * model's rows, partitions 1); then the union of the fragments.
 */
static bytea *
federated_final(TrainState *st, const PmedFamily *family, bool consume)
{
	List	   *frags = list_copy(st->fragments);
	PmedCommonParams common = st->common;
	void	   *params = st->params;
	bytea	   *model;

	if (family->kind != PMED_KIND_FOREST)
		federated_family_error(family);
	if (st->n_rows > 0)
		frags = lappend(frags, federate_rows(st, consume));
	if (frags == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no rows to train on"),
				 errdetail("All %lld input rows had a NULL %s.",
						   (long long) st->rows_skipped, family->null_detail)));
	if (!st->parsed)
	{
		TrainState	tmp = *st;

		tmp.family = family;
		state_parse_options(&tmp, options_from_text(st->options_text));
		common = tmp.common;
		params = tmp.params;
	}
	model = pmed_forest_federated_model(frags, st->options_text, &common, params, st->union_trees,
										st->label_kind, st->rows_skipped);
	if (consume)
		st->consumed = true;
	return model;
}

/*
 * ---- Partial states as values: train on each shard, merge anywhere ----
 *
 * pmed.<family>_train_partial(...) (same arguments as <family>_train) and
 * pmed.train_partial(features, label [, options]) (family chosen at the
 * merge) return the serialized state of their rows: the bytes parallel
 * workers and Citus ship.  pmed.train_from_partials(state [, family])
 * merges such states, from any number of servers, and fits.  The result is
 * the model that training on all the rows at once gives.
 */

PG_FUNCTION_INFO_V1(train_partial_transfn);
Datum
train_partial_transfn(PG_FUNCTION_ARGS)
{
	return pmed_train_transfn(fcinfo, &rows_family);
}

/* Final function of every *_train_partial aggregate: the serialized state. */
PG_FUNCTION_INFO_V1(train_partial_finalfn);
Datum
train_partial_finalfn(PG_FUNCTION_ARGS)
{
	TrainState *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = pmed_state_arg_ro(fcinfo, 0);
	if (st->consumed)
		state_consumed_error();
	state_federate(st);			/* federated forests: the rows stay here */
	PG_RETURN_BYTEA_P(state_serialize(st));
}

/* The family named by argument argno (a model family that trains). */
static const PmedFamily *
family_arg(FunctionCallInfo fcinfo, int argno)
{
	const PmedFamily *family;
	char	   *name;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model family must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	family = pmed_family_for_name(name);
	/* train_partial rows are feature vectors: not for signal / sequence families */
	if (family == NULL || !has_column(family, PMED_COL_LABEL) || seq_column(family) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown model family \"%s\"", name),
				 errhint("Use \"baseline\", \"svm\" or \"forest\".")));
	return family;
}

/*
 * pmed.train_from_partials(state bytea [, family text]): validates and
 * merges one partial state.  With a family, states of pmed.train_partial
 * (and of that family's *_train_partial) merge; without, the states carry
 * their family.
 */
PG_FUNCTION_INFO_V1(train_merge_transfn);
Datum
train_merge_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext old;
	TrainState *st;
	const PmedFamily *named = PG_NARGS() > 2 ? family_arg(fcinfo, 2) : NULL;
	TrainState *part;
	void	   *obj;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "train_from_partials called in non-aggregate context");
	st = pmed_state_arg_rw(fcinfo, 0, &aggcontext, &obj);
	if (PG_ARGISNULL(1))
		PG_RETURN_DATUM(pmed_state_return(fcinfo, obj, st));

	/* Decode (and validate) in the per-row context, then append. */
	part = pmed_state_arg_ro(fcinfo, 1);	/* bytea, or a pmed.train_state */
	if (named != NULL)
	{
		if (part->family != &rows_family && part->family != named)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot merge partial states of different model kinds"),
					 errdetail("The state is for a %s model, not a %s model.",
							   part->family->name, named->name)));
	}
	else if (part->family == &rows_family)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this partial state is not for one model family"),
				 errhint("Name the family: pmed.train_from_partials(state, 'svm').")));
	if (part->federated)
	{
		/* a federated state is one partition: its rows (if any) fit first */
		if (named != NULL && named->kind != PMED_KIND_FOREST)
			federated_family_error(named);
		state_federate(part);
	}
	if (named != NULL && part->stats != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a %s statistics state does not merge with pmed.train_partial rows",
						part->family->name),
				 errhint("Merge %s_train_partial states with pmed.train_from_partials(state).",
						 part->family->name)));
	if (named != NULL && part->family != &rows_family)
	{
		/* the family's own state among pmed.train_partial ones: rows alike */
		part->family = &rows_family;
		part->parsed = false;
		part->params = NULL;
	}
	old = MemoryContextSwitchTo(aggcontext);
	if (st == NULL)
	{
		st = state_like(part);
		st->named = named;
	}
	else if (st->named != named)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model family must be the same for every row")));
	state_append(st, part);
	MemoryContextSwitchTo(old);
	PG_RETURN_DATUM(pmed_state_return(fcinfo, obj, st));
}

PG_FUNCTION_INFO_V1(train_merge_finalfn);
Datum
train_merge_finalfn(PG_FUNCTION_ARGS)
{
	TrainState *st = pmed_state_arg_ro(fcinfo, 0);
	const PmedFamily *family;

	if (st == NULL)
		PG_RETURN_NULL();
	family = st->named ? st->named : st->family;
	st->family = family;
	PG_RETURN_BYTEA_P(final_model(fcinfo, st, family));
}

/* ---- for the pmed.train_state type (train_state_type.c) ---- */

bytea *
pmed_state_serialize(const TrainState *st)
{
	return state_serialize(st);
}

TrainState *
pmed_state_deserialize(const char *data, size_t len)
{
	return state_deserialize(data, len);
}
