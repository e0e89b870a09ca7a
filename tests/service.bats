#!/usr/bin/env bats
# Service groups: start order (after), readiness checks (ready), their
# timeouts, reverse-order shutdown, sidecars, and the group's readiness
# reported to whoever started ecg-run.  Real programs where the issue
# names them: redis-server, python3's http.server.

load helper

# ecg-run --ready-fd 7 -c g.ini in the background, 7 writing to ./fifo:
# opened in the background, since opening a FIFO waits for its reader.
start_bg_fifo() {
	$ECG_RUN_WRAP "$ECG_BIN" --ready-fd 7 -c g.ini 7>fifo >out.txt 2>err.txt &
	ECG_PID=$!
}

@test "after + ready = line: the dependent starts only once the line was printed, and the line is still printed" {
	write_ini g.ini <<-'INI'
	[db]
	command = sleep 0.3; touch db.up; echo "db: accepting connections"; exec sleep 30
	ready = line accepting conn(ections)?$
	[app]
	command = if [ -e db.up ]; then echo "db was up"; else echo "db was NOT up"; fi
	after = db
	cancel_on = exit
	INI
	run --separate-stderr ecg -c g.ini
	echo "$output" >&3
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"db  | db: accepting connections"* ]]
	[[ "$output" == *"app | db was up"* ]]
	[[ "$stderr" == *"ecg-run: app: waiting for db"* ]]
	[[ "$stderr" == *"ecg-run: db: ready (line accepting conn(ections)?\$) after "* ]]
	no_marked_left
}

@test "ready = line: \\d and \\b as in Perl, a NUL byte is a byte, only a line's first 4096 bytes count" {
	# Neither " ready" past byte 4096 nor "upward" (no word's end after "up")
	# may make db ready; the test lets db go on once those lines are out.
	write_ini g.ini <<-'INI'
	[db]
	command = head -c 4500 /dev/zero | tr '\0' x; echo " ready"; printf 'a\0b port 6379 upward\n'; echo ---; while [ ! -e go ]; do sleep 0.02; done; printf 'a\0b port 6379 up\n'; exec sleep 30
	ready = line (a.b port \d+ up\b|ready$)
	[app]
	command = echo app started
	after = db
	cancel_on = exit
	INI
	start_bg -c g.ini
	wait_for 20 grep -q -- "db  | ---" out.txt
	run grep -c "ready" err.txt
	[ "$output" = 0 ]
	touch go
	wait_bg
	cat err.txt >&3
	[ "$STATUS" -eq 0 ]
	grep -q "^app | app started$" out.txt
	grep -qF 'ecg-run: db: ready (line (a.b port \d+ up\b|ready$)) after ' err.txt
	no_marked_left
}

@test "ready = exited: a migration runs to its end before the app starts; a failed one starts nothing" {
	write_ini g.ini <<-'INI'
	[migrate]
	command = sleep 0.2; echo v2 >schema
	ready = exited
	[app]
	command = cat schema
	after = migrate
	cancel_on = exit
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 0 ]
	[[ "$output" == *"app     | v2"* ]]
	[[ "$stderr" == *"migrate: ready (exited)"* ]]

	sed -i 's/echo v2 >schema/exit 3/' g.ini
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"migrate: failed with status 3, stopping the group"* ]]
	[[ "$stderr" == *"app: not started"* ]]
	[[ "$stderr" != *"app: started"* ]]
}

@test "a dependency that exits 0 before it is ready stops the group with 1, naming both tasks" {
	write_ini g.ini <<-'INI'
	[db]
	command = echo starting
	ready = line ^ready$
	cancel_on = never
	[web]
	command = touch web.ran
	after = db
	INI
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"ecg-run: web waits for db, which ended before it was ready, stopping the group"* ]]
	[[ "$stderr" == *"web: not started"* ]]
	[ ! -e web.ran ]
}

