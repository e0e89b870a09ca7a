#!/usr/bin/env bats
# Containment: large groups, descriptor limits, escaped processes, kill -9.

load helper

@test "1,000 tasks run under a soft descriptor limit of 1024; one fails, all go" {
	{
		for i in $(seq 1 999); do
			printf '[s%d]\ncommand = exec sleep 300\n' "$i"
		done
		printf '[bad]\ncommand = sleep 2; exit 3\n'
	} >g.ini
	if [ -n "${ASAN_OPTIONS:-}" ]; then
		# LeakSanitizer must ptrace ecg-run at exit, which measure
		# would already do; and shadow memory makes RSS meaningless
		run --separate-stderr bash -c "ulimit -Sn 1024; exec '$ECG_BIN' -q -c g.ini"
		[ "$status" -eq 3 ]
	else
		# measure (tests/bench) reports ecg-run's peak RSS as it exits
		make_in_build tests/bench/measure
		run --separate-stderr "$ECG_BUILD/tests/bench/measure" -t -r res -- \
			bash -c "ulimit -Sn 1024; exec '$ECG_BIN' -q -c g.ini"
		grep -q '^status=3 timeout=0 ' res
		# 2,000 pipes reaching their end must not leave 2,000 buffers behind
		rss=$(sed 's/.* rss_kb=\([0-9]*\).*/\1/' res)
		echo "# ecg-run peak RSS with 1,000 tasks: $rss kB" >&3
		[ "$rss" -lt 6144 ]
	fi
	[ "$stderr" = "ecg-run: bad: failed with status 3, stopping the group" ]
	no_marked_left
}

@test "tasks get the descriptor limit ecg-run was started with" {
	printf '[a]\ncommand = ulimit -Sn\n' >g.ini
	run bash -c "ulimit -Sn 512; '$ECG_BIN' -q -c g.ini"
	[ "$status" -eq 0 ]
	[ "$output" = "a | 512" ]
}

@test "out of descriptors: the task that cannot start fails with 127, the rest stop cleanly" {
	{
		for i in $(seq 1 60); do
			printf '[s%d]\ncommand = exec sleep 300\n' "$i"
		done
	} >g.ini
	run -127 --separate-stderr bash -c "ulimit -n 64; exec '$ECG_BIN' -q -c g.ini"
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"cannot start: pipe: Too many open files"* ]]
	[ "$(grep -c 'cannot start' <<<"$stderr")" -eq 1 ]
	no_marked_left
}

@test "no descriptor leaks: ecg-run holds 2 per running task plus a constant" {
	{
		for i in $(seq 1 20); do
			printf '[s%d]\ncommand = exec sleep 300\n' "$i"
		done
		printf '[q]\ncommand = true\n[f]\ncommand = exit 0\ncwd = /nonexistent\ncancel_on = never\n'
	} >g.ini
	"$ECG_BIN" -q -c g.ini >out.txt 2>err.txt &
	local pid=$! n
	# the 20 sleeps and the sentinel are all that is left: q and f are over
	wait_for 20 bash -c "[ \$(pgrep -P $pid -x sleep | wc -l) -eq 20 ] && [ \$(pgrep -P $pid | wc -l) -eq 21 ]"
	wait_for 20 grep -q "f: cannot start" err.txt
	n=$(ls /proc/$pid/fd | wc -l)
	echo "# $n descriptors for 20 running tasks" >&3
	# 20 tasks x 2 pipes, 0-2, /dev/null, libev's few, the private stdout/stderr,
	# the sentinel's pipe
	[ "$n" -le $((40 + 12)) ]
	kill -TERM "$pid"
	wait "$pid" || true
	no_marked_left
}

@test "kill -9 of ecg-run: the tasks' main processes die with it" {
	printf '[a]\ncommand = exec sleep 300\n[b]\ncommand = exec sleep 301\n' >g.ini
	"$ECG_BIN" -q -c g.ini >out.txt 2>&1 &
	local pid=$!
	wait_for 20 bash -c "[ \$(pgrep -P $pid -x sleep | wc -l) -eq 2 ]"
	kill -9 "$pid"
	wait "$pid" || true
	wait_for 10 no_marked_left
}

