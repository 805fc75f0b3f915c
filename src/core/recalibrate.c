/*
 * recalibrate.c - Platt and isotonic recalibration of a binary classifier's
 * probability, and the optional model section that stores it (layout in
 * recalibrate.h).
 */
#include "recalibrate.h"
#include "svm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double
clipped_logit(double p, double clip)
{
	if (p < clip)
		p = clip;
	else if (p > 1.0 - clip)
		p = 1.0 - clip;
	return log(p / (1.0 - p));
}

static double
sigmoid(double t)
{
	if (t >= 0)
		return 1.0 / (1.0 + exp(-t));
	else
	{
		double		e = exp(t);

		return e / (1.0 + e);
	}
}

double
pmed_recal_apply(const PmedRecalibration *r, double p)
{
	uint32_t	lo,
				hi;
	double		slope;

	if (isnan(p))
		return p;
	if (r->method == PMED_RECAL_PLATT)
		return sigmoid(r->intercept + r->slope * clipped_logit(p, r->clip));

	/* isotonic: flat outside the knots, linear between them (as numpy.interp) */
	if (p <= r->knot_x[0])
		return r->knot_y[0];
	if (p >= r->knot_x[r->n_knots - 1])
		return r->knot_y[r->n_knots - 1];
	lo = 0;
	hi = r->n_knots - 1;		/* knot_x[lo] < p < knot_x[hi] */
	while (hi - lo > 1)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (r->knot_x[mid] <= p)
			lo = mid;
		else
			hi = mid;
	}
	slope = (r->knot_y[hi] - r->knot_y[lo]) / (r->knot_x[hi] - r->knot_x[lo]);
	return slope * (p - r->knot_x[lo]) + r->knot_y[lo];
}

static PmedStatus
fit_platt(int64_t n, const double *p, const uint8_t *y, PmedRecalibration *r, PmedError *err)
{
	double	   *z;
	signed char *s;
	double		A,
				B;

	if (n > INT32_MAX)
		return pmed_fail(err, PMED_ERR_LIMIT, "too many rows for platt recalibration: %lld",
						 (long long) n);
	r->clip = 0.5 / ((double) n + 1.0);
	z = pmed_alloc_array((size_t) n, sizeof(double));
	s = pmed_alloc_array((size_t) n, 1);
	for (int64_t i = 0; i < n; i++)
	{
		z[i] = clipped_logit(p[i], r->clip);
		s[i] = y[i] ? 1 : -1;
	}
	/* P(+ | z) = 1 / (1 + exp(A z + B)) */
	pmed_svm_sigmoid_fit((int) n, z, s, &A, &B);
	pmed_free(z);
	pmed_free(s);
	if (!isfinite(A) || !isfinite(B))
		return pmed_fail(err, PMED_ERR_INVALID, "platt recalibration did not converge");
	r->slope = -A + 0.0;
	r->intercept = -B + 0.0;
	return PMED_OK;
}

static PmedStatus
fit_isotonic(int64_t n, const double *p, const uint8_t *y, uint32_t max_knots,
			 PmedRecalibration *r, PmedError *err)
{
	/* distinct values of p with their row count and positive count */
	double	   *ux = pmed_alloc_array((size_t) n, sizeof(double));
	double	   *uw = pmed_alloc_array((size_t) n, sizeof(double));
	double	   *uy = pmed_alloc_array((size_t) n, sizeof(double));
	/* PAV blocks as a stack: weight, sum, first and last distinct index */
	double	   *bw = pmed_alloc_array((size_t) n, sizeof(double));
	double	   *by = pmed_alloc_array((size_t) n, sizeof(double));
	int64_t    *bfirst = pmed_alloc_array((size_t) n, sizeof(int64_t));
	int64_t    *blast = pmed_alloc_array((size_t) n, sizeof(int64_t));
	int64_t		m = 0,
				nb = 0;
	uint64_t	knots = 0;

	for (int64_t i = 0; i < n; i++)
	{
		if (m > 0 && p[i] == ux[m - 1])
		{
			uw[m - 1] += 1;
			uy[m - 1] += y[i];
		}
		else
		{
			ux[m] = p[i];
			uw[m] = 1;
			uy[m] = y[i];
			m++;
		}
	}
	for (int64_t i = 0; i < m; i++)
	{
		if ((i & 0xFFFF) == 0)
			pmed_check_interrupts();
		bw[nb] = uw[i];
		by[nb] = uy[i];
		bfirst[nb] = blast[nb] = i;
		nb++;
		/* pool while the previous block's mean is not below this one's */
		while (nb > 1 && by[nb - 2] / bw[nb - 2] >= by[nb - 1] / bw[nb - 1])
		{
			bw[nb - 2] += bw[nb - 1];
			by[nb - 2] += by[nb - 1];
			blast[nb - 2] = blast[nb - 1];
			nb--;
		}
	}
	for (int64_t b = 0; b < nb; b++)
		knots += bfirst[b] == blast[b] ? 1 : 2;
	if (knots > max_knots)
	{
		pmed_fail(err, PMED_ERR_LIMIT,
				  "isotonic recalibration needs %llu steps, more than max_steps %u",
				  (unsigned long long) knots, max_knots);
		pmed_fail_detail(err, "Raise the option \"max_steps\" (at most %d), or use \"method\": \"platt\".",
						 PMED_RECAL_MAX_KNOTS);
		return err->status;
	}
	r->n_knots = (uint32_t) knots;
	r->knot_x = pmed_alloc_array(knots, sizeof(double));
	r->knot_y = pmed_alloc_array(knots, sizeof(double));
	knots = 0;
	for (int64_t b = 0; b < nb; b++)
	{
		double		v = by[b] / bw[b];

		r->knot_x[knots] = ux[bfirst[b]];
		r->knot_y[knots++] = v;
		if (blast[b] != bfirst[b])
		{
			r->knot_x[knots] = ux[blast[b]];
			r->knot_y[knots++] = v;
		}
	}
	pmed_free(ux);
	pmed_free(uw);
	pmed_free(uy);
	pmed_free(bw);
	pmed_free(by);
	pmed_free(bfirst);
	pmed_free(blast);
	return PMED_OK;
}

