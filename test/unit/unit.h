/*
 * unit.h - a tiny TAP-style harness for the pure-core unit tests.
 * Each test binary prints "ok N - name" / "not ok N - name" lines and a
 * final "# unit <file>: P passed, F failed" line, exiting 1 on any failure.
 */
#ifndef PMED_UNIT_H
#define PMED_UNIT_H

#include <math.h>
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

static inline int
unit_finish(const char *file)
{
	printf("# unit %s: %d passed, %d failed\n", file, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
