/*
 * train_agg.c - the training aggregate shared by every supervised family.
 *
 * Transition appends each row to a chunked store in the aggregate context
 * (no palloc per row); combine / serialize / deserialize let parallel query
 * and Citus ship partial states; the final function puts the rows in a
 * canonical order (so any plan trains the same model), builds the class
 * dictionary and hands a PmedDataset to the family's fit.
 */
#include "pmed.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#define ROWS_PER_CHUNK	1024
/* A training set larger than this many feature values is refused. */
#define MAX_TRAIN_VALUES	((int64) 1 << 30)

typedef struct RowChunk
{
	struct RowChunk *next;
	int			n;				/* rows used in this chunk */
	double	   *x;				/* ROWS_PER_CHUNK * n_features */
	double	   *y;				/* numeric label, or unused for text */
	uint32	   *text_off;		/* text labels: offset into the arena */
} RowChunk;

typedef struct TrainState
{
	const PmedFamily *merge_family; /* pmed.train_from_partials: the family named */
	int			n_features;		/* -1 until the first row */
	PmedLabelKind label_kind;
	int64		n_rows;
	int64		rows_skipped;
	char	   *options_json;	/* the first row's options, as text */
	Jsonb	   *options;		/* ... and as given, to compare later rows */
	RowChunk   *head;
	RowChunk   *tail;
	StringInfoData arena;		/* text labels, NUL-terminated */
} TrainState;

PG_FUNCTION_INFO_V1(train_combinefn);
PG_FUNCTION_INFO_V1(train_serialfn);
PG_FUNCTION_INFO_V1(train_deserialfn);

static TrainState *
state_create(PmedLabelKind label_kind)
{
	TrainState *st = palloc0(sizeof(TrainState));

	st->n_features = -1;
	st->label_kind = label_kind;
	initStringInfo(&st->arena);
	return st;
}

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

/* Room for one more row; returns the chunk and row slot to fill. */
static RowChunk *
state_next_slot(TrainState *st, int *slot)
{
	RowChunk   *c = st->tail;

	if (c == NULL || c->n == ROWS_PER_CHUNK)
	{
		c = palloc0(sizeof(RowChunk));
		c->x = palloc_extended(sizeof(double) * ROWS_PER_CHUNK * Max(st->n_features, 1),
							   MCXT_ALLOC_HUGE);
		c->y = palloc(sizeof(double) * ROWS_PER_CHUNK);
		if (st->label_kind == PMED_LABEL_TEXT)
			c->text_off = palloc(sizeof(uint32) * ROWS_PER_CHUNK);
		if (st->tail)
			st->tail->next = c;
		else
			st->head = c;
		st->tail = c;
	}
	*slot = c->n++;
	return c;
}

static void
state_set_width(TrainState *st, int n_features)
{
	if (st->n_features == -1)
	{
		if (n_features > PMED_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many features: %d", n_features),
					 errdetail("At most %d features are supported.", PMED_MAX_FEATURES)));
		st->n_features = n_features;
	}
	else if (st->n_features != n_features)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature arrays must all have the same length"),
				 errdetail("Earlier rows have %d features; this row has %d.",
						   st->n_features, n_features)));
	if ((st->n_rows + 1) * (int64) Max(n_features, 1) > MAX_TRAIN_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training set too large"),
				 errdetail("At most %lld feature values can be held for training.",
						   (long long) MAX_TRAIN_VALUES)));
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

/* Read the features of one training row; a row of only NULLs is refused. */
static void
read_feature_row(ArrayType *arr, int n, double *dst)
{
	if (pmed_copy_features(arr, n, dst) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a training row has no feature values: all %d are NULL", n),
				 errhint("Leave such rows out with WHERE, or pass a NULL array to skip them.")));
}

