#!/usr/bin/env bats
# Configuration errors through the command line: each one names FILE:LINE,
# exits 125 and starts nothing.

load helper

# bad_config 'INI TEXT (printf format)' 'expected stderr'
bad_config() {
	printf "$1" >g.ini
	run --separate-stderr ecg -c g.ini
	echo "got: $stderr"
	[ "$status" -eq 125 ]
	[ "$stderr" = "$2" ]
	[ ! -e ran ]
}

@test "config error: unknown key, with a suggestion" {
	bad_config '[web]\ncommand = touch ran\nstop_timout = 5s\n' \
		"g.ini:3: unknown key 'stop_timout' in [web] (did you mean 'stop_timeout'?)"
}

@test "config error: repeated section" {
	bad_config '[a]\ncommand = touch ran\n[a]\ncommand = x\n' "g.ini:3: task [a] repeated (first on line 1)"
}

@test "config error: empty section" {
	bad_config '[a]\n; nothing\n[b]\ncommand = touch ran\n' "g.ini:1: empty section [a] (a task needs a command)"
}

@test "an empty [group] section is no error: the group keeps its defaults" {
	printf '[group]\n\n[a]\ncommand = echo hi\n' >g.ini
	run ecg -c g.ini
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"a | hi"* ]]
}

@test "config error: task without command" {
	bad_config '[a]\ncwd = /tmp\n[b]\ncommand = touch ran\n' "g.ini:1: task [a] has no command"
}

@test "config error: no task at all" {
	bad_config '[group]\nname = x\n' "g.ini:2: no task defined (add a [name] section with a command)"
}

@test "config error: key before any section" {
	bad_config 'command = touch ran\n[a]\ncommand = x\n' "g.ini:1: key 'command' before any [section]"
}

@test "config error: a key that is not repeatable, twice" {
	bad_config '[a]\ncommand = touch ran\ncwd = .\ncwd = /\n' "g.ini:4: 'cwd' given twice in [a] (first on line 3)"
}

@test "config error: a group-only key in a task" {
	bad_config '[a]\ncommand = touch ran\nshell = /bin/bash\n' "g.ini:3: 'shell' is a [group] key, not a task key (task [a])"
}

@test "config error: bad values of every typed key" {
	bad_config '[a]\ncommand = touch ran\nstop_signal = SIGFOO\n' \
		"g.ini:3: stop_signal 'SIGFOO': unknown signal (try TERM, INT, QUIT, HUP, KILL or a number)"
	bad_config '[a]\ncommand = touch ran\nstop_timeout = 5 minutes\n' \
		"g.ini:3: stop_timeout '5 minutes': unknown duration unit (use ms, s, m or h)"
	bad_config '[a]\ncommand = touch ran\ncancel_on = crash\n' \
		"g.ini:3: cancel_on 'crash': use failure, exit or never"
	bad_config '[group]\nbuffer = 128M\n[a]\ncommand = touch ran\n' \
		"g.ini:2: buffer '128M': size out of range (from 1KiB to 64MiB)"
	bad_config '[group]\nname = my group\n[a]\ncommand = touch ran\n' \
		"g.ini:2: bad group name 'my group' (1 to 64 characters of A-Z a-z 0-9 _ . -)"
	bad_config '[a]\ncommand = touch ran\nenv = NOVALUE\n' \
		"g.ini:3: env needs NAME=VALUE with NAME of A-Z a-z 0-9 _ (this line has no '=')"
	# the value may be a secret: only the variable is named
	bad_config '[a]\ncommand = touch ran\nenv = API-TOKEN=s3cr3t-value\n' \
		"g.ini:3: env needs NAME=VALUE with NAME of A-Z a-z 0-9 _ (not starting with a digit), not 'API-TOKEN'"
	bad_config '[a]\ncommand = touch ran\nenv = ECG_RUN_TASK=x\n' \
		"g.ini:3: env cannot set ECG_RUN_TASK: ecg-run sets it"
}

@test "config error: malformed lines" {
	bad_config '[a]\ncommand = touch ran\n[b\n' "g.ini:3: section header without closing ']'"
	bad_config '[a]\ncommand = touch ran\njust text\n' "g.ini:3: expected KEY = VALUE, a [section] or a comment"
	bad_config '[a]\ncommand = touch ran\n= value\n' "g.ini:3: '=' without a key before it"
	bad_config '[a]\ncommand = touch ran\n[t\303\251che]\ncommand = x\n' \
		"g.ini:3: bad task name 'téche' (1 to 64 characters of A-Z a-z 0-9 _ . -)"
}

@test "config error: a NUL byte names its line" {
	printf '[a]\ncommand = touch ran\nenv = A=\0B\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 125 ]
	[ "$stderr" = "g.ini:3: NUL byte in line" ]
}

