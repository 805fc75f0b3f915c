/*
 * registry.c - maps a model kind to the family that decodes and uses it.
 */
#include "pmed.h"

/*
 * Families live in their own glue files; weak references let the registry
 * build before every family is linked in (an absent one is simply NULL).
 */
#pragma weak pmed_svm_family
#pragma weak pmed_forest_family
#pragma weak pmed_cf_family
#pragma weak pmed_content_family
#pragma weak pmed_interactions_family

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
