/*
 * test_recalibrate.c - recalibration of binary classifiers: pool adjacent
 * violators on hand-computed cases (ties pooled first), the piecewise-linear
 * map, Platt on a saturated case, the optional RCAL model section (round
 * trip, an old model without it, every truncation and corrupt field of the
 * section rejected with a valid container CRC, every bit flip of a whole
 * recalibrated model rejected), and removing the section.
 */
#include "unit.h"

#include <math.h>
#include <string.h>

#include "baseline.h"
#include "codec.h"
#include "decode.h"
#include "recalibrate.h"

/* A binary baseline model (classes "false" < "true", positive "true"). */
static PmedWriter
binary_model(void)
{
	static char *classes[] = {"false", "true"};
	double		y[4] = {0, 1, 1, 0};
	double		x[4] = {0, 0, 0, 0};
	PmedDataset ds = {4, 1, x, y, 2};
	PmedSchema	s = {0};
	PmedWriter	algo,
				out;
	PmedError	err = {0};

	s.task = PMED_TASK_CLASSIFICATION;
	s.label_kind = PMED_LABEL_BOOL;
	s.n_features = 1;
	s.n_classes = 2;
	s.classes = classes;
	s.positive = 1;
	s.rows_used = 4;
	pmed_writer_init(&algo);
	pmed_baseline_write(&algo, pmed_baseline_fit(&ds));
	CHECK(pmed_model_encode(&out, PMED_KIND_BASELINE, &s, "{}", &algo, &err) == PMED_OK, "encode");
	return out;
}

static void
test_pav(void)
{
	/* p sorted; y: 1 0 | tie at 0.3 (1, 0) | 0 1 1 */
	double		p[7] = {0.1, 0.2, 0.3, 0.3, 0.5, 0.7, 0.9};
	uint8_t		y[7] = {1, 0, 1, 0, 0, 1, 1};
	PmedRecalibration r;
	PmedError	err = {0};

	CHECK(pmed_recal_fit(PMED_RECAL_ISOTONIC, 7, p, y, 1000, &r, &err) == PMED_OK, "pav fit");
	/*
	 * distinct: 0.1:1/1, 0.2:0/1, 0.3:1/2, 0.5:0/1, 0.7:1/1, 0.9:1/1.
	 * PAV: [0.1,0.2] = 0.5; 0.3 = 0.5 -> pooled (>=): [0.1..0.3] = 2/4;
	 * 0.5 = 0 -> pooled: [0.1..0.5] = 2/5 = 0.4; 0.7 = 1; 0.9 = 1 -> pooled
	 * [0.7, 0.9] = 1.  Knots (0.1, .4) (0.5, .4) (0.7, 1) (0.9, 1).
	 */
	CHECK(r.n_knots == 4, "pav knots %u", r.n_knots);
	if (r.n_knots == 4)
	{
		CHECK(r.knot_x[0] == 0.1 && r.knot_x[1] == 0.5 && r.knot_x[2] == 0.7 && r.knot_x[3] == 0.9,
			  "pav knot x");
		CHECK_NEAR(r.knot_y[0], 0.4, 1e-15, "block 1");
		CHECK_NEAR(r.knot_y[1], 0.4, 1e-15, "block 1 end");
		CHECK(r.knot_y[2] == 1.0 && r.knot_y[3] == 1.0, "block 2");
		CHECK_NEAR(pmed_recal_apply(&r, 0.0), 0.4, 1e-15, "flat below");
		CHECK_NEAR(pmed_recal_apply(&r, 0.3), 0.4, 1e-15, "inside a block");
		CHECK_NEAR(pmed_recal_apply(&r, 0.6), 0.7, 1e-15, "linear between blocks");
		CHECK_NEAR(pmed_recal_apply(&r, 1.0), 1.0, 1e-15, "flat above");
	}
	CHECK(r.rows_used == 7 && r.positives == 4, "counts");
	CHECK(pmed_recal_fit(PMED_RECAL_ISOTONIC, 7, p, y, 3, &r, &err) == PMED_ERR_LIMIT,
		  "max_steps enforced");

	/* one class only */
	{
		uint8_t		z[3] = {0, 0, 0};

		CHECK(pmed_recal_fit(PMED_RECAL_PLATT, 3, p, z, 10, &r, &err) == PMED_ERR_INVALID,
			  "one class rejected");
	}
}

