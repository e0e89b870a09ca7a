#!/usr/bin/env bats
# The benchmark's helpers (tests/bench/): the checker must catch every kind of
# damage to the lines, and measure must report what happened, or the
# figures in tests/bench/RESULTS.md would mean nothing.

load helper

BENCH="$ECG_BUILD/tests/bench"

setup_file() {
	make_in_build tests/bench/benchlines tests/bench/measure tests/bench/relay tests/bench/erebench \
		tests/bench/minisup
}

# two tasks of 1000 lines, with "NAME | " prefixes
lines() {
	"$BENCH/benchlines" gen 0 1000 | sed 's/^/a | /' >out.txt
	"$BENCH/benchlines" gen 1 1000 100 7 | sed 's/^/b | /' >>out.txt
}

@test "benchlines: lines written in pieces that cut them check whole" {
	"$BENCH/benchlines" gen 0 5000 100 7 >t0
	"$BENCH/benchlines" gen 1 5000 60 4096 >t1
	[ "$(wc -c <t0)" -eq 500000 ]
	run "$BENCH/benchlines" check 1 5000 t0
	[ "$status" -eq 0 ]
	[ "$output" = "ok 5000 lines (0 others)" ]
	run "$BENCH/benchlines" check -l 60 2 5000 t1
	[ "$status" -eq 1 ]	# task 0 is missing
	[[ "$output" == *"lost 5000"* ]]
	lines
	run "$BENCH/benchlines" check -P 2 1000 out.txt
	[ "$status" -eq 0 ]
	[ "$output" = "ok 2000 lines (0 others)" ]
}

@test "benchlines: lost, repeated, swapped, torn and altered lines are all caught" {
	lines
	bad() {		# bad SED-SCRIPT WHAT: the damage is reported as WHAT
		sed "$1" out.txt >bad.txt
		run "$BENCH/benchlines" check -P 2 1000 bad.txt
		echo "$1: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == "BAD "*"$2"* ]]
	}
	bad '500d' 'lost 1'
	bad '500p' 'dup 1'
	bad '500{h;d};501G' 'dup 1'
	bad '700s/^\(.\{40\}\).*/\1/' 'torn 1'
	bad '700s/xyz/xyZ/' 'torn 1'
	bad '$d' 'lost 1'
	bad '1500{N;s/\n//}' 'torn 1'
	# a message of the supervisor's own is counted, not an error
	sed '10a ecg-run: a: started' out.txt >msg.txt
	run "$BENCH/benchlines" check -P 2 1000 msg.txt
	[ "$status" -eq 0 ]
	[ "$output" = "ok 2000 lines (1 others)" ]
}

@test "benchlines: -P wants one prefix per task, and a different one for each" {
	lines
	sed '300s/^a | /a  | /' out.txt >p1.txt
	run "$BENCH/benchlines" check -P 2 1000 p1.txt
	[ "$status" -eq 1 ]
	[[ "$output" == *"prefix 1"* ]]
	sed 's/^b | /a | /' out.txt >p2.txt
	run "$BENCH/benchlines" check -P 2 1000 p2.txt
	[ "$status" -eq 1 ]
	[[ "$output" == *"prefixes not distinct"* ]]
	sed 's/^[ab] | //' out.txt >p3.txt
	run "$BENCH/benchlines" check -p 2 1000 p3.txt
	[ "$status" -eq 1 ]
	[[ "$output" == *"prefix 2000"* ]]
}

@test "measure: exit status, time limit and the time from a failure to the exit" {
	run "$BENCH/measure" -r res -- sh -c 'exit 3'
	[[ "$(cat res)" == "status=3 timeout=0 wall="* ]]
	rm res
	run_timed "$BENCH/measure" -T 1 -r res -- sleep 30
	[ "$ELAPSED" -lt 10000 ]
	[[ "$(cat res)" == "status=137 timeout=1 "* ]]
	rm res
	run "$BENCH/measure" -t -F failed -r res -- "$BENCH/measure" fail 100 4 failed
	[[ "$(cat res)" == "status=4 timeout=0 "*" rss_kb="[0-9]*" latency_ms="[0-9]* ]]
	rm res
	run "$BENCH/measure" -r res -- "$BENCH/measure" spawn 20 true
	[[ "$(cat res)" == "status=0 "* ]]
}

