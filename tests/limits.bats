#!/usr/bin/env bats
# Restarts with a budget and backoff, the concurrency limit (max_parallel,
# -j), the group's deadline, task timeouts, and which signals reach which
# task (forward).  Times are measured from the tasks' own stamps, with
# generous upper bounds; nothing waits a fixed time.

load helper

# Milliseconds of each line of FILE (stamps of date +%s%N), one per line.
stamps_ms() {
	awk '{ printf "%.0f\n", $1 / 1000000 }' "$1"
}

@test "restart = on-failure: restarts up to the budget, then the failure's status" {
	write_ini g.ini <<-'INI'
	[flaky]
	command = echo run >>runs; exit 3
	restart = on-failure
	max_restarts = 2
	restart_delay = 50ms
	[other]
	command = exec sleep 30
	INI
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 3 ]
	[ "$(wc -l <runs)" -eq 3 ]
	[[ "$stderr" == *"flaky: exited with status 3, restarting in 50ms (restart 1 of 2)"* ]]
	[[ "$stderr" == *"flaky: exited with status 3, restarting in 100ms (restart 2 of 2)"* ]]
	[[ "$stderr" == *"flaky: failed with status 3, stopping the group"* ]]
	# an absorbed end is said once, with its restart
	[ "$(grep -c 'flaky: exited with status 3$' <<<"$stderr")" -eq 1 ]
	no_marked_left
}

@test "restart = always: an exit with 0 restarts too; a failure to start is a failure" {
	write_ini g.ini <<-'INI'
	[again]
	command = echo run >>runs
	restart = always
	max_restarts = 2
	restart_delay = 20ms
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 0 ]
	[ "$(wc -l <runs)" -eq 3 ]
	[[ "$stderr" == *"again: exited with status 0, restarting in 20ms (restart 1 of 2)"* ]]

	write_ini g.ini <<-'INI'
	[missing]
	cwd = no-such-dir
	command = true
	restart = on-failure
	max_restarts = 1
	restart_delay = 20ms
	INI
	run -127 --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"missing: could not start (status 127), restarting in 20ms (restart 1 of 1)"* ]]
	[ "$(grep -c 'cannot start: chdir' <<<"$stderr")" -eq 2 ]
}

@test "the restart delay doubles from run to run, capped by restart_delay_max" {
	write_ini g.ini <<-'INI'
	[flaky]
	command = date +%s%N >>starts; exit 1
	restart = on-failure
	max_restarts = 3
	restart_delay = 200ms
	restart_delay_max = 30s
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 1 ]
	[ "$(wc -l <starts)" -eq 4 ]
	local t gaps=() prev=
	for t in $(stamps_ms starts); do
		[ -n "$prev" ] && gaps+=($((t - prev)))
		prev=$t
	done
	echo "# gaps: ${gaps[*]} ms" >&3
	[ "${gaps[0]}" -ge 200 ]
	[ "${gaps[0]}" -lt 10000 ]
	[ "${gaps[1]}" -ge 400 ]
	[ "${gaps[1]}" -lt 10000 ]
	[ "${gaps[2]}" -ge 800 ]
	[ "${gaps[2]}" -lt 10000 ]
	[[ "$stderr" == *"restarting in 800ms (restart 3 of 3)"* ]]

	sed -i 's/restart_delay_max = 30s/restart_delay_max = 300ms/' g.ini
	rm -f starts
	run --separate-stderr ecg -c g.ini
	[[ "$stderr" == *"restarting in 200ms (restart 1 of 3)"* ]]
	[[ "$stderr" == *"restarting in 300ms (restart 2 of 3)"* ]]
	[[ "$stderr" == *"restarting in 300ms (restart 3 of 3)"* ]]
}

@test "a run that stayed ready for 10 s gives the task its whole budget back" {
	write_ini g.ini <<-'INI'
	[worker]
	command = n=$(wc -l <runs 2>/dev/null || echo 0); echo run >>runs; if [ "$n" -eq 1 ]; then sleep 10.5; fi; exit 1
	restart = on-failure
	max_restarts = 1
	restart_delay = 20ms
	INI
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 1 ]
	[ "$(wc -l <runs)" -eq 3 ]
	# the second run lasted over 10 s: its end is restart 1 of 1 again
	[ "$(grep -c 'restarting in 20ms (restart 1 of 1)' <<<"$stderr")" -eq 2 ]
}

