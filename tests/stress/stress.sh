#!/usr/bin/env bash
# stress.sh: a randomized fault matrix for ecg-run.
#
#   stress.sh [RUNS] [SEED] [MAX_TASKS]     (STRESS_OUTS="crawl stuck" picks the outputs,
#                                            STRESS_FIRST=N starts at run N)
#
# Each run builds a group of 2..MAX_TASKS tasks mixing long-running,
# one-shot, failing, SIGTERM-ignoring, background-job, double-forked and
# flooding tasks, picks one first cause (a failure, a SIGKILL from outside,
# SIGINT or SIGTERM to ecg-run, a closed stdout, or none) well apart from
# everything else, adds SIGHUP storms and second signals, and sends the
# output to a file, a slow reader, a crawling one (whose backlog outlasts
# the tasks by seconds), a reader that stalls, or one that closes.  It then
# checks: the exit status is the first cause's (or, when ecg-run took a
# second signal as an interrupt while stopping, 130); no process
# of the run is left; every line of every task that ended on its own
# arrived whole, in order, with its checksum; ecg-run ended within its
# bound.  A run is reproducible from its seed and number.
set -u

RUNS=${1:-100}
SEED=${2:-$(( $(date +%s) % 100000 ))}
MAX_TASKS=${3:-200}
FIRST=${STRESS_FIRST:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
ECG=${ECG:-$HERE/../../build/ecg-run}
LINES=${LINES_BIN:-$HERE/../../build/tests/stress/lines}
STOP=0.3		# every task's stop_timeout, seconds
BOUND_MS=5300		# stop_timeout + 2 s + 3 s of slack for a loaded machine
HANG_S=60

work=$(mktemp -d)
trap '[ "$failures" -eq 0 ] && rm -rf "$work"' EXIT

runs=0 failures=0 orphans=0 lines_checked=0 lines_lost=0 hangs=0 late=0 wrong=0
declare -A seen_cause seen_out seen_kind

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

marked() {	# processes carrying the run's marker
	local f
	for f in /proc/[0-9]*/environ; do
		grep -qs -a "STRESS_MARK=$1" "$f" 2>/dev/null && { f=${f#/proc/}; echo "${f%/environ}"; }
	done
}

wait_err() {	# wait_err PATTERN COUNT: until err.txt has COUNT lines with PATTERN
	local k
	for ((k = 0; k < 200; k++)); do
		local n
		n=$(grep -c -- "$1" "$dir/err.txt" 2>/dev/null)
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.01
	done
	return 1
}

fail_run() {
	failures=$((failures + 1))
	echo "FAIL run $id (seed $SEED): $*" >&2
	echo "  reproduce: STRESS_FIRST=$id $0 1 $SEED $MAX_TASKS; files kept in $dir" >&2
	keep=1
}

run_one() {
	local id=$1 n i kind cause T K stdout_mode ms mark dir keep=0
	RANDOM=$(( (SEED * 7919 + id) % 32768 ))
	n=$(( 2 + RANDOM % (MAX_TASKS - 1) ))
	local causes=(none fail fail kill int term epipe)
	cause=${causes[RANDOM % ${#causes[@]}]}
	T=$(( 400 + RANDOM % 600 ))	# ms after start
	K=$(( 1 + RANDOM % 100 ))
	local outs=(${STRESS_OUTS:-file file slow stuck crawl})
	stdout_mode=${outs[RANDOM % ${#outs[@]}]}
	[ "$cause" = epipe ] && stdout_mode=closed
	mark="s${SEED}_$id"
	dir=$work/run$id
	mkdir -p "$dir"
	local bufs=(1K 4K 64K)
	local ini=$dir/g.ini floods=() expect
	{
		# HUP storms are forwarded to the tasks (which ignore them): a HUP
		# that no task took would stop the group itself
		printf '[group]\nstop_timeout = %ss\nbuffer = %s\nforward = HUP\n' "$STOP" "${bufs[RANDOM % 3]}"
		for ((i = 1; i <= n; i++)); do
			if [ "$cause" = none ]; then
				local kinds=(oneshot flood flood bgshort daemonshort)
			else
				local kinds=(long oneshot ignterm bgjobs daemon flood flood)
			fi
			kind=${kinds[RANDOM % ${#kinds[@]}]}
			seen_kind[$kind]=$(( ${seen_kind[$kind]:-0} + 1 ))
			case $kind in
			long) printf '[long%d]\ncommand = trap "" HUP; exec sleep 300\n' "$i" ;;
			oneshot) printf '[one%d]\ncommand = trap "" HUP; sleep 0.0%d; echo one%d done\n' "$i" $((RANDOM % 10)) "$i" ;;
			ignterm) printf '[ign%d]\ncommand = trap "" HUP TERM; exec sleep 300\n' "$i" ;;
			bgjobs) printf '[bg%d]\ncommand = trap "" HUP; sleep 300 & sleep 301 & echo jobs; wait\n' "$i" ;;
			bgshort) printf '[bg%d]\ncommand = trap "" HUP; sleep 300 & echo started a job\n' "$i" ;;
			daemon) printf '[dmn%d]\ncommand = trap "" HUP; (setsid sh -c "exec sleep 300" &); exec sleep 300\n' "$i" ;;
			daemonshort) printf '[dmn%d]\ncommand = trap "" HUP; (setsid sh -c "exec sleep 300" &); sleep 0.1\n' "$i" ;;
			flood)
				local count=$(( 100 + RANDOM % 20000 ))
				# a crawling reader takes ~100 KB/s: keep its runs short
				[ "$stdout_mode" = crawl ] && count=$(( 50 + count % 300 ))
				floods+=("gen$i=$count")
				printf '[gen%d]\ncommand = trap "" HUP; exec "%s" gen gen%d %d\n' "$i" "$LINES" "$i" "$count"
				;;
			esac
		done
		case $cause in
		fail) printf '[cause]\ncommand = trap "" HUP; sleep %d.%03d; exit %d\n' $((T / 1000)) $((T % 1000)) "$K" ;;
		kill) printf '[victim]\ncommand = trap "" HUP; echo $$ > "%s/victim.pid"; exec sleep 300\n' "$dir" ;;
		epipe) printf '[ticker]\ncommand = trap "" HUP; while :; do echo tick; sleep 0.01; done\n' ;;
		# a group of one-shot and flood tasks alone may end before the
		# signal is sent (run 430 of seed 2611): it then rightly exits 0
		int|term) printf '[hold]\ncommand = trap "" HUP; exec sleep 300\n' ;;
		esac
	} >"$ini"
	case $cause in
	none) expect=0 ;; fail) expect=$K ;; kill) expect=137 ;;
	int) expect=130 ;; term) expect=143 ;; epipe) expect=141 ;;
	esac
	seen_cause[$cause]=$(( ${seen_cause[$cause]:-0} + 1 ))
	seen_out[$stdout_mode]=$(( ${seen_out[$stdout_mode]:-0} + 1 ))

	# ecg-run itself, its output going where this run says
	local out=$dir/out.txt err=$dir/err.txt pid t0 t_end status
	t0=$(now_ms)
	local rpid=
	if [ "$stdout_mode" = file ]; then
		env STRESS_MARK="$mark" "$ECG" -c "$ini" >"$out" 2>"$err" &
	else
		mkfifo "$dir/pipe"
		case $stdout_mode in
		slow) "$LINES" slowcat <"$dir/pipe" >"$out" & ;;
		crawl) "$LINES" slowcat 5000 <"$dir/pipe" >"$out" & ;;
		stuck) (sleep 1.5; exec cat) <"$dir/pipe" >"$out" & ;;
		closed) head -c 3000 <"$dir/pipe" >/dev/null & ;;
		esac
		rpid=$!
		env STRESS_MARK="$mark" "$ECG" -c "$ini" >"$dir/pipe" 2>"$err" &
	fi
	pid=$!

	# the cause, then disturbances; a storm waits until every task has set
	# its trap, or it would be the first cause itself
	local storm=$(( RANDOM % 3 )) second=$(( RANDOM % 2 ))
	if [ "$storm" -eq 0 ] && [ "$cause" != none ] && [ "$cause" != epipe ]; then
		wait_err ": started" "$n"
		sleep 0.1
		for i in 1 2 3 4 5; do
			sleep 0.0$((RANDOM % 10)); kill -HUP "$pid" 2>/dev/null
		done
	fi
	local elapsed=$(( $(now_ms) - t0 ))
	[ "$elapsed" -lt "$T" ] && sleep "$(printf '0.%03d' $((T - elapsed)))"
	local t_cause=$(now_ms)
	case $cause in
	kill)
		local v
		for ((i = 0; i < 100; i++)); do [ -s "$dir/victim.pid" ] && break; sleep 0.02; done
		v=$(cat "$dir/victim.pid" 2>/dev/null)
		[ -n "$v" ] && kill -KILL "$v"
		t_cause=$(now_ms)
		;;
	int) kill -INT "$pid" ;;
	term) kill -TERM "$pid" ;;
	none) t_cause=$t0 ;;
	epipe) t_cause=$t0 ;;
	esac
	if [ "$second" -eq 1 ] && [ "$cause" != none ]; then
		wait_err "stopping the group" 1
		kill -HUP "$pid" 2>/dev/null
		kill -INT "$pid" 2>/dev/null
	fi

	# bounded wait for the end
	for ((i = 0; i < HANG_S * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		hangs=$((hangs + 1))
		kill -9 "$pid"
		fail_run "hang: ecg-run still running after ${HANG_S}s"
	fi
	t_end=$(now_ms)
	status=0
	wait "$pid" || status=$?
	[ -n "$rpid" ] && wait "$rpid" 2>/dev/null	# the reader has all there is
	# an interrupt while stopping decides how ecg-run ends (the first one)
	if [ "$cause" != int ] && [ "$cause" != term ] &&
		grep -q "received SIGINT while stopping" "$err"; then
		expect=130
	fi

	if [ "$status" -ne "$expect" ]; then
		wrong=$((wrong + 1))
		fail_run "cause $cause: status $status, expected $expect"
	fi
	if [ "$cause" != none ] && [ $((t_end - t_cause)) -gt "$BOUND_MS" ]; then
		late=$((late + 1))
		fail_run "cause $cause: ended $((t_end - t_cause)) ms after it (bound ${BOUND_MS} ms)"
	fi
	local left
	for ((i = 0; i < 20; i++)); do
		left=$(marked "$mark")
		[ -z "$left" ] && break
		sleep 0.05
	done
	if [ -n "$left" ]; then
		orphans=$(( orphans + $(echo "$left" | wc -l) ))
		fail_run "left running: $(ps -o pid=,args= -p "$(echo $left | tr ' ' ,)" | head -5 | tr '\n' ';')"
		kill -9 $left 2>/dev/null
	fi
	if [ "$stdout_mode" != closed ]; then
		# tasks that ended on their own must have every line
		local want=() f name
		# unless the deadline after a cancellation cut the output short
		# (ecg-run then says so), which a crawling reader can make happen
		if ! grep -q "could not be written to stdout in time" "$err"; then
			for f in "${floods[@]}"; do
				name=${f%%=*}
				grep -q "ecg-run: $name: exited with status 0" "$err" && want+=("$f")
			done
		fi
		local report
		report=$("$LINES" check "${want[@]}" <"$out" 2>"$dir/check.err")
		local got bad
		got=$(echo "$report" | awk '/^lines/ { print $2 }')
		bad=$(echo "$report" | awk '/^lines/ { print $4 }')
		lines_checked=$((lines_checked + ${got:-0}))
		if [ "${bad:-1}" -ne 0 ]; then
			lines_lost=$((lines_lost + ${bad:-1}))
			fail_run "lines: $(head -3 "$dir/check.err" | tr '\n' ';')"
		fi
	fi
	runs=$((runs + 1))
	[ "$keep" -eq 0 ] && rm -rf "$dir"
	return 0
}

start=$(date +%s)
for ((id = FIRST; id < FIRST + RUNS; id++)); do
	run_one "$id"
	if (( (id - FIRST + 1) % 50 == 0 )); then
		echo "# $((id - FIRST + 1)) runs, $failures failures, $(( $(date +%s) - start )) s" >&2
	fi
done

echo "stress: seed $SEED, $RUNS runs, up to $MAX_TASKS tasks, $(( $(date +%s) - start )) s"
echo -n "scenarios: causes"
for k in "${!seen_cause[@]}"; do echo -n " $k=${seen_cause[$k]}"; done
echo -n "; stdout"
for k in "${!seen_out[@]}"; do echo -n " $k=${seen_out[$k]}"; done
echo -n "; tasks"
for k in "${!seen_kind[@]}"; do echo -n " $k=${seen_kind[$k]}"; done
echo
echo "runs $runs, orphans found $orphans, lines checked $lines_checked, lines lost $lines_lost, hangs $hangs, wrong status $wrong, past bound $late"
if [ "$failures" -eq 0 ]; then
	echo "ok 1 stress: $RUNS runs, no failure"
	exit 0
fi
echo "not ok 1 stress: $failures failing runs"
exit 1