@test "measure: an idle window over a process with children" {
	run "$BENCH/measure" -c 3 -i 0.5 -T 20 -r res -- \
		sh -c 'trap "kill \$(jobs -p); exit 143" TERM; sleep 30 & sleep 30 & sleep 30 & wait'
	[[ "$(cat res)" == "status=143 timeout=0 "*" idle_cpu="*" idle_cs="[0-9]*" idle_rss_kb="[0-9]*" idle_hwm_kb="[0-9]*" idle_anon_kb="[0-9]* ]]
	# the private part is part of the resident set
	eval "$(tr ' ' '\n' <res | grep -E '^idle_(rss|anon)_kb=')"
	[ "$idle_anon_kb" -gt 0 ]
	[ "$idle_anon_kb" -le "$idle_rss_kb" ]
}

@test "relay: every task's output arrives" {
	run timeout 30 "$BENCH/relay" "$BENCH/benchlines gen 0 3000" "$BENCH/benchlines gen 1 3000"
	[ "$status" -eq 0 ]
	"$BENCH/relay" "$BENCH/benchlines gen 0 3000" "$BENCH/benchlines gen 1 3000" >r.txt
	run "$BENCH/benchlines" check 2 3000 r.txt
	[ "$status" -eq 0 ]
}

@test "relay -p: every line whole, with its task's prefix, lines cut by 4 KiB writes and an unended last one too" {
	run_timed -0 timeout 60 "$BENCH/relay" -p "$BENCH/benchlines gen 0 30000 100 4096" \
		"$BENCH/benchlines gen 1 30000 100 65536"
	printf '%s\n' "$output" >r.txt
	run "$BENCH/benchlines" check -P 2 30000 r.txt
	echo "$output"
	[ "$status" -eq 0 ]
	run timeout 30 "$BENCH/relay" -p "printf 'a\\nb'"
	[ "$output" = "$(printf 't0 | a\nt0 | b')" ]
}

@test "minisup: output passed through; the first failure stops the others and is its status" {
	run_timed -0 timeout 30 "$BENCH/minisup" "echo one" "echo two"
	[ "$(sort <<<"$output")" = "$(printf 'one\ntwo')" ]
	rm -f failed-at
	run_timed -0 "$BENCH/measure" -F failed-at -r res -T 30 -- \
		"$BENCH/minisup" "sleep 30" "sleep 31" "$BENCH/measure fail 100 3 $PWD/failed-at"
	[[ "$(cat res)" == "status=3 "*"latency_ms="* ]]
	[ "$ELAPSED" -lt 20000 ]
	! pgrep -f "^sleep 3[01]$"
}

@test "minisup -p: each task's stdout and stderr through pipes, every byte copied to its own; the same failure rule" {
	# it copies bytes, not lines: the two tasks' lines may be cut into each
	# other, so what is counted is every byte of both, each once
	timeout 30 "$BENCH/minisup" -p "seq 1 20000" "$BENCH/benchlines gen 0 3000 100" >both
	want=$(( $(seq 1 20000 | wc -c) + $("$BENCH/benchlines" gen 0 3000 100 | wc -c) ))
	[ "$(wc -c <both)" -eq "$want" ]
	[ "$(tr -cd 0-9 <both | wc -c)" -eq \
		"$(( $(seq 1 20000 | tr -cd 0-9 | wc -c) + $("$BENCH/benchlines" gen 0 3000 100 | tr -cd 0-9 | wc -c) ))" ]
	"$BENCH/minisup" -p "ls /nonexistent-dir" >out 2>err && false
	[ ! -s out ]
	grep -q nonexistent-dir err
	rm -f failed-at
	run_timed -0 "$BENCH/measure" -F failed-at -r res -T 30 -- \
		"$BENCH/minisup" -p "sleep 30" "sleep 31" "$BENCH/measure fail 100 3 $PWD/failed-at"
	[[ "$(cat res)" == "status=3 "*"latency_ms="* ]]
	[ "$ELAPSED" -lt 20000 ]
	! pgrep -f "^sleep 3[01]$"
}

