#!/usr/bin/env bash
# Cancellation latency per training family (ms), several delays each:
# test/cancel.sh --bench.  DELAYS="300 1000 2500" (ms) by default.
exec "$(dirname "$0")/../cancel.sh" --bench "$@"
