/*
 * pmed.h - what the PostgreSQL glue files share: error reporting for core
 * results, option parsing, the model-family registry, the decoded-model
 * cache and the shared training aggregate.
 */
#ifndef PMED_H
#define PMED_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "core/decode.h"

/* PostgreSQL 18 deprecates pg_attribute_noreturn() for pg_noreturn. */
#if PG_VERSION_NUM >= 180000 && !defined(pg_attribute_noreturn)
#define pg_attribute_noreturn() __attribute__((noreturn))
#endif

/* ---- errors (errors.c) ---- */

/* Raise the error a core call recorded, with the SQLSTATE of its status. */
extern void pmed_report(const PmedError *err) pg_attribute_noreturn();

/* ---- options (options.c) ---- */

/* Keys every training aggregate accepts besides its own. */
#define PMED_COMMON_OPTION_KEYS "seed", "feature_names", "positive", "task", \
	"search", "cv", "metric"	/* cross-validated search: search.c */

/* ERROR 22023 for a key not in accepted (NULL-terminated); lists them. */
extern void pmed_options_check_keys(Jsonb *options, const char *const *accepted,
									const char *what);
/* The value of a top-level key, or NULL when absent (or options NULL). */
extern JsonbValue *pmed_option_get(Jsonb *options, const char *key, JsonbValue *buf);
extern bool pmed_option_present(Jsonb *options, const char *key);
/* Numbers must lie in [min, max]; ERROR 22023 naming the key otherwise. */
extern double pmed_option_number(Jsonb *options, const char *key, double def,
								 double min, double max);
extern int	pmed_option_int(Jsonb *options, const char *key, int def, int min, int max);
extern bool pmed_option_bool(Jsonb *options, const char *key, bool def);
/* A string that must be one of choices (NULL-terminated); returns def when absent. */
extern const char *pmed_option_choice(Jsonb *options, const char *key, const char *def,
									  const char *const *choices);
/* Any string (palloc'd), or NULL when absent; ERROR if not a string. */
extern char *pmed_option_string(Jsonb *options, const char *key);
/* An array of strings, or NULL when absent; *n gets its length. */
extern char **pmed_option_text_array(Jsonb *options, const char *key, int *n);
/* "seed": integer, default 0. */
extern uint64 pmed_option_seed(Jsonb *options);
/* ERROR 22023 "invalid value for option \"key\"" with a detail. */
extern void pmed_option_error(const char *key, const char *detail) pg_attribute_noreturn();

/* ---- model families (registry.c) ---- */

/*
 * The typed columns of the training row store (train_state.c).  A family
 * lists the columns its aggregate takes, in SQL argument order after the
 * state; an optional trailing jsonb argument carries the options.
 */
typedef enum PmedColumn
{
	PMED_COL_FEATURES = 1,		/* float8[]: n_features values per row, NAN = missing */
	PMED_COL_LABEL,				/* anyelement: a number, or text (class names) */
	PMED_COL_ID,				/* bigint: patient (cf), first drug (interactions) */
	PMED_COL_ITEM,				/* bigint: item or drug */
	PMED_COL_WEIGHT,			/* float8 >= 0; 1 when the argument is left out */
	PMED_COL_SIGNAL,			/* float8[] or float8[][] channels x T (cnn): step-major rows */
	PMED_COL_SEQUENCE,			/* float8[][] steps x features (rnn): rows of any length */
	PMED_COL_STATICS			/* float8[]: n_static per-row values (cnn, rnn), NAN = missing */
} PmedColumn;

#define PMED_MAX_COLUMNS 4

/*
 * Options every family may accept, parsed by the training skeleton for the
 * keys in the family's option_keys.  Carried in the state and its bytes.
 */
typedef struct PmedCommonParams
{
	uint8		task;			/* PmedTask (supervised), or 0 */
	uint64		seed;			/* "seed", default 0 */
	char	   *positive;		/* "positive", or NULL */
	int			n_feature_names;
	char	  **feature_names;	/* "feature_names", or NULL */
	int			min_category_count; /* named features: "min_category_count", 0 = default */
} PmedCommonParams;

/*
 * A field of a family's parameter struct, for the state's serialized form:
 * written and read back (range-checked: the bytes are untrusted) by the
 * skeleton.  PMED_PARAM_BOOL fields are bool, _INT int, _INT64 int64_t,
 * _DOUBLE double.
 */
typedef enum PmedParamType
{
	PMED_PARAM_BOOL = 1,
	PMED_PARAM_INT,
	PMED_PARAM_INT64,
	PMED_PARAM_DOUBLE
} PmedParamType;

typedef struct PmedParamField
{
	PmedParamType type;
	size_t		offset;
	double		min;
	double		max;
} PmedParamField;

