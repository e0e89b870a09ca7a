bats_require_minimum_version 1.5.0

# Shared set-up for the bats suite.
#
# Every test gets its own directory ($BATS_TEST_TMPDIR) and a marker that
# ecg-run passes on in the environment of everything it starts; the
# teardown kills whatever still carries the marker, and tests use it to
# prove that nothing was left running.

# The build under test (make check passes it: build/, build/asan/, ...),
# and how to make more of it (bench helpers) with the same flags.
ECG_TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
ECG_BUILD="${ECG_BUILD:-$ECG_TOP/build}"
ECG_VARIANT="${ECG_VARIANT:-release}"
ECG_BIN="$ECG_BUILD/ecg-run"
FIXTURES="$BATS_TEST_DIRNAME/fixtures"

# make_in_build TARGET...: builds TARGET (a path under the build) quietly.
# The Makefile's rules name paths relative to the top of the tree.
make_in_build() {
	local t targets=() rel=${ECG_BUILD#"$ECG_TOP"/}
	for t in "$@"; do
		targets+=("$rel/$t")
	done
	make -s -C "$ECG_TOP" VARIANT="$ECG_VARIANT" "${targets[@]}"
}

setup() {
	MARK="ecgtest_$$_${BATS_TEST_NUMBER}_$RANDOM"
	export ECG_TEST_MARK="$MARK"
	cd "$BATS_TEST_TMPDIR" || return 1
}

teardown() {
	local pids
	pids=$(marked_pids)
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	return 0
}

# ecg-run, under $ECG_RUN_WRAP (valgrind) when set, bounded in time.
ecg() {
	timeout -k 5 "${ECG_TIMEOUT:-60}" $ECG_RUN_WRAP "$ECG_BIN" "$@"
}

# Processes (not zombies) whose environment carries this test's marker.
marked_pids() {
	local f pid
	for f in /proc/[0-9]*/environ; do
		pid=${f#/proc/}
		pid=${pid%/environ}
		[ "$pid" = "$$" ] && continue
		if grep -qs -a "ECG_TEST_MARK=$MARK" "$f" 2>/dev/null; then
			# the test's own shells carry the marker too: only ecg-run's descendants count
			grep -qs -a "ECG_RUN_TASK=" "$f" 2>/dev/null && echo "$pid"
		fi
	done
}

# wait_for SECONDS COMMAND...: polls COMMAND until it succeeds, at most SECONDS.
wait_for() {
	local limit=$1 start
	shift
	start=$(date +%s%N)
	until "$@"; do
		if (( ($(date +%s%N) - start) / 1000000 > limit * 1000 )); then
			echo "# gave up after ${limit}s waiting for: $*" >&3
			return 1
		fi
		sleep 0.02
	done
}

# Some task process sleeps in pipe_write: its pipe to ecg-run is full.
marked_blocked_in_write() {
	local p
	for p in $(marked_pids); do
		grep -qs pipe_write "/proc/$p/wchan" && return 0
	done
	return 1
}

no_marked_left() {
	[ -z "$(marked_pids)" ]
}

# run_timed ARGS...: bats' run, with the milliseconds it took in ELAPSED.
run_timed() {
	local t0
	t0=$(now_ms)
	run "$@"
	ELAPSED=$(( $(now_ms) - t0 ))
}

# Milliseconds since the epoch.
now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

# free_port: a TCP port of 127.0.0.1 that nothing listens on now (the kernel picks it).
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# write_ini FILE: the INI text from standard input.
write_ini() {
	cat >"$1"
}

# The lines of $output that start with prefix $1 (e.g. "web").
lines_of() {
	printf '%s\n' "$output" | grep -a "^$1 *| " || true
}

# start_bg ARGS...: ecg-run in the background, its output in out.txt and
# err.txt, its pid in ECG_PID.
start_bg() {
	$ECG_RUN_WRAP "$ECG_BIN" "$@" >out.txt 2>err.txt &
	ECG_PID=$!
}

# Waits (at most 60 s) for ecg-run started by start_bg to end; sets STATUS.
wait_bg() {
	local i
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$ECG_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$ECG_PID" 2>/dev/null; then
		kill -9 "$ECG_PID"
		echo "# ecg-run did not end" >&3
	fi
	STATUS=0
	wait "$ECG_PID" || STATUS=$?
}

# inject SYSCALL ARG VALUE ERRNO COMMAND...: COMMAND with that call failing
inject() {
	[ -x "$ECG_BUILD/tests/fault/inject" ] || make_in_build tests/fault/inject
	"$ECG_BUILD/tests/fault/inject" "$@"
}

# How the suite's ecg-run was linked, as the Makefile recorded it (the
# sanitizer and valgrind builds are dynamic); make alone links statically.
link_mode() {
	cat "$ECG_BUILD/link.stamp" 2>/dev/null || echo static
}