int
pmed_copy_features(ArrayType *arr, int n, double *dst)
{
	bits8	   *nulls = ARR_NULLBITMAP(arr);
	const double *src = (const double *) ARR_DATA_PTR(arr);
	int			present = 0;

	for (int i = 0; i < n; i++)
	{
		if (nulls && !(nulls[i / 8] & (1 << (i % 8))))
		{
			dst[i] = NAN;
			continue;
		}
		if (!isfinite(*src))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature %d is %s", i + 1, isnan(*src) ? "NaN" : "infinite"),
					 errhint("Pass NULL for a missing value.")));
		dst[i] = *src++;
		present++;
	}
	return present;
}

/* Number of elements of a 1-D float8 array; ERROR for other shapes. */
int
pmed_feature_array_length(ArrayType *arr)
{
	int			n;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("features must be a float8 array")));
	if (ARR_NDIM(arr) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must not be an empty array")));
	if (ARR_NDIM(arr) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must be a one-dimensional array")));
	n = ARR_DIMS(arr)[0];
	return n;
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

static const char *const task_choices[] = {"classification", "regression", NULL};

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

Datum
pmed_train_transfn(FunctionCallInfo fcinfo, const PmedFamily *family)
{
	MemoryContext aggcontext;
	MemoryContext old;
	TrainState *st;
	ArrayType  *arr;
	RowChunk   *chunk;
	int			slot;
	int			n;
	Oid			label_type;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s_train called in non-aggregate context", family->name);

	st = PG_ARGISNULL(0) ? NULL : (TrainState *) PG_GETARG_POINTER(0);
	label_type = get_fn_expr_argtype(fcinfo->flinfo, 2);

	if (st == NULL)
	{
		Jsonb	   *options = (PG_NARGS() > 3 && !PG_ARGISNULL(3)) ? PG_GETARG_JSONB_P(3) : NULL;

		/* Options are validated once, on the first row. */
		if (family->option_keys)
			pmed_options_check_keys(options, family->option_keys, family->name);
		pmed_validate_common_options(options);
		(void) resolve_task(options, label_kind_for_type(label_type), family);
		if (family->validate_options)
			family->validate_options(options);

		old = MemoryContextSwitchTo(aggcontext);
		st = state_create(label_kind_for_type(label_type));
		if (options != NULL)
		{
			st->options_json = JsonbToCString(NULL, &options->root, VARSIZE(options));
			st->options = (Jsonb *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(3));
		}
		MemoryContextSwitchTo(old);
	}
	else if (PG_NARGS() > 3)
	{
		/*
		 * Options that change between rows would make the model depend on
		 * the plan; comparing a few bytes per row is cheap.
		 */
		Jsonb	   *options = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);

		if ((options == NULL) != (st->options == NULL) ||
			(options != NULL && (VARSIZE(options) != VARSIZE(st->options) ||
								 memcmp(options, st->options, VARSIZE(options)) != 0)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("training options must be the same for every row")));
	}

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		st->rows_skipped++;
		PG_RETURN_POINTER(st);
	}

	arr = PG_GETARG_ARRAYTYPE_P(1);
	n = pmed_feature_array_length(arr);

	old = MemoryContextSwitchTo(aggcontext);
	state_set_width(st, n);
	chunk = state_next_slot(st, &slot);
	read_feature_row(arr, n, chunk->x + (size_t) slot * n);
	if (st->label_kind == PMED_LABEL_TEXT)
	{
		Oid			typoutput;
		bool		isvarlena;
		char	   *s;

		getTypeOutputInfo(label_type, &typoutput, &isvarlena);
		s = OidOutputFunctionCall(typoutput, PG_GETARG_DATUM(2));
		chunk->text_off[slot] = arena_add(st, s);
		pfree(s);
	}
	else
		chunk->y[slot] = numeric_label(PG_GETARG_DATUM(2), label_type);
	st->n_rows++;
	MemoryContextSwitchTo(old);

	PG_RETURN_POINTER(st);
}

