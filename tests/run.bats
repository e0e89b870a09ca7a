#!/usr/bin/env bats
# Running a group: exit statuses, environment, cwd, stdin, lifecycle messages.

load helper

@test "every task exits 0: status 0" {
	printf '[a]\ncommand = echo a\n[b]\ncommand = echo b\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"ecg-run: a: started"* ]]
	[[ "$stderr" == *"ecg-run: b: exited with status 0"* ]]
}

@test "the first failure's status is ecg-run's status, and it stops the others" {
	cat >g.ini <<-'INI'
	[long]
	command = sleep 30
	[bad]
	command = sleep 0.2; exit 7
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 7 ]
	[[ "$stderr" == *"ecg-run: bad: failed with status 7, stopping the group"* ]]
	[[ "$stderr" == *"ecg-run: long: killed by signal 15 (SIGTERM)"* ]]
	no_marked_left
}

@test "a task killed by a signal gives 128+S" {
	printf '[a]\ncommand = sleep 30\n[b]\ncommand = kill -USR1 $$; sleep 5\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq $((128 + 10)) ]
	[[ "$stderr" == *"ecg-run: b: killed by signal 10 (SIGUSR1)"* ]]
}

@test "only the first cause counts: later failures while stopping change nothing" {
	cat >g.ini <<-'INI'
	[first]
	command = until [ -e ready ]; do sleep 0.01; done; exit 4
	[second]
	command = trap 'exit 9' TERM; touch ready; sleep 30 & wait
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"second: exited with status 9"* ]]
}

@test "a task that cannot start fails with 127 and names the reason" {
	cat >g.ini <<-'INI'
	[web]
	command = echo never
	cwd = services/web
	[other]
	command = sleep 30
	INI
	run -127 --separate-stderr ecg -c g.ini
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"ecg-run: web: cannot start: chdir services/web: No such file or directory"* ]]
	[[ "$output" != *never* ]]
	no_marked_left
}

@test "a missing executable in the command: the shell's 127 is the status" {
	printf '[a]\ncommand = /no/such/program\n' >g.ini
	run -127 --separate-stderr ecg -c g.ini
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"a | "*"/no/such/program"*"not found"* ]]
}

@test "cancel_on = exit: a task ending with 0 stops the group with 0" {
	cat >g.ini <<-'INI'
	[svc]
	command = sleep 0.2
	cancel_on = exit
	[other]
	command = sleep 30
	INI
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"svc: ended (cancel_on = exit), stopping the group"* ]]
	[[ "$stderr" == *"other: killed by signal 15"* ]]
}

@test "cancel_on = exit with a non-zero status gives that status" {
	printf '[svc]\ncommand = exit 5\ncancel_on = exit\n[o]\ncommand = sleep 30\n' >g.ini
	run ecg -q -c g.ini
	[ "$status" -eq 5 ]
}

@test "cancel_on = never: its failure changes nothing" {
	printf '[helper]\ncommand = exit 3\ncancel_on = never\n[main]\ncommand = sleep 0.3; echo done\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 0 ]
	[ "$output" = "main   | done" ]
}

@test "errgroup semantics: a task that exits 0 is done, the others go on" {
	printf '[quick]\ncommand = true\n[slow]\ncommand = sleep 0.5; echo still here\n' >g.ini
	run ecg -q -c g.ini
	[ "$status" -eq 0 ]
	[ "$output" = "slow  | still here" ]
}

@test "environment: inherited, env lines, ECG_RUN_TASK, ECG_RUN_GROUP and ECG_RUN_ID" {
	cat >g.ini <<-'INI'
	[group]
	name = shop
	env = A=group
	env = B=group
	[t1]
	command = echo "$INHERITED $A $B $ECG_RUN_TASK $ECG_RUN_GROUP"
	env = B=task
	env = INHERITED=overridden
	INI
	INHERITED=yes ECG_RUN_TASK=stale run ecg -q -c g.ini
	[ "$status" -eq 0 ]
	[ "$output" = "t1 | overridden group task t1 shop" ]
	printf '[x]\ncommand = echo "$INHERITED/$ECG_RUN_GROUP"\n' >my-group.ini
	INHERITED=yes run ecg -q -c my-group.ini
	[ "$output" = "x | yes/my-group" ]
	# ECG_RUN_ID: one for every task of a run, another for the next run
	printf '[p]\ncommand = echo "$ECG_RUN_ID"\n[q]\ncommand = echo "$ECG_RUN_ID"\n' >id.ini
	ECG_RUN_ID=stale run ecg -q --no-prefix -c id.ini
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	[[ "${lines[0]}" =~ ^[0-9]+\.[0-9a-f]+$ ]]
	local first=${lines[0]}
	run ecg -q --no-prefix -c id.ini
	[ "${lines[0]}" != "$first" ]
}