#define PMED_PARAM(type, structname, field, min, max) \
	{PMED_PARAM_##type, offsetof(structname, field), (min), (max)}

/* What the final-function skeleton hands a family's fit. */
typedef struct PmedTrainSet
{
	int64		n_rows;
	int			n_features;		/* FEATURES column width, 0 without */
	/*
	 * Supervised families: rows in canonical order (label, then feature
	 * bytes), y the class index or value.
	 */
	PmedDataset ds;
	const double *x;			/* FEATURES column, n_rows * n_features (= ds.x) */
	double	   *x_owned;		/* the same array: fit may overwrite it (svm scales in place) */
	const int64 *id;			/* ID column or NULL */
	const int64 *item;			/* ITEM column or NULL */
	const double *weight;		/* WEIGHT column or NULL */
	/*
	 * SIGNAL / SEQUENCE column (canonical order): row i has seq_len[i] steps
	 * of n_features values at seq_x + seq_offset[i] * n_features; NAN =
	 * missing.  NULL without that column.
	 */
	const int32 *seq_len;
	const int64 *seq_offset;
	const double *seq_x;
	/* STATICS column (canonical order): n_rows * n_static, NAN = missing; or NULL */
	int			n_static;
	const double *static_x;
	const char *options_text;	/* the options as given (jsonb text), or NULL */
	const PmedCommonParams *common;
	const void *params;			/* the family's parameter struct */
	const struct PmedEncoding *enc; /* named features: their encoding, else NULL */
} PmedTrainSet;

typedef struct PmedFamily
{
	PmedModelKind kind;
	const char *name;			/* "baseline", "svm", ... as in model_info */
	const char *const *option_keys; /* NULL-terminated, common keys included */
	bool		classification; /* supports classification */
	bool		regression;		/* supports regression */

	/* ---- training ---- */
	int			n_columns;
	PmedColumn	columns[PMED_MAX_COLUMNS];	/* SQL argument order */
	bool		features_complete;	/* NULL feature elements are an error */
	bool		allow_empty;	/* zero rows train a model (else 22023) */
	const char *null_detail;	/* "a NULL ..." for the no-rows error */
	/* the variant of this family that takes a STATICS column (same kind), or NULL */
	const struct PmedFamily *with_statics;

	/* Typed parameters: size, and the fields of its serialized form. */
	size_t		params_size;
	int			n_param_fields;
	const PmedParamField *param_fields;

	/*
	 * Read the options (NULL = none) into params, on the first row: defaults,
	 * ranges, combinations.  ERROR 22023 naming the option.  The option keys
	 * are checked before, and common holds the common options.
	 */
	void		(*parse_params) (Jsonb *options, const PmedCommonParams *common, void *params);

	/*
	 * Fit on data and write the ALGO payload to algo and the family's
	 * metadata members to meta (an open JSON object).  Report errors with
	 * ereport.  Called in a private memory context; schema is filled in
	 * (task, classes, feature names, row counts) and may be amended.
	 */
	void		(*fit) (const PmedTrainSet *data, PmedSchema *schema, PmedWriter *algo,
						PmedJson *meta);

	/* ---- using models ---- */

	/*
	 * Models are decoded by the core (pmed_model_decode, core/decode.c):
	 * m->algo is the family's core model.
	 */
	/*
	 * One row, x has schema.n_features values, NAN = missing.  Returns the
	 * class index (classification) or the value (regression).  NULL for
	 * families that do not predict rows (recommenders).
	 */
	double		(*predict) (const PmedModel *m, const double *x);
	/* Fill proba[n_classes]; false when the model has no probabilities. */
	bool		(*predict_proba) (const PmedModel *m, const double *x, double *proba);
	/* base + sum(contrib[0..p-1]) = the explained output.  May be NULL. */
	void		(*explain) (const PmedModel *m, const double *x, double *base, double *contrib);
	/* Per-feature importance, p values.  May be NULL. */
	void		(*importance) (const PmedModel *m, double *importance);

	/*
	 * Statistics instead of rows in the training state (train_stats.h), or
	 * NULL: the generic row store.
	 */
	const struct PmedStatsOps *stats;
} PmedFamily;

extern const PmedFamily *pmed_family_for_kind(int kind);
extern const PmedFamily *pmed_family_for_name(const char *name);

/* Model kinds a family glue file provides. */
extern const PmedFamily pmed_baseline_family;
extern const PmedFamily pmed_svm_family;
extern const PmedFamily pmed_forest_family;
extern const PmedFamily pmed_cf_family;
extern const PmedFamily pmed_content_family;
extern const PmedFamily pmed_interactions_family;
extern const PmedFamily pmed_cnn_family;
extern const PmedFamily pmed_rnn_family;

/*
 * Neural models (nn.c): a signal / sequence argument checked against the
 * model, as one buffer (x[0] = steps, then steps x n_features values);
 * pmed.explain's rows for such a model.
 */
extern const double *pmed_nn_input_arg(FunctionCallInfo fcinfo, int argno, const PmedModel *m);
extern Datum pmed_nn_explain_rows(FunctionCallInfo fcinfo, const PmedModel *m, const double *x);

/*
 * pmed.explain's rows for float8[] input (predict.c): base value, then each
 * feature's name, value (NaN: NULL) and contribution.
 */
extern Datum pmed_explain_rows(FunctionCallInfo fcinfo, int p, double base, char *const *names,
							   const double *value, const double *contribution);

/* ---- decoded models (model_cache.c) ---- */

/* "svm", "forest", ... for a model kind. */
extern const char *pmed_kind_name(int kind);

/* Decode a model (ERROR XX001 when invalid) in the current context. */
extern PmedModel *pmed_decode_model(bytea *raw);

/*
 * The decoded model of argument argno: cached per call site for the query
 * and per backend across queries (model_cache.c), so it is decoded once
 * however many rows or queries use it.
 */
extern const PmedModel *pmed_cached_model(FunctionCallInfo fcinfo, int argno);

/* ERROR 22023 unless the model is of one of the given kinds. */
extern void pmed_require_kind(const PmedModel *m, const char *function, int n_kinds,...);

/*
 * Features of argument argno checked against the model: length must equal
 * n_features, NULL elements become NAN (missing), NaN/Infinity is an ERROR.
 * The buffer is reused per call (lives in fn_extra).
 */
extern const double *pmed_features_arg(FunctionCallInfo fcinfo, int argno, const PmedModel *m);

/*
 * Named features (predict_named.c): argument argno (jsonb or a composite
 * row) encoded with the model's encoding into a buffer kept in *cachep (in
 * fn_mcxt); a float8[] argument is ERROR 22023.  When values is not NULL
 * it gets the decoded row (PmedFeatureRow *, for explain).
 */
extern const double *pmed_named_features_arg(FunctionCallInfo fcinfo, int argno,
											 const PmedModel *m, void **cachep, void *values);

/* feature_importance of a named-feature model: per input column (predict_named.c). */
extern void pmed_named_importance(FunctionCallInfo fcinfo, const PmedModel *m, const double *dense);

/* Class text of a class index, and the index of a label text (-1 if none). */
extern int	pmed_class_index(const PmedModel *m, const char *label);

/* ---- SQL array arguments (arrays.c) ---- */

/* Length of a 1-D float8 feature array; ERROR 22023 for empty or other shapes. */
extern int	pmed_feature_array_length(ArrayType *arr);
/*
 * Copy the n features of arr (length already checked) to dst: NULL elements
 * become NAN (missing), NaN or infinity is an ERROR.  Returns how many are present.
 */
extern int	pmed_copy_features(ArrayType *arr, int n, double *dst);
/* Non-NULL elements of a bigint[] (palloc'd); *n gets their count. */
extern int64 *pmed_bigint_array(ArrayType *arr, size_t *n);
/* A signal (channels_first) or sequence array, step-major (arrays.c). */
extern double *pmed_sequence_array(ArrayType *arr, bool channels_first, int max_steps,
								   int max_width, int *steps, int *width);
/* The static values of a cnn or rnn row (arrays.c). */
extern double *pmed_statics_array(ArrayType *arr, int max_width, int *width);

/* ---- training: row store, state, final skeleton (train_state.c) ---- */

extern Datum pmed_train_transfn(FunctionCallInfo fcinfo, const PmedFamily *family);
/* The first row's width sets *n_features (-1 until then: 54000 above
 * PMED_MAX_FEATURES); every later row must have it (22023). */
extern void pmed_check_feature_width(int *n_features, int width);
/* A numeric class label as text: true/false, an integer, or float8out's. */
extern char *pmed_class_text(PmedLabelKind kind, double v);

/* module.c: the memory budget of training (pmed.max_training_memory) */
extern void pmed_training_memory_check(MemoryContext context, Size request, const char *what);
extern void pmed_training_budget_begin(MemoryContext state_context, MemoryContext work);
extern void pmed_training_budget_end(void);
extern Datum pmed_train_finalfn(FunctionCallInfo fcinfo, const PmedFamily *family);

/* Define the SQL-callable transition and final functions of a family. */
#define PMED_TRAIN_AGGREGATE(sqlname, family) \
	PG_FUNCTION_INFO_V1(sqlname##_transfn); \
	Datum sqlname##_transfn(PG_FUNCTION_ARGS) { return pmed_train_transfn(fcinfo, &(family)); } \
	PG_FUNCTION_INFO_V1(sqlname##_finalfn); \
	Datum sqlname##_finalfn(PG_FUNCTION_ARGS) { return pmed_train_finalfn(fcinfo, &(family)); }

/* Seconds since some fixed point, for training times. */
extern double pmed_now_seconds(void);

/* Copy a finished writer into a new bytea. */
extern bytea *pmed_writer_to_bytea(const PmedWriter *w);

#endif
