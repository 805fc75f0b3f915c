/*
 * baseline.c - class priors or the mean.
 */
#include "baseline.h"
#include "exactsum.h"

#include <math.h>

PmedBaseline *
pmed_baseline_fit(const PmedDataset *ds)
{
	PmedBaseline *b = pmed_alloc(sizeof(PmedBaseline));

	if (ds->n_classes > 0)
	{
		b->n_values = (uint32_t) ds->n_classes;
		b->values = pmed_alloc_array(ds->n_classes, sizeof(double));
		for (int64_t i = 0; i < ds->n_rows; i++)
			b->values[(int) ds->y[i]] += 1.0;
		for (int k = 0; k < ds->n_classes; k++)
			b->values[k] /= (double) ds->n_rows;
	}
	else
	{
		/*
		 * The exact sum rounded once: the same bits in any row order, and
		 * the same as a statistics state's sum (pmed_baseline_from_stats).
		 */
		PmedExactSum sum = PMED_EXACTSUM_INIT;

		for (int64_t i = 0; i < ds->n_rows; i++)
			pmed_exactsum_add(&sum, ds->y[i]);
		b->n_values = 1;
		b->values = pmed_alloc(sizeof(double));
		b->values[0] = pmed_exactsum_value(&sum) / (double) ds->n_rows;
		pmed_exactsum_reset(&sum);
	}
	return b;
}

PmedBaseline *
pmed_baseline_from_stats(const int64_t *counts, int n_classes, int64_t n, const PmedExactSum *sum)
{
	PmedBaseline *b = pmed_alloc(sizeof(PmedBaseline));

	if (n_classes > 0)
	{
		b->n_values = (uint32_t) n_classes;
		b->values = pmed_alloc_array(n_classes, sizeof(double));
		for (int k = 0; k < n_classes; k++)
			b->values[k] = (double) counts[k] / (double) n;
	}
	else
	{
		b->n_values = 1;
		b->values = pmed_alloc(sizeof(double));
		b->values[0] = pmed_exactsum_value(sum) / (double) n;
	}
	return b;
}

void
pmed_baseline_write(PmedWriter *w, const PmedBaseline *b)
{
	pmed_put_u32(w, b->n_values);
	pmed_put_f64_array(w, b->values, b->n_values);
}

PmedBaseline *
pmed_baseline_read(PmedReader *r, uint32_t n_classes)
{
	PmedBaseline *b = pmed_alloc(sizeof(PmedBaseline));
	uint32_t	expected = n_classes > 0 ? n_classes : 1;
	double		total = 0;

	if (!pmed_get_u32(r, &b->n_values))
		return NULL;
	if (b->n_values != expected)
	{
		pmed_reader_fail(r, "baseline value count does not match the classes");
		return NULL;
	}
	if (!pmed_get_f64_array(r, b->n_values, &b->values))
		return NULL;
	if (n_classes > 0)
	{
		for (uint32_t k = 0; k < n_classes; k++)
		{
			if (b->values[k] < 0 || b->values[k] > 1)
			{
				pmed_reader_fail(r, "class prior out of range");
				return NULL;
			}
			total += b->values[k];
		}
		if (fabs(total - 1.0) > 1e-9)
		{
			pmed_reader_fail(r, "class priors do not sum to one");
			return NULL;
		}
	}
	return b;
}

double
pmed_baseline_predict(const PmedBaseline *b, bool classification)
{
	uint32_t	best = 0;

	if (!classification)
		return b->values[0];
	for (uint32_t k = 1; k < b->n_values; k++)
		if (b->values[k] > b->values[best])
			best = k;
	return (double) best;
}
