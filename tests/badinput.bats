#!/usr/bin/env bats
# Bad input of every kind, tried for real: each gets a one-line error that
# names the file and line, exit 125, and nothing starts.

load helper

# try_config: runs ecg-run on g.ini; expects 125, one line on stderr
# starting with $1 and containing $2, and nothing run.
try_config() {
	run --separate-stderr ecg -c g.ini
	if [ "$status" -ne 125 ] || [ "${#stderr_lines[@]}" -ne 1 ] ||
		[[ "$stderr" != "$1"* ]] || [[ "$stderr" != *"$2"* ]] || [ -e ran ]; then
		echo "status $status, stderr: $stderr" >&2
		return 1
	fi
}

@test "bad input: empty file, only comments, only blank lines" {
	: >g.ini
	try_config "g.ini:1: " "no task defined"
	printf '; one\n# two\n   ; three\n' >g.ini
	try_config "g.ini:3: " "no task defined"
	printf '\n\n\n' >g.ini
	try_config "g.ini:3: " "no task defined"
}

@test "bad input: a BOM and CRLF are fine, a lone CR inside a line is kept" {
	printf '\357\273\277[a]\r\ncommand = printf "x\\rz\\n" | od -c | head -1\r\n' >g.ini
	run ecg -q -c g.ini
	[ "$status" -eq 0 ]
	[[ "$output" == *'x  \r   z'* ]]
}

@test "bad input: NUL bytes" {
	printf '[a]\ncommand = touch ran\n\0\n' >g.ini
	try_config "g.ini:3: " "NUL byte"
	printf '[a\0b]\ncommand = touch ran\n' >g.ini
	try_config "g.ini:1: " "NUL byte"
}

@test "bad input: a 10 MB file" {
	# 10 MB of comments and no task
	head -c 10000000 /dev/zero | tr '\0' ';' | fold -w 100 >g.ini
	try_config "g.ini:100000: " "no task defined"
	# a 10 MB value is refused at its key, not cut
	{ printf '[a]\ncommand = '; head -c 10000000 /dev/zero | tr '\0' x; printf '\n'; } >g.ini
	try_config "g.ini:2: " "too long"
	# past 16 MiB the file itself is refused
	head -c 17000000 /dev/zero | tr '\0' ';' | fold -w 100 >g.ini
	try_config "g.ini: " "too large (at most 16 MiB)"
}

@test "bad input: malformed lines" {
	printf '[a]\ncommand = touch ran\nkey without equals\n' >g.ini
	try_config "g.ini:3: " "expected KEY = VALUE"
	printf '[a]\ncommand = touch ran\n= no key\n' >g.ini
	try_config "g.ini:3: " "'=' without a key"
	printf '[a]\ncommand = touch ran\n[b\ncommand = x\n' >g.ini
	try_config "g.ini:3: " "without closing ']'"
	printf '[a]\ncommand = touch ran\n[b] trailing\ncommand = x\n' >g.ini
	try_config "g.ini:3: " "without closing ']'"
	printf '[a]\ncommand = touch ran\n[]\ncommand = x\n' >g.ini
	try_config "g.ini:3: " "bad task name ''"
	printf '[a]\ncommand = touch ran\ncommand: x\n' >g.ini
	try_config "g.ini:3: " "expected KEY = VALUE"
}

@test "bad input: names with spaces, unicode, too long, reserved" {
	printf '[a]\ncommand = touch ran\n[my task]\ncommand = x\n' >g.ini
	try_config "g.ini:3: " "bad task name 'my task'"
	printf '[a]\ncommand = touch ran\n[t\342\202\254sk]\ncommand = x\n' >g.ini
	try_config "g.ini:3: " "bad task name"
	printf '[a]\ncommand = touch ran\n[%s]\ncommand = x\n' "$(printf 'n%.0s' $(seq 65))" >g.ini
	try_config "g.ini:3: " "bad task name"
	printf '[a]\ncommand = touch ran\nbogus key = 1\n' >g.ini
	try_config "g.ini:3: " "unknown key 'bogus key'"
}

