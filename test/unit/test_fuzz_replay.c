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

static size_t
read_hex(const char *path, uint8_t *buf, size_t cap)
{
	FILE	   *f = fopen(path, "r");
	size_t		len = 0;
	unsigned	byte;

	if (f == NULL)
		return 0;
	if (fgetc(f) != '\\' || fgetc(f) != 'x')
	{
		fclose(f);
		return 0;
	}
	while (len < cap && fscanf(f, "%2x", &byte) == 1)
		buf[len++] = (uint8_t) byte;
	fclose(f);
	return len;
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