@test "kill -9 of ecg-run: nothing any task started is left (its sentinel stops it all)" {
	cat >g.ini <<-'INI'
	[shell]
	command = echo hi; touch ready-shell; sleep 62
	[job]
	command = sleep 300 & touch ready-job; wait
	[escapee]
	command = setsid sh -c 'touch ready-escapee; exec sleep 301' & wait
	[wiped]
	command = (env -u ECG_RUN_ID sleep 302 &); touch ready-wiped; exec sleep 303
	INI
	"$ECG_BIN" -q -c g.ini >out.txt 2>&1 &
	local pid=$! t
	for t in shell job escapee wiped; do
		wait_for 20 test -e "ready-$t"
	done
	kill -9 "$pid"
	wait "$pid" || true
	wait_for 10 no_marked_left
}

# The sentinel of ecg-run $1, once it is there.
sentinel_of() {
	pgrep -P "$1" -x ecg-sentinel
}

@test "the sentinel holds nothing of ecg-run's caller, is no escapee, and ends with the run" {
	printf '[a]\ncommand = touch ready; exec sleep 300\n' >g.ini
	"$ECG_BIN" -v -c g.ini >out.txt 2>err.txt &
	local pid=$! s
	wait_for 20 test -e ready
	wait_for 20 sentinel_of "$pid"
	s=$(sentinel_of "$pid")
	# /dev/null three times and its pipe from ecg-run: not out.txt, err.txt
	[ "$(ls /proc/$s/fd | wc -l)" -eq 4 ]
	! ls -l /proc/$s/fd | grep -q -e out.txt -e err.txt
	# in a session of its own: a signal to ecg-run's process group misses it
	[ "$(ps -o sid= -p "$s" | tr -d ' ')" = "$s" ]
	kill -TERM "$pid"
	wait "$pid" || true
	wait_for 10 bash -c "! kill -0 $s 2>/dev/null"
	! grep -q "left its process group" err.txt
	no_marked_left
}

@test "a cancellation while tasks are still being started never hangs" {
	printf '[a]\ncommand = true\n[b]\ncommand = true\n[c]\ncommand = true\n' >g.ini
	# the first "started" note fails to be written: the group stops at once
	run bash -c "'$ECG_BIN' -c g.ini 2>/dev/full"
	[ "$status" -eq 125 ]
	# so few descriptors that a pipe cannot be made for the second task
	run -127 --separate-stderr bash -c "ulimit -n 12; exec '$ECG_BIN' -q -c g.ini"
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"cannot start: pipe: Too many open files"* ]]
}

@test "a signal that would end ecg-run (ALRM) stops the group first" {
	printf '[a]\ncommand = sleep 300 & wait\n' >g.ini
	start_bg() { "$ECG_BIN" "$@" >out.txt 2>err.txt & ECG_PID=$!; }
	start_bg -c g.ini
	wait_for 20 bash -c "grep -q started err.txt"
	kill -ALRM "$ECG_PID"
	local status=0
	wait "$ECG_PID" || status=$?
	[ "$status" -eq $((128 + 14)) ]
	grep -q "received SIGALRM, stopping the group" err.txt
	no_marked_left
}

@test "a file size limit on ecg-run's output: 125, nothing left running" {
	printf '[a]\ncommand = sleep 300 & head -c 100000 /dev/zero | tr "\\\\0" x; echo; wait\n' >g.ini
	local status=0
	bash -c "ulimit -f 8; exec '$ECG_BIN' -c g.ini >big.txt 2>err.txt" || status=$?
	[ "$status" -eq 125 ]
	grep -q "cannot write to stdout (File too large), stopping the group" err.txt
	no_marked_left
}

