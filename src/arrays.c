/*
 * arrays.c - reading the SQL array arguments of pmed functions: float8[]
 * feature vectors (NULL element = missing) and bigint[] drug or item lists.
 */
#include "pmed.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"

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

int
pmed_feature_array_length(ArrayType *arr)
{
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
	return ARR_DIMS(arr)[0];
}

int64 *
pmed_bigint_array(ArrayType *arr, size_t *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int			count;
	int64	   *out;
	size_t		m = 0;

	if (ARR_ELEMTYPE(arr) != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("drug and item lists must be bigint arrays")));
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &count);
	out = palloc(sizeof(int64) * Max(count, 1));
	for (int i = 0; i < count; i++)
		if (!nulls[i])
			out[m++] = DatumGetInt64(elems[i]);
	*n = m;
	return out;
}

/*
 * A signal or sequence argument (the neural families): a 1-D float8[] is
 * `steps` values of one feature; a 2-D float8[][] is steps x features, or,
 * with channels_first (cnn), channels x steps, transposed here so the
 * result is always step-major: out[t * width + f].  NULL elements become
 * NAN (missing); NaN/Infinity, empty, 3-D or all-NULL arrays are an ERROR
 * 22023; more than max_steps steps or max_width features 54000.  Returns a
 * palloc'd array.
 */
double *
pmed_sequence_array(ArrayType *arr, bool channels_first, int max_steps, int max_width,
					int *steps, int *width)
{
	int			ndim = ARR_NDIM(arr);
	int			rows,
				cols,
				n,
				present;
	double	   *flat,
			   *out;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("signals and sequences must be float8 arrays")));
	if (ndim == 0 || ArrayGetNItems(ndim, ARR_DIMS(arr)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a signal or sequence must not be an empty array")));
	if (ndim > 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a signal or sequence must be a one- or two-dimensional array, not %d-dimensional",
						ndim),
				 errdetail("Use float8[] for one channel, float8[][] for %s.",
						   channels_first ? "channels x samples" : "steps x features")));
	rows = ARR_DIMS(arr)[0];
	cols = ndim == 2 ? ARR_DIMS(arr)[1] : 1;
	/* a 1-D array is one channel (cnn) or one feature per step (rnn) */
	if (ndim == 1 || !channels_first)
	{
		*steps = rows;
		*width = cols;
	}
	else
	{
		*steps = cols;
		*width = rows;
	}
	if (*steps > max_steps)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("signal or sequence too long: %d steps", *steps),
				 errdetail("At most %d steps are supported.", max_steps)));
	if (*width > max_width)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many features per step: %d", *width),
				 errdetail("At most %d features (channels) are supported.", max_width)));
	n = rows * cols;
	flat = palloc(sizeof(double) * n);
	present = pmed_copy_features(arr, n, flat);
	if (present == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a signal or sequence has no values: all %d are NULL", n),
				 errhint("Leave such rows out with WHERE.")));
	if (ndim == 1 || !channels_first)
		return flat;
	out = palloc(sizeof(double) * n);
	for (int c = 0; c < rows; c++)
		for (int t = 0; t < cols; t++)
			out[(size_t) t * rows + c] = flat[(size_t) c * cols + t];
	pfree(flat);
	return out;
}

/*
 * The per-row static values of a cnn or rnn (float8[], one dimension, 1 to
 * max_width elements): NULL elements become NAN (missing); NaN/Infinity,
 * empty or multi-dimensional arrays are an ERROR 22023.  *width gets the
 * length.  Returns a palloc'd array.
 */
double *
pmed_statics_array(ArrayType *arr, int max_width, int *width)
{
	int			n;
	double	   *out;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("static values must be a float8 array")));
	if (ARR_NDIM(arr) != 1 || ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("static values must be a non-empty one-dimensional array")));
	n = ARR_DIMS(arr)[0];
	if (n > max_width)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many static values: %d", n),
				 errdetail("At most %d static values are supported.", max_width)));
	out = palloc(sizeof(double) * n);
	{
		bits8	   *nulls = ARR_NULLBITMAP(arr);
		const double *src = (const double *) ARR_DATA_PTR(arr);

		for (int i = 0; i < n; i++)
		{
			if (nulls && !(nulls[i / 8] & (1 << (i % 8))))
			{
				out[i] = NAN;
				continue;
			}
			if (!isfinite(*src))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("static value %d is %s", i + 1, isnan(*src) ? "NaN" : "infinite"),
						 errhint("Pass NULL for a missing value.")));
			out[i] = *src++;
		}
	}
	*width = n;
	return out;
}