PmedStatus
pmed_recal_fit(int method, int64_t n, const double *p, const uint8_t *y,
			   uint32_t max_knots, PmedRecalibration *r, PmedError *err)
{
	uint64_t	positives = 0;

	memset(r, 0, sizeof(*r));
	for (int64_t i = 0; i < n; i++)
	{
		if (!(p[i] >= 0.0 && p[i] <= 1.0) || y[i] > 1 || (i > 0 && p[i] < p[i - 1]))
			return pmed_fail(err, PMED_ERR_INTERNAL, "recalibration rows are not sorted probabilities");
		positives += y[i];
	}
	if (positives == 0 || positives == (uint64_t) n)
	{
		pmed_fail(err, PMED_ERR_INVALID, "recalibration needs rows of both classes");
		pmed_fail_detail(err, "The %lld rows used had %llu positive outcomes.",
						 (long long) n, (unsigned long long) positives);
		return err->status;
	}
	r->method = (uint8_t) method;
	r->rows_used = (uint64_t) n;
	r->positives = positives;
	if (method == PMED_RECAL_PLATT)
		return fit_platt(n, p, y, r, err);
	if (method == PMED_RECAL_ISOTONIC)
		return fit_isotonic(n, p, y, max_knots, r, err);
	return pmed_fail(err, PMED_ERR_INTERNAL, "unknown recalibration method %d", method);
}

void
pmed_recal_write(PmedWriter *w, const PmedRecalibration *r)
{
	pmed_put_u8(w, r->method);
	pmed_put_u64(w, r->rows_used);
	pmed_put_u64(w, r->positives);
	pmed_put_i64(w, r->recalibrated_at);
	if (r->method == PMED_RECAL_PLATT)
	{
		pmed_put_f64(w, r->clip);
		pmed_put_f64(w, r->slope);
		pmed_put_f64(w, r->intercept);
	}
	else
	{
		pmed_put_u32(w, r->n_knots);
		pmed_put_f64_array(w, r->knot_x, r->n_knots);
		pmed_put_f64_array(w, r->knot_y, r->n_knots);
	}
}