@test "stdout that cannot be reopened (another user's pipe): whole lines, and no stall" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	[ "$(id -u)" -eq 0 ] || skip "needs root to change user"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$ECG_BIN" -V >/dev/null 2>&1 ||
		skip "user nobody cannot run $ECG_BIN here"
	local asnobody="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	# the generator is passed inline: nobody may not read the test directory
	local gen
	gen=$(sed -n '/^awk/,$p' "$FIXTURES/gen-lines.sh" | sed 's/"\$1"/"$N"/; s/"\$2"/"$C"/')
	{
		printf '[group]\nbuffer = 1K\n'
		for i in 1 2 3; do
			printf '[t%d]\nenv = N=t%d\nenv = C=3000\ncommand =\n' "$i" "$i"
			printf '%s\n' "$gen" | sed 's/^/    /'
		done
	} >g.ini
	chmod 644 g.ini
	$asnobody "$ECG_BIN" -q -c - <g.ini 2>err.txt | while IFS= read -r l; do printf '%s\n' "$l"; done >out.txt
	run "$FIXTURES/check-lines.sh" 3 3000 <out.txt
	echo "$output"
	[ "$output" = ok ]
	# a long line into a reader that stops reading: SIGTERM still ends it in time
	printf '[a]\ncommand = trap "" TERM; head -c 300000 /dev/zero | tr "\\\\0" x; echo; exec sleep 100\nstop_timeout = 1s\n' >s.ini
	chmod 644 s.ini
	mkfifo held
	chmod 666 held
	exec 5<>held
	$asnobody "$ECG_BIN" -q -c - <s.ini >held 2>err.txt &
	local pid=$! t0 status=0
	# the long line fills the channel and the pipe: the task waits in write(2)
	wait_for 20 marked_blocked_in_write
	t0=$(now_ms)
	kill -TERM "$pid"
	wait "$pid" || status=$?
	ELAPSED=$(( $(now_ms) - t0 ))
	exec 5<&-
	echo "# stopped in $ELAPSED ms" >&3
	[ "$status" -eq 143 ]
	[ $ELAPSED -lt 8000 ]
	no_marked_left
}

@test "a setsid escapee is stopped with its task when the task's main process ends" {
	cat >g.ini <<-'INI'
	[daemon]
	command = setsid sh -c 'touch daemon-up; sleep 300' & until [ -e daemon-up ]; do sleep 0.01; done; echo main done
	[other]
	command = sleep 1; echo other done
	INI
	run --separate-stderr ecg -v -c g.ini
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"daemon: sent SIGTERM to 1 process that left its process group"* ]]
	no_marked_left
}

@test "a double-forked daemon is stopped when the group is cancelled" {
	cat >g.ini <<-'INI'
	[svc]
	command = (setsid sh -c 'trap "" TERM; touch d1; exec sleep 300' &); (setsid sh -c 'touch d2; exec sleep 301' &); sleep 300
	stop_timeout = 1s
	[bad]
	command = until [ -e d1 ] && [ -e d2 ]; do sleep 0.01; done; exit 4
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 4 ]
	no_marked_left
}

@test "an escapee of no known task is stopped at the end with the group's defaults" {
	cat >g.ini <<-'INI'
	[group]
	stop_timeout = 1s
	[a]
	command = (env -i ECG_TEST_MARK="$ECG_TEST_MARK" setsid sh -c 'trap "" TERM; touch esc-ready; exec sleep 300' &); until [ -e esc-ready ]; do sleep 0.01; done; sleep 0.2; echo launched
	INI
	run_timed --separate-stderr ecg -c g.ini
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"1 process that left its task's process group still running, stopping it"* ]]
	[[ "$stderr" == *"1 escaped process(es) still running after the stop signal, sending SIGKILL"* ]]
	[ $ELAPSED -lt 8000 ]
	# the marker is in its environment, but not ECG_RUN_TASK: look for it by hand
	local p
	for p in $(pgrep -x sleep); do
		! grep -qs -a "ECG_TEST_MARK=$MARK" "/proc/$p/environ"
	done
}

@test "output written just before a SIGKILL, and by leftover jobs while they stop, arrives" {
	cat >g.ini <<-'INI'
	[killed]
	command = seq 1 20000; kill -9 $$
	cancel_on = never
	[leftover]
	command = (trap 'echo job got TERM; exit 0' TERM; touch job-ready; sleep 300 & wait) & until [ -e job-ready ]; do sleep 0.01; done; echo main ends
	[waiter]
	command = sleep 1
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c '^killed   | ')" -eq 20000 ]
	[ "$(printf '%s\n' "$output" | grep '^killed   | ' | tail -1)" = "killed   | 20000" ]
	[[ "$output" == *"leftover | job got TERM"* ]]
	no_marked_left
}

