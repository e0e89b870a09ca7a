#!/usr/bin/env bash
# bench.sh: ecg-run against the tools people use instead, and two baselines.
#
#   bench.sh            (make bench: installs the peers and builds first)
#
# Workloads (sizes are variables, for quick runs):
#   W1   throughput: BENCH_TASKS tasks x BENCH_LINES lines of 100 B, each
#        task writing whole lines 64 KiB at a time; output to a tmpfs file
#   W1b  the same lines in 4,096-byte writes that cut lines anywhere
#   W2   cancel latency: BENCH_SLEEPERS sleeping tasks and one that exits 3
#        after 0.5 s; from the failure to the supervisor's exit
#   W3   start-up: BENCH_START tasks that exit 0 at once
#   W4   memory: RSS with BENCH_IDLE_TASKS idle tasks; peak RSS while one
#        task floods BENCH_FLOOD_LINES lines into a reader that pauses
#        BENCH_PAUSE s before it reads
#   W5   idle cost: CPU time and context switches over BENCH_IDLE_S s with
#        10 sleeping tasks
# The files are in a fresh directory in /dev/shm (a tmpfs), or in BENCH_DIR
# when it is set (a disk-backed file system, for W1's log files).
# (W5 runs the tools side by side, each measured on its own: that keeps the
# whole run under 15 minutes on 2 cores.)
# Tools: raw (each task to its own file: the physical limit; in W3 a bare
# posix_spawn loop), relay (W1 only: one process copying the pipes to the
# file, no prefix, no line handling: the floor for any single-process
# supervisor; in W1 and W1b also relay-prefix, relay -p: every whole line
# with a prefix, one memchr and one copy a line, the floor for one that
# prefixes lines, and relay-log, relay -l: also a log file per task),
# shell (a & b & wait into one file, no prefix: the floor),
# minisup (a minimal C supervisor as multirun is: every task in a process
# group of its own, its output passed through, all stopped at the first
# failure; linked against the shared libraries; in W2 also minisup-pipes,
# minisup -p: each task's stdout and stderr through a pipe of its own that
# it reads to the end, as any supervisor that prefixes lines must, and
# minisup-sessions, minisup -p -s: also each task in a session of its own,
# as ecg-run starts them),
# ecg-run, GNU parallel (--line-buffer --tag), concurrently, foreman; in W1
# and W1b also ecg-run-events (ecg-run --events FILE) and ecg-run-log
# (ecg-run with every task's lines also in a log file of its own,
# log = ...%n); in W4's idle runs also ecg-run-shared
# (ecg-run linked against the shared libraries instead of statically, as
# make builds it).  Each figure is the median
# of BENCH_RUNS runs (BENCH_PEER_RUNS for GNU parallel, concurrently and
# foreman) with min and max, and its ratio to the shell baseline of the
# same run (in W1 and W1b also to the relay).  A run past BENCH_TIMEOUT seconds is killed, and that
# tool is not run again in that workload.  Every process started carries a
# marker in its environment; any left after a run is counted and killed.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ECG=${ECG:-$TOP/build/ecg-run}
# the helpers, built by make in build/tests/bench
BENCH_BIN=${BENCH_BIN:-$TOP/build/tests/bench}
BL=$BENCH_BIN/benchlines
MEASURE=$BENCH_BIN/measure
RELAY=$BENCH_BIN/relay
MINISUP=$BENCH_BIN/minisup
# ecg-run linked against the shared libraries (make VARIANT=dynamic): W4
# idle only, to show what the default static link saves
ECG_SHARED=${ECG_SHARED:-$TOP/build/dynamic/ecg-run}
CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ecg-run-bench}
CONCURRENTLY=${CONCURRENTLY:-$CACHE/node_modules/.bin/concurrently}

