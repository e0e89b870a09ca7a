#!/usr/bin/env bats
# The keys people bring from supervisord, systemd, compose and foreman:
# success_status, restart_reset.

load helper

@test "success_status = 0 3 SIGTERM: an exit with 3 and a death by SIGTERM are successes (no failure, no restart); 4 is a failure" {
	write_ini g.ini <<-'INI'
	[group]
	success_status = 0 3 SIGTERM
	restart = on-failure
	[three]
	command = echo run >>three.runs; exit 3
	[term]
	command = echo run >>term.runs; kill -TERM $$
	[svc]
	command = exec sleep 30
	after = three, term
	ready = command test -e go
	INI
	start_bg --summary=always -c g.ini
	wait_for 20 test -e three.runs -a -e term.runs
	touch go
	wait_for 20 grep -q "group ready" err.txt
	kill -TERM "$ECG_PID"
	wait_bg
	cat err.txt
	[ "$STATUS" -eq 143 ]
	[ "$(wc -l <three.runs)" -eq 1 ]
	[ "$(wc -l <term.runs)" -eq 1 ]
	! grep -q "restarting" err.txt
	grep -q "^three  *exited 3 " err.txt
	! grep -q "cause: three\|cause: term" err.txt
	# 4 is not one of them: the group fails with it
	printf '[group]\nsuccess_status = 3\n[four]\ncommand = exit 4\n[three]\ncommand = exit 3\n' >f.ini
	run -4 --separate-stderr ecg -c f.ini
	[[ "$stderr" == *"cause: four: failed with status 4"* ]]
	# cancel_on = exit: a success ends the group with 0
	printf '[t]\ncommand = exit 3\ncancel_on = exit\nsuccess_status = 3\n[s]\ncommand = exec sleep 30\n' >e.ini
	run -0 --separate-stderr ecg -c e.ini
}

@test "success_status: --check prints it sorted and it loads back; bad values name the line" {
	printf '[t]\ncommand = true\nsuccess_status = SIGHUP, 7 3\n' >g.ini
	run -0 --separate-stderr ecg --check -c g.ini
	[[ "$output" == *$'\nsuccess_status = 0 3 7 SIGHUP\n'* ]]
	printf '%s\n' "$output" >back.ini
	run -0 --separate-stderr ecg --check -c back.ini
	[[ "$output" == *$'\nsuccess_status = 0 3 7 SIGHUP\n'* ]]
	printf '[t]\ncommand = true\nsuccess_status = 0 256\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: success_status '0 256': '256' is no exit status (0 to 255)" ]
	printf '[t]\ncommand = true\nsuccess_status = FOO\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: success_status 'FOO': 'FOO' is no signal (TERM, SIGHUP)" ]
}

@test "restart_reset: a run ready that long gets its restart budget back; with the default it does not" {
	write_ini g.ini <<-'INI'
	[flaky]
	command = echo run >>runs; sleep 0.4; exit 1
	restart = on-failure
	max_restarts = 1
	restart_delay = 10ms
	restart_reset = 200ms
	INI
	start_bg -c g.ini
	# 1 restart allowed in a row, but each run was ready 0.4 s > 200 ms: it goes on
	wait_for 30 sh -c '[ "$(wc -l <runs)" -ge 4 ]'
	kill -TERM "$ECG_PID"
	wait_bg
	[ "$STATUS" -eq 143 ]
	sed -i '/^restart_reset/d' g.ini
	rm runs
	run -1 --separate-stderr ecg -c g.ini
	[ "$(wc -l <runs)" -eq 2 ]
	[[ "$stderr" == *"flaky: exited with status 1, restarting in 10ms (restart 1 of 1)"* ]]
}

@test "umask and limit_*: applied in the task before exec; --check prints them and they load back" {
	write_ini g.ini <<-'INI'
	[group]
	umask = 0027
	[t]
	command = umask >um.txt; ulimit -Sn >nofile.txt; ulimit -Hn >>nofile.txt; ulimit -s >stack.txt; ulimit -c >core.txt; touch made
	limit_nofile = 300:400
	limit_stack = 4MiB
	limit_core = 0
	[plain]
	command = umask >plain.txt
	umask = 0002
	INI
	run -0 --separate-stderr ecg -c g.ini
	[ "$(cat um.txt)" = 0027 ]
	[ "$(cat plain.txt)" = 0002 ]
	[ "$(stat -c %a made)" = 640 ]
	[ "$(cat nofile.txt)" = $'300\n400' ]
	[ "$(cat stack.txt)" = 4096 ]
	[ "$(cat core.txt)" = 0 ]
	run -0 --separate-stderr ecg --check -c g.ini
	[[ "$output" == *$'umask = 0027\nlimit_nofile = 300:400\nlimit_core = 0\nlimit_stack = 4MiB'* ]]
	printf '%s\n' "$output" >back.ini
	run -0 --separate-stderr ecg --check -c back.ini
	[ "$(printf '%s\n' "$output" | grep -v '^;')" = "$(grep -v '^;' back.ini)" ]
}