@test "config: comments, BOM, CRLF and an empty env value are fine" {
	printf '\357\273\277; comment\r\n# another\r\n[a]\r\n  ; indented comment\r\ncommand = echo "[$E]"\r\nenv = E=\r\n' >g.ini
	run ecg -q -c g.ini
	[ "$status" -eq 0 ]
	[ "$output" = "a | []" ]
}

@test "config error: only the first error is reported" {
	bad_config '[a]\ncomand = x\n[a]\n' "g.ini:2: unknown key 'comand' in [a] (did you mean 'command'?)"
}

@test "loading is linear: 200,000 sections, 200,000 env lines, 20,000 log files" {
	[ -z "${ECG_RUN_WRAP:-}" ] || skip "times the loader: under valgrind it goes at valgrind's pace"
	python3 - <<-'PY'
	with open("sections.ini", "w") as f:
	    for i in range(200000):
	        f.write("[t%d]\ncommand = true\n" % i)
	with open("env.ini", "w") as f:
	    f.write("[group]\n")
	    for i in range(200000):
	        f.write("env = V%d=x\n" % i)
	    f.write("env = V7=last\n[a]\ncommand = true\nenv = V8=own\n")
	with open("logs.ini", "w") as f:
	    f.write("[group]\nlog = logs/%n.log\nlog_max_size = 1M\nlog_keep = 5\n")
	    for i in range(20000):
	        f.write("[t%d]\ncommand = true\n" % i)
	PY
	mkdir logs
	# each took minutes when every name was compared with every one before it
	local f t0 elapsed
	for f in sections env logs; do
		t0=$(now_ms)
		ECG_TIMEOUT=60 ecg --check -c $f.ini >$f.out
		elapsed=$(( $(now_ms) - t0 ))
		echo "# $f.ini: $elapsed ms" >&3
		[ "$elapsed" -lt 15000 ]
	done
	[ "$(grep -c '^\[t' sections.out)" -eq 200000 ]
	# the last value of a name wins, in the place of its first
	[ "$(grep -c '^env = ' env.out)" -eq 200000 ]
	grep -qx 'env = V7=last' env.out
	grep -qx 'env = V8=own' env.out
	[ "$(grep -n -x 'env = V7=last' env.out | cut -d: -f1)" -lt "$(grep -n -x 'env = V9=x' env.out | cut -d: -f1)" ]
	# duplicates are still found among them
	printf '[t5]\ncommand = true\n' >>sections.ini
	ECG_TIMEOUT=60 run -125 --separate-stderr ecg --check -c sections.ini
	[ "$stderr" = "sections.ini:400001: task [t5] repeated (first on line 11)" ]
	printf '[clash]\ncommand = true\nlog = logs/t7.log.3\n' >>logs.ini
	ECG_TIMEOUT=60 run -125 --separate-stderr ecg --check -c logs.ini
	[[ "$stderr" == "logs.ini:40007: task [clash] logs to "*"/logs/t7.log.3, one of the old files of task [t7]'s log (log_keep = 5): give each task a file of its own" ]]
}

@test "--check warns about what will fail at run time: a missing cwd, log directory or program (still 0)" {
	mkdir sub
	printf '#!/bin/sh\necho hi\n' >sub/run.sh
	chmod +x sub/run.sh
	write_ini g.ini <<-'INI'
	[a]
	command = no-such-program --flag
	cwd = /nonexistent
	log = nologs/%n.log
	[b]
	command = ./run.sh
	cwd = sub
	[c]
	command = ls -l
	env = PATH=/nowhere
	[d]
	command = ./missing.sh
	cwd = sub
	INI
	run -0 --separate-stderr ecg --check -c g.ini
	printf '%s\n' "$stderr" >&3
	[ "${#stderr_lines[@]}" -eq 5 ]
	[ "${stderr_lines[0]}" = "g.ini:3: warning: task [a]: cwd /nonexistent is not a directory (the task cannot start, 127, unless it is one by then)" ]
	[ "${stderr_lines[1]}" = "g.ini:4: warning: task [a]: the directory of its log file, $PWD/nologs, does not exist (the task cannot start, 127, unless it is made by then)" ]
	[ "${stderr_lines[2]}" = "g.ini:2: warning: task [a]: no-such-program is not found in its PATH (it fails with 127 unless it is there by then)" ]
	[ "${stderr_lines[3]}" = "g.ini:9: warning: task [c]: ls is not found in its PATH (it fails with 127 unless it is there by then)" ]
	[ "${stderr_lines[4]}" = "g.ini:12: warning: task [d]: ./missing.sh is not an executable file (it fails with 127 unless it is there by then)" ]
	# a file whose paths are all there: nothing said
	printf '[b]\ncommand = ./run.sh\ncwd = sub\n' >ok.ini
	run -0 --separate-stderr ecg --check -c ok.ini
	[ -z "$stderr" ]
}