RUNS=${BENCH_RUNS:-5}
# GNU parallel, concurrently and foreman take most of the bench's time:
# their figures are medians of fewer runs (at most RUNS)
PEER_RUNS=${BENCH_PEER_RUNS:-3}
TASKS=${BENCH_TASKS:-4}
LINES=${BENCH_LINES:-2000000}
SLEEPERS=${BENCH_SLEEPERS:-100}
START=${BENCH_START:-1000}
IDLE_TASKS=${BENCH_IDLE_TASKS:-200}
FLOOD_LINES=${BENCH_FLOOD_LINES:-10737418}	# 1 GiB of 100-byte lines
PAUSE=${BENCH_PAUSE:-5}
IDLE_S=${BENCH_IDLE_S:-10}
TIMEOUT=${BENCH_TIMEOUT:-15}
TOOLS=${BENCH_TOOLS:-raw relay shell minisup ecg-run parallel concurrently foreman}
WORKLOADS=${BENCH_WORKLOADS:-W1 W1b W2 W3 W4 W5}

for f in "$ECG" "$BL" "$MEASURE" "$RELAY" "$MINISUP"; do
	[ -x "$f" ] || { echo "bench: $f is missing: run make bench" >&2; exit 2; }
done
ECG=$(cd "$(dirname "$ECG")" && pwd)/$(basename "$ECG")

if [ -n "${BENCH_DIR:-}" ]; then
	work=$(mktemp -d "$BENCH_DIR/ecg-bench.XXXXXX")
elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
	work=$(mktemp -d /dev/shm/ecg-bench.XXXXXX)
else
	work=$(mktemp -d)
fi
MARK=ecgbench$$.$RANDOM
results=$work/results.txt
: >"$results"

marked() {	# marked MARK: the processes carrying MARK that are still there
	grep -F -l -a -s "BENCH_MARK=$1" /proc/[0-9]*/environ 2>/dev/null |
		sed 's|/proc/\([0-9]*\)/environ|\1|'
}

sweep() {	# sweep MARK: kills what is left; prints how many there were
	local pids n=0 k
	for ((k = 0; k < 50; k++)); do
		pids=$(marked "$1")
		[ -z "$pids" ] && break
		[ "$k" -eq 0 ] && n=$(wc -w <<<"$pids")
		# shellcheck disable=SC2086
		kill -9 $pids 2>/dev/null
		sleep 0.02
	done
	echo "$n"
}

cleanup() {
	sweep "$MARK" >/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_run() {	# in_run TOOL RUN: TOOL is measured in run RUN
	case $1 in
	parallel|concurrently|foreman) [ "$2" -le "$PEER_RUNS" ] ;;
	*) return 0 ;;
	esac
}

have() {	# have TOOL: the tool can run here
	case $1 in
	raw|relay|relay-log|relay-prefix|shell|minisup|minisup-pipes|minisup-sessions|ecg-run|ecg-run-events|ecg-run-log) return 0 ;;
	ecg-run-shared) [ -x "$ECG_SHARED" ] ;;
	parallel) command -v parallel >/dev/null ;;
	foreman) command -v foreman >/dev/null ;;
	concurrently) [ -x "$CONCURRENTLY" ] && command -v node >/dev/null ;;
	*) return 1 ;;
	esac
}

# --- group files: one per tool and workload, from a list of NAME CMD lines
# (the commands are simple words: no quoting is needed in any format).

ecg_conf() {	# ecg_conf FILE < list
	local name cmd
	{
		echo "[group]"
		echo "stop_timeout = 5s"
		while read -r name cmd; do
			printf '\n[%s]\ncommand = %s\n' "$name" "$cmd"
		done
	} >"$1"
}

procfile() {	# procfile FILE < list
	local name cmd
	while read -r name cmd; do
		printf '%s: %s\n' "$name" "$cmd"
	done >"$1"
}

sh_script() {	# sh_script FILE MODE < list: the shell baseline
	local name cmd
	{
		case $2 in
		term) echo 'trap '\''kill $(jobs -p) 2>/dev/null; wait; exit 143'\'' TERM' ;;
		esac
		while read -r name cmd; do
			echo "$cmd &"
		done
		case $2 in
		errgroup) echo 'wait -n; s=$?; kill $(jobs -p) 2>/dev/null; wait; exit $s' ;;
		*) echo 'wait' ;;
		esac
	} >"$1"
}

