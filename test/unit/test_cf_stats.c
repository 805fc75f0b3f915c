/*
 * test_cf_stats.c - item-kNN from per-history statistics: the same model
 * bytes as pmed_cf_fit on the triples (store_patients off), whatever the
 * order of histories, the split into states and the merge order; the
 * serialized statistics round trip and every truncation is rejected.
 */
#include "unit.h"

#include "../../src/core/cf_stats.h"

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t
next_u64(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

#define PATIENTS 300
#define MAX_HIST 12

static int64_t hist_item[PATIENTS][MAX_HIST];
static double hist_w[PATIENTS][MAX_HIST];
static int	hist_n[PATIENTS];

static void
make_histories(bool unit_weights)
{
	for (int u = 0; u < PATIENTS; u++)
	{
		hist_n[u] = 1 + (int) (next_u64() % MAX_HIST);
		for (int k = 0; k < hist_n[u]; k++)
		{
			/* a skewed item distribution; duplicates within a history happen */
			uint64_t	r = next_u64() % 1000;

			hist_item[u][k] = 100 + (int64_t) ((r * r) / 25000);
			hist_w[u][k] = unit_weights ? 1.0 : (double) (1 + next_u64() % 50) / 10.0;
		}
	}
}

/* The model bytes of the triples path. */
static size_t
triples_model(const PmedCfParams *p, uint8_t **bytes)
{
	PmedCfTriple *t = malloc(sizeof(PmedCfTriple) * PATIENTS * MAX_HIST);
	size_t		n = 0;
	PmedCfModel *m;
	PmedError	err = {0};
	PmedWriter	w;

	/* any row order: reversed here */
	for (int u = PATIENTS - 1; u >= 0; u--)
		for (int k = hist_n[u] - 1; k >= 0; k--)
			t[n++] = (PmedCfTriple) {u * 7 + 3, hist_item[u][k], hist_w[u][k]};
	n = pmed_cf_canonicalize(t, n);
	CHECK(pmed_cf_fit(t, n, p, &m, NULL, &err) == PMED_OK, "triples fit: %s", err.message);
	pmed_writer_init(&w);
	pmed_cf_encode(m, &w);
	*bytes = w.buf;
	free(t);
	return w.len;
}

/* Round trip through the serialized form (the bytes must read back). */
static void
round_trip(PmedCfStats *s, PmedCfStats *out)
{
	PmedWriter	w;
	PmedReader	r;
	PmedError	err = {0};

	pmed_writer_init(&w);
	pmed_cf_stats_write(&w, s);
	pmed_reader_init(&r, w.buf, w.len, &err);
	CHECK(pmed_cf_stats_read(&r, out) && pmed_reader_done(&r), "statistics read back: %s", err.message);
}

static size_t
stats_model(const PmedCfParams *p, int split, bool reverse_merge, uint8_t **bytes)
{
	PmedCfStats part[3],
				all,
				copy;
	PmedCfModel *m;
	PmedError	err = {0};
	PmedWriter	w;
	int			failed = 0;

	for (int k = 0; k < 3; k++)
		pmed_cf_stats_init(&part[k]);
	pmed_cf_stats_init(&all);

	for (int u = 0; u < PATIENTS; u++)
	{
		int			k = split ? (int) ((u * 2654435761u) % 3) : 0;

		failed += pmed_cf_stats_add_history(&part[k], hist_item[u], hist_w[u], hist_n[u], &err) != PMED_OK;
	}
	CHECK(failed == 0, "every history adds: %s", err.message);
	for (int k = 0; k < 3; k++)
	{
		int			j = reverse_merge ? 2 - k : k;

		round_trip(&part[j], &copy);
		CHECK(pmed_cf_stats_merge(&all, &copy, &err) == PMED_OK, "merge");
	}
	CHECK(pmed_cf_fit_stats(&all, p, &m, &err) == PMED_OK, "stats fit: %s", err.message);
	pmed_writer_init(&w);
	pmed_cf_encode(m, &w);
	*bytes = w.buf;
	return w.len;
}

static void
compare(const char *what, const PmedCfParams *p)
{
	uint8_t    *a,
			   *b,
			   *c;
	size_t		na = triples_model(p, &a);
	size_t		nb = stats_model(p, 0, false, &b);
	size_t		nc = stats_model(p, 1, true, &c);

	CHECK(na == nb && memcmp(a, b, na) == 0, "%s: statistics model = triples model (%zu / %zu bytes)", what, na, nb);
	CHECK(na == nc && memcmp(a, c, na) == 0, "%s: split in 3 states merged in reverse = triples model", what);
}

int
main(void)
{
	PmedCfParams p;
	PmedCfStats s;
	PmedError	err = {0};

	pmed_cf_default_params(&p);
	p.store_patients = false;

	make_histories(true);
	compare("unit weights", &p);
	make_histories(false);
	compare("decimal weights, duplicates", &p);
	p.min_support = 3;
	p.neighbors = 5;
	p.shrinkage = 2.5;
	compare("min_support 3, 5 neighbours", &p);

	/* bad input */
	pmed_cf_stats_init(&s);
	{
		int64_t		items[] = {1, 2};
		double		w[] = {1.0, -1.0};

		CHECK(pmed_cf_stats_add_history(&s, items, w, 2, &err) == PMED_ERR_INVALID, "negative weight refused");
		CHECK(pmed_cf_fit_stats(&s, &p, &(PmedCfModel *) {NULL}, &err) == PMED_ERR_INVALID, "no rows refused");
	}

	/* every truncation of a serialized state is rejected */
	{
		PmedWriter	w;
		int			rejected = 0;

		pmed_cf_stats_init(&s);
		for (int u = 0; u < 20; u++)
			pmed_cf_stats_add_history(&s, hist_item[u], hist_w[u], hist_n[u], &err);
		pmed_writer_init(&w);
		pmed_cf_stats_write(&w, &s);
		for (size_t cut = 0; cut < w.len; cut++)
		{
			PmedReader	r;
			PmedCfStats t;

			pmed_reader_init(&r, w.buf, cut, &err);
			rejected += !(pmed_cf_stats_read(&r, &t) && pmed_reader_done(&r));
		}
		CHECK(rejected == (int) w.len, "every truncation rejected (%d of %zu)", rejected, w.len);
	}
	return unit_finish(__FILE__);
}
