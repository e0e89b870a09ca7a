#!/usr/bin/env bats
# The command line: options, usage errors, --check, task selection, -c -.

load helper

@test "--help prints the synopsis and exits 0" {
	run ecg --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: ecg-run [OPTION]... -c FILE [TASK]..." ]]
	[[ "$output" == *"--timestamps"* ]]
	[[ "$output" == *"--no-prefix"* ]]
}

@test "--version exits 0" {
	run ecg -V
	[ "$status" -eq 0 ]
	[[ "$output" == "ecg-run "[0-9]* ]]
}

@test "usage errors: one line and a hint, exit 125" {
	run --separate-stderr ecg --bogus
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"unknown option '--bogus'"* ]]
	[[ "$stderr" == *"Try 'ecg-run --help'"* ]]
	[ "${#stderr_lines[@]}" -eq 2 ]

	run --separate-stderr ecg
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"no configuration file"* ]]

	run --separate-stderr ecg -c
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"needs an argument"* ]]

	run --separate-stderr ecg --color=sometimes -c x.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"--color takes auto, always or never"* ]]

	run --separate-stderr ecg -q -v -c x.ini
	[ "$status" -eq 125 ]
}

@test "getopt_long conventions: --opt=value and -- ending options" {
	printf '[a]\ncommand = echo hi\n' >g.ini
	run ecg --config=g.ini --color=never -q
	[ "$status" -eq 0 ]
	[ "$output" = "a | hi" ]
	printf '[-x]\ncommand = echo dash\n[b]\ncommand = echo b\n' >d.ini
	run ecg -q -c d.ini -- -x
	[ "$status" -eq 0 ]
	[ "$output" = "-x | dash" ]
}

@test "a missing config file is a one-line error, exit 125" {
	run --separate-stderr ecg -c nope.ini
	[ "$status" -eq 125 ]
	[ "$stderr" = "nope.ini: cannot open: No such file or directory" ]
}

@test "a directory as the config is an error, exit 125" {
	mkdir d
	run --separate-stderr ecg -c d
	[ "$status" -eq 125 ]
	[[ "$stderr" == "d: cannot read: Is a directory" ]]
}

@test "--check prints the resolved group and runs nothing" {
	cat >g.ini <<-'INI'
	[group]
	name = shop
	stop_timeout = 5s
	env = A=1
	[db]
	command = touch ran-db
	stop_signal = int
	[web]
	command = touch ran-web ; echo two
	cwd = sub
	env = A=2
	INI
	run --separate-stderr ecg --check -c g.ini
	[ "$status" -eq 0 ]
	[ ! -e ran-db ]
	[ ! -e ran-web ]
	[ ! -e sub/ran-web ]
	[[ "$output" == *"name = shop"* ]]
	[[ "$output" == *"[db]"*"stop_signal = INT"*"stop_timeout = 5s"*"cancel_on = failure"* ]]
	[[ "$output" == *"command = touch ran-web ; echo two"* ]]
	[[ "$output" == *"cwd = $BATS_TEST_TMPDIR/sub"* || "$output" == *"cwd = $(cd "$BATS_TEST_TMPDIR" && pwd -P)/sub"* ]]
	[[ "$output" == *"env = A=2"* ]]
	# what it prints is itself a valid group that prints the same
	printf '%s\n' "$output" >printed.ini
	run --separate-stderr ecg -n -c printed.ini
	[ "$status" -eq 0 ]
	# sub is not there: --check warns on stderr, and still exits 0
	[[ "$stderr" == *"warning: task [web]: cwd "*"/sub is not a directory"* ]]
	[ "$(sed 1d printed.ini)" = "$(printf '%s\n' "$output" | sed 1d)" ]
}

@test "--check with a bad config exits 125" {
	printf '[a]\ncomand = x\n' >g.ini
	run --separate-stderr ecg -n -c g.ini
	[ "$status" -eq 125 ]
	[ "$stderr" = "g.ini:2: unknown key 'comand' in [a] (did you mean 'command'?)" ]
}

