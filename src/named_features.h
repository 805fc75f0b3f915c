/*
 * named_features.h - SQL values to a row of named values (core/encoding.h): a
 * jsonb object or a composite row becomes an array of PmedRawValue that the
 * training row store takes (pmed_rowstore_add) and the scoring encoder
 * takes (pmed_encoding_encode_row).
 */
#ifndef PMED_NAMED_FEATURES_H
#define PMED_NAMED_FEATURES_H

#include "pmed.h"

#include "access/htup.h"

#include "core/encoding.h"

/*
 * A decoded row.  The values point into the argument (jsonb strings) or
 * into memory allocated in the context current at decode time; reset that
 * context per row.
 */
typedef struct PmedFeatureRow
{
	int			n;
	PmedRawValue *values;
} PmedFeatureRow;

/*
 * A jsonb object: numbers, booleans, strings (categories), arrays of
 * strings or of integers (code lists; NULL elements are skipped) and null.
 * ERROR 22023 for a non-object, a nested object, an array of mixed or
 * nested types; 54000 for a string over PMED_ENC_MAX_LEVEL_BYTES.
 */
extern void pmed_features_from_jsonb(Jsonb *jb, PmedFeatureRow *row);

/*
 * How each attribute of a row type converts; build once per row type (cache
 * it in fn_extra: the glue of a predict function keeps it next to the model).
 */
typedef struct PmedRecordPlan PmedRecordPlan;

/*
 * A composite row (any row type): integer, float and numeric types are
 * numbers, boolean booleans, text/varchar/char/name/enum categories,
 * date/timestamp/timestamptz dates (days since 1970-01-01 UTC), arrays of
 * text-like or integer types code lists.  Domains convert as their base
 * type.  ERROR 22023 naming the column for any other type, for infinite
 * dates and for NaN or infinite numbers.  *plan is built (in mcxt) on the
 * first call and rebuilt when the row type changes.
 */
extern void pmed_features_from_record(HeapTupleHeader rec, PmedRecordPlan **plan,
									  MemoryContext mcxt, PmedFeatureRow *row);

/* Text of a raw value for explain's value column (palloc'd; NULL for NULL). */
extern char *pmed_raw_value_text(const PmedRawValue *v);

#endif