@test "nothing restarts once the group is cancelled, also a task waiting out its delay" {
	write_ini g.ini <<-'INI'
	[svc]
	command = echo run >>svc.runs; touch svc.up; exec sleep 30
	restart = always
	[waiter]
	command = echo run >>waiter.runs; exit 1
	restart = on-failure
	restart_delay = 30s
	; the stop bound (40 s + 2 s) does not end the wait for it
	stop_timeout = 40s
	[bad]
	command = until [ -e svc.up ] && [ -s waiter.runs ]; do sleep 0.02; done; sleep 0.1; exit 5
	INI
	run_timed --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 5 ]
	[ "$(wc -l <svc.runs)" -eq 1 ]
	[ "$(wc -l <waiter.runs)" -eq 1 ]
	[[ "$stderr" == *"waiter: not restarted: the group is stopping"* ]]
	[[ "$stderr" == *"svc: killed by signal 15"* ]]
	# the 30 s delay was not waited for
	[ "$ELAPSED" -lt 20000 ]
	no_marked_left
}

@test "a dependent waits through its dependency's restarts, and starts once it is ready" {
	write_ini g.ini <<-'INI'
	[db]
	command = n=$(wc -l <runs 2>/dev/null || echo 0); echo run >>runs; [ "$n" -ge 1 ] || exit 1; echo up; exec sleep 30
	ready = line ^up$
	restart = on-failure
	restart_delay = 50ms
	[web]
	command = echo "db runs: $(wc -l <runs)"
	after = db
	cancel_on = exit
	INI
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"web | db runs: 2"* ]]
	[[ "$stderr" == *"db: exited with status 1, restarting in 50ms (restart 1 of 3)"* ]]
	[[ "$stderr" != *"which ended before it was ready"* ]]
}

@test "-j 2: never more than two tasks alive at once, counted by the tasks themselves" {
	{
		printf '[group]\nmax_parallel = 5\n'
		for i in 1 2 3 4 5 6 7 8; do
			printf '[job%d]\ncommand = mkdir -p slots; touch slots/$$; ls slots | wc -l >>seen; sleep 0.2; rm slots/$$; echo %d >>done\n' "$i" "$i"
		done
	} >g.ini
	run --separate-stderr ecg -j 2 -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	[ "$(wc -l <done)" -eq 8 ]
	echo "# alive as seen: $(sort -n seen | uniq -c | tr '\n' ' ')" >&3
	[ "$(sort -n seen | tail -1)" -le 2 ]
	# in the order of the file
	[ "$(head -2 done | sort | tr '\n' ' ')" = "1 2 " ]

	# without -j, the file's max_parallel = 5
	rm -rf slots seen done
	run --separate-stderr ecg -c g.ini
	[ "$(sort -n seen | tail -1)" -le 5 ]
	[ "$(sort -n seen | tail -1)" -ge 3 ]
}

@test "-j with cancellation: tasks still waiting for a slot never start" {
	write_ini g.ini <<-'INI'
	[bad]
	command = sleep 0.1; exit 4
	[second]
	command = touch second.ran
	[third]
	command = touch third.ran
	INI
	run --separate-stderr ecg --max-parallel 1 -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 4 ]
	[ ! -e second.ran ]
	[ ! -e third.ran ]
	[[ "$stderr" == *"second: not started: the group is stopping"* ]]
	[[ "$stderr" == *"third: not started: the group is stopping"* ]]
}

@test "a limit that can never be met is said once, naming both tasks" {
	write_ini g.ini <<-'INI'
	[db]
	command = touch db.up; exec sleep 30
	[web]
	command = touch web.ran
	after = db
	INI
	start_bg -j 1 -c g.ini
	wait_for 20 grep -q "no free slot" err.txt
	kill -TERM "$ECG_PID"
	wait_bg
	cat err.txt >&3
	[ "$STATUS" -eq 143 ]
	grep -q "ecg-run: web: no free slot: max_parallel = 1 is held by db, which web is after" err.txt
	[ "$(grep -c 'no free slot' err.txt)" -eq 1 ]
	[ ! -e web.ran ]
}

