#!/usr/bin/env bats
# Stopping: cascades, escalation, leftovers, signals, closed and stuck output.

load helper

started() {
	[ "$(grep -c ': started' err.txt)" -ge "$1" ]
}

# stubborn_ini FILE STOP_TIMEOUT STATUS: a task that ignores SIGTERM, and one
# that exits with STATUS once the first has set its trap.
stubborn_ini() {
	cat >"$1" <<-INI
	[stubborn]
	command = trap '' TERM; touch ready; sleep 300
	stop_timeout = $2
	[bad]
	command = until [ -e ready ]; do sleep 0.01; done; exit $3
	INI
}

@test "100 tasks, one fails: status is its status and all the others are gone" {
	{
		for i in $(seq 1 99); do
			printf '[s%d]\ncommand = sleep 300\n' "$i"
		done
		printf '[bad]\ncommand = sleep 1; exit 3\n'
	} >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 3 ]
	[ "$(grep -c 'killed by signal 15' <<<"$stderr")" -eq 99 ]
	no_marked_left
}

@test "a task that ignores the stop signal is SIGKILLed after stop_timeout" {
	stubborn_ini g.ini 1s 2
	run_timed --separate-stderr ecg -c g.ini
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"stubborn: still running 1s after the stop signal, sending SIGKILL"* ]]
	[[ "$stderr" == *"stubborn: killed by signal 9 (SIGKILL)"* ]]
	# at least the grace, and well within stop_timeout + the 2 s bound
	[ $ELAPSED -ge 1000 ]
	[ $ELAPSED -lt 10000 ]
	no_marked_left
}

@test "stop_timeout = 0 means SIGKILL at once; stop_signal is honoured" {
	cat >g.ini <<-'INI'
	[polite]
	command = trap 'echo got INT; exit 0' INT; touch ready1; while :; do sleep 0.1; done
	stop_signal = INT
	[hard]
	command = trap '' TERM; touch ready2; sleep 300
	stop_timeout = 0
	[bad]
	command = until [ -e ready1 ] && [ -e ready2 ]; do sleep 0.01; done; exit 2
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 2 ]
	[[ "$output" == *"polite | got INT"* ]]
	[[ "$stderr" == *"hard: killed by signal 9 (SIGKILL)"* ]]
	no_marked_left
}

@test "background jobs of a task do not survive it" {
	cat >g.ini <<-'INI'
	[spawner]
	command = sleep 300 & (trap '' TERM; sleep 301) & echo spawned; sleep 0.5; exit 0
	stop_timeout = 0.5
	[other]
	command = sleep 2
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 0 ]
	[[ "$output" == *"spawned"* ]]
	no_marked_left
}

@test "a task that stopped itself still stops (SIGCONT follows the stop signal)" {
	cat >g.ini <<-'INI'
	[frozen]
	command = touch ready; kill -STOP $$; sleep 300
	stop_timeout = 60s
	[bad]
	command = until [ -e ready ]; do sleep 0.01; done; sleep 0.2; exit 6
	INI
	run_timed --separate-stderr ecg -c g.ini
	[ "$status" -eq 6 ]
	[ $ELAPSED -lt 20000 ]
	[[ "$stderr" == *"frozen: killed by signal 15"* ]]
}

