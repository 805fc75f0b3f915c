/*
 * decode.c - one entry that decodes a model of any kind: the container,
 * schema and metadata (model.c), then the family payload through the
 * family's core decoder, with the payload-versus-schema checks (task,
 * feature and class counts).  Used by the glue's model cache, by
 * pmed.model_info and by the fuzz harness alike.  Also model_info's JSON.
 */
#include "decode.h"

#include "baseline.h"
#include "cf.h"
#include "content.h"
#include "forest.h"
#include "interactions.h"
#include "nn.h"
#include "recalibrate.h"
#include "svm.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {
	"unknown", "baseline", "svm", "forest", "cf", "content", "interactions", "cnn", "rnn"
};

const char *
pmed_model_kind_name(int kind)
{
	return (kind >= 1 && kind <= PMED_KIND_MAX) ? kind_names[kind] : kind_names[0];
}

static bool
supervised(const PmedSchema *s)
{
	return s->task == PMED_TASK_CLASSIFICATION || s->task == PMED_TASK_REGRESSION;
}

/* The family payload, checked against the schema; NULL on corruption. */
static void *
decode_payload(PmedModel *m, PmedReader *algo, PmedError *err)
{
	const PmedSchema *s = &m->schema;

	switch (m->kind)
	{
		case PMED_KIND_BASELINE:
			if (!supervised(s))
				return pmed_reader_fail(algo, "baseline model with a recommendation schema"), NULL;
			return pmed_baseline_read(algo, s->n_classes);
		case PMED_KIND_SVM:
			{
				PmedSvmModel *svm = NULL;

				if (s->task != PMED_TASK_CLASSIFICATION)
				{
					pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: svm model is not a classifier");
					return NULL;
				}
				if (pmed_svm_read(algo, (int) s->n_features, (int) s->n_classes, &svm, err) != PMED_OK)
					return NULL;
				/* predict's scratch: the work rows, then the pair decisions */
				m->work = pmed_alloc_array(pmed_svm_work_size(svm) + (size_t) svm->n_pairs + 1,
										   sizeof(double));
				return svm;
			}
		case PMED_KIND_FOREST:
			if (!supervised(s))
				return pmed_reader_fail(algo, "forest model with a recommendation schema"), NULL;
			return pmed_forest_decode(algo, (int) s->n_features,
									  s->task == PMED_TASK_CLASSIFICATION ? (int) s->n_classes : 0,
									  err);
		case PMED_KIND_CF:
			if (s->task != PMED_TASK_RECOMMENDATION || s->n_features != 0)
				return pmed_reader_fail(algo, "cf model with a non-recommendation schema"), NULL;
			return pmed_cf_decode(algo, err);
		case PMED_KIND_CONTENT:
			{
				PmedContentModel *c;

				if (s->task != PMED_TASK_RECOMMENDATION)
					return pmed_reader_fail(algo, "content model with a non-recommendation schema"), NULL;
				c = pmed_content_decode(algo, err);
				if (c != NULL && c->n_features != s->n_features)
					return pmed_reader_fail(algo, "content feature count does not match the schema"), NULL;
				return c;
			}
		case PMED_KIND_INTERACTIONS:
			if (s->task != PMED_TASK_RECOMMENDATION || s->n_features != 0)
				return pmed_reader_fail(algo, "interactions model with a wrong schema"), NULL;
			return pmed_ddi_decode(algo, err);
		case PMED_KIND_CNN:
		case PMED_KIND_RNN:
			{
				PmedNnModel *nn = NULL;

				if (!supervised(s))
					return pmed_reader_fail(algo, "neural model with a recommendation schema"), NULL;
				if (!pmed_nn_decode(algo, &nn))
					return NULL;
				if (nn->arch != (m->kind == PMED_KIND_CNN ? PMED_NN_CNN : PMED_NN_GRU) ||
					nn->n_features != (int32_t) s->n_features ||
					(s->task == PMED_TASK_CLASSIFICATION ?
					 nn->n_classes != (int32_t) s->n_classes : nn->n_classes != 0))
				{
					pmed_nn_free(nn);
					return pmed_reader_fail(algo, "neural payload does not match the schema"), NULL;
				}
				return nn;
			}
		default:
			pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: unknown model kind %d", m->kind);
			return NULL;
	}
}

