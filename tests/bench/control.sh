#!/usr/bin/env bash
# control.sh: what the control socket (ecg-run ctl) costs, each figure
# beside a baseline measured in the same run.
#
#   C1  ctl status of N sleeping tasks (N = 1, 1,000, 5,000): the median
#       wall time of BENCH_CTL_CALLS calls, from ctl's start to its exit
#   C2  idle: ecg-run's context switches and CPU time over BENCH_IDLE_S s
#       with 10 sleeping tasks: no socket (--control none), the socket, the
#       socket with a client connected that follows the events
#   C3  W1 (BENCH_TASKS tasks x BENCH_CTL_LINES lines of 100 B) with the
#       socket against --control none, runs interleaved; every line checked
#
# make bench runs it after bench.sh.  ECG and BENCH_BIN as for bench.sh.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ECG=${ECG:-$TOP/build/ecg-run}
BENCH_BIN=${BENCH_BIN:-$TOP/build/tests/bench}
BL=$BENCH_BIN/benchlines
RUNS=${BENCH_RUNS:-5}
CALLS=${BENCH_CTL_CALLS:-21}
IDLE_S=${BENCH_IDLE_S:-10}
TASKS=${BENCH_TASKS:-4}
LINES=${BENCH_CTL_LINES:-1000000}

work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

note() { printf '%s\n' "$*" >&2; }
now_ns() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# sleepers N FILE: a group of N sleeping tasks
sleepers() {
	local i
	{
		echo "[group]"
		echo "stop_timeout = 1s"
		for ((i = 0; i < $1; i++)); do
			printf '\n[s%d]\ncommand = exec sleep 1000\n' "$i"
		done
	} >"$2"
}

# start FILE OPTIONS...: ecg-run in the background, ready; sets pid
start() {
	local file=$1
	shift
	"$ECG" -q "$@" -c "$file" >/dev/null 2>&1 &
	pid=$!
}

stop() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}

echo "## ecg-run ctl: cost of the control socket"
echo
echo "### C1: ctl status of N tasks (median of $CALLS calls, ms)"
echo
echo "| tasks | status | per task | ratio to 1 task |"
echo "|---|---|---|---|"
base=
for n in 1 1000 5000; do
	sleepers "$n" "$work/s.ini"
	start "$work/s.ini" --control "$work/c.sock"
	if ! timeout 120 "$ECG" ctl -s "$work/c.sock" wait --timeout 100s >/dev/null 2>&1; then
		# the socket may not be there yet: try again once it is
		for ((i = 0; i < 600; i++)); do
			[ -S "$work/c.sock" ] && break
			sleep 0.1
		done
		timeout 120 "$ECG" ctl -s "$work/c.sock" wait --timeout 100s >/dev/null 2>&1
	fi
	rows=$("$ECG" ctl -s "$work/c.sock" status | wc -l)
	[ "$rows" -eq $((n + 1)) ] || note "C1: $n tasks: status has $rows lines, not $((n + 1))"
	for ((c = 0; c < CALLS; c++)); do
		t0=$(now_ns)
		"$ECG" ctl -s "$work/c.sock" status >/dev/null
		t1=$(now_ns)
		echo $(((t1 - t0) / 1000))
	done >"$work/c1"
	us=$(median <"$work/c1")
	stop
	[ -n "$base" ] || base=$us
	awk -v n="$n" -v us="$us" -v base="$base" 'BEGIN {
		printf "| %d | %.2f | %.4f | %.2fx |\n", n, us / 1000, us / 1000 / n, us / base }'
done

# switches PID: voluntary + involuntary context switches, and CPU ticks
switches() {
	awk '/ctxt_switches/ { n += $2 } END { printf "%d ", n }' "/proc/$1/status"
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

echo
echo "### C2: idle, 10 sleeping tasks, ${IDLE_S}s (ecg-run's wakeups and CPU ticks)"
echo
echo "| socket | context switches | CPU ticks |"
echo "|---|---|---|"
sleepers 10 "$work/i.ini"
for mode in none socket client; do
	if [ "$mode" = none ]; then
		start "$work/i.ini" --control none
		sleep 1
	else
		start "$work/i.ini" --control "$work/i.sock"
		for ((i = 0; i < 100; i++)); do
			"$ECG" ctl -s "$work/i.sock" wait >/dev/null 2>&1 && break
			sleep 0.1
		done
	fi
	client=
	if [ "$mode" = client ]; then
		"$ECG" ctl -s "$work/i.sock" events >/dev/null 2>&1 &
		client=$!
		sleep 1
	fi
	read -r sw0 t0 < <(switches "$pid")
	sleep "$IDLE_S"
	read -r sw1 t1 < <(switches "$pid")
	[ -n "$client" ] && kill "$client" 2>/dev/null
	stop
	[ -n "$client" ] && wait "$client" 2>/dev/null
	echo "| $mode | $((sw1 - sw0)) | $((t1 - t0)) |"
done

echo
echo "### C3: W1, $TASKS x $LINES lines, the socket against none (median of $RUNS, s)"
echo
{
	for ((i = 0; i < TASKS; i++)); do
		printf '\n[g%d]\ncommand = %s gen %d %d 100 0\n' "$i" "$BL" "$i" "$LINES"
	done
} >"$work/w1.ini"
: >"$work/none"
: >"$work/socket"
for ((run = 1; run <= RUNS; run++)); do
	for mode in none socket; do
		opt=(--control none)
		[ "$mode" = socket ] && opt=(--control "$work/w.sock")
		t0=$(now_ns)
		"$ECG" "${opt[@]}" -c "$work/w1.ini" >"$work/out" 2>/dev/null
		t1=$(now_ns)
		verdict=$("$BL" check -P "$TASKS" "$LINES" "$work/out")
		case $verdict in ok*) ;; *) note "C3: $mode run $run: $verdict" ;; esac
		echo $(((t1 - t0) / 1000)) >>"$work/$mode"
	done
done
none=$(median <"$work/none")
sock=$(median <"$work/socket")
awk -v a="$none" -v b="$sock" 'BEGIN {
	printf "| --control none | %.3f | 1.00x |\n| the socket | %.3f | %.3fx |\n", a / 1e6, b / 1e6, b / a }' |
	{ echo "| socket | wall | ratio |"; echo "|---|---|---|"; cat; }