@test "a dependency that fails before it is ready: its status, whatever its cancel_on; dependents never start" {
	write_ini g.ini <<-'INI'
	[db]
	command = exit 7
	ready = line ^ready$
	cancel_on = never
	[web]
	command = touch web.ran
	after = db
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 7 ]
	[[ "$stderr" == *"web waits for db, which ended before it was ready"* ]]
	[ ! -e web.ran ]
}

@test "a readiness timeout stops the task, says the check and the last probe error, and exits 124" {
	local port
	port=$(free_port)
	cat >g.ini <<-INI
	[db]
	command = exec sleep 30
	ready = tcp 127.0.0.1:$port
	ready_timeout = 1s
	[web]
	command = touch web.ran
	after = db
	INI
	run_timed --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 124 ]
	[[ "$stderr" == *"ecg-run: db: not ready after 1s (tcp 127.0.0.1:$port: connection refused), stopping the group"* ]]
	[[ "$stderr" == *"db: killed by signal 15"* ]]
	[ ! -e web.ran ]
	[ "$ELAPSED" -ge 1000 ]
	[ "$ELAPSED" -lt 20000 ]
	no_marked_left
}

@test "configuration errors: an unknown name, a task after itself, a cycle (125, FILE:LINE, the tasks named)" {
	printf '[a]\ncommand = true\n[b]\ncommand = true\nafter = aa\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 125 ]
	[ "$stderr" = "g.ini:5: task [b] is after 'aa', which is no task of the group (did you mean 'a'?)" ]

	printf '[a]\ncommand = true\nafter = a\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 125 ]
	[ "$stderr" = "g.ini:3: task [a] cannot start after itself" ]

	printf '[a]\ncommand = true\nafter = c\n[b]\ncommand = true\nafter = a\n[c]\ncommand = true\nafter = b, a\n' >g.ini
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 125 ]
	[ "$stderr" = "g.ini:3: tasks after one another in a cycle: a is after c, which is after b, which is after a" ]

	printf '[group]\nafter = a\n[a]\ncommand = true\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 125 ]
	[ "$stderr" = "g.ini:2: 'after' is a task key, not a [group] key: each task says it" ]
	printf '[group]\nsidecar = yes\n[a]\ncommand = true\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == "g.ini:2: 'sidecar' is a task key"* ]]
}

@test "bad checks are load errors: regex (also one too large, a back-reference), address, URL, fd, an unknown check" {
	local spec want
	while IFS='|' read -r spec want; do
		printf '[a]\ncommand = true\nready = %s\n' "$spec" >g.ini
		run --separate-stderr ecg -c g.ini
		echo "# $spec -> $stderr" >&3
		[ "$status" -eq 125 ]
		[[ "$stderr" == "g.ini:3: ready '$spec': $want"* ]]
	done <<-'EOF'
	line (unclosed|bad regular expression
	line (a{300}){300}|the expression is too large: with its counts spelled out (x{3} is xxx) it passes 1000 parts
	line ((a*)*){3000}|the expression is too large
	line (a*)\1b|bad regular expression: \1: back-references are not supported
	line ready\n|bad regular expression: \n is not an escape ecg-run knows
	line {"ready":true}|bad regular expression: '{' has nothing before it to repeat
	tcp localhost|
	tcp localhost:99999|
	http https://example.com/|https is not supported
	fd 2|fd takes a descriptor number from 3
	listening|use started, exited, line ERE, tcp HOST:PORT, http URL, command CMD, fd N or notify
	line|says what to check after 'line'
	EOF
	printf '[a]\ncommand = true\nready_timeout = soon\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == "g.ini:3: ready_timeout 'soon': "* ]]
}

@test "cancelled while a task waits: it never starts, is reported as not started, and the status is the signal's" {
	write_ini g.ini <<-'INI'
	[db]
	command = touch db.started; exec sleep 30
	ready = line never printed
	ready_timeout = 0
	[web]
	command = touch web.ran
	after = db
	INI
	start_bg -c g.ini
	wait_for 20 test -e db.started
	kill -TERM "$ECG_PID"
	wait_bg
	cat err.txt >&3
	[ "$STATUS" -eq 143 ]
	grep -q "ecg-run: web: not started" err.txt
	[ ! -e web.ran ]
	no_marked_left
}

@test "shutdown in reverse order: a task gets its stop signal only once every task after it has ended" {
	write_ini g.ini <<-'INI'
	[db]
	command = trap 'date +%s%N >db.stop; exit 0' TERM; touch db.up; while :; do sleep 0.02; done
	ready = command test -e db.up
	[app]
	command = trap 'date +%s%N >app.stop; sleep 0.5; date +%s%N >app.end; exit 0' TERM; touch app.up; while :; do sleep 0.02; done
	after = db
	ready = command test -e app.up
	[cache]
	command = trap 'date +%s%N >cache.stop; exit 0' TERM; while :; do sleep 0.02; done
	[stopper]
	command = until [ -e app.up ]; do sleep 0.02; done; exit 5
	INI
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 5 ]
	[ -e db.stop ]
	[ -e app.end ]
	[ -e cache.stop ]
	# db's stop came after app had ended; app and cache were stopped at once, together
	[ "$(cat db.stop)" -gt "$(cat app.end)" ]
	[ "$(cat cache.stop)" -lt "$(cat app.end)" ]
	no_marked_left
}