@test "a task that closes its stdout early disturbs no other task" {
	cat >g.ini <<-'INI'
	[closer]
	command = exec >&-; sleep 0.3; echo still here on stderr >&2; sleep 0.3
	[talker]
	command = seq 1 5000; sleep 0.5
	INI
	run --separate-stderr ecg -q -c g.ini
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c '^talker | ')" -eq 5000 ]
	[ "$stderr" = "closer | still here on stderr" ]
}

@test "tasks that cannot start for lack of descriptors leak none of them" {
	{
		printf '[group]\ncancel_on = never\n'
		for i in $(seq 1 30); do
			printf '[s%d]\ncommand = exec sleep 300\n' "$i"
		done
	} >g.ini
	bash -c "ulimit -n 40; exec '$ECG_BIN' -q -c g.ini" >out.txt 2>err.txt &
	local pid=$! running fds failed
	wait_for 20 bash -c "[ \$(grep -c 'cannot start' err.txt) -ge 1 ]"
	wait_for 20 bash -c "[ \$(( \$(pgrep -P $pid -x sleep | wc -l) + \$(grep -c 'cannot start' err.txt) )) -eq 30 ]"
	running=$(pgrep -P "$pid" -x sleep | wc -l)
	failed=$(grep -c 'cannot start' err.txt)
	fds=$(ls /proc/$pid/fd | wc -l)
	echo "# $running running, $failed could not start, $fds descriptors (limit 40)" >&3
	[ "$failed" -ge 1 ]
	[ "$fds" -le $((2 * running + 12)) ]
	grep -q "cannot start: pipe: Too many open files" err.txt
	kill -TERM "$pid"
	wait "$pid" || true
	no_marked_left
}

@test "2,000 tasks, one with a bad cwd, into a file: no message of ecg-run's own is lost" {
	{
		for i in $(seq 1 1999); do
			printf '[s%d]\ncommand = exec sleep 300\n' "$i"
		done
		printf '[zzz]\ncommand = exec sleep 300\ncwd = /nonexistent\n'
	} >g.ini
	run -127 bash -c "'$ECG_BIN' -c g.ini >out.txt 2>&1"
	grep -q "ecg-run: zzz: cannot start: chdir /nonexistent: No such file or directory" out.txt
	[ "$(grep -c ': started$' out.txt)" -eq 1999 ]
	[ "$(grep -c ': killed by signal 15 (SIGTERM)$' out.txt)" -eq 1999 ]
	! grep -q "dropped" out.txt
	no_marked_left
}

@test "ecg-run that cannot become a child subreaper says so, and still runs the group" {
	printf '[a]\ncommand = echo hi\n' >g.ini
	# prctl(PR_SET_CHILD_SUBREAPER = 36) fails with EINVAL (22)
	run --separate-stderr inject prctl 0 36 22 $ECG_RUN_WRAP "$ECG_BIN" -q -c g.ini
	[ "$status" -ne 77 ] || skip "no seccomp filters here"
	[ "$status" -eq 0 ]
	[ "$output" = "a | hi" ]
	[ "$stderr" = "ecg-run: cannot become a child subreaper (Invalid argument): processes that leave their task's process group will not be found" ]
}

@test "a task whose pipe cannot be made non-blocking fails to start (127), nothing hangs" {
	printf '[a]\ncommand = echo hi; sleep 300\n[b]\ncommand = exec sleep 300\n' >g.ini
	# fcntl(fd, F_SETFL = 4, ...) fails with EINVAL (22)
	run_timed -127 --separate-stderr inject fcntl 1 4 22 timeout 30 $ECG_RUN_WRAP "$ECG_BIN" -q -c g.ini
	[ "$status" -ne 77 ] || skip "no seccomp filters here"
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"a: cannot start: pipe: Invalid argument"* ]]
	[ "$ELAPSED" -lt 20000 ]
	no_marked_left
}

# fds.ini: a task that lists its descriptors and writes to two it inherited
fds_group() {
	printf '[a]\ncommand = ls /proc/self/fd | tr "\\n" " "; echo; echo nine >&9; echo high >/proc/self/fd/300\n' >fds.ini
}