# command_for TOOL LIST MODE: the command line, one word per line, that runs
# the tasks of LIST (a file of NAME CMD lines) under TOOL.  MODE is
# errgroup (stop all at the first failure) or plain.
command_for() {
	local tool=$1 list=$2 mode=$3 name cmd
	case $tool in
	raw)
		if [ "$mode" = spawn ]; then	# W3: a bare posix_spawn loop
			printf '%s\n' "$MEASURE" spawn "$(wc -l <"$list")"
			head -1 "$list" | cut -d' ' -f2- | tr ' ' '\n'
		else
			sh_script "$list.sh" "$mode" <"$list"
			printf '%s\n' bash "$list.sh"
		fi ;;
	shell)
		sh_script "$list.sh" "$mode" <"$list"
		printf '%s\n' bash "$list.sh" ;;
	minisup|minisup-pipes|minisup-sessions)
		printf '%s\n' "$MINISUP"
		[ "$tool" != minisup ] && printf '%s\n' -p
		[ "$tool" = minisup-sessions ] && printf '%s\n' -s
		while read -r name cmd; do
			printf '%s\n' "$cmd"
		done <"$list" ;;
	relay|relay-log|relay-prefix)
		printf '%s\n' "$RELAY"
		[ "$tool" = relay-log ] && printf '%s\n' -l "$work/log"
		[ "$tool" = relay-prefix ] && printf '%s\n' -p
		while read -r name cmd; do
			printf '%s\n' "$cmd"
		done <"$list" ;;
	ecg-run|ecg-run-shared|ecg-run-log|ecg-run-events)
		ecg_conf "$list.ini" <"$list"
		[ "$tool" = ecg-run-log ] && sed -i "1a log = $work/log.%n" "$list.ini"
		if [ "$tool" = ecg-run-events ]; then
			printf '%s\n' "$ECG" --events "$work/events.jsonl" -c "$list.ini"
		elif [ "$tool" != ecg-run-shared ]; then
			printf '%s\n' "$ECG" -c "$list.ini"
		else
			printf '%s\n' "$ECG_SHARED" -c "$list.ini"
		fi ;;
	parallel)
		printf '%s\n' parallel -j0 --line-buffer --tag
		[ "$mode" = errgroup ] && printf '%s\n' --halt now,fail=1
		printf '%s\n' :::
		while read -r name cmd; do
			printf '%s\n' "$cmd"
		done <"$list" ;;
	concurrently)
		printf '%s\n' "$CONCURRENTLY" -n "$(cut -d' ' -f1 "$list" | paste -sd,)"
		[ "$mode" = errgroup ] && printf '%s\n' --kill-others-on-fail
		while read -r name cmd; do
			printf '%s\n' "$cmd"
		done <"$list" ;;
	foreman)
		procfile "$list.Procfile" <"$list"
		printf '%s\n' foreman start -f "$list.Procfile" -d "$work" ;;
	esac
}

# measure_tool W TOOL RUN LIST MODE OUT [MEASURE-OPTIONS...]: one measured
# run of the tasks in LIST, its stdout to OUT; prints its result line with
# the number of its processes left after it ended (then killed).
measure_tool() {
	local w=$1 tool=$2 run=$3 list=$4 mode=$5 out=$6 res=$4.res
	local mark=$MARK.$1.$2.$3. line left
	shift 6
	local -a cmd
	mapfile -t cmd < <(command_for "$tool" "$list" "$mode")
	rm -f "$res"
	env BENCH_MARK="$mark" "$MEASURE" -T "$TIMEOUT" -r "$res" "$@" -- "${cmd[@]}" \
		</dev/null >"$out" 2>"$list.err"
	left=$(sweep "$mark")
	line=$(cat "$res" 2>/dev/null)
	[ -n "$line" ] || line="status=-1 timeout=0 wall=0"
	echo "w=$w tool=$tool run=$run $line left=$left"
}

timed_out() {	# timed_out W TOOL: a run of TOOL in W was killed
	grep -q "^w=$1 tool=$2 .* timeout=1" "$results"
}

# each_tool W SKIP FN: RUNS times, every installed tool not in SKIP that has
# not been killed in W yet: appends the result line that FN TOOL RUN prints.
each_tool() {
	local w=$1 skip=" $2 " fn=$3 run tool
	for ((run = 1; run <= RUNS; run++)); do
		for tool in $TOOLS; do
			case $skip in *" $tool "*) continue ;; esac
			in_run "$tool" "$run" || continue
			have "$tool" && ! timed_out "$w" "$tool" || continue
			"$fn" "$tool" "$run" >>"$results"
			note "$w run $run: $tool: $(tail -1 "$results")"
		done
	done
}