@test "a second SIGTERM while stopping in order kills every task at once" {
	write_ini g.ini <<-'INI'
	[db]
	command = trap '' TERM; touch db.up; while :; do sleep 0.02; done
	ready = command test -e db.up
	stop_timeout = 60s
	[app]
	command = trap '' TERM; touch app.up; while :; do sleep 0.02; done
	after = db
	stop_timeout = 60s
	INI
	start_bg -c g.ini
	wait_for 20 test -e app.up
	kill -TERM "$ECG_PID"
	wait_for 20 grep -q "stopping the group" err.txt
	# the same-request window of the first copy is 250 ms: well past it, this is a new request
	sleep 0.4
	kill -TERM "$ECG_PID"
	wait_bg
	cat err.txt >&3
	[ "$STATUS" -eq 143 ]
	grep -q "received SIGTERM while stopping, killing every task" err.txt
	grep -q "db: killed by signal 9" err.txt
	grep -q "app: killed by signal 9" err.txt
	no_marked_left
}

@test "sidecars: the group ends when the other tasks end; a sidecar's own end changes nothing" {
	write_ini g.ini <<-'INI'
	[tail]
	command = tail -n +1 -F log.txt 2>/dev/null | tee -a seen.txt
	sidecar = yes
	[flaky-sidecar]
	command = exit 3
	sidecar = yes
	[test]
	command = echo "all tests passed" >>log.txt; until grep -qs passed seen.txt; do sleep 0.02; done
	INI
	run_timed --separate-stderr ecg -c g.ini
	echo "$output" >&3
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"tail          | all tests passed"* ]]
	[[ "$stderr" == *"flaky-sidecar: exited with status 3"* ]]
	[[ "$stderr" != *"stopping the group"* ]]
	[[ "$stderr" == *"tail: killed by signal 15"* ]]
	[ "$ELAPSED" -lt 20000 ]
	no_marked_left
}

@test "only sidecars is a configuration error, and so is a selection of only sidecars" {
	printf '[a]\ncommand = true\nsidecar = yes\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == "g.ini:3: every task is a sidecar"* ]]
	printf '[a]\ncommand = true\nsidecar = yes\n[b]\ncommand = true\n' >g.ini
	run --separate-stderr ecg -c g.ini a
	[ "$status" -eq 125 ]
	[[ "$stderr" == "ecg-run: the tasks named are sidecars"* ]]
	printf '[a]\ncommand = true\nsidecar = yes\ncancel_on = exit\n[b]\ncommand = true\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == "g.ini:4: task [a] is a sidecar"* ]]
}