# bash -c "$WITH_FDS" with_fds COMMAND...: COMMAND with no descriptor above 2 but 9
# and 300 (files)
WITH_FDS='for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done
	exec "$@" 9>nine.txt 300>high.txt'


@test "a task has 0, 1, 2 and the descriptors ecg-run inherited, low or high, none of ecg-run's own" {
	fds_group
	# 200 more tasks: their pipes fill ecg-run's table
	for ((i = 0; i < 200; i++)); do printf '[s%d]\ncommand = exec sleep 300\n' "$i"; done >>fds.ini
	printf '[group]\nstop_timeout = 2s\ncancel_on = never\n' >>fds.ini
	bash -c "$WITH_FDS" with_fds "$ECG_BIN" -q --control none -c fds.ini >out.txt 2>err.txt &
	local p=$!
	wait_for 20 test -s high.txt
	kill "$p"
	wait "$p" || true
	cat out.txt err.txt
	[[ "$(cat out.txt)" =~ ^a\ +\|\ 0\ 1\ 2\ 3\ 300\ 9\ $ ]]
	[ "$(cat nine.txt)" = nine ]
	[ "$(cat high.txt)" = high ]
	no_marked_left
}

@test "without close_range's unshare (Linux before 5.9) or a clone that shares the table (valgrind), tasks start the same" {
	fds_group
	# close_range(..., CLOSE_RANGE_UNSHARE = 2) fails with ENOSYS (38)
	run --separate-stderr inject close_range 2 2 38 bash -c "$WITH_FDS" with_fds $ECG_RUN_WRAP "$ECG_BIN" -q -c fds.ini
	[ "$status" -ne 77 ] || skip "no seccomp filters here"
	[ "$status" -eq 0 ]
	[ "$output" = "a | 0 1 2 3 300 9 " ]
	[ "$(cat high.txt)" = high ]
	# clone(CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD = 17681) fails with EINVAL (22)
	run --separate-stderr inject clone 0 17681 22 bash -c "$WITH_FDS" with_fds $ECG_RUN_WRAP "$ECG_BIN" -q -c fds.ini
	[ "$status" -eq 0 ]
	[ "$output" = "a | 0 1 2 3 300 9 " ]
	[ "$(cat high.txt)" = high ]
}

@test "under valgrind, which ends a program at a clone it does not know, tasks start by vfork" {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	[ "$ECG_VARIANT" != asan ] || skip "a build with AddressSanitizer does not run under valgrind"
	printf '[a]\ncommand = echo hi\n[b]\ncommand = exec true\n' >g.ini
	run_timed -0 --separate-stderr timeout 120 valgrind -q "$ECG_BIN" -q --control none -c g.ini
	[ "$(sort <<<"$output")" = "a | hi" ]
	[[ "$stderr" != *"Unsupported clone"* ]]
}

@test "pkill -f of ecg-run's command line leaves nothing: the sentinel's command line is its own" {
	printf '[a]\ncommand = sleep 300 & sleep 301 & touch a.up; wait\n[b]\ncommand = touch b.up; exec sleep 302\n' >pkill-me.ini
	start_bg -c pkill-me.ini
	wait_for 20 test -e a.up
	wait_for 20 test -e b.up
	# the sentinel does not carry ecg-run's arguments
	local s
	s=$(pgrep -f "^ecg-run-sentinel $ECG_PID\\.") || true
	[ -n "$s" ]
	! tr '\0' ' ' </proc/"$s"/cmdline | grep -q pkill-me.ini
	# a CI clean-up kills ecg-run by its command line
	pkill -9 -f 'ecg-run.* -c pkill-me.ini'
	wait "$ECG_PID" || true
	wait_for 20 no_marked_left
}

@test "a main process that ends leaving processes behind (a daemonizing program): said without -v, naming them" {
	printf '[db]\ncommand = exec sh -c "exec sleep 300" & echo started it\nready = exited\n[app]\nafter = db\ncommand = sleep 0.2; echo app done\n' >g.ini
	run -0 --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[[ "$stderr" =~ "ecg-run: db: its main process ended, stopping what it left running: "(sleep|sh)" (pid "[0-9]+")" ]]
	no_marked_left
}