/* Append every row of src to dst (both in the current context). */
static void
state_append(TrainState *dst, const TrainState *src)
{
	dst->rows_skipped += src->rows_skipped;
	pmed_options_merge(&dst->options_json, src->options_json);
	if (src->n_rows == 0)
		return;
	if (dst->n_rows == 0)
		dst->label_kind = src->label_kind;
	else if (dst->label_kind != src->label_kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine training rows with labels of different types")));

	for (RowChunk *c = src->head; c != NULL; c = c->next)
		for (int i = 0; i < c->n; i++)
		{
			RowChunk   *d;
			int			slot;

			state_set_width(dst, src->n_features);
			d = state_next_slot(dst, &slot);
			memcpy(d->x + (size_t) slot * dst->n_features,
				   c->x + (size_t) i * src->n_features,
				   sizeof(double) * src->n_features);
			if (dst->label_kind == PMED_LABEL_TEXT)
				d->text_off[slot] = arena_add(dst, src->arena.data + c->text_off[i]);
			else
				d->y[slot] = c->y[i];
			dst->n_rows++;
		}
	CHECK_FOR_INTERRUPTS();
}

Datum
train_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext old;
	TrainState *s1 = PG_ARGISNULL(0) ? NULL : (TrainState *) PG_GETARG_POINTER(0);
	TrainState *s2 = PG_ARGISNULL(1) ? NULL : (TrainState *) PG_GETARG_POINTER(1);

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "train_combinefn called in non-aggregate context");
	if (s2 == NULL)
		PG_RETURN_POINTER(s1);

	old = MemoryContextSwitchTo(aggcontext);
	if (s1 == NULL)
		s1 = state_create(s2->label_kind);
	state_append(s1, s2);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(s1);
}

static bytea *
state_serialize(const TrainState *st)
{
	PmedWriter	w;

	pmed_writer_init(&w);
	pmed_put_u8(&w, (uint8) st->label_kind);
	pmed_put_i32(&w, st->n_features);
	pmed_put_i64(&w, st->n_rows);
	pmed_put_i64(&w, st->rows_skipped);
	pmed_put_u8(&w, st->options_json != NULL);
	if (st->options_json)
		pmed_put_str(&w, st->options_json);
	for (RowChunk *c = st->head; c != NULL; c = c->next)
	{
		for (int i = 0; i < c->n; i++)
		{
			const double *x = c->x + (size_t) i * st->n_features;

			for (int j = 0; j < st->n_features; j++)
			{
				uint64		bits;

				memcpy(&bits, &x[j], 8);
				pmed_put_u64(&w, bits);
			}
			if (st->label_kind == PMED_LABEL_TEXT)
				pmed_put_str(&w, st->arena.data + c->text_off[i]);
			else
				pmed_put_f64(&w, c->y[i]);
		}
		CHECK_FOR_INTERRUPTS();
	}
	if (w.len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("partial training state too large to serialize (%zu bytes)", w.len)));
	return pmed_writer_to_bytea(&w);
}

/*
 * Serialized state: u8 label kind, i32 n_features, i64 rows,
 * i64 skipped, options (u8 present + string), then per row the feature
 * bits (NaN = missing) and the label (f64, or a string for text labels).
 */
Datum
train_serialfn(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(state_serialize((TrainState *) PG_GETARG_POINTER(0)));
}

static void
deserial_fail(PmedError *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid pmed training state"),
			 errdetail("%s.", err->message[0] ? err->message : "The state does not decode")));
}

