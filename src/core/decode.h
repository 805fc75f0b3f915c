/*
 * decode.h - decoding a model of any kind (the one entry the glue, model_info
 * and the fuzz harness use), and the JSON that describes a model.
 */
#ifndef PMED_DECODE_H
#define PMED_DECODE_H

#include "json.h"
#include "model.h"

/* "svm", "forest", ... for a model kind; "unknown" otherwise. */
const char *pmed_model_kind_name(int kind);

/*
 * Decode and validate a whole model: container, schema, metadata and the
 * family payload, with the payload checked against the schema (task,
 * feature and class counts).  *out->algo is the family's core model
 * (PmedBaseline, PmedSvmModel, PmedForest, PmedCfModel, PmedContentModel,
 * PmedInteractions).  PMED_ERR_CORRUPT on any inconsistency.
 */
PmedStatus	pmed_model_decode(const void *data, size_t len, PmedModel **out, PmedError *err);

/*
 * Everything a model says about itself as one JSON object: container and
 * schema fields, then the family's metadata members (a metadata key that
 * repeats a schema key, as "classes" in SVM models written before issue 8,
 * is left out).  No key appears twice.
 */
PmedStatus	pmed_model_info(const PmedModel *m, PmedJson *j, PmedError *err);

#endif
