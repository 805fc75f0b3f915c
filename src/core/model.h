/*
 * model.h - what every supervised model shares: the training data handed
 * to a family's fit function, and the schema section stored in each model
 * (task, label kind, classes, feature names, row counts).
 */
#ifndef PMED_MODEL_H
#define PMED_MODEL_H

#include "codec.h"

typedef enum PmedTask
{
	PMED_TASK_CLASSIFICATION = 1,
	PMED_TASK_REGRESSION = 2,
	PMED_TASK_RECOMMENDATION = 3
} PmedTask;

typedef enum PmedLabelKind
{
	PMED_LABEL_NONE = 0,		/* recommenders and other label-less models */
	PMED_LABEL_BOOL = 1,
	PMED_LABEL_INT = 2,
	PMED_LABEL_TEXT = 3,
	PMED_LABEL_FLOAT = 4
} PmedLabelKind;

/* Limits a model never exceeds; a decoder rejects anything larger. */
#define PMED_MAX_FEATURES	100000
#define PMED_MAX_CLASSES	10000

/*
 * Training data in canonical row order.  Missing feature values are NAN
 * (the glue rejects NaN input, so NAN inside the core always means NULL).
 */
typedef struct PmedDataset
{
	int64_t		n_rows;
	int			n_features;
	const double *x;			/* n_rows * n_features, row-major */
	const double *y;			/* class index 0..n_classes-1, or the value */
	int			n_classes;		/* 0 for regression */
} PmedDataset;

typedef struct PmedSchema
{
	uint8_t		task;			/* PmedTask */
	uint8_t		label_kind;		/* PmedLabelKind */
	uint32_t	n_features;
	uint32_t	n_classes;
	char	  **classes;		/* text form of each class, ascending order */
	int32_t		positive;		/* index of the positive class, or -1 */
	char	  **feature_names;	/* NULL or n_features names */
	uint64_t	rows_used;
	uint64_t	rows_skipped;
	double		train_seconds;
} PmedSchema;

void		pmed_schema_write(PmedWriter *w, const PmedSchema *s);
/* Reads and validates the schema section contents (not the tag). */
bool		pmed_schema_read(PmedReader *r, PmedSchema *s);

/* A decoded model: container fields, schema, metadata JSON, family part. */
typedef struct PmedModel
{
	uint16_t	kind;
	uint16_t	version;
	uint32_t	crc;
	size_t		size;			/* encoded bytes */
	uint32_t	algo_crc;		/* CRC32C of the family payload: the learned parameters */
	PmedSchema	schema;
	char	   *meta_json;		/* a JSON object, written by the family */
	void	   *algo;			/* family-specific decoded payload */
	double	   *work;			/* scratch of the family's predict (svm), or NULL */
	/* optional recalibration section after the payload (recalibrate.h) */
	const uint8_t *recal_bytes;	/* its contents, or NULL when absent */
	size_t		recal_len;
	struct PmedRecalibration *recal;	/* decoded by pmed_model_decode, or NULL */
	/*
	 * Named features (encoding.h): the ENCD section, or NULL for a model
	 * trained on float8[] features.
	 */
	struct PmedEncoding *encoding;
} PmedModel;

/*
 * Write a whole model: container, schema, metadata and the family payload
 * (already encoded in algo).  The result is in out->buf / out->len.
 */
PmedStatus	pmed_model_encode(PmedWriter *out, PmedModelKind kind, const PmedSchema *schema,
							  const char *meta_json, const PmedWriter *algo, PmedError *err);

/*
 * The same with an ENCD section (the encoding of named features; NULL
 * writes none) between META and ALGO.
 */
PmedStatus	pmed_model_encode_named(PmedWriter *out, PmedModelKind kind, const PmedSchema *schema,
									const char *meta_json, const struct PmedEncoding *enc,
									const PmedWriter *algo, PmedError *err);

/*
 * Open a model up to its family payload: on success *algo is a reader over
 * the ALGO section, which the family decodes and must consume completely.
 */
PmedStatus	pmed_model_decode_common(const void *data, size_t len, PmedModel *m,
									 PmedReader *algo, PmedError *err);

#endif