/* Decode and validate a serialized state (untrusted bytes). */
static TrainState *
state_deserialize(bytea *raw)
{
	PmedReader	r;
	PmedError	err = {0};
	TrainState *st;
	uint8		label_kind,
				has_options;
	int32		n_features;
	int64		n_rows,
				skipped;

	pmed_reader_init(&r, VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), &err);
	if (!pmed_get_u8(&r, &label_kind) ||
		!pmed_get_i32(&r, &n_features) || !pmed_get_i64(&r, &n_rows) ||
		!pmed_get_i64(&r, &skipped) || !pmed_get_u8(&r, &has_options))
		deserial_fail(&err);
	if (label_kind < PMED_LABEL_BOOL ||
		label_kind > PMED_LABEL_FLOAT || n_features < -1 || n_features > PMED_MAX_FEATURES ||
		n_rows < 0 || skipped < 0 || has_options > 1 ||
		(n_features == -1 && n_rows > 0) || n_features == 0)
	{
		pmed_reader_fail(&r, "bad header");
		deserial_fail(&err);
	}
	/* Each row takes at least 8 bytes per feature plus 4 for its label. */
	if (n_rows > 0 && (uint64) n_rows > r.left / ((uint64) n_features * 8 + 4))
	{
		pmed_reader_fail(&r, "truncated");
		deserial_fail(&err);
	}

	st = state_create((PmedLabelKind) label_kind);
	st->rows_skipped = skipped;
	if (has_options)
	{
		char	   *json;

		if (!pmed_get_str(&r, &json))
			deserial_fail(&err);
		/* Re-parse: jsonb_in rejects anything that is not valid JSON. */
		(void) DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
		st->options_json = json;
	}
	if (n_rows > 0)
		state_set_width(st, n_features);
	for (int64 i = 0; i < n_rows; i++)
	{
		int			slot;
		RowChunk   *c = state_next_slot(st, &slot);
		double	   *x = c->x + (size_t) slot * n_features;
		int			present = 0;

		for (int j = 0; j < n_features; j++)
		{
			uint64		bits;

			if (!pmed_get_u64(&r, &bits))
				deserial_fail(&err);
			memcpy(&x[j], &bits, 8);
			if (isinf(x[j]))
			{
				pmed_reader_fail(&r, "infinite feature value");
				deserial_fail(&err);
			}
			present += !isnan(x[j]);
		}
		if (present == 0)
		{
			pmed_reader_fail(&r, "row without feature values");
			deserial_fail(&err);
		}
		if (st->label_kind == PMED_LABEL_TEXT)
		{
			char	   *s;

			if (!pmed_get_str(&r, &s))
				deserial_fail(&err);
			/* A label becomes a class name: it must be valid text. */
			if (!pg_verifymbstr(s, strlen(s), true))
			{
				pmed_reader_fail(&r, "label is not valid text in the server encoding");
				deserial_fail(&err);
			}
			c->text_off[slot] = arena_add(st, s);
			pfree(s);
		}
		else if (!pmed_get_f64(&r, &c->y[slot]))
			deserial_fail(&err);
		st->n_rows++;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (!pmed_reader_done(&r))
		deserial_fail(&err);
	return st;
}

Datum
train_deserialfn(PG_FUNCTION_ARGS)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "train_deserialfn called in non-aggregate context");
	PG_RETURN_POINTER(state_deserialize(PG_GETARG_BYTEA_PP(0)));
}

/* ---- final: canonical order, classes, fit, encode ---- */

typedef struct SortRow
{
	const double *x;
	double		y;
	const char *label;			/* text labels */
} SortRow;

/* Label, then the feature bytes; arg points to the feature count. */
static int
compare_rows(const void *a, const void *b, void *arg)
{
	const SortRow *ra = a;
	const SortRow *rb = b;
	int			c;

	if (ra->label)
	{
		c = strcmp(ra->label, rb->label);
		if (c != 0)
			return c;
	}
	else if (ra->y != rb->y)
		return ra->y < rb->y ? -1 : 1;
	/* Bytewise on the features: a total order even with NaN (missing). */
	c = memcmp(ra->x, rb->x, sizeof(double) * *(const int *) arg);
	return c;
}

static char *
class_text(PmedLabelKind kind, double v)
{
	if (kind == PMED_LABEL_BOOL)
		return pstrdup(v != 0 ? "true" : "false");
	if (kind == PMED_LABEL_INT)
		return psprintf("%.0f", v);
	return DatumGetCString(DirectFunctionCall1(float8out, Float8GetDatum(v)));
}