note() { printf '%s\n' "$*" >&2; }

# --- W1 and W1b -------------------------------------------------------------

throughput() {	# throughput W CHUNK
	local w=$1 chunk=$2 run tool list=$work/$1.list i out line verdict popt lv
	for ((i = 0; i < TASKS; i++)); do
		echo "g$i $BL gen $i $LINES 100 $chunk"
	done >"$list"
	for ((i = 0; i < TASKS; i++)); do
		echo "g$i $BL gen $i $LINES 100 $chunk >$work/raw.$i"
	done >"$list.raw"
	# a first run that is not counted: the machine's memory gets touched once
	measure_tool "$w" shell 0 "$list" plain "$work/out.txt" >/dev/null
	rm -f "$work/out.txt"
	for ((run = 1; run <= RUNS; run++)); do
		for tool in ${TOOLS/ecg-run/ecg-run ecg-run-events ecg-run-log}; do
			[ "$tool" = relay ] && have relay && tool="relay relay-prefix relay-log"
			in_run "$tool" "$run" || continue
			for tool in $tool; do
			have "$tool" && ! timed_out "$w" "$tool" || continue
			out=$work/out.txt
			if [ "$tool" = raw ]; then
				line=$(measure_tool "$w" raw "$run" "$list.raw" plain "$out" -t)
				verdict=$("$BL" check "$TASKS" "$LINES" "$work"/raw.*)
				rm -f "$work"/raw.*
			else
				line=$(measure_tool "$w" "$tool" "$run" "$list" plain "$out" -t)
				case $tool in
				shell|relay|relay-log|minisup) popt= ;;
				foreman) popt=-p ;;	# its prefix carries the time
				*) popt=-P ;;
				esac
				# shellcheck disable=SC2086
				verdict=$("$BL" check $popt "$TASKS" "$LINES" "$out")
				rm -f "$work/events.jsonl"
				if [ "$tool" = relay-log ]; then
					rm -f "$work"/log.*
				elif [ "$tool" = ecg-run-log ]; then
					# and the log files: every line, whole, without prefix
					lv=$("$BL" check "$TASKS" "$LINES" "$work"/log.*)
					case $lv in
					ok*) verdict="$verdict, logs $lv" ;;
					*) verdict="logs: $lv" ;;
					esac
					rm -f "$work"/log.*
				fi
			fi
			rm -f "$out"
			echo "$line verdict=${verdict// /_}" >>"$results"
			note "$w run $run: $tool: $(tail -1 "$results")"
			done
		done
	done
}

# --- W2 ---------------------------------------------------------------------

cancel_once() {	# cancel_once TOOL RUN
	rm -f "$work/failed-at"
	measure_tool W2 "$1" "$2" "$work/W2.list" errgroup /dev/null -F "$work/failed-at"
}

cancel_latency() {
	local i
	for ((i = 0; i < SLEEPERS; i++)); do
		echo "s$i sleep 1000"
	done >"$work/W2.list"
	echo "fail $MEASURE fail 500 3 $work/failed-at" >>"$work/W2.list"
	# minisup-pipes: minisup with each task's output through two pipes,
	# as ecg-run's: what reading and closing them costs, in the same run;
	# minisup-sessions: and each task a session of its own, as ecg-run's
	# (with automatic scheduler groups, each session is one to the kernel)
	TOOLS=${TOOLS/minisup/minisup minisup-pipes minisup-sessions} each_tool W2 "raw relay" cancel_once
}

# --- W3 ---------------------------------------------------------------------

startup_once() {	# startup_once TOOL RUN; raw is a bare posix_spawn loop
	local mode=plain
	[ "$1" = raw ] && mode=spawn
	measure_tool W3 "$1" "$2" "$work/W3.list" "$mode" /dev/null
}

startup() {
	local i
	for ((i = 0; i < START; i++)); do
		echo "t$i true"
	done >"$work/W3.list"
	each_tool W3 relay startup_once
}

# --- W4 and W5 ---------------------------------------------------------------

