/*
 * registry.c - maps a model kind to the family that decodes and uses it.
 */
#include "pmed.h"

static const PmedFamily *const families[] = {
	&pmed_baseline_family,
	&pmed_svm_family,
	&pmed_forest_family,
	&pmed_cf_family,
	&pmed_content_family,
	&pmed_interactions_family,
	&pmed_cnn_family,
	&pmed_rnn_family,
};

const PmedFamily *
pmed_family_for_kind(int kind)
{
	for (size_t i = 0; i < lengthof(families); i++)
		if ((int) families[i]->kind == kind)
			return families[i];
	return NULL;
}

/* A model family by name. */
const PmedFamily *
pmed_family_for_name(const char *name)
{
	for (size_t i = 0; i < lengthof(families); i++)
		if (strcmp(families[i]->name, name) == 0)
			return families[i];
	return NULL;
}