@test "minisup -s: each command in a session of its own (with -p too), and a process group of its own without it" {
	printf '#!/bin/sh\nps -o sid= -o pgid= -p $$\n' >who.sh
	chmod +x who.sh
	mine=$(ps -o sid= -p $$ | tr -d ' ')
	for opts in "-s" "-p -s" "-s -p" "" "-p"; do
		# shellcheck disable=SC2086
		read -r sid pgid < <(timeout 30 "$BENCH/minisup" $opts ./who.sh)
		[ -n "$pgid" ]
		if [[ "$opts" == *-s* ]]; then
			[ "$sid" = "$pgid" ]
			[ "$sid" != "$mine" ]
		else
			[ "$sid" = "$mine" ]
			[ "$pgid" != "$mine" ]
		fi
	done
	rm -f failed-at
	run_timed -0 "$BENCH/measure" -F failed-at -r res -T 30 -- \
		"$BENCH/minisup" -p -s "sleep 30" "sleep 31" "$BENCH/measure fail 100 3 $PWD/failed-at"
	[[ "$(cat res)" == "status=3 "*"latency_ms="* ]]
	[ "$ELAPSED" -lt 20000 ]
	! pgrep -f "^sleep 3[01]$"
}

@test "curve.py: a row per size, per-task figures, the flatness verdicts and the plot" {
	run_timed -0 timeout 120 env ECG="$ECG_BIN" BENCH_CURVE_SIZES="2 4 1000 1001" BENCH_CURVE_RUNS=1 \
		BENCH_CURVE_IDLE_S=0.2 BENCH_CURVE_SVG="$PWD/c.svg" python3 "$ECG_TOP/tests/bench/curve.py"
	echo "$output"
	[[ "$output" == *"| 2 | "* ]]
	[[ "$output" == *"| 1,001 | "* ]]
	[ "$(grep -c '^- .*×' <<<"$output")" -eq 4 ]
	grep -q '<polyline' c.svg
	python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' c.svg
}

@test "probes.sh: each kind of check is measured beside no check" {
	run_timed -0 timeout 120 env ECG="$ECG_BIN" BENCH_BIN="$BENCH" BENCH_PROBE_RUNS=1 BENCH_PROBE_TASKS=3 BENCH_PROBE_SETTLE=0.2 \
		BENCH_PROBE_S=0.5 bash "$ECG_TOP/tests/bench/probes.sh"
	echo "$output"
	[ "$(grep -cE '^\| (none|ready|health|http) \| [0-9.]+ \| [0-9.]+ % \|' <<<"$output")" -eq 4 ]
	! grep -q "no result" <<<"$output"
}

@test "erebench: every expression is timed on ecg-run's side, and the back-reference is refused" {
	run timeout 120 "$BENCH/erebench" 0.01 2
	echo "$output" >&3
	[ "$status" -eq 0 ]
	[ "$(grep -c '^| `' <<<"$output")" -eq 14 ]
	[[ "$output" == *'| `^listening on` | 80-byte log line | '*' µs | '* ]]
	[[ "$output" == *'| `(a*)\1b` | 4096 bytes: a...ac | refused | '* ]]
	[ "$(grep '^| `' <<<"$output" | grep -c '| refused |')" -eq 1 ]
}