Datum
pmed_train_finalfn(FunctionCallInfo fcinfo, const PmedFamily *family)
{
	TrainState *st = PG_ARGISNULL(0) ? NULL : (TrainState *) PG_GETARG_POINTER(0);
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext work;
	Jsonb	   *options = NULL;
	SortRow    *rows;
	int64		n;
	int			p;
	double	   *x,
			   *y;
	PmedSchema	schema = {0};
	PmedDataset ds = {0};
	PmedWriter	algo,
				out;
	PmedError	err = {0};
	StringInfoData meta;
	double		t0;
	bytea	   *result;
	int			n_names;
	char	  **names;
	char	   *positive;

	if (st == NULL)
		PG_RETURN_NULL();		/* no input rows at all, as for avg() */
	if (st->n_rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no rows to train on"),
				 errdetail("All %lld input rows had a NULL feature array or a NULL label.",
						   (long long) st->rows_skipped)));

	/* Never modify the state: the final function may run again. */
	work = AllocSetContextCreate(caller, "pmed training", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(work);

	if (st->options_json)
		options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(st->options_json)));

	n = st->n_rows;
	p = st->n_features;
	rows = palloc_extended(sizeof(SortRow) * n, MCXT_ALLOC_HUGE);
	{
		int64		i = 0;

		for (RowChunk *c = st->head; c != NULL; c = c->next)
			for (int k = 0; k < c->n; k++, i++)
			{
				rows[i].x = c->x + (size_t) k * p;
				rows[i].y = c->y[k];
				rows[i].label = st->label_kind == PMED_LABEL_TEXT ?
					st->arena.data + c->text_off[k] : NULL;
			}
	}
	qsort_arg(rows, n, sizeof(SortRow), compare_rows, &p);
	CHECK_FOR_INTERRUPTS();

	schema.task = resolve_task(options, st->label_kind, family);
	schema.label_kind = st->label_kind;
	schema.n_features = p;
	schema.positive = -1;
	schema.rows_used = n;
	schema.rows_skipped = st->rows_skipped;

	x = palloc_extended(sizeof(double) * n * p, MCXT_ALLOC_HUGE);
	y = palloc_extended(sizeof(double) * n, MCXT_ALLOC_HUGE);
	if (schema.task == PMED_TASK_CLASSIFICATION)
	{
		/* Rows are sorted by label: classes are the runs, ascending. */
		int			n_classes = 0;

		schema.classes = palloc(sizeof(char *) * Min(n, PMED_MAX_CLASSES + 1));
		for (int64 i = 0; i < n; i++)
		{
			bool		new_class = (i == 0) ||
				(rows[i].label ? strcmp(rows[i].label, rows[i - 1].label) != 0
				 : rows[i].y != rows[i - 1].y);

			if (new_class)
			{
				if (n_classes == PMED_MAX_CLASSES)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("too many classes"),
							 errdetail("At most %d distinct labels are supported.", PMED_MAX_CLASSES)));
				schema.classes[n_classes++] = rows[i].label ? pstrdup(rows[i].label)
					: class_text(st->label_kind, rows[i].y);
			}
			y[i] = n_classes - 1;
		}
		if (n_classes < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("only one class in the training rows: %s", schema.classes[0]),
					 errdetail("Classification needs at least two distinct labels.")));
		schema.n_classes = n_classes;

		positive = pmed_option_string(options, "positive");
		if (positive != NULL)
		{
			for (int k = 0; k < n_classes; k++)
				if (strcmp(schema.classes[k], positive) == 0)
					schema.positive = k;
			if (schema.positive < 0)
				pmed_option_error("positive", psprintf("\"%s\" is not one of the training labels.", positive));
		}
		else if (n_classes == 2)
			schema.positive = 1;	/* true, or the greatest label */
	}
	else
	{
		if (pmed_option_present(options, "positive"))
			pmed_option_error("positive", "A positive class only applies to classification.");
		for (int64 i = 0; i < n; i++)
			y[i] = rows[i].y;
	}
	for (int64 i = 0; i < n; i++)
		memcpy(x + i * p, rows[i].x, sizeof(double) * p);
	pfree(rows);

	names = pmed_option_text_array(options, "feature_names", &n_names);
	if (names != NULL)
	{
		if (n_names != p)
			pmed_option_error("feature_names",
							  psprintf("It names %d features but the rows have %d.", n_names, p));
		schema.feature_names = names;
	}

	ds.n_rows = n;
	ds.n_features = p;
	ds.x = x;
	ds.y = y;
	ds.n_classes = schema.n_classes;

	initStringInfo(&meta);
	appendStringInfoString(&meta, "{\"options\": ");
	appendStringInfoString(&meta, st->options_json ? st->options_json : "{}");
	pmed_writer_init(&algo);
	t0 = pmed_now_seconds();
	family->fit(&ds, &schema, options, &algo, &meta);
	schema.train_seconds = pmed_now_seconds() - t0;
	appendStringInfoChar(&meta, '}');

	if (pmed_model_encode(&out, family->kind, &schema, meta.data, &algo, &err) != PMED_OK)
		pmed_report(&err);

	MemoryContextSwitchTo(caller);
	result = pmed_writer_to_bytea(&out);
	MemoryContextDelete(work);
	PG_RETURN_BYTEA_P(result);
}

