#!/usr/bin/env bats
# The control socket and ecg-run ctl: a running group looked at and acted on.

load helper

ctl() {
	timeout -k 5 30 $ECG_RUN_WRAP "$ECG_BIN" ctl "$@"
}

# answers SOCK: ctl status works against SOCK
answers() {
	"$ECG_BIN" ctl -s "$1" status >/dev/null 2>&1
}

@test "ctl status: a row per task, its state and pid; --json in the events' names" {
	printf '[db]\ncommand = touch db.up; exec sleep 30\n[web]\ncommand = exec sleep 30\nafter = db\n' >g.ini
	start_bg --control "$PWD/g.sock" -c g.ini
	wait_for 20 answers "$PWD/g.sock"
	wait_for 20 sh -c "\"$ECG_BIN\" ctl -s '$PWD/g.sock' status | grep -q '^web *ready'"
	run -0 ctl -s "$PWD/g.sock" status
	echo "$output"
	[[ "${lines[0]}" == "TASK"*"STATE"*"PID"*"SINCE"*"RESTARTS"*"LAST" ]]
	[[ "${lines[1]}" =~ ^db\ +ready\ +[0-9]+\  ]]
	[[ "${lines[2]}" =~ ^web\ +ready\ +[0-9]+\  ]]
	run -0 ctl -s "$PWD/g.sock" status --json web
	echo "$output" | python3 -c '
import json, sys
a = json.loads(sys.stdin.read())
assert a["ok"] and a["v"] == 1 and a["group"] == "g" and a["state"] == "running", a
assert [t["task"] for t in a["tasks"]] == ["web"], a
t = a["tasks"][0]
assert t["state"] == "ready" and t["pid"] > 0 and t["restarts"] == 0 and t["last"] is None, t
'
	kill -TERM "$ECG_PID"
	wait_bg
}

@test "ctl signal: only the named task gets it; an unknown task is refused (1)" {
	cat >g.ini <<-'EOF'
	[a]
	command = trap 'echo a >>hup.txt' HUP; touch a.up; while :; do sleep 0.05; done
	[b]
	command = trap 'echo b >>hup.txt' HUP; touch b.up; while :; do sleep 0.05; done
	EOF
	start_bg --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e a.up -a -e b.up
	run -0 ctl -s "$PWD/g.sock" signal HUP b
	wait_for 20 test -s hup.txt
	run -1 ctl -s "$PWD/g.sock" signal HUP nope
	[[ "$output" == *"unknown task 'nope'"* ]]
	[ "$(cat hup.txt)" = b ]
	kill -TERM "$ECG_PID"
	wait_bg
}

@test "ctl shutdown: the group stops as SIGTERM would, status 0, the cause names it; the socket goes" {
	printf '[svc]\ncommand = touch up; exec sleep 30\n' >g.ini
	start_bg --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e up
	run -0 ctl -s "$PWD/g.sock" shutdown
	wait_bg
	[ "$STATUS" -eq 0 ]
	grep -q "shutdown requested (ecg-run ctl, pid [0-9]*), stopping the group" err.txt
	grep -q "cause: shutdown requested" err.txt
	[ ! -e g.sock ]
	run -3 ctl -s "$PWD/g.sock" status
	[[ "$output" == *"no running group answers at $PWD/g.sock"* ]]
}

@test "a task finds its group in ECG_CONTROL; the default socket is in XDG_RUNTIME_DIR/ecg-run, 0600" {
	mkdir -m 700 rt
	printf '[probe]\ncommand = "$ECG_BIN" ctl status probe >status.txt; echo "$ECG_CONTROL" >where.txt\n' >g.ini
	ECG_BIN=$ECG_BIN XDG_RUNTIME_DIR=$PWD/rt run -0 ecg -q -c g.ini
	grep -q '^probe *ready' status.txt
	[[ "$(cat where.txt)" == "$PWD/rt/ecg-run/g-"*".sock" ]]
	[ "$(stat -c %a rt/ecg-run)" = 700 ]
	# gone with the run
	[ -z "$(ls rt/ecg-run)" ]
}

