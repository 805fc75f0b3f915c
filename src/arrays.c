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