static void
test_platt(void)
{
	/* 40 rows: logit(p) in {-2, 2}, observed rates 1/4 and 3/4 */
	double		p[40];
	uint8_t		y[40];
	PmedRecalibration r;
	PmedError	err = {0};
	double		lo = 1.0 / (1.0 + exp(2.0)),
				hi = 1.0 / (1.0 + exp(-2.0));

	for (int i = 0; i < 20; i++)
	{
		p[i] = lo;
		y[i] = i < 5;
		p[20 + i] = hi;
		y[20 + i] = i >= 5;
	}
	/* sort: y within equal p ascending */
	for (int i = 0; i < 20; i++)
	{
		y[i] = i >= 15;
		y[20 + i] = i >= 5;
	}
	CHECK(pmed_recal_fit(PMED_RECAL_PLATT, 40, p, y, 10, &r, &err) == PMED_OK, "platt fit");
	/*
	 * Regularised targets (21 / 22 and 1 / 22) move the fitted rates a
	 * little inward from 1/4 and 3/4: the saturated fit gives rates
	 * (5 * 21/22 + 15 / 22) / 20 = 0.2727... and 1 - that.
	 */
	CHECK_NEAR(pmed_recal_apply(&r, hi), 1.0 - 0.5 * (5 * 21.0 / 22 + 15.0 / 22) / 10, 1e-9,
			   "platt rate high");
	CHECK_NEAR(pmed_recal_apply(&r, lo), 0.5 * (5 * 21.0 / 22 + 15.0 / 22) / 10, 1e-9,
			   "platt rate low");
	CHECK_NEAR(r.intercept, 0.0, 1e-9, "symmetric intercept");
	CHECK(r.clip == 0.5 / 41, "clip 1 / (2 (n + 1))");
	CHECK(pmed_recal_apply(&r, 0.0) == pmed_recal_apply(&r, r.clip), "0 clipped");
}

/* the model with a raw RCAL section of these contents, valid container */
static PmedWriter
with_section(const PmedWriter *model, const uint8_t *bytes, size_t len)
{
	PmedWriter	out;
	PmedError	err = {0};
	size_t		mark;

	pmed_writer_init(&out);
	pmed_container_begin(&out, PMED_KIND_BASELINE);
	pmed_put_bytes(&out, model->buf + PMED_HEADER_SIZE, model->len - PMED_HEADER_SIZE);
	mark = pmed_begin_section(&out, PMED_TAG_RECAL);
	pmed_put_bytes(&out, bytes, len);
	pmed_end_section(&out, mark);
	pmed_container_finish(&out, &err);
	return out;
}

static PmedStatus
decode(const PmedWriter *w, PmedModel **m)
{
	PmedError	err = {0};

	return pmed_model_decode(w->buf, w->len, m, &err);
}