@test "control = none, --control none: no socket and no ECG_CONTROL; a live socket's path is refused (125)" {
	printf '[group]\ncontrol = none\n[t]\ncommand = echo "[${ECG_CONTROL-unset}]"\n' >g.ini
	run -0 ecg -q -c g.ini
	[[ "$output" == *"[unset]"* ]]
	printf '[t]\ncommand = touch up; exec sleep 30\n' >h.ini
	start_bg --control "$PWD/h.sock" -c h.ini
	wait_for 20 test -e up
	run -125 ecg -q --control "$PWD/h.sock" -c h.ini
	[[ "$output" == *"another ecg-run (pid $ECG_PID) answers there"* ]]
	kill -TERM "$ECG_PID"
	wait_bg
}

@test "ctl events: every event from now on as JSON Lines, until the group ends" {
	printf '[svc]\ncommand = touch up; exec sleep 30\n[late]\ncommand = while [ ! -e go ]; do sleep 0.05; done; exit 3\n' >g.ini
	start_bg --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e up
	ctl -s "$PWD/g.sock" events >events.jsonl &
	local reader=$!
	wait_for 20 sh -c "\"$ECG_BIN\" ctl -s '$PWD/g.sock' status --json | grep -q '\"pid\"'"
	touch go
	wait_bg
	[ "$STATUS" -eq 3 ]
	# the stream ends with the group: ctl says 0
	wait "$reader"
	python3 - <<-'PY'
	import json
	evs = [json.loads(l) for l in open("events.jsonl")]
	names = [e["event"] for e in evs]
	assert "exit" in names and "cancel" in names, names
	PY
}

