# test/lib.sh - shared by test/run and test/demo: install what pmed needs,
# build and install it, and start a throwaway PostgreSQL cluster.
# Works as root (as CI runs it) and as an ordinary user with sudo.

PG_MAJOR=${PG_MAJOR:-15}
PGBIN=/usr/lib/postgresql/$PG_MAJOR/bin
# PMED_PG_ROOT=/some/dir: build, install and run against a private copy of
# the PostgreSQL installation there, so several checkouts can test at once
# without installing over each other's pmed.so (PostgreSQL finds its lib and
# share directories relative to its binaries).
# PMED_SANITIZE=1: build pmed with AddressSanitizer and UndefinedBehaviorSanitizer
# and run the cluster with their runtimes preloaded (see README, "Tests").  The
# instrumented pmed.so goes only into a private copy of PostgreSQL:
# $PMED_PG_ROOT-sanitize, or /tmp/pmed-pgroot-sanitize, never the system one.
if [ "${PMED_SANITIZE:-0}" = 1 ]; then
	PMED_PG_ROOT=${PMED_PG_ROOT:-/tmp/pmed-pgroot}-sanitize
	SAN_COPT="-fsanitize=address,undefined -fno-omit-frame-pointer -g"
else
	SAN_COPT=""
fi
if [ -n "${PMED_PG_ROOT:-}" ]; then
	PGBIN=$PMED_PG_ROOT/usr/lib/postgresql/$PG_MAJOR/bin
fi
PACKAGES="build-essential postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR
  liblapack-dev libblas-dev libopenblas0-serial postgresql-$PG_MAJOR-pgtap
  libtap-parser-sourcehandler-pgtap-perl libipc-run-perl python3-numpy python3-scipy python3-sklearn"

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
	local missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "== installing Debian packages:$missing"
		# Mirrors fail now and then: try three times before giving up.
		for attempt in 1 2 3; do
			as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
				as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null &&
				return 0
			echo "== apt-get failed (attempt $attempt); retrying" >&2
			sleep $((attempt * 10))
		done
		return 1
	fi
}

stage_postgres() {
	[ -n "${PMED_PG_ROOT:-}" ] || return 0
	[ -x "$PGBIN/postgres" ] && return 0
	mkdir -p "$PMED_PG_ROOT/usr/lib/postgresql" "$PMED_PG_ROOT/usr/share/postgresql" "$PMED_PG_ROOT/usr/include"
	cp -a /usr/lib/postgresql/$PG_MAJOR "$PMED_PG_ROOT/usr/lib/postgresql/"
	cp -a /usr/share/postgresql/$PG_MAJOR "$PMED_PG_ROOT/usr/share/postgresql/"
	ln -sfn /usr/include/postgresql "$PMED_PG_ROOT/usr/include/postgresql"
	chmod -R a+rX "$PMED_PG_ROOT"
}

build_and_install() {
	stage_postgres || return 1
	# Objects of a sanitized build must not end up in a normal one, nor the
	# other way round: rebuild everything when the mode changes.
	local mode=normal
	[ -n "$SAN_COPT" ] && mode=sanitize
	if [ "$(cat .pmed-build-mode 2>/dev/null)" != "$mode" ]; then
		make -s clean PG_CONFIG="$PGBIN/pg_config" >/dev/null 2>&1
		make -s -C test/citus_emul clean PG_CONFIG="$PGBIN/pg_config" >/dev/null 2>&1
		echo "$mode" >.pmed-build-mode
	fi
	echo "== building pmed${SAN_COPT:+ with ASan and UBSan}"
	make -s -j2 PG_CONFIG="$PGBIN/pg_config" COPT="$SAN_COPT"
	as_root make -s install PG_CONFIG="$PGBIN/pg_config" COPT="$SAN_COPT" >/dev/null || return 1
	# Test-only: Citus's aggregate calling conventions (test/citus_emul),
	# into the test PostgreSQL only, never part of the pmed extension.
	make -s -C test/citus_emul PG_CONFIG="$PGBIN/pg_config" COPT="$SAN_COPT" &&
		as_root make -s -C test/citus_emul install PG_CONFIG="$PGBIN/pg_config" COPT="$SAN_COPT" >/dev/null
}

# sanitizer_env DIR: the environment a sanitized postmaster runs with (DIR
# holds the shim).  Reports go to the server's stderr, server.log: log_path in
# ASAN_OPTIONS/UBSAN_OPTIONS was ignored inside the server, here.
#
# Why the shim: Debian's postgres is not instrumented, so the ASan runtime
# comes in by LD_PRELOAD and initialises lazily, on the first malloc.  The
# constructor of libgpg-error (postgres -> libldap -> libgnutls -> libgcrypt)
# runs before ASan's own and calls bindtextdomain(), which takes glibc's
# _nl_state_lock for writing and mallocs; ASan's initialisation then looks up
# swift_demangle with dlsym(), fails, and clears the error with dlerror(), whose
# message translation takes the same lock for reading: the lock is left broken
# (reader count -1) and postgres hangs in its own bindtextdomain() at start.  A
# preloaded library that defines swift_demangle makes the dlsym() succeed, so
# dlerror() has nothing to translate.
sanitizer_env() {
	local dir=$1 shim=$1/libswift_demangle_shim.so
	gcc -shared -fPIC -O2 -o "$shim" test/sanitize/swift_demangle_shim.c || return 1
	echo "LD_PRELOAD='$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so) $shim'" \
		"ASAN_OPTIONS='detect_leaks=0:detect_stack_use_after_return=0'" \
		"UBSAN_OPTIONS='print_stacktrace=1'"
}

# start_cluster: sets PGHOST, PGPORT, PGUSER, PGDATABASE and CLUSTER_DIR;
# the cluster is stopped and removed when the calling script exits.
start_cluster() {
	CLUSTER_DIR=$(mktemp -d /tmp/pmed-cluster.XXXXXX)
	PGPORT=${PMED_TEST_PORT:-$((55000 + RANDOM % 5000))}
	local run=""
	if [ "$(id -u)" = 0 ]; then
		# initdb refuses root: the cluster belongs to the postgres user.
		chown postgres "$CLUSTER_DIR"
		run="su postgres -s /bin/sh -c"
	else
		run="sh -c"
	fi
	$run "$PGBIN/initdb -D '$CLUSTER_DIR/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8 >'$CLUSTER_DIR/initdb.log' 2>&1" \
		|| { cat "$CLUSTER_DIR/initdb.log"; return 1; }
	local env=""
	if [ -n "$SAN_COPT" ]; then
		SANITIZER_DIR=$CLUSTER_DIR/sanitizer
		mkdir -p "$SANITIZER_DIR"
		[ "$(id -u)" = 0 ] && chown postgres "$SANITIZER_DIR"
		env="env $(sanitizer_env "$SANITIZER_DIR")" || return 1
	fi
	$run "$env $PGBIN/pg_ctl -D '$CLUSTER_DIR/data' -l '$CLUSTER_DIR/server.log' -w \
		-o \"-p $PGPORT -k '$CLUSTER_DIR' -c listen_addresses='' -c max_worker_processes=16 -c max_parallel_workers=8\" start >/dev/null" \
		|| { cat "$CLUSTER_DIR/server.log"; return 1; }
	STOP_CLUSTER="$run \"$PGBIN/pg_ctl -D '$CLUSTER_DIR/data' -m immediate stop >/dev/null 2>&1\"; rm -rf '$CLUSTER_DIR'"
	trap 'eval "$STOP_CLUSTER"' EXIT
	export PGHOST="$CLUSTER_DIR" PGPORT PGUSER=postgres PGDATABASE=postgres
}