PmedRecalibration *
pmed_recal_read(PmedReader *rd)
{
	PmedRecalibration *r = pmed_alloc(sizeof(PmedRecalibration));

	if (!pmed_get_u8(rd, &r->method) || !pmed_get_u64(rd, &r->rows_used) ||
		!pmed_get_u64(rd, &r->positives) || !pmed_get_i64(rd, &r->recalibrated_at))
		return NULL;
	if (r->method != PMED_RECAL_PLATT && r->method != PMED_RECAL_ISOTONIC)
		return pmed_reader_fail(rd, "unknown recalibration method"), NULL;
	if (r->positives == 0 || r->positives >= r->rows_used)
		return pmed_reader_fail(rd, "recalibration row counts out of range"), NULL;
	if (r->method == PMED_RECAL_PLATT)
	{
		if (!pmed_get_f64(rd, &r->clip) || !pmed_get_f64(rd, &r->slope) ||
			!pmed_get_f64(rd, &r->intercept))
			return NULL;
		if (!(r->clip > 0.0 && r->clip < 0.5))
			return pmed_reader_fail(rd, "platt recalibration clip out of range"), NULL;
		return r;
	}
	if (!pmed_get_count(rd, PMED_RECAL_MAX_KNOTS, 16, &r->n_knots))
		return NULL;
	if (r->n_knots == 0)
		return pmed_reader_fail(rd, "isotonic recalibration without steps"), NULL;
	if (!pmed_get_f64_array(rd, r->n_knots, &r->knot_x) ||
		!pmed_get_f64_array(rd, r->n_knots, &r->knot_y))
		return NULL;
	for (uint32_t i = 0; i < r->n_knots; i++)
	{
		if (!(r->knot_x[i] >= 0.0 && r->knot_x[i] <= 1.0 &&
			  r->knot_y[i] >= 0.0 && r->knot_y[i] <= 1.0))
			return pmed_reader_fail(rd, "isotonic recalibration step out of [0, 1]"), NULL;
		if (i > 0 && !(r->knot_x[i] > r->knot_x[i - 1] && r->knot_y[i] >= r->knot_y[i - 1]))
			return pmed_reader_fail(rd, "isotonic recalibration is not monotone"), NULL;
	}
	return r;
}

uint32_t
pmed_recal_crc(const PmedRecalibration *r)
{
	PmedWriter	w;
	uint32_t	crc;

	pmed_writer_init(&w);
	pmed_put_u8(&w, r->method);
	if (r->method == PMED_RECAL_PLATT)
	{
		pmed_put_f64(&w, r->clip);
		pmed_put_f64(&w, r->slope);
		pmed_put_f64(&w, r->intercept);
	}
	else
	{
		pmed_put_u32(&w, r->n_knots);
		pmed_put_f64_array(&w, r->knot_x, r->n_knots);
		pmed_put_f64_array(&w, r->knot_y, r->n_knots);
	}
	crc = pmed_crc32c(0, w.buf, w.len);
	pmed_free(w.buf);
	return crc;
}

void
pmed_recal_info(PmedJson *j, const PmedRecalibration *r)
{
	char		buf[40];
	time_t		secs = (time_t) (r->recalibrated_at >= 0 ? r->recalibrated_at / 1000000 :
								 -((-r->recalibrated_at + 999999) / 1000000));
	struct tm	tm;

	pmed_json_begin_object(j);
	pmed_json_kv_string(j, "method", r->method == PMED_RECAL_PLATT ? "platt" : "isotonic");
	pmed_json_kv_uint(j, "rows_used", r->rows_used);
	pmed_json_kv_uint(j, "positives", r->positives);
	if (gmtime_r(&secs, &tm) != NULL &&
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		pmed_json_kv_string(j, "recalibrated_at", buf);
	else
		pmed_json_kv_null(j, "recalibrated_at");
	if (r->method == PMED_RECAL_PLATT)
	{
		pmed_json_kv_number(j, "slope", r->slope);
		pmed_json_kv_number(j, "clip", r->clip);
		pmed_json_kv_number(j, "intercept", r->intercept);
	}
	else
		pmed_json_kv_uint(j, "steps", r->n_knots);
	snprintf(buf, sizeof(buf), "%08x", pmed_recal_crc(r));
	pmed_json_kv_string(j, "parameters_crc32c", buf);
	pmed_json_end_object(j);
}

PmedStatus
pmed_model_with_recalibration(const void *data, size_t len, const PmedRecalibration *r,
							  PmedWriter *out, PmedError *err)
{
	PmedContainer c;
	PmedReader	section;
	const uint8_t *start;
	size_t		mark;
	PmedStatus	st;

	st = pmed_container_open(data, len, &c, err);
	if (st != PMED_OK)
		return st;
	start = c.payload.p;
	if (!pmed_get_section(&c.payload, PMED_TAG_SCHEMA, &section) ||
		!pmed_get_section(&c.payload, PMED_TAG_META, &section) ||
		!pmed_get_section(&c.payload, PMED_TAG_ALGO, &section))
		return err->status;
	pmed_writer_init(out);
	pmed_container_begin(out, (PmedModelKind) c.kind);
	pmed_put_bytes(out, start, (size_t) (c.payload.p - start));
	if (r != NULL)
	{
		mark = pmed_begin_section(out, PMED_TAG_RECAL);
		pmed_recal_write(out, r);
		pmed_end_section(out, mark);
	}
	return pmed_container_finish(out, err);
}