/*
 * ---- Partial states as values: train on each shard, merge anywhere ----
 *
 * pmed.train_partial(features, label [, options]) returns the serialized
 * training state of its rows (the bytes parallel workers and Citus ship);
 * pmed.train_from_partials(partial, family) merges such states, from any
 * number of servers, and fits the named family.  The result is the model
 * that training on all the rows at once gives.
 */

static const PmedFamily partial_family = {
	.kind = 0,
	.name = "partial",
	.option_keys = NULL,		/* checked when the partials are merged */
	.classification = true,
	.regression = true,
};

PG_FUNCTION_INFO_V1(train_partial_transfn);
PG_FUNCTION_INFO_V1(train_partial_finalfn);
PG_FUNCTION_INFO_V1(train_merge_transfn);
PG_FUNCTION_INFO_V1(train_merge_finalfn);

Datum
train_partial_transfn(PG_FUNCTION_ARGS)
{
	return pmed_train_transfn(fcinfo, &partial_family);
}

Datum
train_partial_finalfn(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(state_serialize((TrainState *) PG_GETARG_POINTER(0)));
}

Datum
train_merge_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext old;
	TrainState *st = PG_ARGISNULL(0) ? NULL : (TrainState *) PG_GETARG_POINTER(0);
	TrainState *part;
	const PmedFamily *family;
	char	   *name;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "train_from_partials called in non-aggregate context");
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model family must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	family = pmed_family_for_name(name);
	if (family == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown model family \"%s\"", name),
				 errhint("Use \"baseline\", \"svm\" or \"forest\".")));
	if (st != NULL && st->merge_family != family)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model family must be the same for every row")));
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);

	/* Decode (and validate) in the per-row context, then append. */
	part = state_deserialize(PG_GETARG_BYTEA_PP(1));
	old = MemoryContextSwitchTo(aggcontext);
	if (st == NULL)
	{
		st = state_create(part->label_kind);
		st->merge_family = family;
	}
	state_append(st, part);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

Datum
train_merge_finalfn(PG_FUNCTION_ARGS)
{
	TrainState *st = PG_ARGISNULL(0) ? NULL : (TrainState *) PG_GETARG_POINTER(0);
	const PmedFamily *family;
	Jsonb	   *options = NULL;

	if (st == NULL)
		PG_RETURN_NULL();
	family = st->merge_family;
	/* The checks the family's own aggregate makes on its first row. */
	if (st->options_json)
		options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(st->options_json)));
	pmed_options_check_keys(options, family->option_keys, family->name);
	pmed_validate_common_options(options);
	(void) resolve_task(options, st->label_kind, family);
	if (family->validate_options)
		family->validate_options(options);
	return pmed_train_finalfn(fcinfo, family);
}
