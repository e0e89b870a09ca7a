#!/usr/bin/env bats
# Groups without an INI file: ad-hoc commands after -- (concurrently,
# multirun, GNU parallel) and Procfiles (foreman, honcho, overmind).

load helper

@test "-- CMD...: each command a task named 1, 2, ...; the first failure's status; the file's options work" {
	run --separate-stderr ecg -- 'echo one' 'sleep 0.2; echo two; exit 3' 'exec sleep 30'
	[ "$status" -eq 3 ]
	[[ "$output" == *"1 | one"* && "$output" == *"2 | two"* ]]
	[[ "$stderr" == *"cause: 2: failed with status 3, stopping the group"* ]]
	# -j 1: one at a time, in order; --events and --junit as for a file
	run -0 --separate-stderr ecg -j 1 --events ev.jsonl --junit j.xml -- 'echo a >>order' 'echo b >>order'
	[ "$(cat order)" = $'a\nb' ]
	grep -q '"event":"group_start".*"tasks":\["1","2"\]' ev.jsonl
	grep -q '<testcase classname="run" name="2"' j.xml
	# --deadline
	run -124 --separate-stderr ecg --deadline 200ms -- 'exec sleep 30'
	no_marked_left
}

@test "--names and --cancel-on exit (the first to end stops the rest); --check prints the equivalent INI, which loads back" {
	run -0 --separate-stderr ecg --names web,api --cancel-on exit -- 'exec sleep 30' 'echo done'
	[[ "$output" == *"api | done"* ]]
	[[ "$stderr" == *"api: ended (cancel_on = exit), stopping the group"* ]]
	[[ "$stderr" == *"web: killed by signal 15 (SIGTERM)"* ]]
	run -0 --separate-stderr ecg --check --names a,b -- 'echo x' $'printf "%s\\n" 1\necho 2'
	printf '%s\n' "$output" >back.ini
	[[ "$output" == *$'[a]\ncommand = echo x\n'* ]]
	[[ "$output" == *$'[b]\ncommand =\n    printf "%s\\n" 1\n    echo 2\n'* ]]
	run -0 --separate-stderr ecg --check -c back.ini
	[ "$(printf '%s\n' "$output" | grep -v '^;')" = "$(grep -v '^;' back.ini)" ]
}

@test "-- CMD...: usage errors are 125 and say what is wrong" {
	run -125 --separate-stderr ecg --
	[[ "$stderr" == *"no command after --"* ]]
	run -125 --separate-stderr ecg --names a,b,c -- 'true' 'true'
	[[ "$stderr" == *"--names names more tasks than there are commands (2)"* ]]
	run -125 --separate-stderr ecg --names 'a b' -- 'true'
	[[ "$stderr" == *"--names: 'a b' is no task name"* ]]
	run -125 --separate-stderr ecg --cancel-on sometimes -- 'true'
	[[ "$stderr" == *"--cancel-on takes failure, exit or never, not 'sometimes'"* ]]
	printf '[t]\ncommand = true\n' >g.ini
	run -125 --separate-stderr ecg --names x -c g.ini
	[[ "$stderr" == *"not for an INI file"* ]]
}

@test "a Procfile: name: command lines, run in its directory with the .env beside it; --cancel-on exit as foreman does" {
	mkdir app
	printf 'web: echo "web on $PORT in $(basename "$PWD")"\n# a comment\n\nworker: sleep 0.2; echo worked\n' >app/Procfile
	printf 'PORT=5000\n' >app/.env
	run -0 --separate-stderr ecg -c app/Procfile
	[[ "$output" == *"web    | web on 5000 in app"* ]]
	[[ "$output" == *"worker | worked"* ]]
	printf 'web: exec sleep 30\nworker: echo done\n' >Procfile.dev
	run -0 --separate-stderr ecg --cancel-on exit --procfile Procfile.dev
	[[ "$stderr" == *"worker: ended (cancel_on = exit), stopping the group"* ]]
	run -0 --separate-stderr ecg --check -c app/Procfile
	[[ "$output" == *"[web]"* && "$output" == *"env = PORT=5000"* ]]
}

@test "a Procfile: a malformed line is FILE:LINE, 125 (honcho would skip it)" {
	printf 'web: echo ok\nworker echo no colon\n' >Procfile
	run -125 --separate-stderr ecg -c Procfile
	[ "$stderr" = "Procfile:2: a line is 'name: command' (a name of A-Z a-z 0-9 _ - .)" ]
	printf 'web:\n' >Procfile
	run -125 --separate-stderr ecg -c Procfile
	[ "$stderr" = "Procfile:1: web has no command" ]
	printf '# nothing\n' >Procfile
	run -125 --separate-stderr ecg -c Procfile
	[ "$stderr" = "Procfile:1: no process defined (lines are 'name: command')" ]
}

@test "conf/migrate.ini and conf/procfile/Procfile run: replicas answer, the worker's 3 is no failure, the Procfile's .env is read" {
	# (as the server binds them: a closed connection's TIME_WAIT does not hold a port)
	python3 -c 'import socket
for p in (8771, 8772, 8773):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", p))' 2>/dev/null || skip "ports 8771 to 8773 are taken here"
	run --separate-stderr ecg --summary=always -c "$ECG_TOP/conf/migrate.ini"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	for p in 8771 8772 8773; do
		[[ "$output" == *"check  | $p answers"* ]]
	done
	[[ "$output" == *"worker | hello from ecg-run on a terminal: True"* ]]
	[[ "$stderr" == *"worker  exited 3 "* ]]
	[[ "$stderr" != *"web.1: killed"* ]]
	run -0 --separate-stderr ecg --cancel-on exit -c "$ECG_TOP/conf/procfile/Procfile"
	[[ "$output" == *"clock | tick 3 (procfile-demo)"* ]]
	no_marked_left
}