@test "limit_*: bad values name the line; above ecg-run's hard limit (not as root) the task cannot start, 127, the reason named" {
	printf '[t]\ncommand = true\nlimit_nofile = 10:5\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: limit_nofile '10:5': the soft limit is above the hard one" ]
	printf '[t]\ncommand = true\nlimit_core = lots\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: limit_core 'lots': use SOFT[:HARD], each a size (64M, 8MiB, 4096) or infinity" ]
	printf '[t]\ncommand = true\numask = 0999\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: umask '0999': an octal mask from 0 to 0777 (0027)" ]
	[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || skip "needs root and setpriv to be another user"
	chmod 755 .
	printf '[t]\ncommand = echo ran >ran.txt\nlimit_nofile = 4096\n' >g.ini
	run -127 --separate-stderr sh -c "ulimit -Sn 1024 && ulimit -Hn 2048 && exec setpriv --reuid=nobody --regid=nogroup --clear-groups '$ECG_BIN' --control none -c g.ini"
	echo "$stderr"
	[[ "$stderr" == *"t: cannot start: limit_nofile 4096 (ecg-run's hard limit is 2048): Operation not permitted"* ]]
	[ ! -e ran.txt ]
}

@test "stop_command = nginx -s quit: run instead of the stop signal, its output is the task's, nginx ends by itself with 0" {
	command -v nginx >/dev/null || skip "nginx not installed"
	local port
	port=$(free_port)
	mkdir logs
	cat >nginx.conf <<-CONF
	daemon off;
	pid $PWD/nginx.pid;
	error_log stderr notice;
	events {}
	http {
	    access_log off;
	    client_body_temp_path $PWD/tmp;
	    server { listen 127.0.0.1:$port; location / { return 200 "hi\\n"; } }
	}
	CONF
	write_ini g.ini <<-INI
	[nginx]
	command = exec nginx -p $PWD -c $PWD/nginx.conf
	stop_command = nginx -p $PWD -c $PWD/nginx.conf -s quit
	ready = tcp 127.0.0.1:$port
	stop_timeout = 20s
	INI
	start_bg -v -c g.ini
	wait_for 20 grep -q "nginx: ready" err.txt
	kill -TERM "$ECG_PID"
	wait_bg
	cat out.txt err.txt
	[ "$STATUS" -eq 143 ]
	grep -q "nginx: running its stop_command (pid [0-9]*)" err.txt
	# nginx -s quit says what it did, on the task's stderr, prefixed
	grep -q "^nginx *| .*signal process started" err.txt
	grep -q "nginx: exited with status 0" err.txt
	! grep -q "nginx: sent SIGTERM" err.txt
	no_marked_left
}

@test "stop_command that does nothing: the task's process group and the command get SIGKILL after stop_timeout; nothing is left" {
	write_ini g.ini <<-'INI'
	[stubborn]
	command = trap '' TERM; touch up; while :; do sleep 0.05; done
	stop_command = echo ignoring; exec sleep 30
	stop_timeout = 300ms
	INI
	start_bg -c g.ini
	wait_for 20 test -e up
	kill -TERM "$ECG_PID"
	wait_bg
	cat out.txt err.txt
	[ "$STATUS" -eq 143 ]
	grep -q "^stubborn *| ignoring" out.txt
	grep -q "stubborn: killed by signal 9 (SIGKILL)" err.txt
	no_marked_left
}

@test "env_file (dotenv lines) and \${NAME}: env lines win, -PATH may be missing, \${PORT} in ready and PATH=...:\${PATH} do what they say; command is the shell's" {
	local port
	port=$(free_port)
	mkdir bin
	printf '#!/bin/sh\necho from-bin\n' >bin/hello
	chmod +x bin/hello
	cat >app.env <<-EOF2
	# the app's settings
	export PORT=$port
	NAME = two words # a comment
	QUOTED="a \\"b\\" \\\$HOME"
	RAW='\${NOT_EXPANDED}'
	OVER=from-file
	EOF2
	write_ini g.ini <<-'INI'
	[group]
	env_file = app.env
	env_file = -missing.env
	env = OVER=from-env
	env = PATH=${PWD}/bin:${PATH}
	[web]
	command = exec python3 -m http.server "$PORT" --bind 127.0.0.1
	ready = tcp 127.0.0.1:${PORT}
	[show]
	command = hello; printf '%s|%s|%s|%s|%s\n' "$PORT" "$NAME" "$QUOTED" "$RAW" "$OVER"; printf '%s\n' '${NOT_SET_ANYWHERE}'
	after = web
	cancel_on = exit
	INI
	run -0 --separate-stderr ecg -c g.ini
	echo "$output"
	[[ "$output" == *"show | from-bin"* ]]
	[[ "$output" == *"show | $port|two words|a \"b\" \$HOME|\${NOT_EXPANDED}|from-env"* ]]
	[[ "$output" == *'show | ${NOT_SET_ANYWHERE}'* ]]
	[[ "$stderr" == *"web: ready (tcp 127.0.0.1:$port)"* ]]
	# --check shows what it resolved to, and loads back
	run -0 --separate-stderr ecg --check -c g.ini
	printf '%s\n' "$output" >back.ini
	[[ "$output" == *"ready = tcp 127.0.0.1:$port"* ]]
	[[ "$output" == *'env = QUOTED=a "b" $$HOME'* ]]
	run -0 --separate-stderr ecg --check -c back.ini
	[ "$(printf '%s\n' "$output" | grep -v '^;')" = "$(grep -v '^;' back.ini)" ]
}

@test "env_file and \${NAME}: an unset name, a missing file, a malformed line are load errors naming the line (125)" {
	printf '[t]\ncommand = true\nready = tcp 127.0.0.1:${NOPE_NOT_SET}\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = 'g.ini:3: ready '"'"'tcp 127.0.0.1:${NOPE_NOT_SET}'"'"': NOPE_NOT_SET is not set (${NOPE_NOT_SET:-default} gives one; $$ is a $)' ]
	printf '[t]\ncommand = true\nready = tcp 127.0.0.1:${NOPE_NOT_SET:-9}\n' >g.ini
	run -0 --separate-stderr ecg --check -c g.ini
	[[ "$output" == *"ready = tcp 127.0.0.1:9"* ]]
	printf '[t]\ncommand = true\nenv_file = none.env\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: env_file 'none.env': No such file or directory (-PATH for one that may be missing)" ]
	printf 'A=1\nnot a line\n' >bad.env
	printf '[t]\ncommand = true\nenv_file = bad.env\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: env_file 'bad.env': line 2: a line is NAME=VALUE (this one has no '=' after its name)" ]
	printf 'ECG_RUN_TASK=x\n' >bad.env
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: env_file 'bad.env': line 1: cannot set ECG_RUN_TASK: ecg-run sets it" ]
}

@test "user and group: the task runs with that uid, gid and the user's groups, HOME, USER, LOGNAME and SHELL from the password database unless env sets them; its notify socket and log file work" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run tasks as another user"
	# (the test's directory is reached by nobody only by relative paths: its parents are not its)
	chmod 755 .
	mkdir -m 777 w
	write_ini g.ini <<-'INI'
	[as-nobody]
	command = id -u >w/uid.txt && id -g >w/gid.txt && echo "$HOME|$USER|$LOGNAME|$SHELL" >w/env.txt && touch w/made && exec python3 -c 'import os, socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])'
	user = nobody
	ready = notify
	ready_timeout = 20s
	log = t.log
	[in-group]
	command = id -g >w/ingroup.txt; echo "$HOME" >w/home.txt
	user = nobody
	group = daemon
	env = HOME=/somewhere
	INI
	run --separate-stderr ecg -c g.ini
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(cat w/uid.txt)" = "$(id -u nobody)" ]
	[ "$(cat w/gid.txt)" = "$(id -g nobody)" ]
	[ "$(cat w/env.txt)" = "$(getent passwd nobody | cut -d: -f6)|nobody|nobody|$(getent passwd nobody | cut -d: -f7)" ]
	[ "$(stat -c %U w/made)" = nobody ]
	[[ "$stderr" == *"as-nobody: ready (notify)"* ]]
	[ "$(stat -c %U t.log)" = root ]
	[ "$(cat w/ingroup.txt)" = "$(getent group daemon | cut -d: -f3)" ]
	[ "$(cat w/home.txt)" = /somewhere ]
	run -0 --separate-stderr ecg --check -c g.ini
	[[ "$output" == *$'\nuser = nobody\ngroup = daemon'* ]]
}

