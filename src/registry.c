/*
 * registry.c - maps a model kind to the family that decodes and uses it.
 */
#include "pmed.h"

const PmedFamily *
pmed_family_for_kind(int kind)
{
	static const PmedFamily *const families[] = {
		&pmed_baseline_family,
		&pmed_svm_family,
		&pmed_forest_family,
		&pmed_cf_family,
		&pmed_content_family,
		&pmed_interactions_family,
	};

	for (size_t i = 0; i < lengthof(families); i++)
		if (families[i] != NULL && (int) families[i]->kind == kind)
			return families[i];
	return NULL;
}
