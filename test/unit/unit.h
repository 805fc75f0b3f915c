/*
 * unit.h - a tiny TAP-style harness for the pure-core unit tests.
 * Each test binary prints "ok N - name" / "not ok N - name" lines and a
 * final "# unit <file>: P passed, F failed" line, exiting 1 on any failure.
 */
#ifndef PMED_UNIT_H
#define PMED_UNIT_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	unit_passed = 0;
static int	unit_failed = 0;

#define CHECK(cond, ...) \
	do { \
		if (cond) { unit_passed++; } \
		else { unit_failed++; printf("not ok %d - %s:%d: ", unit_passed + unit_failed, __FILE__, __LINE__); \
			   printf(__VA_ARGS__); printf("\n"); } \
	} while (0)

#define CHECK_NEAR(a, b, tol, name) \
	do { double _a = (a), _b = (b); \
		CHECK(fabs(_a - _b) <= (tol), "%s: got %.12g, expected %.12g (tol %g)", name, _a, _b, (double) (tol)); \
	} while (0)

/*
 * Read a hex fixture (a backslash, "x", then hex digit pairs: a bytea as
 * psql prints it) into buf; returns the bytes read, 0 when the file is
 * missing or not hex.
 */
static inline size_t
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

static inline int
unit_finish(const char *file)
{
	printf("# unit %s: %d passed, %d failed\n", file, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