@test "selecting a task also runs the tasks it is after, transitively; --check prints the start order" {
	write_ini g.ini <<-'INI'
	[test]
	command = echo testing
	after = app
	[other]
	command = echo other
	[app]
	command = echo app
	after = db
	ready = exited
	[db]
	command = echo db
	ready = exited
	INI
	run --separate-stderr ecg -c g.ini test
	[ "$status" -eq 0 ]
	[[ "$output" == *"db   | db"* && "$output" == *"app  | app"* && "$output" == *"test | testing"* ]]
	[[ "$output" != *"other"* ]]

	run --separate-stderr ecg -n -c g.ini
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep '^\[' | tr '\n' ' ')" = "[group] [other] [db] [app] [test] " ]
	[[ "$output" == *$'[test]\n'*$'after = app\nready = started\nready_timeout = 0s'* ]]
	[[ "$output" == *$'after = db\nready = exited'* ]]
	# what --check prints loads back to the same group
	printf '%s\n' "$output" >p.ini
	run ecg -n -c p.ini
	[ "$(printf '%s\n' "$output" | tail -n +2)" = "$(ecg -n -c g.ini | tail -n +2)" ]
}

@test "ready = tcp against redis-server on a free port; the dependent talks to it" {
	command -v redis-server >/dev/null || skip "redis-server not installed"
	local port
	port=$(free_port)
	cat >g.ini <<-INI
	[redis]
	command = exec redis-server --port $port --save '' --appendonly no
	ready = tcp localhost:$port
	[client]
	command = redis-cli -p $port ping
	after = redis
	cancel_on = exit
	INI
	run --separate-stderr ecg -c g.ini
	echo "$output" >&3
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"client | PONG"* ]]
	[[ "$stderr" == *"redis: ready (tcp localhost:$port) after "* ]]
	no_marked_left
}

@test "ready = notify: redis-server --supervised systemd says READY=1 on the task's own NOTIFY_SOCKET" {
	command -v redis-server >/dev/null || skip "redis-server not installed"
	local port
	port=$(free_port)
	cat >g.ini <<-INI
	[redis]
	command = exec redis-server --port $port --save '' --appendonly no --supervised systemd
	ready = notify
	ready_timeout = 30s
	[client]
	command = redis-cli -p $port ping
	after = redis
	cancel_on = exit
	INI
	run --separate-stderr ecg -v -c g.ini
	echo "$stderr" | grep -v "sent SIG" >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"client | PONG"* ]]
	[[ "$stderr" == *"redis: ready (notify) after "* ]]
	# its STATUS= texts, with -v
	[[ "$stderr" == *"ecg-run: redis: status: "* ]]
	no_marked_left
}

@test "ready = notify: a datagram from a process outside the task is ignored" {
	command -v python3 >/dev/null || skip "python3 not installed"
	write_ini g.ini <<-'INI'
	[quiet]
	command = echo "$NOTIFY_SOCKET" >socket.path; exec sleep 30
	ready = notify
	ready_timeout = 5s
	[stranger]
	command = until [ -s socket.path ]; do sleep 0.02; done; exec python3 -c 'import socket, time; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"READY=1", open("socket.path").read().strip()); open("sent", "w").close(); time.sleep(30)'
	INI
	run --separate-stderr ecg -v -c g.ini
	echo "$stderr" >&3
	[ -e sent ]
	[ "$status" -eq 124 ]
	[[ "$stderr" == *"quiet: not ready after 5s (notify)"* ]]
	[[ "$stderr" != *"quiet: ready"* ]]
	# -v says why it was refused (the stranger's python3 may take seconds to start on a
	# busy machine: the datagram must come before the timeout ends the checking; the
	# sender stays, so that the datagram names a live pid however late it is read)
	[[ "$stderr" == *"ecg-run: quiet: a message from pid "*" to its notify socket was refused: its sender is not one of the task's processes"* ]]
	# the socket's directory is ecg-run's user's alone, and gone afterwards
	[ ! -e "$(cat socket.path)" ]
}

