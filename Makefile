# pmed - PGXS build.  `make && make install`, then `make installcheck`
# against a running server; test/run does all of it in a throwaway cluster.

EXTENSION = pmed
EXTVERSION = 0.3.0

MODULE_big = pmed
CORE_SRCS = $(sort $(wildcard src/core/*.c))
GLUE_SRCS = $(sort $(wildcard src/*.c))
OBJS = $(GLUE_SRCS:.c=.o) $(CORE_SRCS:.c=.o)

# The install script is assembled from one fragment per surface.  Released
# versions keep their frozen install scripts, and every version step its
# upgrade script, in src/sql-history/ (README, "Upgrading").
SQL_PARTS = $(sort $(wildcard src/sql/*.sql))
DATA_built = src/pmed--$(EXTVERSION).sql
DATA = $(sort $(wildcard src/sql-history/pmed--*.sql))

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=pmed

PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK = -llapack -lblas -lm
EXTRA_CLEAN = test/unit/bin test/fuzz/bin

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild everything when a header changes.
$(OBJS): $(wildcard src/*.h src/core/*.h)

src/pmed--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $(SQL_PARTS) > $@

# ---- C unit tests of the pure cores: no PostgreSQL involved ----
UNIT_CFLAGS = -std=gnu11 -O2 -g -Wall -Wextra -Wdeclaration-after-statement -Wno-unused-parameter -Isrc/core -Itest/unit $(COPT)
UNIT_TESTS = $(patsubst test/unit/%.c,test/unit/bin/%,$(sort $(wildcard test/unit/test_*.c)))
UNIT_CORE_OBJS = $(patsubst src/core/%.c,test/unit/bin/core/%.o,$(CORE_SRCS))

# The cores are compiled once (without PostgreSQL flags) and linked into each test.
test/unit/bin/core/%.o: src/core/%.c $(wildcard src/core/*.h)
	@mkdir -p test/unit/bin/core
	$(CC) $(UNIT_CFLAGS) -c -o $@ $<

test/unit/bin/libpmedcore.a: $(UNIT_CORE_OBJS)
	$(AR) rcs $@ $^

test/unit/bin/%: test/unit/%.c test/unit/bin/libpmedcore.a test/unit/unit.h
	$(CC) $(UNIT_CFLAGS) -o $@ $< test/unit/bin/libpmedcore.a -llapack -lblas -lm

# The replay test includes the fuzz harness.
test/unit/bin/test_fuzz_replay: test/fuzz/fuzz_models.c

# libFuzzer build of the model-decoder harness (clang): `make fuzz`, then
# test/fuzz/bin/fuzz_models <corpus dir> (README, "Development").
.PHONY: fuzz
fuzz: $(CORE_SRCS) test/fuzz/fuzz_models.c
	@mkdir -p test/fuzz/bin
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core -o test/fuzz/bin/fuzz_models \
		test/fuzz/fuzz_models.c $(CORE_SRCS) -llapack -lblas -lm

.PHONY: unittest
unittest: $(UNIT_TESTS)
	@status=0; for t in $(UNIT_TESTS); do $$t || status=1; done; exit $$status