PmedStatus
pmed_model_decode(const void *data, size_t len, PmedModel **out, PmedError *err)
{
	PmedModel  *m = pmed_alloc(sizeof(PmedModel));
	PmedReader	algo;
	PmedStatus	st;

	*out = NULL;
	st = pmed_model_decode_common(data, len, m, &algo, err);
	if (st != PMED_OK)
		return st;
	m->algo = decode_payload(m, &algo, err);
	if (m->algo == NULL)
	{
		if (err->status == PMED_OK)
			pmed_fail(err, PMED_ERR_CORRUPT, "invalid pmed model: bad %s payload",
					  pmed_model_kind_name(m->kind));
		return err->status;
	}
	if (!pmed_reader_done(&algo))
		return err->status;
	if (m->recal_bytes != NULL)
	{
		PmedReader	rc;

		pmed_reader_init(&rc, m->recal_bytes, m->recal_len, err);
		if (m->schema.task != PMED_TASK_CLASSIFICATION || m->schema.n_classes != 2 ||
			m->schema.positive < 0)
			return pmed_reader_fail(&rc, "recalibration of a model that is not a binary classifier"),
				err->status;
		m->recal = pmed_recal_read(&rc);
		if (m->recal == NULL || !pmed_reader_done(&rc))
			return err->status;
	}
	*out = m;
	return PMED_OK;
}

static const char *const task_names[] = {"unknown", "classification", "regression", "recommendation"};
static const char *const label_names[] = {"none", "boolean", "integer", "text", "float"};

PmedStatus
pmed_model_info(const PmedModel *m, PmedJson *j, PmedError *err)
{
	const PmedSchema *s = &m->schema;
	char		hex[16];

	pmed_json_begin_object(j);
	pmed_json_kv_string(j, "kind", pmed_model_kind_name(m->kind));
	pmed_json_kv_uint(j, "format_version", m->version);
	pmed_json_kv_uint(j, "size_bytes", m->size);
	snprintf(hex, sizeof(hex), "%08x", m->crc);
	pmed_json_kv_string(j, "crc32c", hex);
	snprintf(hex, sizeof(hex), "%08x", m->algo_crc);
	pmed_json_kv_string(j, "parameters_crc32c", hex);
	pmed_json_kv_string(j, "task", task_names[s->task]);
	pmed_json_kv_string(j, "label_type", label_names[s->label_kind]);
	pmed_json_kv_uint(j, "n_features", s->n_features);
	if (s->feature_names)
		pmed_json_kv_strings(j, "feature_names", s->feature_names, s->n_features);
	if (s->task == PMED_TASK_CLASSIFICATION)
	{
		pmed_json_kv_strings(j, "classes", s->classes, s->n_classes);
		pmed_json_kv_string(j, "positive_class", s->positive >= 0 ? s->classes[s->positive] : NULL);
	}
	pmed_json_kv_uint(j, "rows_used", s->rows_used);
	pmed_json_kv_uint(j, "rows_skipped", s->rows_skipped);
	pmed_json_key(j, "training_seconds");
	pmed_json_fixed(j, s->train_seconds, 6);
	/* the family's metadata; a key the schema already gave is not repeated */
	if (pmed_json_members(j, m->meta_json, true, err) != PMED_OK)
		return err->status;
	if (m->recal != NULL)
	{
		pmed_json_key(j, "recalibration");
		pmed_recal_info(j, m->recal);
	}
	pmed_json_end_object(j);
	return pmed_json_finish(j, err);
}
