#!/usr/bin/env bats
# --events: every event of a run as JSON Lines, parsed with python3's json
# module; a slow reader loses events, never time.

load helper

# check_events FILE: every line is a JSON object with event, time (RFC 3339
# UTC with milliseconds) and mono_ms; prints the event names, one a line.
check_events() {
	python3 - "$1" <<-'PY'
	import json, re, sys
	when = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
	last = -1
	for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
	    e = json.loads(line)
	    assert isinstance(e, dict), n
	    assert when.match(e["time"]), (n, e["time"])
	    if e["event"] == "group_start":
	        last = -1	# each run counts from its own start
	    assert isinstance(e["mono_ms"], int) and e["mono_ms"] >= last, (n, e)
	    last = e["mono_ms"]
	    print(e["event"])
	PY
}

# check_cancel FILE CAUSE STATUS END_STATUS: the first cancel event has that
# cause and status, and the last event is group_end with END_STATUS.
check_cancel() {
	python3 - "$@" <<-'PY'
	import json, sys
	path, cause, status, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
	evs = [json.loads(l) for l in open(path)]
	first = [e for e in evs if e["event"] == "cancel"][0]
	assert first["cause"] == cause and first["status"] == status, first
	assert evs[-1]["event"] == "group_end" and evs[-1]["status"] == end, evs[-1]
	PY
}

# event_field FILE EVENT TASK FIELD: that field of the first such event.
event_field() {
	python3 - "$@" <<-'PY'
	import json, sys
	path, event, task, field = sys.argv[1:5]
	for line in open(path, encoding="utf-8"):
	    e = json.loads(line)
	    if e["event"] == event and (task == "-" or e.get("task") == task):
	        print(json.dumps(e.get(field)))
	        break
	PY
}

@test "--events: one JSON object a line for every kind of event, group_end with ecg-run's status" {
	write_ini g.ini <<-'INI'
	[db]
	command = echo up; exec sleep 30
	ready = line ^up$
	[flaky]
	command = echo run >>runs; [ "$(wc -l <runs)" -ge 2 ] || exit 2; exec sleep 30
	restart = on-failure
	restart_delay = 20ms
	[slow]
	command = exec sleep 30
	[short]
	command = trap 'touch short.stopped; exit 0' TERM; while :; do sleep 0.02; done
	timeout = 100ms
	cancel_on = never
	[stubborn]
	command = trap '' TERM; touch stubborn.up; while :; do sleep 0.02; done
	stop_timeout = 200ms
	[nocwd]
	cwd = missing-dir
	command = true
	cancel_on = never
	[test]
	after = db
	ready = exited
	command = until [ -e stubborn.up ] && [ -e short.stopped ] && [ -s runs ] && [ "$(wc -l <runs)" -ge 2 ]; do sleep 0.02; done; exit 3
	[late]
	after = test
	command = true
	INI
	run --separate-stderr ecg --events ev.jsonl -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 3 ]
	run check_events ev.jsonl
	echo "$output" | sort | uniq -c >&3
	[ "$status" -eq 0 ]
	local e
	# (group_ready: in the next test; this group never gets ready)
	for e in group_start waiting start ready exit restart cancel stop kill not_started timeout group_end; do
		grep -qx "$e" <<<"$output" || { echo "# no $e event" >&3; false; }
	done
	[ "${lines[0]}" = group_start ]
	[ "${lines[${#lines[@]}-1]}" = group_end ]
	[ "$(event_field ev.jsonl group_start - v)" = 1 ]
	[ "$(event_field ev.jsonl group_start - tasks)" = '["db", "flaky", "slow", "short", "stubborn", "nocwd", "test", "late"]' ]
	[ "$(event_field ev.jsonl timeout short kind)" = '"run"' ]
	[ "$(event_field ev.jsonl group_end - status)" = 3 ]
	[ "$(event_field ev.jsonl waiting test after)" = '["db"]' ]
	[ "$(event_field ev.jsonl ready db check)" = '"line ^up$"' ]
	[ "$(event_field ev.jsonl restart flaky attempt)" = 2 ]
	[ "$(event_field ev.jsonl restart flaky delay_ms)" = 20 ]
	[ "$(event_field ev.jsonl exit flaky code)" = 2 ]
	[ "$(event_field ev.jsonl exit test code)" = 3 ]
	[ "$(event_field ev.jsonl exit slow signal)" = '"SIGTERM"' ]
	[ "$(event_field ev.jsonl exit nocwd code)" = 127 ]
	[[ "$(event_field ev.jsonl exit nocwd error)" == '"chdir missing-dir: No such file or directory"' ]]
	[ "$(event_field ev.jsonl cancel test cause)" = '"task"' ]
	[ "$(event_field ev.jsonl cancel test status)" = 3 ]
	[ "$(event_field ev.jsonl stop slow signal)" = '"SIGTERM"' ]
	[ "$(event_field ev.jsonl kill stubborn signal)" = '"SIGKILL"' ]
	[ "$(event_field ev.jsonl not_started late event)" = '"not_started"' ]
	no_marked_left
}

