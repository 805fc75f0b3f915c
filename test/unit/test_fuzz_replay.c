/*
 * test_fuzz_replay.c - run the fuzz harness over deterministic mutations of
 * the real models in test/fuzz/corpus/ (bit flips, byte overwrites,
 * truncations, insertions), with the header length and CRC repaired so the
 * payload parsers see them.  Passing means: no crash, no out-of-bounds read
 * (run it under valgrind or ASan to make that strict), and every unmutated
 * model decodes.
 */
#include "unit.h"

#include <dirent.h>

#include "../fuzz/fuzz_models.c"
#include "rng.h"

/* How often needle occurs in s. */
static int
occurrences(const char *s, const char *needle)
{
	int			n = 0;

	for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/*
 * model_info's JSON of a real model of each kind: decodes through the one
 * core entry, and no key appears twice (parsed back strictly, duplicates
 * refused).  SVM models written before issue 8 carry "classes" in their
 * metadata too: it must appear once.
 */
static void
check_model_info(const char *name, const uint8_t *buf, size_t len)
{
	PmedModel  *m;
	PmedError	err = {0};
	PmedJson	info,
				back;

	CHECK(pmed_model_decode(buf, len, &m, &err) == PMED_OK, "%s: pmed_model_decode: %s", name, err.message);
	if (m == NULL)
		return;
	pmed_json_init(&info);
	CHECK(pmed_model_info(m, &info, &err) == PMED_OK, "%s: model_info JSON: %s", name, err.message);
	pmed_json_init(&back);
	pmed_json_begin_object(&back);
	CHECK(pmed_json_members(&back, info.buf, false, &err) == PMED_OK,
		  "%s: model_info has no duplicate key (%s)", name, err.message);
	CHECK(occurrences(info.buf, "\"kind\":") == 1, "%s: one kind key", name);
	if (strncmp(name, "svm", 3) == 0)
		CHECK(occurrences(info.buf, "\"classes\":") == 1, "%s: classes once: %s", name, info.buf);
}

/* The JSON writer refuses a key written twice in one object. */
static void
check_json_writer(void)
{
	PmedJson	j;
	PmedError	err = {0};

	pmed_json_init(&j);
	pmed_json_begin_object(&j);
	pmed_json_kv_string(&j, "a", "x\"y\n");
	pmed_json_kv_number(&j, "b", 0.1);
	pmed_json_kv_number(&j, "c", NAN);
	pmed_json_end_object(&j);
	CHECK(pmed_json_finish(&j, &err) == PMED_OK, "a plain object finishes");
	CHECK(strcmp(j.buf, "{\"a\": \"x\\\"y\\n\", \"b\": 0.1, \"c\": null}") == 0, "escaping and numbers: %s", j.buf);
	pmed_json_init(&j);
	pmed_json_begin_object(&j);
	pmed_json_kv_int(&j, "classes", 1);
	pmed_json_kv_int(&j, "classes", 2);
	pmed_json_end_object(&j);
	CHECK(pmed_json_finish(&j, &err) != PMED_OK, "a duplicate key is refused");
}

int
main(void)
{
	DIR		   *dir = opendir("test/fuzz/corpus");
	struct dirent *e;
	static uint8_t model[1 << 16];
	static uint8_t input[(1 << 16) + 64];
	PmedRng		rng;
	int			files = 0;
	long		inputs = 0;

	CHECK(dir != NULL, "corpus directory present");
	if (dir == NULL)
		return unit_finish("test_fuzz_replay");
	pmed_rng_seed(&rng, 20261129);
	fuzz_setup();
	check_json_writer();
	fuzz_release_all();
	while ((e = readdir(dir)) != NULL)
	{
		char		path[512];
		size_t		len;
		int			ok;

		if (strstr(e->d_name, ".hex") == NULL)
			continue;
		snprintf(path, sizeof(path), "test/fuzz/corpus/%s", e->d_name);
		len = read_hex(path, model, sizeof(model));
		CHECK(len > PMED_HEADER_SIZE, "%s read", e->d_name);
		files++;

		ok = fuzz_one_model(model, len);
		fuzz_release_all();
		check_model_info(e->d_name, model, len);
		fuzz_release_all();
		CHECK(ok, "%s decodes and scores unmutated", e->d_name);

		for (int round = 0; round < 3000; round++)
		{
			size_t		n = len;
			int			edits = 1 + (int) pmed_rng_below(&rng, 3);

			memcpy(input + 1, model, len);
			for (int k = 0; k < edits; k++)
			{
				size_t		pos = PMED_HEADER_SIZE + pmed_rng_below(&rng, n - PMED_HEADER_SIZE);

				switch (pmed_rng_below(&rng, 4))
				{
					case 0:		/* flip a bit */
						input[1 + pos] ^= (uint8_t) (1 << pmed_rng_below(&rng, 8));
						break;
					case 1:		/* overwrite a byte with an edge value */
						{
							static const uint8_t edge[] = {0x00, 0x01, 0x7F, 0x80, 0xFF};

							input[1 + pos] = edge[pmed_rng_below(&rng, 5)];
							break;
						}
					case 2:		/* truncate */
						n = pos + 1;
						break;
					default:	/* duplicate a byte (shifts the rest) */
						if (n < sizeof(model) - 1)
						{
							memmove(input + 2 + pos, input + 1 + pos, n - pos);
							n++;
						}
						break;
				}
				if (n <= PMED_HEADER_SIZE + 1)
					break;
			}
			input[0] = 1;		/* repair length and CRC */
			LLVMFuzzerTestOneInput(input, n + 1);
			inputs++;
		}
	}
	closedir(dir);
	CHECK(files >= 10, "corpus has a model of every kind (%d files)", files);
	printf("# replayed %ld mutated models from %d corpus files\n", inputs, files);
	return unit_finish("test_fuzz_replay");
}