@test "user and group: an unknown one is a load error; as another user than root, a task of another user is one too" {
	printf '[t]\ncommand = true\nuser = no-such-user-here\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: user 'no-such-user-here': no such user" ]
	printf '[t]\ncommand = true\ngroup = no-such-group-here\n' >g.ini
	run -125 --separate-stderr ecg --check -c g.ini
	[ "$stderr" = "g.ini:3: group 'no-such-group-here': no such group" ]
	[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || skip "needs root and setpriv to be another user"
	chmod 755 .
	printf '[t]\ncommand = true\nuser = root\n' >g.ini
	run -125 --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups "$ECG_BIN" --check -c g.ini
	[ "$stderr" = "g.ini:3: user 'root': only root may run a task as another user or group (ecg-run runs as uid $(id -u nobody))" ]
}

@test "user = postgres: the real server (which refuses root) initialised, run and stopped by pg_ctl as postgres; a client task talks to it" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run tasks as another user"
	local pgbin port dir
	pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -x "$pgbin/postgres" ] && command -v psql >/dev/null || skip "postgresql not installed"
	id postgres >/dev/null 2>&1 || skip "no postgres user"
	port=$(free_port)
	# a directory the postgres user can reach by its full path
	dir=$(mktemp -d /tmp/ecg-pg.XXXXXX)
	chmod 755 "$dir"
	chown postgres "$dir"
	write_ini g.ini <<-INI
	[group]
	stop_timeout = 20s
	[init]
	command = exec $pgbin/initdb -D $dir/data -A trust -U postgres
	user = postgres
	ready = exited
	[db]
	command = exec $pgbin/postgres -D $dir/data -k $dir -p $port -c listen_addresses=127.0.0.1
	user = postgres
	after = init
	ready = tcp 127.0.0.1:$port
	ready_timeout = 60s
	stop_command = $pgbin/pg_ctl stop -D $dir/data -m fast
	[client]
	command = psql -h 127.0.0.1 -p $port -U postgres -tA -c 'select 6 * 7'
	after = db
	cancel_on = exit
	INI
	run --separate-stderr ecg -v -c g.ini
	echo "$output"
	echo "$stderr"
	rm -rf "$dir"
	[ "$status" -eq 0 ]
	[[ "$output" == *"client | 42"* ]]
	[[ "$stderr" == *"db: running its stop_command"* ]]
	[[ "$stderr" == *"db: exited with status 0"* ]]
	no_marked_left
}

