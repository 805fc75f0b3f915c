#!/usr/bin/env bash
# Forest core scoring/training speed without a server (see forest_score.c).
# Usage: test/bench/forest_score.sh [rows] [trees] [score_rows]
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s test/unit/bin/libpmedcore.a
mkdir -p test/unit/bin
cc -std=gnu11 -O2 -Isrc/core -o test/unit/bin/forest_score test/bench/forest_score.c \
	test/unit/bin/libpmedcore.a -llapack -lblas -lm
exec test/unit/bin/forest_score "$@"
