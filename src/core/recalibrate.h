/*
 * recalibrate.h - recalibration of a binary classifier's probability
 * without retraining: a monotone map from the model's own probability of
 * the positive class to a recalibrated one, stored in an optional model
 * section (tag "RCAL") after the family payload.  Family-independent: the
 * section only needs the schema to be a binary classification with a
 * positive class.
 *
 * Section layout (little-endian):
 *   u8  method (1 platt, 2 isotonic)
 *   u64 rows used, u64 positives among them (0 < positives < rows)
 *   i64 recalibration time, microseconds since 1970-01-01 UTC
 *   platt:    f64 clip, f64 slope, f64 intercept:
 *             p' = 1 / (1 + exp(-(intercept + slope * logit(p)))) with p clipped
 *             to [clip, 1 - clip], clip = 1 / (2 (rows + 1)) at fitting time:
 *             a probability of 0 or 1 (a forest's unanimous vote) becomes the
 *             smallest one the recalibration rows can resolve
 *   isotonic: u32 knots (1..PMED_RECAL_MAX_KNOTS), f64 x[knots] strictly
 *             increasing in [0, 1], f64 y[knots] non-decreasing in [0, 1]:
 *             flat outside [x0, x_last], linear between knots (the function
 *             scikit-learn's IsotonicRegression(out_of_bounds="clip") predicts)
 */
#ifndef PMED_RECALIBRATE_H
#define PMED_RECALIBRATE_H

#include "json.h"
#include "model.h"

#define PMED_TAG_RECAL			PMED_TAG('R', 'C', 'A', 'L')
#define PMED_RECAL_PLATT		1
#define PMED_RECAL_ISOTONIC		2
#define PMED_RECAL_MAX_KNOTS	100000

typedef struct PmedRecalibration
{
	uint8_t		method;
	uint64_t	rows_used;
	uint64_t	positives;
	int64_t		recalibrated_at;	/* microseconds since the Unix epoch, UTC */
	double		clip;			/* platt: p clipped to [clip, 1 - clip], 0 < clip < 0.5 */
	double		slope;
	double		intercept;
	uint32_t	n_knots;		/* isotonic */
	double	   *knot_x;
	double	   *knot_y;
} PmedRecalibration;

/* The recalibrated probability of a model probability p in [0, 1]. */
double		pmed_recal_apply(const PmedRecalibration *r, double p);

/*
 * Fit on n rows sorted by p ascending (then y), p in [0, 1], y 0/1, with
 * both classes present.  Platt: Platt's sigmoid on logit(p) (p clipped) (regularised
 * targets, Lin-Lin-Weng Newton).  Isotonic: pool adjacent violators on the
 * distinct values of p (ties pooled first), knots at each block's first and
 * last distinct p; PMED_ERR_LIMIT when more than max_knots knots.
 * r->method, rows_used and positives are set; recalibrated_at is not.
 */
PmedStatus	pmed_recal_fit(int method, int64_t n, const double *p, const uint8_t *y,
						   uint32_t max_knots, PmedRecalibration *r, PmedError *err);

/* Section contents (without tag and length). */
void		pmed_recal_write(PmedWriter *w, const PmedRecalibration *r);
/* Reads and validates the contents; NULL (reader failed) when corrupt. */
PmedRecalibration *pmed_recal_read(PmedReader *r);

/* CRC32C of the fitted parameters (method and map, not the counts or time). */
uint32_t	pmed_recal_crc(const PmedRecalibration *r);

/* model_info's "recalibration" object (the value, key written by the caller). */
void		pmed_recal_info(PmedJson *j, const PmedRecalibration *r);

/*
 * A copy of the encoded model data[len] (valid: decoded before) with its
 * recalibration section replaced by r, or removed when r is NULL.  The
 * container header (length, CRC32C) is rewritten; schema, metadata and
 * family payload are copied byte for byte.
 */
PmedStatus	pmed_model_with_recalibration(const void *data, size_t len,
										  const PmedRecalibration *r, PmedWriter *out,
										  PmedError *err);

#endif