@test "SIGINT, SIGTERM, SIGQUIT to ecg-run: the group stops, status 130/143/131" {
	printf '[a]\ncommand = sleep 300\n[b]\ncommand = trap "echo b stopping; exit 0" TERM; touch ready; while :; do sleep 0.05; done\n' >g.ini
	local sig want
	for sig in INT:130 TERM:143 QUIT:131; do
		want=${sig#*:}
		sig=${sig%:*}
		rm -f ready
		start_bg -c g.ini
		wait_for 20 test -e ready
		kill -s "$sig" "$ECG_PID"
		wait_bg
		echo "# $sig -> $STATUS" >&3
		[ "$STATUS" -eq "$want" ]
		grep -q "ecg-run: received SIG$sig, stopping the group" err.txt
		grep -q "b | b stopping" out.txt
		no_marked_left
	done
}

@test "a second SIGINT while stopping kills every task at once; status still 130" {
	cat >g.ini <<-'INI'
	[stubborn]
	command = trap '' TERM INT; touch ready; sleep 300
	stop_timeout = 60s
	INI
	start_bg -c g.ini
	wait_for 20 test -e ready
	local t0
	t0=$(now_ms)
	kill -INT "$ECG_PID"
	wait_for 10 grep -q "stopping the group" err.txt
	# a copy within 250 ms of the first would be the same request
	until [ $(( $(now_ms) - t0 )) -ge 300 ]; do sleep 0.02; done
	kill -INT "$ECG_PID"
	wait_bg
	ELAPSED=$(( $(now_ms) - t0 ))
	[ "$STATUS" -eq 130 ]
	[ $ELAPSED -lt 15000 ]
	grep -q "received SIGINT while stopping, killing every task" err.txt
	grep -q "stubborn: killed by signal 9" err.txt
	no_marked_left
}

@test "a signal while stopping for a failure kills at once; ecg-run dies of it, the failure stays the cause" {
	stubborn_ini g.ini 60s 4
	start_bg -c g.ini
	wait_for 20 grep -q "stopping the group" err.txt
	kill -TERM "$ECG_PID"
	wait_bg
	# the interrupt decides how ecg-run ends (a calling script must stop)
	[ "$STATUS" -eq 143 ]
	grep -q "bad: failed with status 4, stopping the group" err.txt
	grep -q "received SIGTERM while stopping, killing every task" err.txt
	! grep -q "received SIGTERM, stopping the group" err.txt
	no_marked_left
}

@test "Ctrl-C while the group stops for a failure stops the calling script too" {
	stubborn_ini f.ini 60s 3
	cat >script.sh <<-EOF
	'$ECG_BIN' -q -c f.ini 2>err.txt
	echo "continued rc=\$?"
	EOF
	# a terminal's Ctrl-C goes to the foreground process group: the script
	# and ecg-run (its tasks have process groups of their own)
	setsid env --default-signal=INT,QUIT bash script.sh >script.out 2>&1 &
	local spid=$! status=0
	wait_for 20 grep -q "stopping the group" err.txt
	kill -INT -- -"$spid"
	wait "$spid" || status=$?
	cat script.out
	[ "$status" -eq 130 ]
	! grep -q continued script.out
	grep -q "bad: failed with status 3, stopping the group" err.txt
	no_marked_left
}

# The group of the issue: a task that takes a second to shut down cleanly.
write_tmo_ini() {
	cat >tmo.ini <<-'INI'
	[group]
	stop_timeout = 5s
	[db]
	command =
	    trap 'echo "db: flushing to disk"; sleep 1; echo "db: clean shutdown"; exit 0' TERM
	    touch ready
	    while :; do sleep 0.2 & wait $!; done
	INI
}

@test "under timeout(1): its two copies of SIGTERM are one request, the task stops cleanly" {
	write_tmo_ini
	# timeout signals its child, then its own process group, which holds ecg-run
	timeout 600 "$ECG_BIN" -c tmo.ini >out.txt 2>err.txt &
	local tpid=$! status=0
	wait_for 20 test -e ready
	kill -TERM "$tpid"
	wait "$tpid" || status=$?
	cat out.txt err.txt
	grep -q "db | db: clean shutdown" out.txt
	grep -q "received SIGTERM, stopping the group" err.txt
	! grep -q "killing every task" err.txt
	grep -q "db: exited with status 0" err.txt
	no_marked_left
}

@test "Ctrl-C under timeout(1): three copies of SIGINT are one request" {
	write_tmo_ini
	sed -i 's/ TERM$/ TERM INT/' tmo.ini
	timeout 600 "$ECG_BIN" -c tmo.ini >out.txt 2>err.txt &
	local tpid=$!
	wait_for 20 test -e ready
	# what a terminal does: SIGINT to the foreground process group, which
	# is timeout's own; timeout then passes it on to ecg-run twice more
	kill -INT -- -"$tpid"
	wait "$tpid" || true
	cat out.txt err.txt
	grep -q "db | db: clean shutdown" out.txt
	[ "$(grep -c "^ecg-run: received SIGINT" err.txt)" -eq 1 ]
	no_marked_left
}

@test "SIGHUP, SIGUSR1 and SIGUSR2 are forwarded to every task that takes them" {
	cat >g.ini <<-'INI'
	[group]
	forward = HUP USR1 USR2
	[a]
	command = for s in HUP USR1 USR2; do trap "echo a got $s" $s; done; touch ready-a; while :; do sleep 0.05; done
	[b]
	command = for s in HUP USR1 USR2; do trap "echo b got $s" $s; done; touch ready-b; while :; do sleep 0.05; done
	INI
	start_bg -c g.ini
	wait_for 20 test -e ready-a
	wait_for 20 test -e ready-b
	kill -HUP "$ECG_PID"
	wait_for 10 grep -q "b | b got HUP" out.txt
	kill -USR1 "$ECG_PID"
	kill -USR2 "$ECG_PID"
	wait_for 10 grep -q "a | a got USR2" out.txt
	wait_for 10 grep -q "a | a got USR1" out.txt
	wait_for 10 grep -q "b | b got USR2" out.txt
	grep -q "a | a got HUP" out.txt
	grep -q "b | b got USR1" out.txt
	kill -TERM "$ECG_PID"
	wait_bg
	[ "$STATUS" -eq 143 ]
}

@test "SIGHUPs that keep coming while ecg-run exits do not change its status" {
	# found by the stress matrix: a SIGHUP just after the signal watchers
	# stopped met its default action and ended ecg-run with 129
	# both tasks ignore HUP before the storm starts (a HUP before b's trap
	# would be b's own death by it, 129), and b ends once it is under way
	# (the tasks take HUP: a HUP that no task takes would stop the group)
	printf '[group]\nforward = HUP\n[a]\ncommand = trap "" HUP; touch ready; exec sleep 30\n[b]\ncommand = trap "" HUP; touch ready.b; until [ -e storming ]; do sleep 0.01; done; sleep 0.05; exit 7\n' >g.ini
	for i in 1 2 3 4 5; do
		rm -f ready ready.b storming
		"$ECG_BIN" -q -c g.ini >/dev/null 2>&1 &
		pid=$!
		wait_for 20 test -e ready	# its signal handling is set up
		wait_for 20 test -e ready.b
		(while kill -HUP "$pid" 2>/dev/null; do :; done) &
		storm=$!
		touch storming
		status=0
		wait "$pid" || status=$?
		kill "$storm" 2>/dev/null || true
		wait "$storm" 2>/dev/null || true
		echo "# run $i: status $status" >&3
		[ "$status" -eq 7 ]
	done
	no_marked_left
}

@test "a calling shell script sees the interruption" {
	# the task says when it runs: ecg-run's signal handling is set up by then,
	# so the TERM is ecg-run's to handle (not a default action before it)
	printf '[a]\ncommand = touch ready; exec sleep 300\n' >g.ini
	cat >script.sh <<-EOF
	#!/bin/bash
	'$ECG_BIN' -q -c g.ini
	echo "after: \$?"
	EOF
	bash script.sh >script.out 2>&1 &
	local spid=$!
	wait_for 20 test -e ready
	pkill -TERM -f "ecg-run -q -c g.ini"
	wait "$spid" || true
	grep -qx "after: 143" script.out
}

@test "piped into head -1: exits 141 and leaves nothing running" {
	printf '[chatty]\ncommand = while :; do echo line; done\n[idle]\ncommand = sleep 300\n' >g.ini
	run bash -c "'$ECG_BIN' -q -c g.ini | head -1; echo \"status \${PIPESTATUS[0]}\""
	echo "$output"
	[ "${lines[0]}" = "chatty | line" ]
	[ "${lines[-1]}" = "status 141" ]
	wait_for 10 no_marked_left
}

@test "output lost to EPIPE after every task ended: still 141, and said so" {
	printf '[a]\ncommand = seq 1 15000\n' >g.ini
	# the reader takes 50 bytes only once the task is over (ecg-run has said
	# so): what is left in ecg-run then meets a closed pipe
	# (grep -s: err.txt may not be there yet when the reader first looks)
	run --separate-stderr bash -c "'$ECG_BIN' -c g.ini 2>err.txt | { until grep -qs 'a: exited' err.txt; do sleep 0.01; done; head -c 50 >/dev/null; }; echo \"status \${PIPESTATUS[0]}\""
	cat err.txt
	[ "$output" = "status 141" ]
	grep -q "bytes of task output could not be written to stdout: Broken pipe" err.txt
	! grep -q "too slow" err.txt
}

@test "a stdout that nobody reads: the group still stops within its bound" {
	mkfifo pipe
	exec 5<>pipe
	cat >g.ini <<-'INI'
	[group]
	stop_timeout = 1s
	[flood]
	command = while :; do echo flooding the output; done
	[bad]
	command = sleep 0.5; exit 3
	INI
	local t0
	t0=$(now_ms)
	local status=0
	ecg -c g.ini >&5 2>err.txt || status=$?
	ELAPSED=$(( $(now_ms) - t0 ))
	exec 5<&-
	stderr=$(cat err.txt)
	[ "$status" -eq 3 ]
	# stop_timeout 1 s + the 2 s bound, with room for a loaded machine
	[ $ELAPSED -lt 8000 ]
	[[ "$stderr" == *"bytes of task output could not be written to stdout in time"* ]]
	no_marked_left
}

@test "as process 1 of a PID namespace: reaps, stops the group, exits 128+S" {
	[ "$(id -u)" -eq 0 ] || skip "needs root for unshare --pid"
	command -v unshare >/dev/null || skip "unshare not installed"
	unshare --pid --fork --mount-proc true 2>/dev/null || skip "PID namespaces not available here"
	printf '[a]\ncommand = sleep 300 & sleep 301 & wait\n[b]\ncommand = echo "b pid $$ parent $PPID"; sleep 300\n[z]\ncommand = for i in 1 2 3 4 5; do (sleep 0.1 &); done; touch orphans-made; exec sleep 302\n' >g.ini
	unshare --pid --fork --mount-proc "$ECG_BIN" -c g.ini >out.txt 2>err.txt &
	ECG_PID=$!
	wait_for 20 started 3
	local inner
	inner=$(pgrep -P "$ECG_PID" -x ecg-run)
	[ -n "$inner" ]
	grep -q "b | b pid [0-9]* parent 1$" out.txt
	# the orphaned sleeps were re-parented to process 1: once they end they
	# must be reaped, not stay zombies.  Wait for exactly that: none of them
	# is left, alive or zombie (a zombie shows as "[sleep] <defunct>").
	wait_for 20 test -e orphans-made
	wait_for 20 bash -c "! ps --ppid $inner -o stat=,args= | grep -qE '^Z|sleep 0[.]1'"
	kill -TERM "$inner"
	wait_bg
	[ "$STATUS" -eq 143 ]
	grep -q "received SIGTERM, stopping the group" err.txt
	no_marked_left
}

@test "a task that reads the terminal fails at once instead of hanging the group (no controlling terminal)" {
	command -v script >/dev/null || skip "script(1) not installed"
	# as sudo, ssh or git asking for a password
	printf '[asks]\ncommand = head -c 1 /dev/tty\n[other]\ncommand = exec sleep 300\n' >g.ini
	# under script(1) ecg-run has a terminal; its tasks must not
	run_timed timeout 15 script -qec "'$ECG_BIN' -c g.ini; echo \"status \$?\"" /dev/null
	echo "$output"
	[[ "$output" == *"cannot open '/dev/tty' for reading: No such device or address"* ]]
	[[ "$output" == *"asks: failed with status 1, stopping the group"* ]]
	[[ "$output" == *"status 1"* ]]
	[ "$ELAPSED" -lt 15000 ]
	no_marked_left
}

@test "-v says SIGKILL was sent to a process group once, however often it is sent" {
	cat >g.ini <<-'INI'
	[stubborn]
	command = trap '' TERM; (trap '' TERM; touch job-ready; while :; do sleep 0.01; done) & until [ -e job-ready ]; do sleep 0.01; done; touch ready; while :; do sleep 0.01; done
	stop_timeout = 0.3s
	[bad]
	command = until [ -e ready ]; do sleep 0.01; done; exit 2
	INI
	for i in 1 2 3 4 5; do
		rm -f ready job-ready
		run --separate-stderr ecg -v -c g.ini
		[ "$status" -eq 2 ]
		[ "$(grep -c 'stubborn: sent SIGKILL to process group' <<<"$stderr")" -eq 1 ]
	done
	no_marked_left
}

@test "a SIGHUP no task takes stops the group like SIGTERM (129); SIGUSR1 no task takes is ignored, said" {
	cat >g.ini <<-'INI'
	[web]
	command = trap 'echo web got TERM; exit 0' TERM; trap 'echo web got HUP' HUP; touch web.up; while :; do sleep 0.02; done
	[worker]
	command = touch worker.up; exec sleep 30
	INI
	start_bg -c g.ini
	wait_for 20 test -e web.up
	wait_for 20 test -e worker.up
	kill -USR1 "$ECG_PID"
	wait_for 20 grep -q "ecg-run: received SIGUSR1, ignored: no task takes it (forward)" err.txt
	# still running: the USR1 killed nothing
	kill -0 "$ECG_PID"
	kill -HUP "$ECG_PID"
	wait_bg
	cat err.txt >&3
	[ "$STATUS" -eq 129 ]
	grep -q "ecg-run: received SIGHUP, stopping the group" err.txt
	# the tasks were stopped with their stop signal, not killed by the HUP
	grep -q "web    | web got TERM" out.txt
	! grep -q "got HUP" out.txt
	grep -q "worker: killed by signal 15 (SIGTERM)" err.txt
	! grep -q "killed by signal 1 " err.txt
	no_marked_left
}