@test "replicas = 3: tasks web.1 to web.3, each with ECG_REPLICA and \${ECG_REPLICA} in its values, %i in its log; after = web waits for all; ctl acts on one or all" {
	local base
	base=$(free_port)
	write_ini g.ini <<-'INI'
	[web]
	replicas = 3
	command = echo "replica $ECG_REPLICA port $PORT"; exec python3 -m http.server "$PORT" --bind 127.0.0.1
	env = PORT=${BASE}${ECG_REPLICA}
	ready = tcp 127.0.0.1:${BASE}${ECG_REPLICA}
	log = web-%i.log
	[client]
	after = web
	command = touch client.ran; exec sleep 30
	INI
	# ports BASE1..BASE3: a base whose three ports are free
	base=$(python3 -c 'import socket
for b in range(2000, 6500):
    try:
        ss = [socket.socket() for _ in range(3)]
        for i, s in enumerate(ss):
            s.bind(("127.0.0.1", b * 10 + i + 1))
        print(b); break
    except OSError:
        pass
    finally:
        for s in ss: s.close()')
	BASE=$base start_bg --events ev.jsonl --control "$PWD/g.sock" -c g.ini
	wait_for 30 test -e client.ran
	for i in 1 2 3; do
		grep -q "^web.$i *| replica $i port ${base}$i" out.txt
		grep -q "replica $i port ${base}$i" "web-$i.log"
	done
	# the client started only once every replica was ready
	python3 - <<-'PY'
	import json
	evs = [json.loads(l) for l in open("ev.jsonl")]
	ready = [e["mono_ms"] for e in evs if e["event"] == "ready" and e["task"].startswith("web.")]
	start = [e["mono_ms"] for e in evs if e["event"] == "start" and e["task"] == "client"]
	assert len(ready) == 3 and start and start[0] >= max(ready), (ready, start)
	PY
	# one replica by its name, all of them by theirs
	run -0 timeout 20 "$ECG_BIN" ctl -s "$PWD/g.sock" status --json web
	echo "$output" >before.json
	run -0 timeout 20 "$ECG_BIN" ctl -s "$PWD/g.sock" restart --wait web.2
	run -0 timeout 20 "$ECG_BIN" ctl -s "$PWD/g.sock" status --json web
	echo "$output" >after.json
	python3 - <<-'PY'
	import json
	b, a = ({t["task"]: t for t in json.load(open(f))["tasks"]} for f in ("before.json", "after.json"))
	assert sorted(a) == ["web.1", "web.2", "web.3"], a
	assert a["web.2"]["pid"] != b["web.2"]["pid"] and a["web.1"]["pid"] == b["web.1"]["pid"], (b, a)
	PY
	run -0 timeout 20 "$ECG_BIN" ctl -s "$PWD/g.sock" shutdown
	wait_bg
	[ "$STATUS" -eq 0 ]
	# --check prints the replicas as tasks, and that loads back
	BASE=$base run -0 --separate-stderr ecg --check -c g.ini
	printf '%s\n' "$output" >back.ini
	[[ "$output" == *$'[web.3]'* && "$output" == *"env = ECG_REPLICA=3"* && "$output" == *"after = web.1, web.2, web.3"* ]]
	run -0 --separate-stderr ecg --check -c back.ini
	[ "$(printf '%s\n' "$output" | grep -v '^;')" = "$(grep -v '^;' back.ini)" ]
	# a bad count, and %i without replicas
	printf '[w]\ncommand = true\nreplicas = 0\n' >b.ini
	run -125 --separate-stderr ecg --check -c b.ini
	[ "$stderr" = "b.ini:3: replicas '0': from 1 to 1000" ]
	printf '[w]\ncommand = true\nlog = w-%%i.log\n' >b.ini
	run -125 --separate-stderr ecg --check -c b.ini
	[ "$stderr" = "b.ini:3: log 'w-%i.log' of [w]: %i is a replica's number: the task has no replicas" ]
}

@test "tty = yes: a pseudo-terminal of its own: python without -u prints line by line, grep colours, stderr merged, no line lost at the end" {
	write_ini g.ini <<-'INI'
	[py]
	command = exec env -u PYTHONUNBUFFERED python3 -c 'import os, sys, time; print("tty", os.isatty(1), os.isatty(2)); print("first"); [time.sleep(0.02) for _ in iter(lambda: os.path.exists("go"), True)]; sys.stderr.write("on stderr\n"); print("last, without a newline", end="")'
	tty = yes
	[grep]
	command = echo abc | grep --color=auto b
	tty = yes
	INI
	start_bg -c g.ini
	# block-buffered, "first" would wait for the end: on a terminal it comes at once
	wait_for 20 grep -q "^py *| first" out.txt
	touch go
	wait_bg
	cat out.txt err.txt
	[ "$STATUS" -eq 0 ]
	grep -q "^py *| tty True True$" out.txt
	grep -q "^py *| on stderr$" out.txt
	grep -q "^py *| last, without a newline$" out.txt
	grep -q $'^grep *| a\e\\[' out.txt
	! grep -q $'\r' out.txt
}

@test "tty = yes: the terminal's size is ecg-run's own, and follows it on SIGWINCH" {
	command -v script >/dev/null || skip "script (util-linux) not installed"
	write_ini g.ini <<-'INI'
	[t]
	command = stty size <&1 >>sizes; trap 'stty size <&1 >>sizes' WINCH; touch up; while [ ! -e stop ]; do sleep 0.02; done
	tty = yes
	INI
	cat >drive.sh <<-EOF
	stty rows 30 cols 132
	"$ECG_BIN" -c g.ini >/dev/null 2>&1 &
	until [ -e up ]; do sleep 0.02; done
	stty cols 100
	kill -WINCH \$!
	until [ "\$(wc -l <sizes)" -ge 2 ]; do sleep 0.02; done
	touch stop
	wait
	EOF
	run -0 timeout 60 script -qfec "sh drive.sh" /dev/null
	[ "$(cat sizes)" = $'30 132\n30 100' ]
}