@test "-c - reads the group from standard input" {
	run bash -c "printf '[a]\ncommand = echo from-stdin \$ECG_RUN_GROUP\n' | $ECG_RUN_WRAP '$ECG_BIN' -q -c -"
	[ "$status" -eq 0 ]
	[ "$output" = "a | from-stdin stdin" ]
	run --separate-stderr bash -c "printf '[a]\nbad\n' | '$ECG_BIN' -c -"
	[ "$status" -eq 125 ]
	[ "$stderr" = "<stdin>:2: expected KEY = VALUE, a [section] or a comment" ]
}

@test "TASK arguments run only those tasks" {
	printf '[a]\ncommand = echo a\n[b]\ncommand = echo b\n[c]\ncommand = echo c\n' >g.ini
	run ecg -q -c g.ini c a
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | sort)" = "$(printf 'a | a\nc | c')" ]
}

@test "an unknown TASK is an error (125) and nothing runs" {
	printf '[a]\ncommand = touch ran\n[bee]\ncommand = touch ran\n' >g.ini
	run --separate-stderr ecg -c g.ini be
	[ "$status" -eq 125 ]
	[ "$stderr" = "ecg-run: unknown task 'be' in g.ini (did you mean 'bee'?)" ]
	[ ! -e ran ]
}

@test "a closed stdout is refused at start (125)" {
	printf '[a]\ncommand = touch ran\n' >g.ini
	run --separate-stderr bash -c "'$ECG_BIN' -c g.ini >&-"
	[ "$status" -eq 125 ]
	[ "$stderr" = "ecg-run: standard output is closed" ]
	[ ! -e ran ]
}

@test "options may follow TASK names" {
	printf '[a]\ncommand = echo a\n[b]\ncommand = echo b\n' >g.ini
	run ecg -c g.ini b -q --color=never
	[ "$status" -eq 0 ]
	[ "$output" = "b | b" ]
}

@test "an option given an argument it does not take is named as typed" {
	printf '[a]\ncommand = echo hi\n' >g.ini
	run --separate-stderr ecg --no-prefix=yes -c g.ini
	[ "$status" -eq 125 ]
	[ "${stderr_lines[0]}" = "ecg-run: option '--no-prefix' takes no argument" ]
	run --separate-stderr ecg --quiet=1 -c g.ini
	[ "${stderr_lines[0]}" = "ecg-run: option '--quiet' takes no argument" ]
	run --separate-stderr ecg -qZ -c g.ini
	[ "${stderr_lines[0]}" = "ecg-run: unknown option '-Z'" ]
}

@test "-c twice is an error, not a silent last-wins" {
	printf '[a]\ncommand = touch ran-a\n' >a.ini
	printf '[b]\ncommand = touch ran-b\n' >b.ini
	run --separate-stderr ecg -c a.ini -c b.ini
	[ "$status" -eq 125 ]
	[ "${stderr_lines[0]}" = "ecg-run: -c given twice ('a.ini' and 'b.ini'): one file per run" ]
	[ ! -e ran-a ]
	[ ! -e ran-b ]
}

@test "--check output loads back whatever the file is called; the name is made valid" {
	printf '[a]\ncommand = echo "$ECG_RUN_GROUP"\n' >'my grüppe.ini'
	run ecg -n -c 'my grüppe.ini'
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nname = my-gr-ppe\n'* ]]
	printf '%s\n' "$output" >printed.ini
	run --separate-stderr ecg -n -c printed.ini
	[ "$status" -eq 0 ]
	run ecg -q -c 'my grüppe.ini'
	[ "$output" = "a | my-gr-ppe" ]
}

@test "a stop_timeout below a millisecond is 1 ms, not 0 (which means SIGKILL at once)" {
	printf '[a]\ncommand = true\nstop_timeout = 0.0001s\n[b]\ncommand = true\nstop_timeout = 0s\n' >g.ini
	run ecg -n -c g.ini
	[ "$status" -eq 0 ]
	[[ "$output" == *$'[a]\n'*"stop_timeout = 1ms"*$'[b]\n'*"stop_timeout = 0s"* ]]
}