@test "--events: timeout and deadline events; signal and deadline causes; appended, not replaced" {
	write_ini g.ini <<-'INI'
	[slow]
	command = exec sleep 30
	timeout = 200ms
	INI
	run --separate-stderr ecg --events ev.jsonl -c g.ini
	[ "$status" -eq 124 ]
	[ "$(event_field ev.jsonl timeout slow kind)" = '"run"' ]
	[ "$(event_field ev.jsonl timeout slow after_ms)" = 200 ]
	printf '[svc]\ncommand = exec sleep 30\n' >g.ini
	run --separate-stderr ecg --events ev.jsonl --deadline 200ms -c g.ini
	[ "$status" -eq 124 ]
	run check_events ev.jsonl
	[ "$status" -eq 0 ]
	[ "$(grep -c group_start <<<"$output")" -eq 2 ]
	python3 - <<-'PY'
	import json
	evs = [json.loads(l) for l in open("ev.jsonl")]
	causes = [e for e in evs if e["event"] == "cancel"]
	assert causes[-1]["cause"] == "deadline" and causes[-1]["status"] == 124, causes
	assert [e for e in evs if e["event"] == "group_ready"], "no group_ready" 
	assert evs[-1]["event"] == "group_end" and evs[-1]["status"] == 124
	PY

	printf '[svc]\ncommand = touch up; exec sleep 30\n' >g.ini
	start_bg --events ev2.jsonl -c g.ini
	wait_for 20 test -e up
	kill -TERM "$ECG_PID"
	wait_bg
	[ "$STATUS" -eq 143 ]
	check_cancel ev2.jsonl signal 143 143
	[ "$(event_field ev2.jsonl cancel - signal)" = '"SIGTERM"' ]

	# a failure first, then Ctrl-C while stopping: ecg-run ends by SIGINT, and says 130
	printf '[stubborn]\ncommand = trap "" TERM; touch up2; while :; do sleep 0.02; done\nstop_timeout = 30s\n[bad]\ncommand = until [ -e up2 ]; do sleep 0.02; done; exit 3\n' >g.ini
	start_bg --events ev3.jsonl -c g.ini
	wait_for 20 grep -q "failed with status 3" err.txt
	kill -INT "$ECG_PID"
	wait_bg
	[ "$STATUS" -eq 130 ]
	check_cancel ev3.jsonl task 3 130
}

@test "--events: strings are valid JSON whatever the bytes: quotes, control bytes, bad UTF-8" {
	printf '[odd]\ncwd = no "such" \\ dir \377\376 \001 end\ncommand = true\n' >g.ini
	run -127 --separate-stderr ecg --events ev.jsonl -c g.ini
	[ "$status" -eq 127 ]
	run check_events ev.jsonl
	[ "$status" -eq 0 ]
	run event_field ev.jsonl exit odd error
	echo "$output" >&3
	[ "$output" = '"chdir no \"such\" \\ dir \ufffd\ufffd \u0001 end: No such file or directory"' ]
}

@test "--events: - is refused, a path that cannot be opened is an error; mode 0644 less the umask" {
	printf '[a]\ncommand = true\n' >g.ini
	run --separate-stderr ecg --events - -c g.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == "ecg-run: --events needs a file: standard output carries the tasks' output"* ]]
	run --separate-stderr ecg --events no-dir/ev.jsonl -c g.ini
	[ "$status" -eq 125 ]
	[ "$stderr" = "ecg-run: --events no-dir/ev.jsonl: No such file or directory" ]
	(umask 022 && ecg --events a.jsonl -c g.ini 2>/dev/null)
	(umask 077 && ecg --events b.jsonl -c g.ini 2>/dev/null)
	[ "$(stat -c %a a.jsonl)" = 644 ]
	[ "$(stat -c %a b.jsonl)" = 600 ]
	# a descriptor the caller opened
	run --separate-stderr ecg --events /dev/fd/5 -c g.ini 5>fd.jsonl
	[ "$status" -eq 0 ]
	run check_events fd.jsonl
	[ "${lines[${#lines[@]}-1]}" = group_end ]
}

