#!/usr/bin/env bats
# Health after ready (health = tcp | http | command | watchdog): checks
# that start once the task is ready, never overlap, make it unhealthy
# after health_retries failures in a row; an unhealthy task is stopped and
# its end is a failure (124), so restart applies.  And the probes an
# orchestrator calls (ecg-run ctl check) through ready, unhealthy and
# stopping.

load helper

ctl() {
	timeout -k 5 30 "$ECG_BIN" ctl "$@"
}

# said EVENT-JSON-FRAGMENT: ev.jsonl has a line with it
said() {
	grep -qF -- "$1" ev.jsonl 2>/dev/null
}

@test "health = http: a failed check is said, health_retries in a row make it unhealthy: stopped, 124, in the summary, the events and JUnit" {
	local port
	port=$(free_port)
	write_ini g.ini <<-INI
	[web]
	command = exec python3 $FIXTURES/healthsrv.py $port
	ready = http http://127.0.0.1:$port/health
	health = http http://127.0.0.1:$port/health
	health_interval = 100ms
	[other]
	command = exec sleep 30
	INI
	start_bg --summary=always --junit j.xml --events ev.jsonl -c g.ini
	wait_for 20 said '"health":"healthy"'
	touch sick
	wait_bg
	cat err.txt
	[ "$STATUS" -eq 124 ]
	local url="http://127.0.0.1:$port/health"
	grep -qF "ecg-run: web: health check failed ($url: HTTP status 503, 1 check in a row)" err.txt
	grep -qF "ecg-run: web: health check failed ($url: HTTP status 503, 2 checks in a row)" err.txt
	grep -qF "ecg-run: web: unhealthy ($url: HTTP status 503, 3 checks in a row), stopping the group" err.txt
	grep -q "^web  *unhealthy " err.txt
	grep -qF "<failure message=\"unhealthy\" type=\"unhealthy\">unhealthy ($url: HTTP status 503, 3 checks in a row)</failure>" j.xml
	python3 - <<-'PY'
	import json
	evs = [json.loads(l) for l in open("ev.jsonl")]
	h = [(e["health"], e["failures"]) for e in evs if e["event"] == "health"]
	assert h == [("healthy", 0), ("failing", 1), ("failing", 2), ("unhealthy", 3)], h
	names = [e["event"] for e in evs]
	# checks begin once it is ready
	assert names.index("ready") < names.index("health"), names
	u = [e for e in evs if e["event"] == "unhealthy"][0]
	assert u["task"] == "web" and "3 checks in a row" in u["error"], u
	c = [e for e in evs if e["event"] == "cancel"][0]
	assert c["task"] == "web" and c["status"] == 124, c
	PY
}

@test "unhealthy with restarts left: the task runs again and is healthy again; ctl status shows its health" {
	write_ini g.ini <<-'INI'
	[svc]
	command = echo run >>runs; exec sleep 30
	health = command test ! -e sick
	health_interval = 50ms
	health_retries = 2
	restart = on-failure
	restart_delay = 100ms
	INI
	start_bg --events ev.jsonl --control "$PWD/g.sock" -c g.ini
	wait_for 20 said '"health":"healthy"'
	run -0 ctl -s "$PWD/g.sock" status
	[[ "${lines[0]}" == *"HEALTH"* ]]
	[[ "${lines[1]}" =~ ^svc\ +ready\ +[0-9]+\ +[^\ ]+\ +0\ +healthy ]]
	touch sick
	wait_for 20 said '"event":"restart"'
	rm sick
	wait_for 20 sh -c '[ "$(grep -c "\"health\":\"healthy\"" ev.jsonl)" -eq 2 ]'
	run -0 ctl -s "$PWD/g.sock" status --json
	echo "$output" | python3 -c '
import json, sys
t = json.loads(sys.stdin.read())["tasks"][0]
assert t["health"] == "healthy" and t["restarts"] == 1, t
'
	[ "$(wc -l <runs)" -eq 2 ]
	grep -q "svc: unhealthy (test ! -e sick: the probe exited with status 1, 2 checks in a row), restarting" err.txt
	run -0 ctl -s "$PWD/g.sock" shutdown
	wait_bg
	[ "$STATUS" -eq 0 ]
}

@test "an unhealthy message is whole: a command check of 4 KiB is named in full" {
	local pad
	pad=$(printf 'x%.0s' $(seq 4000))
	write_ini g.ini <<-INI
	[svc]
	command = exec sleep 30
	health = command test -n $pad && false
	health_interval = 50ms
	health_retries = 1
	INI
	start_bg -c g.ini
	wait_bg
	[ "$STATUS" -eq 124 ]
	grep -qF "ecg-run: svc: unhealthy (test -n $pad && false: the probe exited with status 1, 1 check in a row), stopping the group" err.txt
}

@test "health = watchdog: the task gets WATCHDOG_USEC and WATCHDOG_PID (its own pid); without WATCHDOG=1 for that long it is unhealthy" {
	cat >pinger.py <<-'PY'
	import os, socket, time
	addr = os.environ["NOTIFY_SOCKET"]
	with open("env.txt", "w") as f:
	    f.write("%s %s\n" % (os.environ["WATCHDOG_USEC"], os.environ["WATCHDOG_PID"] == str(os.getpid())))
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	n = 0
	while not os.path.exists("quiet"):
	    s.sendto(b"WATCHDOG=1", addr)
	    n += 1
	    with open("pings.new", "w") as f:
	        f.write("%d\n" % n)
	    os.replace("pings.new", "pings")
	    time.sleep(0.05)
	time.sleep(30)
	PY
	write_ini g.ini <<-'INI'
	[pinger]
	command = exec python3 pinger.py
	health = watchdog 1500ms
	INI
	start_bg --events ev.jsonl -c g.ini
	wait_for 20 said '"health":"healthy"'
	[ "$(cat env.txt)" = "1500000 True" ]
	# 40 pings, 50 ms apart at least: more than one period, and it stays healthy
	wait_for 30 sh -c '[ "$(cat pings 2>/dev/null || echo 0)" -ge 40 ]'
	! grep -q '"health":"unhealthy"' ev.jsonl
	touch quiet
	wait_bg
	[ "$STATUS" -eq 124 ]
	grep -qF "ecg-run: pinger: unhealthy (watchdog: no WATCHDOG=1 for 1500ms), stopping the group" err.txt
}