@test "ctl: usage errors are 2, no group is 3; another user is refused" {
	run -2 ctl status
	[[ "$output" == *"no control socket"* ]]
	run -2 ctl -s x.sock frobnicate
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	run -3 ctl -s "$PWD/none.sock" status
	[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || skip "needs root and setpriv"
	printf '[t]\ncommand = touch up; exec sleep 30\n' >g.ini
	chmod 755 .
	start_bg --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e up
	run -3 setpriv --reuid=nobody --regid=nogroup --clear-groups "$ECG_BIN" ctl -s "$PWD/g.sock" status
	echo "$output"
	kill -TERM "$ECG_PID"
	wait_bg
}

@test "200 clients at once are all answered (64 at a time), and the group goes on" {
	printf '[t]\ncommand = touch up; exec sleep 30\n' >g.ini
	start_bg --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e up
	local i pids=()
	for i in $(seq 1 200); do
		"$ECG_BIN" ctl -s "$PWD/g.sock" status >"s.$i" 2>&1 &
		pids+=($!)
	done
	local failed=0
	for i in "${pids[@]}"; do
		wait "$i" || failed=$((failed + 1))
	done
	[ "$failed" -eq 0 ]
	[ "$(grep -l '^t  *ready' s.* | wc -l)" -eq 200 ]
	kill -0 "$ECG_PID"
	kill -TERM "$ECG_PID"
	wait_bg
}

@test "ctl restart: a new run, no failure, no restart budget; those after it keep running" {
	cat >g.ini <<-'EOF'
	[db]
	command = echo $$ >>db.pids; exec sleep 30
	[web]
	command = touch web.up; exec sleep 30
	after = db
	EOF
	start_bg --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e web.up
	local webpid
	webpid=$("$ECG_BIN" ctl -s "$PWD/g.sock" status --json web | python3 -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["pid"])')
	run -0 ctl -s "$PWD/g.sock" restart db
	wait_for 20 sh -c '[ "$(wc -l <db.pids)" -eq 2 ]'
	wait_for 20 sh -c "\"$ECG_BIN\" ctl -s '$PWD/g.sock' status | grep -q '^db *ready'"
	run -0 ctl -s "$PWD/g.sock" status --json
	echo "$output" | python3 -c '
import json, sys
a = json.loads(sys.stdin.read())
t = {t["task"]: t for t in a["tasks"]}
assert t["db"]["restarts"] == 0 and t["db"]["state"] == "ready", t
assert t["web"]["pid"] == int(sys.argv[1]), (t, sys.argv[1])
' "$webpid"
	grep -q "db: restarting, as asked (ecg-run ctl)" err.txt
	kill -TERM "$ECG_PID"
	wait_bg
	[ "$STATUS" -eq 143 ]
}

@test "ctl stop keeps a task stopped (never a failure, even with cancel_on = exit); ctl start runs it again; the last stop ends the group with 0" {
	cat >g.ini <<-'EOF'
	[svc]
	command = echo $$ >>svc.pids; trap 'sleep 0.5; exit 0' TERM; while :; do sleep 0.05; done
	cancel_on = exit
	[other]
	command = touch other.up; exec sleep 30
	EOF
	start_bg --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e other.up
	# stop answers once the task is gone (it takes half a second to go)
	run -0 ctl -s "$PWD/g.sock" stop svc
	run -0 ctl -s "$PWD/g.sock" status svc
	[[ "${lines[1]}" =~ ^svc\ +stopped\  ]]
	run -1 ctl -s "$PWD/g.sock" stop svc
	[[ "$output" == *"svc is stopped"* ]]
	run -0 ctl -s "$PWD/g.sock" start svc
	wait_for 20 sh -c '[ "$(wc -l <svc.pids)" -eq 2 ]'
	run -1 ctl -s "$PWD/g.sock" start svc
	run -0 ctl -s "$PWD/g.sock" stop svc other
	wait_bg
	[ "$STATUS" -eq 0 ]
	! grep -q "cause:" err.txt
}

@test "ctl wait, check, restart --wait: answered when the group (the tasks) are ready; a timeout is 1" {
	cat >g.ini <<-'EOF'
	[db]
	command = while [ ! -e go ]; do sleep 0.05; done; touch db.ready; exec sleep 30
	ready = command test -e db.ready
	[web]
	command = exec sleep 30
	after = db
	EOF
	start_bg --control "$PWD/g.sock" -c g.ini
	wait_for 20 answers "$PWD/g.sock"
	run -1 ctl -s "$PWD/g.sock" check
	[[ "$output" == *"not ready"* ]]
	run -1 ctl -s "$PWD/g.sock" wait --timeout 100ms db
	[[ "$output" == *"timed out"* ]]
	ctl -s "$PWD/g.sock" wait >wait.out 2>&1 &
	local waiter=$!
	touch go
	wait "$waiter"
	run -0 ctl -s "$PWD/g.sock" check
	run -0 ctl -s "$PWD/g.sock" status
	[[ "$output" == *"web "*"ready"* ]]
	# restart --wait answers once db is ready again, not before
	rm go db.ready
	ctl -s "$PWD/g.sock" restart --wait db >restart.out 2>&1 &
	local restarter=$!
	wait_for 20 sh -c "\"$ECG_BIN\" ctl -s '$PWD/g.sock' status | grep -q '^db *running'"
	kill -0 "$restarter"
	touch go
	wait "$restarter"
	run -0 ctl -s "$PWD/g.sock" status
	[[ "$output" == *"db "*"ready"* ]]
	# a waiter is told when the group stops instead
	ctl -s "$PWD/g.sock" wait --timeout 60s nosuch 2>nosuch.err || true
	grep -q "unknown task 'nosuch'" nosuch.err
	kill -TERM "$ECG_PID"
	wait_bg
}

@test "ctl -c FILE finds the group's live socket; several need --pid, which lists them" {
	mkdir -m 700 rt
	printf '[t]\ncommand = touch up.$$; exec sleep 30\n' >g.ini
	XDG_RUNTIME_DIR=$PWD/rt $ECG_RUN_WRAP "$ECG_BIN" -c g.ini >a.out 2>&1 &
	local a=$!
	wait_for 20 sh -c 'ls up.* >/dev/null 2>&1'
	XDG_RUNTIME_DIR=$PWD/rt run -0 ctl -c g.ini status
	[[ "$output" == *"t "*"ready"* ]]
	XDG_RUNTIME_DIR=$PWD/rt $ECG_RUN_WRAP "$ECG_BIN" -c g.ini >b.out 2>&1 &
	local b=$!
	wait_for 20 sh -c '[ "$(ls up.* | wc -l)" -eq 2 ]'
	XDG_RUNTIME_DIR=$PWD/rt run -2 ctl -c g.ini status
	[[ "$output" == *"2 running groups of g.ini: pick one with --pid PID"* ]]
	[[ "$output" == *"$a.sock"* && "$output" == *"$b.sock"* ]]
	XDG_RUNTIME_DIR=$PWD/rt run -0 ctl -c g.ini --pid "$b" shutdown
	wait "$b" || true
	XDG_RUNTIME_DIR=$PWD/rt run -0 ctl -c g.ini shutdown
	wait "$a" || true
	XDG_RUNTIME_DIR=$PWD/rt run -3 ctl -c g.ini status
}

@test "every request is an event: -v says it, --events has it, with the client's pid and the result" {
	printf '[svc]\ncommand = touch up; exec sleep 30\n' >g.ini
	start_bg -v --events ev.jsonl --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e up
	run -0 ctl -s "$PWD/g.sock" status
	run -1 ctl -s "$PWD/g.sock" stop nosuch
	run -0 ctl -s "$PWD/g.sock" shutdown
	wait_bg
	grep -q "ecg-run: control: status (pid [0-9]*)$" err.txt
	grep -q "ecg-run: control: stop (pid [0-9]*) refused: unknown task 'nosuch'" err.txt
	python3 - <<-'PY'
	import json
	c = [e for e in map(json.loads, open("ev.jsonl")) if e["event"] == "control"]
	assert [e["command"] for e in c] == ["status", "stop", "shutdown"], c
	assert [e["ok"] for e in c] == [True, False, True] and c[1]["error"] == "unknown task 'nosuch'", c
	assert all(e["pid"] > 0 for e in c), c
	PY
}

@test "after kill -9 of ecg-run, its sentinel removes the control socket with the tasks" {
	printf '[t]\ncommand = touch up; exec sleep 30\n' >g.ini
	start_bg --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e up
	[ -S g.sock ]
	kill -9 "$ECG_PID"
	wait_for 20 sh -c '! test -e g.sock'
	wait_for 20 no_marked_left
}

# logs_asked: the run said (--events ev.jsonl) that a logs request was taken
logs_asked() {
	grep -q '"command":"logs"' ev.jsonl 2>/dev/null
}

@test "ctl logs: the named tasks' lines from now on, prefixed as on the terminal (stderr on stderr), until the group ends" {
	cat >g.ini <<-'EOF'
	[web]
	command = echo before; touch up; while [ ! -e go ]; do sleep 0.02; done; echo "out 1"; echo "err 1" >&2; printf 'x\000y\n'; printf 'no newline'
	[database]
	command = while [ ! -e go ]; do sleep 0.02; done; echo "db line"; exec sleep 30
	EOF
	start_bg --events ev.jsonl --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e up
	ctl -s "$PWD/g.sock" logs web >logs.out 2>logs.err &
	local reader=$!
	wait_for 20 logs_asked
	touch go
	wait_for 20 grep -q "^web *| no newline" out.txt
	run -0 ctl -s "$PWD/g.sock" shutdown
	wait_bg
	wait "$reader"
	cat logs.out logs.err
	# what the terminal shows, from the moment it was asked, for web only
	cmp <(grep -a "^web" out.txt | grep -av before) logs.out
	[ "$(cat logs.err)" = "web      | err 1" ]
	# no task named: all of them; an unknown one is refused
	run -3 ctl -s "$PWD/g.sock" logs
	start_bg --control "$PWD/g.sock" -c g.ini
	run -1 ctl -s "$PWD/g.sock" logs nosuch
	[[ "$output" == *"unknown task 'nosuch'"* ]]
	kill -TERM "$ECG_PID"
	wait_bg
}

@test "a logs client that cannot keep up loses lines, never slows the group, and is told how many at the end; one that never reads holds nothing up" {
	cat >g.ini <<-'EOF'
	[loud]
	command = touch up; while [ ! -e go ]; do sleep 0.02; done; seq 1 300000; touch said
	[svc]
	command = exec sleep 30
	EOF
	start_bg --events ev.jsonl --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e up
	# client(cmd, start reading once this file is there)
	cat >client.py <<-'PY'
	import os, socket, sys, time
	s = socket.socket(socket.AF_UNIX)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
	s.connect(sys.argv[1])
	s.sendall(sys.argv[2].encode() + b"\n")
	while not os.path.exists(sys.argv[3]):
	    time.sleep(0.02)
	data = b""
	while True:
	    b = s.recv(65536)
	    if not b:
	        break
	    data += b
	sys.stdout.write(data.decode())
	PY
	python3 client.py "$PWD/g.sock" '{"cmd":"logs","tasks":["loud"]}' said >slow.out &
	local slow=$!
	python3 client.py "$PWD/g.sock" '{"cmd":"events"}' never >never.out &
	local never=$!
	ctl -s "$PWD/g.sock" logs loud >fast.out 2>fast.err &
	local fast=$!
	wait_for 20 sh -c '[ "$(grep -c "\"command\":\"logs\"" ev.jsonl)" -eq 2 ]'
	wait_for 20 grep -q '"command":"events"' ev.jsonl
	touch go
	# the group's own output is not held back by the clients
	wait_for 60 test -e said
	wait_for 60 grep -q "^loud *| 300000$" out.txt
	run -0 ctl -s "$PWD/g.sock" shutdown
	wait_bg
	[ "$STATUS" -eq 0 ]
	wait "$slow"
	wait "$fast"
	touch never
	wait "$never"
	python3 - <<-'PY'
	import json, re
	# the one that reads got its lines in order, and is told how many it lost (if any)
	got = [int(l.split("| ")[1]) for l in open("fast.out")]
	m = re.search(r"(\d+) lines lost", open("fast.err").read())
	lost = int(m.group(1)) if m else 0
	assert got == sorted(got) and len(got) + lost == 300000, (len(got), lost)
	# the one that read only once all was said lost some, and is told how many
	lines = [json.loads(l) for l in open("slow.out")]
	assert lines[0]["ok"], lines[0]
	end = lines[-1]
	assert end["end"] is True and end["lost"] > 0, end
	got = [int(l["text"]) for l in lines[1:-1]]
	assert got == list(range(1, len(got) + 1)), "a gap before the loss"
	assert len(got) + end["lost"] == 300000, (len(got), end)
	PY
}

@test "ctl restart of a redis-server while a client task keeps using it: a new server, the client goes on, no failure" {
	command -v redis-server >/dev/null || skip "redis-server not installed"
	local port
	port=$(free_port)
	write_ini g.ini <<-INI
	[redis]
	command = exec redis-server --port $port --save '' --appendonly no
	ready = tcp 127.0.0.1:$port
	[client]
	command = while :; do redis-cli -p $port INCR n >/dev/null 2>&1 && echo ok >>done.txt || echo fail >>done.txt; sleep 0.02; done
	after = redis
	INI
	start_bg --events ev.jsonl --control "$PWD/g.sock" -c g.ini
	wait_for 20 sh -c '[ "$(grep -c ok done.txt 2>/dev/null)" -ge 5 ]'
	local before
	before=$(redis-cli -p "$port" INFO server | grep '^process_id:' | tr -d '\r')
	run -0 ctl -s "$PWD/g.sock" restart --wait redis
	# answered once the new server is ready: it answers, and is another process
	run -0 redis-cli -p "$port" PING
	[ "$output" = PONG ]
	[ "$(redis-cli -p "$port" INFO server | grep '^process_id:' | tr -d '\r')" != "$before" ]
	# the client went on using it
	local oks
	oks=$(grep -c ok done.txt)
	wait_for 20 sh -c "[ \"\$(grep -c ok done.txt)\" -gt $oks ]"
	run -0 ctl -s "$PWD/g.sock" status --json
	echo "$output" | python3 -c '
import json, sys
a = json.loads(sys.stdin.read())
t = {t["task"]: t for t in a["tasks"]}
assert t["redis"]["state"] == "ready" and t["client"]["state"] == "ready", t
assert t["client"]["restarts"] == 0, t
'
	run -0 ctl -s "$PWD/g.sock" shutdown
	wait_bg
	[ "$STATUS" -eq 0 ]
	! grep -q '"event":"cancel".*"cause":"task"' ev.jsonl
}

@test "the protocol from socat: one JSON object per line each way; a malformed request gets an error, the connection goes on" {
	command -v socat >/dev/null || skip "socat not installed"
	printf '[t]\ncommand = touch up; exec sleep 30\n' >g.ini
	start_bg --control "$PWD/g.sock" -c g.ini
	wait_for 20 test -e up
	run -0 sh -c "printf '%s\n' '{\"cmd\":\"status\"}' 'not json' '{\"cmd\":\"signal\",\"signal\":\"USR2\",\"tasks\":[\"nosuch\"]}' '{\"cmd\":\"check\"}' | timeout 10 socat - UNIX-CONNECT:'$PWD/g.sock'"
	echo "$output"
	[ "${#lines[@]}" -eq 4 ]
	echo "$output" | python3 -c '
import json, sys
a = [json.loads(l) for l in sys.stdin.read().splitlines()]
assert a[0]["ok"] and a[0]["tasks"][0]["task"] == "t", a[0]
assert a[1]["ok"] is False and a[1]["error"].startswith("bad request"), a[1]
assert a[2]["ok"] is False and a[2]["error"] == "unknown task '"'"'nosuch'"'"'", a[2]
assert a[3]["ok"] is True, a[3]
'
	kill -TERM "$ECG_PID"
	wait_bg
}
