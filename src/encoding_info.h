/*
 * encoding_info.h - the learned input schema as jsonb (for model_info).
 */
#ifndef PMED_ENCODING_INFO_H
#define PMED_ENCODING_INFO_H

#include "named_features.h"

/*
 * {"categories": "one-hot" | "native", "min_category_count", "encoded_features",
 *  "unseen_levels", "unknown_names", "dates", "columns": [{"name", "kind",
 *  "missing_rows", "encoded_from" (1-based dense index), "encoded_width",
 *  and for categories and codes "levels_kept", "levels_pooled", "other_rows",
 *  "levels" (at most max_levels), "levels_not_shown"}]}
 */
extern Jsonb *pmed_encoding_info(const PmedEncoding *enc, int max_levels);

#endif