@test "ready = http against python3 -m http.server, and ready = line on its banner" {
	command -v python3 >/dev/null || skip "python3 not installed"
	local port port2
	port=$(free_port)
	port2=$(free_port)
	mkdir site && echo hello >site/index.html
	cat >g.ini <<-INI
	[web]
	command = exec python3 -u -m http.server --bind 127.0.0.1 --directory site $port
	ready = http http://127.0.0.1:$port/index.html
	[web2]
	command = exec python3 -u -m http.server --bind 127.0.0.1 --directory site $port2
	ready = line ^Serving HTTP on
	[get]
	command = python3 -c 'import urllib.request, sys; [print(urllib.request.urlopen("http://127.0.0.1:%s/index.html" % p).read().decode().strip()) for p in sys.argv[1:]]' $port $port2
	after = web, web2
	cancel_on = exit
	INI
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	[ "$(lines_of get | grep -c hello)" -eq 2 ]
	[[ "$stderr" == *"web: ready (http http://127.0.0.1:$port/index.html) after "* ]]
	[[ "$stderr" == *"web2: ready (line ^Serving HTTP on) after "* ]]
	no_marked_left
}

@test "ready = http: a status of 400 or more is not ready" {
	command -v python3 >/dev/null || skip "python3 not installed"
	local port
	port=$(free_port)
	mkdir site
	cat >g.ini <<-INI
	[web]
	command = exec python3 -m http.server --bind 127.0.0.1 --directory site $port
	ready = http http://127.0.0.1:$port/missing
	ready_timeout = 1500ms
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 124 ]
	[[ "$stderr" == *"web: not ready after 1500ms (http http://127.0.0.1:$port/missing: HTTP status 404)"* ]]
}

@test "ready = command: run by the task's shell in its cwd and environment; never overlapping; output not printed" {
	mkdir work
	write_ini g.ini <<-'INI'
	[svc]
	cwd = work
	env = FLAG=up.flag
	command = sleep 0.5; touch up.flag; exec sleep 30
	ready = command echo "probe output"; mkdir probe.lock || { echo overlap >>../overlaps; exit 1; }; n=$(cat ../count 2>/dev/null || echo 0); echo $((n + 1)) >../count; sleep 0.05; rmdir probe.lock; test -e "$FLAG"
	[after]
	command = echo go
	after = svc
	cancel_on = exit
	INI
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"after | go"* ]]
	[[ "$output" != *"probe output"* ]]
	[ ! -e overlaps ]
	[ "$(cat count)" -ge 2 ]
}

@test "ready = command: the last probe error is the probe's last line; polling slows to one probe a second" {
	write_ini g.ini <<-'INI'
	[svc]
	command = exec sleep 30
	ready = command echo probe $$ >>probes; echo "still warming up"; exit 1
	ready_timeout = 3s
	INI
	run_timed --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 124 ]
	[[ "$stderr" == *"svc: not ready after 3s (command echo probe \$\$ >>probes; echo \"still warming up\"; exit 1: still warming up)"* ]]
	# 25 ms doubling to 1 s: about 7 probes in the first second, then one a second
	local n
	n=$(wc -l <probes)
	echo "# $n probes in ${ELAPSED} ms" >&3
	[ "$n" -ge 3 ]
	[ "$n" -le $(( 8 + ELAPSED / 1000 )) ]
}

@test "ready = command: a probe running past 5 s is stopped and counts as failed" {
	write_ini g.ini <<-'INI'
	[svc]
	command = exec sleep 60
	ready = command touch probe.ran; exec sleep 60
	ready_timeout = 7s
	INI
	run_timed --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 124 ]
	[[ "$stderr" == *"the probe ran longer than 5s"* ]]
	no_marked_left
}