@test "cwd is relative to the INI file's directory; default is ecg-run's" {
	mkdir -p conf/services/web elsewhere
	printf '[a]\ncommand = pwd\ncwd = services/web\n[b]\ncommand = pwd\n' >conf/g.ini
	cd elsewhere
	run ecg -q -c ../conf/g.ini
	[ "$status" -eq 0 ]
	[[ "$(lines_of a)" == "a | $(cd ../conf/services/web && pwd -P)" ]]
	[[ "$(lines_of b)" == "b | $(pwd -P)" ]]
}

@test "tasks get /dev/null as standard input" {
	printf '[a]\ncommand = cat; echo "eof $(readlink /proc/self/fd/0)"\n' >g.ini
	run bash -c "echo from-terminal | $ECG_RUN_WRAP '$ECG_BIN' -q -c g.ini"
	[ "$status" -eq 0 ]
	[ "$output" = "a | eof /dev/null" ]
}

@test "shell from [group] runs the command" {
	printf '[group]\nshell = bash\n[a]\ncommand = echo ${BASH_VERSION:+bash}\n' >g.ini
	run ecg -q -c g.ini
	[ "$output" = "a | bash" ]
}

# The task's main process is the program itself when its pid, as ecg-run -v
# reports it, is the pid the program prints.
@test "a plain list of words runs the program directly, found in the task's PATH" {
	mkdir bin
	printf '#!/bin/sh\necho "pid $$"\n' >bin/mytool
	chmod +x bin/mytool
	cat >g.ini <<-INI
	[a]
	command = mytool --flag=1
	env = PATH=$BATS_TEST_TMPDIR/bin:/usr/bin:/bin
	INI
	run --separate-stderr ecg -v -c g.ini
	[ "$status" -eq 0 ]
	started=$(sed -n 's/.*a: started (pid \([0-9]*\)).*/\1/p' <<<"$stderr")
	[ -n "$started" ]
	[ "$output" = "a | pid $started" ]
}

@test "shell syntax, builtins and another shell keep the shell in between" {
	mkdir bin
	printf '#!/bin/sh\necho "pid $$"\n' >bin/mytool
	chmod +x bin/mytool
	for cmd in 'mytool; true' 'mytool | cat' 'FOO=1 mytool' 'exec mytool'; do
		printf '[a]\ncommand = %s\nenv = PATH=%s/bin:/usr/bin:/bin\n' "$cmd" "$BATS_TEST_TMPDIR" >g.ini
		run --separate-stderr ecg -v -c g.ini
		[ "$status" -eq 0 ]
		started=$(sed -n 's/.*a: started (pid \([0-9]*\)).*/\1/p' <<<"$stderr")
		if [ "$cmd" = 'exec mytool' ]; then
			[ "$output" = "a | pid $started" ]	# the shell's own exec
		else
			[[ "$output" == "a | pid "* && "$output" != "a | pid $started" ]]
		fi
	done
	printf '[a]\ncommand = exit 3\n' >g.ini
	run -3 ecg -q -c g.ini
	printf '[group]\nshell = /bin/dash\n[a]\ncommand = mytool\nenv = PATH=%s/bin:/usr/bin:/bin\n' \
		"$BATS_TEST_TMPDIR" >g.ini
	run --separate-stderr ecg -v -c g.ini
	started=$(sed -n 's/.*a: started (pid \([0-9]*\)).*/\1/p' <<<"$stderr")
	[[ "$output" == "a | pid "* && "$output" != "a | pid $started" ]]
}

@test "a 300-byte and a 64 KiB command run whole" {
	local long300 long64k
	long300="echo start$(printf '%0290d' 0)end"
	printf '[a]\ncommand = %s\n' "$long300" >g.ini
	run ecg -q -c g.ini
	[ "$status" -eq 0 ]
	[ "$output" = "a | start$(printf '%0290d' 0)end" ]
	# a 64 KiB command: a variable assignment and a check of its length
	long64k="x=$(head -c 65600 /dev/zero | tr '\0' y); echo \${#x}"
	printf '[b]\ncommand = %s\n' "$long64k" >h.ini
	[ "$(wc -c <h.ini)" -gt 65536 ]
	run ecg -q -c h.ini
	[ "$status" -eq 0 ]
	[ "$output" = "b | 65600" ]
}

@test "command = echo one ; echo two runs both" {
	printf '[a]\ncommand = echo one ; echo "two # kept"\n' >g.ini
	run ecg -q -c g.ini
	[ "$output" = "$(printf 'a | one\na | two # kept')" ]
}

@test "a multi-line script from continuation lines" {
	cat >g.ini <<-'INI'
	[migrate]
	command =
	    set -e
	    echo first
	    false
	    echo never
	INI
	run --separate-stderr ecg -q -c g.ini
	[ "$status" -eq 1 ]
	[ "$output" = "migrate | first" ]
}

