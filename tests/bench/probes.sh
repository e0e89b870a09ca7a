#!/usr/bin/env bash
# probes.sh: what readiness and health checks cost ecg-run, beside a group
# that has none (make bench runs it).
#
# BENCH_PROBE_TASKS sleeping tasks (default 500), ecg-run's CPU time over
# BENCH_PROBE_S seconds (default 10) once all have started, median of
# BENCH_PROBE_RUNS runs (default 3):
#   none      no check (the baseline)
#   ready     ready = tcp on a closed port: never ready, tried again each
#             second (the window begins BENCH_PROBE_SETTLE s, default 3,
#             after the last task started, once the first quick tries,
#             25 ms doubling to 1 s, are over)
#   health    health = tcp on a listening port (one listener task, which
#             the sleepers start after), every health_interval (10 s)
#   http      the same with health = http (an HTTP GET each)
# ECG and BENCH_BIN as for bench.sh.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ECG=${ECG:-$TOP/build/ecg-run}
BENCH_BIN=${BENCH_BIN:-$TOP/build/tests/bench}
MEASURE=$BENCH_BIN/measure
RUNS=${BENCH_PROBE_RUNS:-3}
N=${BENCH_PROBE_TASKS:-500}
WINDOW=${BENCH_PROBE_S:-10}
# after the last task started: readiness checks are then at one a second
SETTLE=${BENCH_PROBE_SETTLE:-3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
note() { printf '%s\n' "$*" >&2; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# A port nobody listens on, and one for the listener.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

group() {	# group MODE FILE
	local mode=$1 i closed port
	closed=$(free_port)
	port=$(free_port)
	{
		echo "[group]"
		echo "stop_timeout = 2s"
		if [ "$mode" = health ] || [ "$mode" = http ]; then
			echo
			echo "[srv]"
			echo "command = exec python3 -m http.server --bind 127.0.0.1 $port"
			echo "ready = tcp 127.0.0.1:$port"
		fi
		for ((i = 0; i < N; i++)); do
			echo
			echo "[s$i]"
			echo "command = exec sleep 1000"
			case $mode in
			ready)
				echo "ready = tcp 127.0.0.1:$closed"
				echo "ready_timeout = 1h" ;;
			health)
				echo "after = srv"
				echo "health = tcp 127.0.0.1:$port" ;;
			http)
				echo "after = srv"
				echo "health = http http://127.0.0.1:$port/" ;;
			esac
		done
	} >"$2"
}

children=$N
echo "### Readiness and health checks: ecg-run's CPU time with $N tasks over ${WINDOW}s (median of $RUNS)"
echo
echo "| checks | CPU s | of one core | checks in the window (about) | CPU per check |"
echo "|---|---|---|---|---|"
for mode in ${BENCH_PROBE_MODES:-none ready health http}; do
	group "$mode" "$work/$mode.ini"
	children=$N
	case $mode in health|http) children=$((N + 1)) ;; esac
	: >"$work/$mode.cpu"
	for ((run = 1; run <= RUNS; run++)); do
		rm -f "$work/res"
		"$MEASURE" -c "$children" -s "$SETTLE" -i "$WINDOW" -T 300 -r "$work/res" -- \
			"$ECG" -q --control none -c "$work/$mode.ini" >/dev/null 2>&1
		cpu=$(tr ' ' '\n' <"$work/res" | sed -n 's/^idle_cpu=//p')
		[ -n "$cpu" ] || { note "probes: $mode run $run: no result: $(cat "$work/res")"; continue; }
		echo "$cpu" >>"$work/$mode.cpu"
	done
	cpu=$(median <"$work/$mode.cpu")
	# the checks made in the window: ready once a second; health every 10 s
	awk -v m="$mode" -v c="$cpu" -v w="$WINDOW" -v n="$N" 'BEGIN {
		k = m == "none" ? 0 : m == "ready" ? n * w : n * w / 10
		per = k >= 1 ? sprintf("%.1f µs", c / k * 1e6) : "–"
		printf "| %s | %.3f | %.2f %% | %.0f | %s |\n", m, c, c / w * 100, k, per }'
done