@test "ready = fd N (s6): a newline on descriptor 3 means ready; closing it without one fails at once with 124" {
	write_ini g.ini <<-'INI'
	[svc]
	command = sleep 0.2; echo >&3; exec 3>&-; exec sleep 30
	ready = fd 3
	[next]
	command = echo next ran
	after = svc
	cancel_on = exit
	INI
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"next | next ran"* ]]
	[[ "$stderr" == *"svc: ready (fd 3) after "* ]]

	write_ini g.ini <<-'INI'
	[svc]
	command = printf 'no newline' >&5; exec 5>&-; exec sleep 30
	ready = fd 5
	ready_timeout = 60s
	INI
	run_timed --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 124 ]
	[[ "$stderr" == *"svc: not ready after "*"(fd 5: descriptor 5 was closed without a newline), stopping the group"* ]]
	[ "$ELAPSED" -lt 30000 ]
}

@test "--ready-fd: a newline once the group is ready; end of file without one if it never is" {
	write_ini g.ini <<-'INI'
	[db]
	command = sleep 0.2; echo up; exec sleep 30
	ready = line ^up$
	[app]
	command = exec sleep 30
	after = db
	INI
	rm -f fifo && mkfifo fifo
	start_bg_fifo
	# the first read returns at the newline: a byte was written
	run timeout 20 head -c 1 fifo
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	# the message goes out through the output pump, maybe after the newline
	wait_for 20 grep -q "ecg-run: group ready after" err.txt
	kill -TERM "$ECG_PID"
	wait_bg
	[ "$STATUS" -eq 143 ]

	write_ini g.ini <<-'INI'
	[db]
	command = exit 4
	ready = line ^up$
	INI
	rm -f fifo && mkfifo fifo
	start_bg_fifo
	run timeout 20 cat fifo
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	wait_bg
	[ "$STATUS" -eq 4 ]
	! grep -q "group ready" err.txt

	run --separate-stderr ecg --ready-fd 1 -c g.ini
	[ "$status" -eq 125 ]
	run --separate-stderr ecg --ready-fd 77 -c g.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"--ready-fd 77: descriptor 77 is not open"* ]]
}

@test "NOTIFY_SOCKET: ecg-run says READY=1 when the group is ready and STOPPING=1 when it stops; tasks do not inherit it" {
	command -v python3 >/dev/null || skip "python3 not installed"
	cat >listen.py <<-'PY'
	import socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	s.bind(sys.argv[1])
	s.settimeout(20)
	open("listening", "w").close()
	with open("got", "w") as out:
	    for _ in range(2):
	        out.write(s.recv(4096).decode() + "\n")
	        out.flush()
	PY
	python3 listen.py "$PWD/notify.sock" &
	local lpid=$!
	wait_for 20 test -e listening
	write_ini g.ini <<-'INI'
	[svc]
	command = echo "inherited: ${NOTIFY_SOCKET-none} ${WATCHDOG_USEC-none}"; echo ready; exec sleep 30
	ready = line ^ready$
	INI
	NOTIFY_SOCKET="$PWD/notify.sock" WATCHDOG_USEC=1000000 start_bg -c g.ini
	wait_for 20 grep -q READY=1 got
	kill -TERM "$ECG_PID"
	wait_bg
	wait "$lpid"
	cat got >&3
	[ "$STATUS" -eq 143 ]
	[ "$(cat got)" = $'READY=1\nSTOPPING=1' ]
	grep -q "svc | inherited: none none" out.txt
}

@test "conf/e2e.ini: redis, an app after it, a test after the app: ecg-run exits with the test's status, nothing left" {
	command -v redis-server >/dev/null || skip "redis-server not installed"
	command -v python3 >/dev/null || skip "python3 not installed"
	E2E_REDIS_PORT=$(free_port) E2E_APP_PORT=$(free_port) run --separate-stderr ecg -c "$ECG_TOP/conf/e2e.ini"
	echo "$output" | grep -v "^redis" >&3
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"test  | got: hit 1, hit 2, hit 3"* ]]
	[[ "$stderr" == *"test: ended (cancel_on = exit), stopping the group"* ]]
	# reverse order: the app is stopped before redis
	[[ "$stderr" == *"app: killed by signal 15"*"redis: exited with status 0"* ]]
	no_marked_left
	# the test's failure is the group's status
	sed 's/ok = seen == /ok = not seen == /' "$ECG_TOP/conf/e2e.ini" >bad.ini
	E2E_REDIS_PORT=$(free_port) E2E_APP_PORT=$(free_port) run --separate-stderr ecg -c bad.ini
	[ "$status" -eq 1 ]
	[[ "$output" == *"test  | e2e FAILED"* ]]
	no_marked_left
}