@test "health = tcp: a listener that goes away makes the task unhealthy; checks never overlap, and one that runs past health_timeout fails" {
	local port
	port=$(free_port)
	cat >srv.py <<-PY
	import os, socket, time
	s = socket.socket()
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("127.0.0.1", $port))
	s.listen(16)
	s.setblocking(False)
	while not os.path.exists("close"):
	    try:
	        c, _ = s.accept()
	        c.close()
	    except BlockingIOError:
	        time.sleep(0.01)
	s.close()
	time.sleep(30)
	PY
	write_ini g.ini <<-INI
	[srv]
	command = exec python3 srv.py
	ready = tcp 127.0.0.1:$port
	health = tcp 127.0.0.1:$port
	health_interval = 50ms
	health_retries = 2
	cancel_on = never
	[probed]
	command = exec sleep 30
	health = command mkdir lock || exit 7; echo probe >>probes; sleep 0.2; rmdir lock
	health_interval = 10ms
	health_retries = 1
	[slow]
	command = exec sleep 30
	health = command sleep 5
	health_timeout = 300ms
	health_retries = 1
	cancel_on = never
	INI
	start_bg --events ev.jsonl -c g.ini
	wait_for 20 said '"task":"srv","health":"healthy"'
	touch close
	wait_for 20 said '"event":"unhealthy","time"'
	wait_for 20 grep -q 'srv: unhealthy (127.0.0.1:'"$port"': connection refused, 2 checks in a row)' err.txt
	wait_for 20 grep -qF 'slow: unhealthy (sleep 5: the probe ran longer than 0.3s, 1 check in a row)' err.txt
	# the probes of [probed] never ran two at once (mkdir would have failed: 7)
	wait_for 20 sh -c '[ "$(wc -l <probes)" -ge 5 ]'
	kill -TERM "$ECG_PID"
	wait_bg
	! grep -q '"task":"probed","health":"failing"' ev.jsonl
	! grep -q "probed: unhealthy" err.txt
}

@test "the orchestrator's probe (ecg-run ctl check): 1 before ready, 0 ready and healthy, 1 failing, 1 stopping, 3 gone" {
	write_ini g.ini <<-'INI'
	[web]
	command = exec sleep 30
	health = command test ! -e sick
	health_interval = 50ms
	health_retries = 3
	[late]
	command = trap 'test -e release && exit 0' TERM; while :; do sleep 0.05; done
	ready = command test -e go
	stop_timeout = 20s
	INI
	start_bg --events ev.jsonl --control "$PWD/g.sock" -c g.ini
	wait_for 20 said '"task":"web","health":"healthy"'
	run -1 ctl -s "$PWD/g.sock" check
	[[ "$output" == *"the group is not ready"* ]]
	touch go
	wait_for 20 ctl -s "$PWD/g.sock" check
	# health_retries is 3: the first failures make the probe fail before the task is unhealthy
	touch sick
	wait_for 20 said '"health":"failing"'
	run -1 ctl -s "$PWD/g.sock" check
	[[ "$output" == *"web is not healthy"* || "$output" == *"the group is stopping"* ]]
	wait_for 20 said '"event":"cancel"'
	run -1 ctl -s "$PWD/g.sock" check
	[[ "$output" == *"the group is stopping"* ]]
	touch release
	wait_bg
	[ "$STATUS" -eq 124 ]
	run -3 ctl -s "$PWD/g.sock" check
}

@test "health keys: bad values are load errors naming the line; --check prints them and the output loads back" {
	printf '[a]\ncommand = true\nhealth = line x\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: health 'line x': use tcp HOST:PORT, http URL, command CMD or watchdog DURATION" ]
	printf '[a]\ncommand = true\nhealth = watchdog 0\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: health 'watchdog 0': watchdog takes a duration above 0 (30s)" ]
	printf '[a]\ncommand = true\nhealth = tcp nowhere\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[[ "$stderr" == "g.ini:3: health 'tcp nowhere': "* ]]
	printf '[group]\nhealth_retries = 0\n[a]\ncommand = true\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:2: health_retries '0': at least 1" ]
	printf '[a]\ncommand = true\nhealth_interval = 0\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: health_interval '0': a duration above 0" ]
	write_ini g.ini <<-'INI'
	[group]
	health_interval = 2s
	[web]
	command = true
	health = http http://127.0.0.1:9/health
	health_retries = 5
	[plain]
	command = true
	INI
	run -0 --separate-stderr ecg --check -c g.ini
	printf '%s\n' "$output" >back.ini
	[[ "$output" == *$'health = http http://127.0.0.1:9/health\nhealth_interval = 2s\nhealth_timeout = 5s\nhealth_retries = 5'* ]]
	# a task without a health check has none of the health_ keys printed
	[ "$(printf '%s\n' "$output" | grep -c '^health')" -eq 4 ]
	run -0 --separate-stderr ecg --check -c back.ini
	[ "$(printf '%s\n' "$output" | grep -v '^;')" = "$(grep -v '^;' back.ini)" ]
}