@test "--events: a reader that never reads loses events, counted, and never slows the group" {
	{
		for i in $(seq 1 400); do
			printf '[t%d]\ncommand = true\n' "$i"
		done
	} >g.ini
	mkfifo stuck
	# a reader that holds the FIFO open and never reads it
	sleep 60 <stuck &
	local reader=$!
	run_timed --separate-stderr ecg --events stuck -c g.ini
	kill "$reader" 2>/dev/null || true
	echo "# ${ELAPSED} ms; $(tail -1 <<<"$stderr")" >&3
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"events could not be written to stuck in time"* ]]
	[ "$ELAPSED" -lt 30000 ]
}

@test "--events: group_start names every task of a large group on one valid line" {
	{
		for i in $(seq 1 1500); do
			printf '[task-with-a-long-name-%d]\ncommand = true\n' "$i"
		done
	} >g.ini
	run --separate-stderr ecg -q --events ev.jsonl -c g.ini
	[ "$status" -eq 0 ]
	run check_events ev.jsonl
	[ "$status" -eq 0 ]
	python3 - <<-'PY'
	import json
	first = json.loads(open("ev.jsonl").readline())
	assert first["event"] == "group_start" and len(first["tasks"]) == 1500, len(first["tasks"])
	assert first["tasks"][-1] == "task-with-a-long-name-1500"
	PY
}

@test "5,000 tasks: --events into a file keeps every event, the summary and the JUnit report are whole" {
	{
		printf '[group]\nstop_timeout = 10s\n'
		for i in $(seq 1 4999); do
			printf '[s%d]\ncommand = exec sleep 300\n' "$i"
		done
		# fails once every other task has started (or the group is stopping)
		printf '[zfail]\ncommand = sleep 1; exit 3\n'
	} >g.ini
	ECG_TIMEOUT=200 run_timed -3 --separate-stderr ecg -q --summary=always --junit r.xml --events ev.jsonl -c g.ini
	echo "# ${ELAPSED} ms; $(wc -l <ev.jsonl) events; summary: $(grep -c ' restarts\?$' <<<"$stderr") rows" >&3
	[[ "$stderr" != *"could not be written"* ]]
	[ "$(grep -cE '^(s[0-9]+|zfail) +[a-z]' <<<"$stderr")" -eq 5000 ]
	[ "$(printf '%s\n' "$stderr" | tail -1)" = "ecg-run: cause: zfail: failed with status 3, stopping the group; exit status 3" ]
	python3 -c 'import xml.etree.ElementTree as ET; n = len(list(ET.parse("r.xml").getroot().iter("testcase"))); assert n == 5000, n'
	python3 - <<-'PY'
	import json, collections
	ev = [json.loads(l) for l in open("ev.jsonl", encoding="utf-8")]
	assert ev[0]["event"] == "group_start" and len(ev[0]["tasks"]) == 5000
	assert ev[-1]["event"] == "group_end" and ev[-1]["status"] == 3, ev[-1]
	kinds = collections.defaultdict(set)
	for e in ev:
	    if "task" in e:
	        kinds[e["event"]].add(e["task"])
	started, skipped = kinds["start"], kinds["not_started"]
	assert len(started) + len(skipped) == 5000 and not (started & skipped), (len(started), len(skipped))
	assert kinds["exit"] == started, (len(kinds["exit"]), len(started))
	print("# %d started, %d not started, %d events" % (len(started), len(skipped), len(ev)))
	PY
	no_marked_left
}

@test "--events: each task's runtime is from its own spawn, in a large group too" {
	{
		for i in $(seq 1 1000); do
			printf '[s%d]\ncommand = exec sleep 1\n' "$i"
		done
	} >g.ini
	ECG_TIMEOUT=120 run -0 --separate-stderr ecg -q --summary=always --events ev.jsonl -c g.ini
	python3 - <<-'PY'
	import json
	start, worst = {}, (0, None)
	for e in map(json.loads, open("ev.jsonl", encoding="utf-8")):
	    if e["event"] == "start":
	        start[e["task"]] = e["mono_ms"]
	    elif e["event"] == "exit":
	        seen = e["mono_ms"] - start[e["task"]]
	        off = abs(e["runtime_ms"] - seen)
	        # sleep 1 ran about a second, whenever in the group's start it began
	        # (counted from just after its exec: a millisecond may be missing)
	        assert e["runtime_ms"] >= 950, e
	        if off > worst[0]:
	            worst = (off, e)
	print("# worst runtime_ms against the events' own times: %d ms off" % worst[0])
	assert worst[0] <= 100, worst
	PY
}