@test "bad input: every key with every kind of bad value" {
	local line key value want
	while IFS='|' read -r key value want; do
		[ -z "$key" ] && continue
		case $key in
		name | shell | buffer)
			printf '[group]\n%s = %s\n[a]\ncommand = touch ran\n' "$key" "$value" >g.ini
			try_config "g.ini:2: " "$want" || { echo "[group] $key = '$value'" >&2; return 1; }
			;;
		*)
			printf '[a]\ncommand = touch ran\n%s = %s\n' "$key" "$value" >g.ini
			[ "$key" = command ] && printf '[a]\n%s = %s\n' "$key" "$value" >g.ini
			line=3
			[ "$key" = command ] && line=2
			try_config "g.ini:$line: " "$want" || { echo "$key = '$value'" >&2; return 1; }
			;;
		esac
	done <<-'TABLE'
	command||empty value for 'command'
	cwd||empty value for 'cwd'
	env||env needs NAME=VALUE
	env|=x|env needs NAME=VALUE
	env|1A=x|env needs NAME=VALUE
	env|A-B=x|env needs NAME=VALUE
	env|ECG_RUN_GROUP=x|ecg-run sets it
	env|ECG_RUN_ID=x|ecg-run sets it
	stop_signal||empty value
	stop_signal|0|stop_signal '0'
	stop_signal|-1|stop_signal '-1'
	stop_signal|65|stop_signal '65'
	stop_signal|1.5|stop_signal '1.5'
	stop_signal|TERMINATE|unknown signal
	stop_signal|SIG|unknown signal
	stop_signal|STOP|it pauses a process instead of ending it
	stop_signal|TSTP|it pauses a process instead of ending it
	stop_signal|SIGTTIN|it pauses a process instead of ending it
	stop_signal|ttou|it pauses a process instead of ending it
	stop_signal|19|it pauses a process instead of ending it
	stop_signal|CONT|it does not end a process
	stop_timeout||empty value
	stop_timeout|-1|stop_timeout '-1'
	stop_timeout|1d|unknown duration unit
	stop_timeout|1e3|unknown duration unit
	stop_timeout|abc|not a duration
	stop_timeout|.|not a duration
	stop_timeout|200h|duration too long
	stop_timeout|99999999999999999999999s|duration too long
	cancel_on||empty value
	cancel_on|Failure|use failure, exit or never
	cancel_on|yes|use failure, exit or never
	name||empty value
	name|a b|bad group name
	name|ñame|bad group name
	shell||empty value
	shell|/nonexistent/sh|not an executable file
	shell|/tmp|not an executable file
	shell|no-such-shell-anywhere|not an executable file
	buffer||empty value
	buffer|0|size out of range
	buffer|1023|size out of range
	buffer|65M|size out of range
	buffer|1G|size out of range
	buffer|1T|unknown size unit
	buffer|-1|not a size
	buffer|1.5M|unknown size unit
	buffer|abc|not a size
	buffer|99999999999999999999999|size out of range
	log||empty value
	log|x%|a lone '%' at the end
	log|%d.log|only %n (the task's name), %i (a replica's number) and %% may follow a '%'
	log_max_size||empty value
	log_max_size|0|size out of range (from 1KiB to 1024GiB)
	log_max_size|2T|unknown size unit
	log_max_size|17179869185G|size out of range
	log_max_size|big|not a size
	log_keep||empty value
	log_keep|-1|not a whole number
	log_keep|1001|at most 1000 old files
	TABLE
}

@test "bad input: a group-only key in a task, a repeated key" {
	local key
	for key in name shell buffer; do
		printf '[a]\ncommand = touch ran\n%s = x\n' "$key" >g.ini
		try_config "g.ini:3: " "'$key' is a [group] key"
	done
	for key in command cwd stop_signal stop_timeout cancel_on; do
		printf '[a]\ncommand = touch ran\ncwd = /\nstop_signal = INT\nstop_timeout = 1\ncancel_on = exit\n%s = x\n' "$key" >g.ini
		try_config "g.ini:7: " "'$key' given twice in [a]"
	done
}

@test "bad input: a directory, a missing file, an unreadable file" {
	mkdir d
	run --separate-stderr ecg -c d
	[ "$status" -eq 125 ]
	[ "$stderr" = "d: cannot read: Is a directory" ]
	run --separate-stderr ecg -c missing.ini
	[ "$status" -eq 125 ]
	[ "$stderr" = "missing.ini: cannot open: No such file or directory" ]
	command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ] || skip "needs root and setpriv"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$ECG_BIN" -V >/dev/null 2>&1 ||
		skip "user nobody cannot run $ECG_BIN here"
	printf '[a]\ncommand = true\n' >/tmp/ecg-unreadable-$$.ini
	chmod 000 /tmp/ecg-unreadable-$$.ini
	run --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$ECG_BIN" -c /tmp/ecg-unreadable-$$.ini
	rm -f /tmp/ecg-unreadable-$$.ini
	[ "$status" -eq 125 ]
	[ "$stderr" = "/tmp/ecg-unreadable-$$.ini: cannot open: Permission denied" ]
}

@test "a FIFO as the config works (process substitution gives one)" {
	run ecg -q -c <(printf '[a]\ncommand = echo from a pipe\n')
	[ "$status" -eq 0 ]
	[ "$output" = "a | from a pipe" ]
	mkfifo f.ini
	printf '[b]\ncommand = echo fifo\n' >f.ini &
	run ecg -q -c f.ini
	[ "$status" -eq 0 ]
	[ "$output" = "b | fifo" ]
}