@test "the group's deadline: cancelled like a failure, status 124; --deadline wins over the file" {
	write_ini g.ini <<-'INI'
	[group]
	deadline = 1h
	[svc]
	command = exec sleep 30
	INI
	run_timed --separate-stderr ecg --deadline 500ms -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 124 ]
	[[ "$stderr" == *"ecg-run: deadline of 500ms passed, stopping the group"* ]]
	[[ "$stderr" == *"svc: killed by signal 15"* ]]
	[ "$ELAPSED" -ge 500 ]
	[ "$ELAPSED" -lt 20000 ]

	# a group that ends in time is not touched by it
	printf '[group]\ndeadline = 10m\n[a]\ncommand = true\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 0 ]
	run --separate-stderr ecg -n -c g.ini
	[[ "$output" == *"deadline = 10m"* ]]
}

@test "a task timeout stops the run with 124; restarts get the full timeout again" {
	write_ini g.ini <<-'INI'
	[slow]
	command = date +%s%N >>starts; exec sleep 30
	timeout = 300ms
	restart = on-failure
	max_restarts = 1
	restart_delay = 20ms
	INI
	run_timed --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 124 ]
	[ "$(wc -l <starts)" -eq 2 ]
	[[ "$stderr" == *"slow: timed out after 300ms, restarting in 20ms (restart 1 of 1)"* ]]
	[[ "$stderr" == *"slow: timed out after 300ms, stopping the group"* ]]
	[ "$ELAPSED" -ge 600 ]
	[ "$ELAPSED" -lt 20000 ]
	no_marked_left
}

@test "forward: HUP reaches the tasks that take it, and no other" {
	write_ini g.ini <<-'INI'
	[nginx]
	command = trap 'echo reloading' HUP; trap 'echo resized' WINCH; touch nginx.up; while :; do sleep 0.02; done
	forward = HUP, WINCH
	[worker]
	command = touch worker.up; exec sleep 30
	INI
	start_bg -c g.ini
	wait_for 20 test -e nginx.up
	wait_for 20 test -e worker.up
	kill -HUP "$ECG_PID"
	wait_for 20 grep -q "nginx  | reloading" out.txt
	kill -WINCH "$ECG_PID"
	wait_for 20 grep -q "nginx  | resized" out.txt
	kill -TERM "$ECG_PID"
	wait_bg
	cat err.txt >&3
	# the worker, which HUP would have killed (129), was stopped by ecg-run
	[ "$STATUS" -eq 143 ]
	grep -q "worker: killed by signal 15" err.txt
	! grep -q "killed by signal 1 " err.txt
}

@test "bad values: restart, max_restarts, restart_delay, timeout, forward, max_parallel, deadline, -j, --deadline" {
	local line want
	while IFS='|' read -r line want; do
		printf '[a]\ncommand = true\n%s\n' "$line" >g.ini
		run --separate-stderr ecg -c g.ini
		echo "# $line -> $stderr" >&3
		[ "$status" -eq 125 ]
		[[ "$stderr" == "g.ini:3: $want"* ]]
	done <<-'EOF'
	restart = sometimes|restart 'sometimes': use no, on-failure or always
	max_restarts = many|max_restarts 'many': not a whole number
	max_restarts = 99999999|max_restarts '99999999': too large (at most 1000000)
	restart_delay = 1x|restart_delay '1x': unknown duration unit
	timeout = soon|timeout 'soon': not a duration
	forward = TERM|forward 'TERM': 'TERM' cannot be forwarded (use HUP, USR1, USR2, WINCH, or none)
	max_parallel = 2|'max_parallel' is a [group] key, not a task key (task [a])
	deadline = 1m|'deadline' is a [group] key, not a task key (task [a])
	EOF
	printf '[a]\ncommand = true\n' >g.ini
	run --separate-stderr ecg -j x -c g.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == "ecg-run: --max-parallel 'x': not a whole number"* ]]
	run --separate-stderr ecg --deadline 5y -c g.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == "ecg-run: --deadline '5y': unknown duration unit"* ]]
}