static void
test_section(void)
{
	PmedWriter	model = binary_model();
	PmedWriter	rec,
				back,
				sec;
	PmedModel  *m;
	PmedError	err = {0};
	double		p[6] = {0.1, 0.2, 0.4, 0.6, 0.8, 0.9};
	uint8_t		y[6] = {0, 1, 0, 1, 1, 1};
	PmedRecalibration r;
	int			rejected = 0,
				total = 0;

	/* an old model: no section */
	CHECK(decode(&model, &m) == PMED_OK && m->recal == NULL, "model without a section");

	CHECK(pmed_recal_fit(PMED_RECAL_ISOTONIC, 6, p, y, 100, &r, &err) == PMED_OK, "fit");
	r.recalibrated_at = INT64_C(1764662400000000);	/* 2025-12-02T08:00:00Z */
	CHECK(pmed_model_with_recalibration(model.buf, model.len, &r, &rec, &err) == PMED_OK, "add");
	CHECK(decode(&rec, &m) == PMED_OK && m->recal != NULL, "decode recalibrated");
	if (m != NULL && m->recal != NULL)
	{
		CHECK(m->recal->method == PMED_RECAL_ISOTONIC && m->recal->n_knots == r.n_knots &&
			  memcmp(m->recal->knot_x, r.knot_x, 8 * r.n_knots) == 0 &&
			  memcmp(m->recal->knot_y, r.knot_y, 8 * r.n_knots) == 0 &&
			  m->recal->recalibrated_at == r.recalibrated_at && m->recal->rows_used == 6 &&
			  m->recal->positives == 4, "round trip");
		CHECK(pmed_recal_crc(m->recal) == pmed_recal_crc(&r), "parameters crc");
		{
			PmedJson	j;

			pmed_json_init(&j);
			CHECK(pmed_model_info(m, &j, &err) == PMED_OK &&
				  strstr(j.buf, "\"recalibration\": {\"method\": \"isotonic\", \"rows_used\": 6, "
						 "\"positives\": 4, \"recalibrated_at\": \"2025-12-02T08:00:00Z\", \"steps\": ") != NULL,
				  "model_info: %s", j.buf);
		}
	}
	/* replacing and removing */
	CHECK(pmed_model_with_recalibration(rec.buf, rec.len, NULL, &back, &err) == PMED_OK &&
		  back.len == model.len && memcmp(back.buf, model.buf, model.len) == 0,
		  "removing gives the model back byte for byte");

	/* every truncation of the section contents, with a valid CRC */
	pmed_writer_init(&sec);
	pmed_recal_write(&sec, &r);
	for (size_t len = 0; len < sec.len; len++)
	{
		PmedWriter	bad = with_section(&model, sec.buf, len);

		total++;
		rejected += decode(&bad, &m) == PMED_ERR_CORRUPT;
	}
	CHECK(rejected == total, "truncated sections rejected: %d of %d", rejected, total);
	/* and a trailing byte */
	{
		uint8_t    *more = malloc(sec.len + 1);
		PmedWriter	bad;

		memcpy(more, sec.buf, sec.len);
		more[sec.len] = 0;
		bad = with_section(&model, more, sec.len + 1);
		CHECK(decode(&bad, &m) == PMED_ERR_CORRUPT, "trailing byte rejected");
		free(more);
	}
	/* corrupt fields: method, counts, knot order, range; platt clip */
	{
		struct
		{
			size_t		off;
			uint8_t		val;
			const char *what;
		}			cases[] = {
			{0, 0, "method 0"}, {0, 3, "method 3"},
			{1 + 8, 0, "positives 0 (low byte)"},
			{1 + 8, 6, "positives = rows"},
			{1 + 8 + 8 + 8, 0, "zero knots"},
		};

		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		{
			uint8_t    *b = malloc(sec.len);
			PmedWriter	bad;

			memcpy(b, sec.buf, sec.len);
			b[cases[c].off] = cases[c].val;
			bad = with_section(&model, b, sec.len);
			CHECK(decode(&bad, &m) == PMED_ERR_CORRUPT, "rejected: %s", cases[c].what);
			free(b);
		}
	}
	{
		/* knots out of order / y decreasing / x above 1 */
		PmedRecalibration b = r;
		double		kx[2] = {0.5, 0.4},
					ky[2] = {0.2, 0.3},
					ky2[2] = {0.3, 0.2},
					kx3[2] = {0.5, 1.5};
		PmedWriter	w,
					bad;

		b.n_knots = 2;
		b.knot_x = kx;
		b.knot_y = ky;
		pmed_writer_init(&w);
		pmed_recal_write(&w, &b);
		bad = with_section(&model, w.buf, w.len);
		CHECK(decode(&bad, &m) == PMED_ERR_CORRUPT, "x not increasing rejected");
		kx[0] = 0.3;
		b.knot_y = ky2;
		pmed_writer_init(&w);
		pmed_recal_write(&w, &b);
		bad = with_section(&model, w.buf, w.len);
		CHECK(decode(&bad, &m) == PMED_ERR_CORRUPT, "y decreasing rejected");
		b.knot_x = kx3;
		b.knot_y = ky;
		pmed_writer_init(&w);
		pmed_recal_write(&w, &b);
		bad = with_section(&model, w.buf, w.len);
		CHECK(decode(&bad, &m) == PMED_ERR_CORRUPT, "x above 1 rejected");
	}
	{
		PmedRecalibration pl = {0};
		PmedWriter	w,
					bad;

		pl.method = PMED_RECAL_PLATT;
		pl.rows_used = 10;
		pl.positives = 3;
		pl.clip = 0.5;
		pl.slope = 1;
		pmed_writer_init(&w);
		pmed_recal_write(&w, &pl);
		bad = with_section(&model, w.buf, w.len);
		CHECK(decode(&bad, &m) == PMED_ERR_CORRUPT, "platt clip 0.5 rejected");
		pl.clip = 0.01;
		pmed_writer_init(&w);
		pmed_recal_write(&w, &pl);
		bad = with_section(&model, w.buf, w.len);
		CHECK(decode(&bad, &m) == PMED_OK && m->recal->method == PMED_RECAL_PLATT, "platt accepted");
	}
	/* a section with another tag after the payload */
	{
		PmedWriter	bad;
		size_t		mark;

		pmed_writer_init(&bad);
		pmed_container_begin(&bad, PMED_KIND_BASELINE);
		pmed_put_bytes(&bad, model.buf + PMED_HEADER_SIZE, model.len - PMED_HEADER_SIZE);
		mark = pmed_begin_section(&bad, PMED_TAG('X', 'X', 'X', 'X'));
		pmed_put_bytes(&bad, sec.buf, sec.len);
		pmed_end_section(&bad, mark);
		pmed_container_finish(&bad, &err);
		CHECK(decode(&bad, &m) == PMED_ERR_CORRUPT, "unknown trailing section rejected");
	}
	/* every bit flip of the recalibrated model: the container CRC */
	rejected = total = 0;
	for (size_t bit = 0; bit < rec.len * 8; bit++)
	{
		rec.buf[bit / 8] ^= (uint8_t) (1u << (bit % 8));
		total++;
		rejected += decode(&rec, &m) != PMED_OK;
		rec.buf[bit / 8] ^= (uint8_t) (1u << (bit % 8));
	}
	CHECK(rejected == total, "bit flips rejected: %d of %d", rejected, total);
	/* a regression model cannot carry the section */
	{
		static char *none[1];
		double		yv[2] = {1, 2},
					xv[2] = {0, 0};
		PmedDataset ds = {2, 1, xv, yv, 0};
		PmedSchema	s = {0};
		PmedWriter	algo,
					reg,
					bad;

		s.task = PMED_TASK_REGRESSION;
		s.label_kind = PMED_LABEL_FLOAT;
		s.n_features = 1;
		s.classes = none;
		s.positive = -1;
		pmed_writer_init(&algo);
		pmed_baseline_write(&algo, pmed_baseline_fit(&ds));
		pmed_model_encode(&reg, PMED_KIND_BASELINE, &s, "{}", &algo, &err);
		bad = with_section(&reg, sec.buf, sec.len);
		CHECK(decode(&bad, &m) == PMED_ERR_CORRUPT, "section on a regression model rejected");
	}
}

int
main(void)
{
	test_pav();
	test_platt();
	test_section();
	return unit_finish("test_recalibrate.c");
}