@test "sidecars are stopped last: a log follower shows the others' last lines, written while they drain" {
	write_ini g.ini <<-'INI'
	[app]
	command = trap 'echo "draining..." >>app.log; sleep 0.5; echo "shutdown complete" >>app.log; exit 0' TERM; echo "app up" >>app.log; touch app.up; while :; do sleep 0.02; done
	[logs]
	sidecar = yes
	command = n=0; show() { total=$(wc -l <app.log); if [ "$total" -gt "$n" ]; then tail -n +$((n + 1)) app.log | head -n $((total - n)); n=$total; fi; }; : >>app.log; trap 'show; exit 0' TERM; while :; do show; sleep 0.02; done
	[job]
	command = until [ -e app.up ]; do sleep 0.02; done; sleep 0.2; exit 3
	INI
	run -3 --separate-stderr ecg -c g.ini
	echo "$output" >&3
	[[ "$output" == *"logs | draining..."* ]]
	[[ "$output" == *"logs | shutdown complete"* ]]
	# and it was stopped once app was gone
	[[ "$stderr" == *"ecg-run: app: exited with status 0"*"ecg-run: logs: exited with status 0"* ]]
	# a SIGTERM to ecg-run: the same order
	rm -f app.log app.up
	sed -i 's/exit 3$/exec sleep 30/' g.ini
	start_bg -c g.ini
	wait_for 20 test -e app.up
	wait_for 20 grep -q "logs | app up" out.txt
	kill -TERM "$ECG_PID"
	wait_bg
	[ "$STATUS" -eq 143 ]
	grep -q "logs | shutdown complete" out.txt
	no_marked_left
}

@test "ready = line matches a last line without a newline, as it is printed" {
	printf '[setup]\ncommand = printf "setup done"\nready = line done$\n[app]\nafter = setup\ncommand = echo "app runs"\n' >g.ini
	run -0 ecg -c g.ini
	[[ "$output" == *"ecg-run: setup: ready (line done\$) after"* ]]
	[[ "$output" == *"app   | app runs"* ]]
}

@test "ready = notify: a task that switches to another user still reaches its own socket" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch user"
	command -v setpriv >/dev/null || skip "setpriv not installed"
	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 (Debian's, which nobody may run)"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	write_ini g.ini <<-'INI'
	[db]
	command = exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- /usr/bin/python3 -c 'import os, socket, time; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); print("sending as", os.getuid(), flush=True); s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"]); time.sleep(30)'
	ready = notify
	ready_timeout = 10s
	[app]
	after = db
	command = echo "db is ready"
	cancel_on = exit
	INI
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	# printed before READY=1 is sent: once the group stops, a line after it could be cut off by SIGTERM
	[[ "$output" == *"db  | sending as 65534"* ]]
	[[ "$stderr" == *"ecg-run: db: ready (notify) after"* ]]
	[[ "$output" == *"app | db is ready"* ]]
	no_marked_left
}