@test "-q hides lifecycle lines but not the cause; -v adds pids and signals" {
	printf '[a]\ncommand = sleep 30\n[b]\ncommand = exit 2\n' >g.ini
	run --separate-stderr ecg -q -c g.ini
	[ "$status" -eq 2 ]
	[[ "$stderr" != *started* ]]
	[ "$stderr" = "ecg-run: b: failed with status 2, stopping the group" ]
	run --separate-stderr ecg -v -c g.ini
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"a: started (pid "[0-9]*")"* ]]
	[[ "$stderr" == *"a: sent SIGTERM to process group "[0-9]* ]]
}

@test "config errors name FILE:LINE and start nothing" {
	printf '[a]\ncommand = touch ran\n[b]\ncommand = touch ran\nstop_timeout = forever\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == "g.ini:5: stop_timeout 'forever': not a duration"* ]]
	[ ! -e ran ]
}

@test "a multi-line script keeps ;; lines, shell comments and relative indentation" {
	cat >g.ini <<-'INI'
	[script]
	command =
	    x=a
	    case $x in
	      a)
	        echo "is a"
	        ;;
	      # a shell comment inside the script

	      *) echo other ;;
	    esac
	    cat <<'END'
	    here
	      indented
	    END
	; an INI comment at the start of a line: not part of the value
	INI
	run ecg -q -c g.ini
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'script | is a\nscript | here\nscript |   indented')" ]
}

# same_as_sh CMD: ecg-run runs CMD (in g.ini's task a) as sh -c CMD would:
# the same standard output and the same status.
same_as_sh() {
	local want want_status=0 got got_status=0
	want=$(PATH="$BATS_TEST_TMPDIR/bin:$PATH" sh -c "$1" 2>/dev/null) || want_status=$?
	printf '[a]\ncommand = %s\nenv = PATH=%s/bin:%s\n' "$1" "$BATS_TEST_TMPDIR" "$PATH" >g.ini
	got=$("$ECG_BIN" -q --no-prefix -c g.ini 2>/dev/null) || got_status=$?
	if [ "$got" != "$want" ] || [ "$got_status" -ne "$want_status" ]; then
		printf '%s: sh -c gave %d [%s], ecg-run gave %d [%s]\n' "$1" "$want_status" "$want" \
			"$got_status" "$got" >&2
		return 1
	fi
}

@test "a plain command means what sh -c means: builtins, scripts without #!, PWD" {
	mkdir -p bin sub
	printf 'echo "script args: $*"\n' >bin/noshebang
	chmod +x bin/noshebang
	# shell builtins, even where a program of the same name exists
	same_as_sh 'echo -e hello'
	same_as_sh 'echo -n x'
	same_as_sh 'printf x%sy a'
	same_as_sh 'pwd'
	same_as_sh 'test -n x'
	same_as_sh 'true'
	same_as_sh 'false'
	same_as_sh 'kill -l 15'
	# a script without #!: the shell runs it with /bin/sh (execve says ENOEXEC)
	same_as_sh 'noshebang one two'
	same_as_sh "$BATS_TEST_TMPDIR/bin/noshebang three"
	# PWD in the program's environment: what the shell would export
	same_as_sh 'printenv PWD'
	PWD=/ same_as_sh 'printenv PWD'
	printf '[a]\ncommand = printenv PWD\ncwd = sub\n' >g.ini
	run ecg -q --no-prefix -c g.ini
	[ "$output" = "$(cd sub && sh -c 'printenv PWD')" ]
}

@test "a plain command naming a file that cannot be executed: 126, as a shell says" {
	# valgrind does the child's execve itself, and exits 101 when it fails
	[ -z "${ECG_RUN_WRAP:-}" ] || skip "the exec failure is valgrind's under valgrind"
	mkdir bin
	printf '#!/bin/sh\necho ran\n' >bin/busy
	chmod +x bin/busy
	printf '#!/bin/sh\necho ran\n' >bin/notx
	# held open for writing: execve fails with ETXTBSY
	exec 4>>bin/busy
	printf '[a]\ncommand = busy\nenv = PATH=%s/bin:/usr/bin:/bin\n' "$BATS_TEST_TMPDIR" >g.ini
	run -126 --separate-stderr ecg -q -c g.ini
	exec 4>&-
	[[ "$stderr" == *"a: cannot start: exec $BATS_TEST_TMPDIR/bin/busy: Text file busy"* ]]
	printf '[a]\ncommand = ./bin/notx\n' >g.ini
	run -126 --separate-stderr ecg -q -c g.ini
	[[ "$stderr" == *"Permission denied"* ]]
}