@test "conf/batch.ini: 16 jobs, never more than 4 running, in the order of the file" {
	run --separate-stderr ecg -c "$ECG_TOP/conf/batch.ini"
	[ "$status" -eq 0 ]
	[ "$(grep -c ': done$' <<<"$output")" -eq 16 ]
	# a slot frees after the exit is said: started minus exited never passes 4
	local most
	most=$(awk '/: started$/ { n++ } /: exited with/ { n-- } n > m { m = n } END { print m }' <<<"$stderr")
	echo "# at most $most running" >&3
	[ "$most" -le 4 ]
	[ "$most" -ge 2 ]
	[ "$(grep -m 4 ': started$' <<<"$stderr" | tr '\n' ' ')" = "ecg-run: job01: started ecg-run: job02: started ecg-run: job03: started ecg-run: job04: started " ]
}

@test "restart_delay = 0: the first restart is immediate, later ones wait 100 ms and more (no crash loop)" {
	write_ini g.ini <<-'INI'
	[loop]
	command = echo run >>runs; exit 1
	restart = always
	max_restarts = 1000000
	restart_delay = 0
	INI
	run -124 --separate-stderr ecg --deadline 1500ms -c g.ini
	local runs
	runs=$(wc -l <runs)
	echo "# $runs runs in 1.5 s" >&3
	# 0, 100, 200, 400, 800 ms: at most 6 runs fit; a crash loop makes thousands
	[ "$runs" -ge 3 ]
	[ "$runs" -le 6 ]
	[[ "$stderr" == *"restarting in 0s (restart 1 of 1000000)"* ]]
	[[ "$stderr" == *"restarting in 100ms (restart 2 of 1000000)"* ]]
	[[ "$stderr" == *"restarting in 200ms (restart 3 of 1000000)"* ]]
}

@test "max_parallel: a sidecar holds no slot; a task waiting for a slot says so, in the summary and the events too" {
	# a log follower listed first took the only slot, and the jobs waited forever, silently
	printf '[logs]\nsidecar = yes\ncommand = exec sleep 30\n[job1]\ncommand = echo one\n[job2]\ncommand = echo two\n[job3]\ncommand = echo three\n' >g.ini
	ECG_TIMEOUT=30 run -0 --separate-stderr ecg -j 1 -c g.ini
	[ "$(printf '%s\n' "$output" | grep -c '^job[123] | ')" -eq 3 ]
	[[ "$stderr" == *"ecg-run: job2: waiting for a free slot (max_parallel = 1, held by job1)"* ]]
	# a service listed first holds the slot while it runs: the jobs say that they wait, and for whom
	printf '[svc]\ncommand = touch up; exec sleep 30\n[job1]\ncommand = echo one\n[job2]\ncommand = echo two\n' >g.ini
	start_bg -j 1 --summary=always --events ev.jsonl -c g.ini
	wait_for 20 grep -q "job2: waiting for a free slot" err.txt
	grep -qx "ecg-run: job1: waiting for a free slot (max_parallel = 1, held by svc)" err.txt
	grep -qx "ecg-run: job2: waiting for a free slot (max_parallel = 1, held by svc)" err.txt
	[ "$(grep -c 'waiting for a free slot' err.txt)" -eq 2 ]
	kill -TERM "$ECG_PID"
	wait_bg
	[ "$STATUS" -eq 143 ]
	grep -qE '^job1 +not started \(no slot\) ' err.txt
	python3 - <<-'PY'
	import json
	ev = [json.loads(l) for l in open("ev.jsonl")]
	w = [e for e in ev if e["event"] == "waiting_slot"]
	assert [e["task"] for e in w] == ["job1", "job2"], w
	assert all(e["max_parallel"] == 1 and e["held_by"] == ["svc"] for e in w), w
	PY
}