@test "ready = line: matching the worst expression accepted never holds up other tasks' lines for long" {
	# a time of the optimized build: a sanitizer or valgrind makes each step many times slower
	[ "$ECG_VARIANT" = release ] && [ -z "$ECG_RUN_WRAP" ] || skip "times the release build only"
	# (.?){499}b: 999 parts, about 16 ms a 4 KiB line; a task that never
	# matches floods such lines while a ticker prints every 10 ms
	write_ini g.ini <<-'INI'
	[ticker]
	command = exec python3 -u -c 'import time; [(print("tick", flush=True), time.sleep(0.01)) for _ in range(100000)]'
	[flood]
	command = exec python3 -c 'import sys; line = "a" * 4095 + "\n"; [sys.stdout.write(line) for _ in iter(int, 1)]'
	ready = line (.?){499}b
	ready_timeout = 0
	[stopper]
	command = sleep 3
	cancel_on = exit
	INI
	ecg -T -c g.ini 2>/dev/null | grep -aE ' ticker +\| tick$' >ticks.txt || true
	python3 - <<-'PY' >&3
	stamps = []
	for line in open("ticks.txt"):
	    h, m, s = line.split()[0].split(":")
	    stamps.append((int(h) * 60 + int(m)) * 60 + float(s))
	assert len(stamps) > 50, len(stamps)
	gaps = [b - a for a, b in zip(stamps, stamps[1:])]
	worst = max(gaps)
	print("# %d ticks, the longest gap between two: %.0f ms" % (len(stamps), worst * 1000))
	assert worst < 0.15, worst
	PY
	no_marked_left
}

@test "ready = line: an expression of more than 1000 parts is refused, with the reason" {
	printf '[a]\ncommand = true\nready = line (.?){2400}b\n' >g.ini
	run -125 --separate-stderr ecg -c g.ini
	[ "$stderr" = "g.ini:3: ready 'line (.?){2400}b': the expression is too large: with its counts spelled out (x{3} is xxx) it passes 1000 parts" ]
}

# listens PORT: something accepts connections on 127.0.0.1:PORT
listens() {
	/usr/bin/python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null
}

@test "ready = tcp/http: a server on the port from before the task started is not the task's: said, and not ready" {
	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
	local port imp
	port=$(free_port)
	# marked as a task's, so that the teardown stops it whatever happens; fd 3 is bats'
	ECG_RUN_TASK=impostor /usr/bin/python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1 3>&- &
	imp=$!
	wait_for 20 listens "$port"
	printf '[web]\ncommand = exec sleep 30\nready = http http://127.0.0.1:%s/\nready_timeout = 1500ms\n' "$port" >g.ini
	ECG_TIMEOUT=20 run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 124 ]
	[ "$(grep -c "ecg-run: web: port $port is held by pid $imp (python3), not by web$" <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == *"ecg-run: web: not ready after 1500ms (http http://127.0.0.1:$port/: port $port is held by pid $imp (python3), not by web), stopping the group"* ]]
	# the same where the kernel's socket diagnostics cannot be asked (netlink refused): /proc
	# socket(AF_NETLINK = 16, ...) fails with EAFNOSUPPORT (97)
	run --separate-stderr inject socket 0 16 97 timeout 20 $ECG_RUN_WRAP "$ECG_BIN" -c g.ini
	if [ "$status" -ne 77 ]; then
		[ "$status" -eq 124 ]
		[ "$(grep -c "ecg-run: web: port $port is held by pid $imp (python3), not by web$" <<<"$stderr")" -eq 1 ]
	fi
	kill "$imp"
	wait_for 10 no_marked_left
}

@test "ready = tcp: a listener that comes after the task started (its own, or a proxy for it) makes it ready" {
	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
	local port proxy
	port=$(free_port)
	printf '[web]\ncommand = touch started; exec sleep 30\nready = tcp 127.0.0.1:%s\nready_timeout = 20s\n[test]\nafter = web\ncommand = echo go\ncancel_on = exit\n' "$port" >g.ini
	start_bg -c g.ini
	wait_for 20 test -e started
	# a process that is not the task's starts listening only now: a container runtime's proxy
	ECG_RUN_TASK=proxy /usr/bin/python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1 3>&- &
	proxy=$!
	wait_bg
	kill "$proxy"
	cat err.txt >&3
	[ "$STATUS" -eq 0 ]
	grep -q "ecg-run: web: ready (tcp 127.0.0.1:$port) after" err.txt
	! grep -q "is held by" err.txt
}