# side_by_side W RUN LIST N WINDOW: every tool runs the N tasks of LIST at
# the same time as the others, each measured on its own over an idle
# window: CPU time and context switches are each process's own.
side_by_side() {
	local w=$1 run=$2 list=$3 n=$4 window=$5 tool
	for tool in $TOOLS; do
		case $tool in raw|relay) continue ;; esac
		in_run "$tool" "$run" || continue
		have "$tool" && ! timed_out "$w" "$tool" || continue
		mkdir -p "$work/$w.$tool"
		cp "$list" "$work/$w.$tool/list"
		measure_tool "$w" "$tool" "$run" "$work/$w.$tool/list" term /dev/null \
			-c "$n" -i "$window" >"$work/$w.$tool/result" &
	done
	wait
	for tool in $TOOLS; do
		[ -f "$work/$w.$tool/result" ] || continue
		cat "$work/$w.$tool/result" >>"$results"
		rm -f "$work/$w.$tool/result"
		note "$w run $run: $tool: $(tail -1 "$results")"
	done
}

memory() {
	local run tool t idle list=$work/W4.list flood=$work/W4f.list i line verdict popt
	for ((i = 0; i < IDLE_TASKS; i++)); do
		echo "s$i sleep 1000"
	done >"$list"
	echo "g0 $BL gen 0 $FLOOD_LINES" >"$flood"
	for ((run = 1; run <= RUNS; run++)); do
		for tool in $TOOLS; do
			case $tool in raw|relay) continue ;; esac
			in_run "$tool" "$run" || continue
			# one at a time: 200 tasks started by every tool at once take
			# the slow starters past the time limit
			idle=$tool
			[ "$tool" = ecg-run ] && idle="ecg-run ecg-run-shared"
			for t in $idle; do
				have "$t" && ! timed_out W4 "$t" || continue
				measure_tool W4 "$t" "$run" "$list" term /dev/null \
					-c "$IDLE_TASKS" -i 1 >>"$results"
				note "W4 run $run: $t: $(tail -1 "$results")"
			done
			have "$tool" && ! timed_out W4f "$tool" || continue
			case $tool in
			shell|minisup) popt= ;;
			foreman) popt=-p ;;
			*) popt=-P ;;
			esac
			# the reader: pauses, then checks every line
			line=$(measure_tool W4f "$tool" "$run" "$flood" plain "$work/fifo" -t &
				# shellcheck disable=SC2086
				"$BL" check -w "$PAUSE" $popt 1 "$FLOOD_LINES" <"$work/fifo" \
					>"$work/verdict.txt"
				wait)
			verdict=$(cat "$work/verdict.txt")
			echo "$line verdict=${verdict// /_}" >>"$results"
			note "W4 flood run $run: $tool: $(tail -1 "$results")"
		done
	done
}

idle_cost() {
	local run list=$work/W5.list i
	for ((i = 0; i < 10; i++)); do
		echo "s$i sleep 1000"
	done >"$list"
	for ((run = 1; run <= RUNS; run++)); do
		side_by_side W5 "$run" "$list" 10 "$IDLE_S"
	done
}

mkfifo "$work/fifo"
started=$(date +%s)
for w in $WORKLOADS; do
	case $w in
	W1) throughput W1 0 ;;
	W1b) throughput W1b 4096 ;;
	W2) cancel_latency ;;
	W3) startup ;;
	W4) memory ;;
	W5) idle_cost ;;
	*) note "bench: unknown workload $w"; exit 2 ;;
	esac
done
elapsed=$(( $(date +%s) - started ))

cp "$results" "${BENCH_RESULTS:-/dev/null}" 2>/dev/null
report_tools=${TOOLS/relay/relay relay-prefix relay-log}
report_tools=${report_tools/minisup/minisup minisup-pipes minisup-sessions}
report_tools=${report_tools/ecg-run/ecg-run ecg-run-events ecg-run-log ecg-run-shared}
awk -v runs="$RUNS" -v tasks="$TASKS" -v lines="$LINES" -v sleepers="$SLEEPERS" \
	-v start="$START" -v idle_tasks="$IDLE_TASKS" -v flood="$FLOOD_LINES" \
	-v pause="$PAUSE" -v idle_s="$IDLE_S" -v timeout="$TIMEOUT" -v elapsed="$elapsed" \
	-v tools="$report_tools" -v fs="$(stat -f -c %T "$work" 2>/dev/null || echo ?)" \
	-v autogroup="$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" \
	-f "$HERE/report.awk" "$results"
