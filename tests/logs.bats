#!/usr/bin/env bats
# log = PATH: each task's lines also go to a file of its own, whole lines of
# both streams without the prefix; rotated by size; a file that cannot be
# opened stops the task from starting, one that cannot be written loses
# lines (counted), never time.

load helper

# A task's shell function w LINE FILE: waits (within ecg-run's time bound)
# until LINE is in its log file, so that the next line is read after it.
UNTIL='until grep -qx "$1" "$2" 2>/dev/null; do sleep 0.01; done'

@test "log = logs/%n.log in [group]: each task's lines without prefix, stdout and stderr in the order read, relative to the INI's directory" {
	mkdir -p sub/logs elsewhere
	L=$(pwd -P)/sub/logs/web.log
	write_ini sub/g.ini <<-INI
	[group]
	log = logs/%n.log
	[web]
	command = w() { $UNTIL; }; echo out 1; w 'out 1' $L
	    echo err 1 >&2; w 'err 1' $L
	    echo out 2; printf 'no newline'
	[quiet]
	command = echo not logged
	log = none
	[own]
	command = echo mine >&2
	log = own-%%-%n.txt
	INI
	cd elsewhere
	run --separate-stderr ecg -c ../sub/g.ini
	[ "$status" -eq 0 ]
	cd ..
	[ "$(cat sub/logs/web.log)" = "$(printf 'out 1\nerr 1\nout 2\nno newline')" ]
	# the file's last line was ended with a newline
	[ "$(tail -c 1 sub/logs/web.log | od -An -c | tr -d ' ')" = '\n' ]
	[ ! -e sub/logs/quiet.log ]
	[ "$(cat sub/own-%-own.txt)" = mine ]
	# the terminal is as before: prefixed lines
	printf '%s\n' "$output" | grep -qx 'web   | out 2'
	printf '%s\n' "$stderr" | grep -qx 'web   | err 1'
	printf '%s\n' "$output" | grep -qx 'quiet | not logged'
}

@test "log with -T: every line starts with the terminal's stamp; a restart's lines follow in the same file" {
	write_ini g.ini <<-'INI'
	[job]
	command = echo run >>runs; echo "run $(wc -l <runs)"; printf partial
	    [ "$(wc -l <runs)" -ge 2 ]
	restart = on-failure
	restart_delay = 10ms
	log = job.log
	INI
	run --separate-stderr ecg -T -c g.ini
	[ "$status" -eq 0 ]
	cat job.log >&3
	[ "$(wc -l <job.log)" -eq 4 ]
	[ "$(grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} ' job.log)" -eq 4 ]
	[ "$(sed -E 's/^[0-9:.]+ //' job.log)" = "$(printf 'run 1\npartial\nrun 2\npartial')" ]
}

@test "log_max_size and log_keep: a file fills up to the size, then a new one begins, old ones shifted, the oldest gone" {
	write_ini g.ini <<-'INI'
	[group]
	log_max_size = 1K
	[three]
	; 100 lines of 128 bytes: eight fill a file of 1024 bytes
	command = i=0; while [ $i -lt 100 ]; do i=$((i + 1)); printf '%03d%0124d\n' $i 0; done
	log = three.log
	log_keep = 2
	[none]
	command = i=0; while [ $i -lt 30 ]; do i=$((i + 1)); printf '%03d%0124d\n' $i 0; done
	log = none.log
	log_keep = 0
	INI
	run ecg -q -c g.ini
	[ "$status" -eq 0 ]
	ls -l >&3
	[ "$(cut -c1-3 three.log | paste -sd,)" = "$(seq -f %03g 97 100 | paste -sd,)" ]
	[ "$(cut -c1-3 three.log.1 | paste -sd,)" = "$(seq -f %03g 89 96 | paste -sd,)" ]
	[ "$(cut -c1-3 three.log.2 | paste -sd,)" = "$(seq -f %03g 81 88 | paste -sd,)" ]
	[ ! -e three.log.3 ]
	[ "$(stat -c %s three.log.1)" -eq 1024 ]
	[ "$(cut -c1-3 none.log | paste -sd,)" = "$(seq -f %03g 25 30 | paste -sd,)" ]
	[ ! -e none.log.1 ]
}

@test "a log file in a directory that does not exist: the task cannot start (127), the message names the file, nothing else runs" {
	write_ini g.ini <<-'INI'
	[web]
	command = exec sleep 30
	log = missing/%n.log
	[db]
	command = exec sleep 30
	after = web
	INI
	run -127 --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	printf '%s\n' "$stderr" | grep -qx "ecg-run: web: cannot start: log file $(pwd -P)/missing/web.log: No such file or directory (its directory must exist)"
	printf '%s\n' "$stderr" | grep -qx 'ecg-run: db: not started: the group is stopping'
	[ ! -e missing ]
	no_marked_left
}

@test "a log file that cannot be written (/dev/full): said once, its lines counted at the end; the terminal and the status are as without it" {
	write_ini g.ini <<-'INI'
	[web]
	command = for i in 1 2 3 4 5; do echo line $i; done; echo oops >&2
	log = /dev/full
	INI
	run --separate-stderr ecg -c g.ini
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	[ "$(lines_of web | wc -l)" -eq 5 ]
	[ "$(printf '%s\n' "$stderr" | grep -c 'cannot write log file /dev/full: No space left on device')" -eq 1 ]
	printf '%s\n' "$stderr" | grep -qx 'ecg-run: web: 6 lines could not be written to log file /dev/full'
}

@test "a log that takes nothing (a FIFO nobody reads) never holds up the group: lines are lost and counted" {
	mkfifo stuck.fifo
	# held open for reading, never read: a write would wait forever
	exec 5<>stuck.fifo
	write_ini g.ini <<-'INI'
	[chatty]
	command = seq 1 100000
	log = stuck.fifo
	INI
	ECG_TIMEOUT=30 run --separate-stderr ecg -q -c g.ini
	exec 5>&-
	echo "$stderr" >&3
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 100000 ]
	[ "$(printf '%s\n' "$stderr" | grep -c 'cannot write log file .*stuck.fifo: Resource temporarily unavailable')" -eq 1 ]
	lost=$(printf '%s\n' "$stderr" | sed -n 's/.*: \([0-9]*\) lines could not be written to log file .*/\1/p')
	[ "$lost" -gt 0 ]
	[ "$lost" -lt 100000 ]
}

# refused FORMAT WANT: the INI that printf FORMAT makes is refused, status 125, with WANT.
refused() {
	# shellcheck disable=SC2059
	printf "$1" >g.ini
	run -125 ecg -c g.ini
	[ "$output" = "$2" ]
}

@test "log settings that cannot work are refused with the line: [group] without %n, one file for two tasks (or another's rotation), a stray %, a directory, keys without a log" {
	refused '[group]\nlog = all.log\n[a]\ncommand = true\n' \
		"g.ini:2: log 'all.log' in [group] must contain %n, the task's name: each task writes a file of its own"
	refused '[a]\ncommand = true\nlog = x.log\n[b]\ncommand = true\nlog = ./x.log\n' \
		"g.ini:6: task [b] logs to $(pwd -P)/x.log, as task [a] does: give each task a file of its own"
	refused '[a]\ncommand = true\nlog = a-%%d.log\n' \
		"g.ini:3: log 'a-%d.log': only %n (the task's name), %i (a replica's number) and %% may follow a '%'"
	refused '[a]\ncommand = true\nlog_max_size = 1M\n' \
		"g.ini:3: task [a] has no log file for log_max_size (set log = PATH)"
	refused '[a]\ncommand = true\nlog = a.log\nlog_max_size = 10\n' \
		"g.ini:4: log_max_size '10': size out of range (from 1KiB to 1024GiB)"
	refused '[group]\nlog = x-%%%%n.log\n[a]\ncommand = true\n' \
		"g.ini:2: log 'x-%%n.log' in [group] must contain %n, the task's name: each task writes a file of its own"
	refused '[group]\nlog = logs/%%n\nlog_max_size = 1K\n[web]\ncommand = true\n[web.1]\ncommand = true\n' \
		"g.ini:2: task [web.1] logs to $(pwd -P)/logs/web.1, one of the old files of task [web]'s log (log_keep = 3): give each task a file of its own"
	mkdir d
	refused '[a]\ncommand = true\nlog = d\n' \
		"g.ini:3: task [a] logs to $(pwd -P)/d, which is a directory: give the file's name"
	refused '[a]\ncommand = true\nlog = logs/\n' \
		"g.ini:3: log 'logs/' names a directory: give the file's name"
	[ ! -e a.log ]
}

@test "--check prints each task's log file, and what it prints loads back to the same files" {
	write_ini g.ini <<-'INI'
	[group]
	log = logs/%n-%%-$$.log
	log_max_size = 2M
	[web]
	command = true
	[db]
	command = true
	log = none
	INI
	run --separate-stderr ecg --check -c g.ini
	[ "$status" -eq 0 ]
	# logs/ is made below: --check warns that it is not there yet
	[[ "$stderr" == *"warning: task [web]: the directory of its log file, $(pwd -P)/logs, does not exist"* ]]
	printf '%s\n' "$output" | grep -qx "log = $(pwd -P)/logs/web-%%-\\\$\\\$.log"
	printf '%s\n' "$output" | grep -qx 'log_max_size = 2MiB'
	printf '%s\n' "$output" | grep -qx 'log_keep = 3'
	[ "$(printf '%s\n' "$output" | grep -c '^log =')" -eq 1 ]
	printf '%s\n' "$output" >again.ini
	mkdir logs
	run ecg -c again.ini
	[ "$status" -eq 0 ]
	[ -e 'logs/web-%-$.log' ]
}

@test "log files and --events are never written through a link another user planted in a sticky, world-writable directory" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to plant another user's link"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	mkdir pub
	chmod 1777 pub
	echo "not yours" >target
	ln -s ../target pub/web.log
	chown -h nobody pub/web.log
	ln -s ../target pub/ev.jsonl
	chown -h nobody pub/ev.jsonl
	printf '[web]\ncommand = echo hi\nlog = pub/web.log\n' >g.ini
	run -127 --separate-stderr ecg -c g.ini
	[[ "$stderr" == *"ecg-run: web: cannot start: log file $(pwd -P)/pub/web.log: a symbolic link of another user in a sticky, world-writable directory (not followed)"* ]]
	printf '[web]\ncommand = echo hi\n' >g2.ini
	run -125 --separate-stderr ecg --events pub/ev.jsonl -c g2.ini
	[ "$stderr" = "ecg-run: --events pub/ev.jsonl: a symbolic link of another user in a sticky, world-writable directory (not followed)" ]
	[ "$(cat target)" = "not yours" ]
	# a link of one's own is followed, and so are /dev/fd/N and a file made anew (O_EXCL)
	ln -s ../mine.log pub/own.log
	printf '[web]\ncommand = echo hi\nlog = pub/own.log\n' >g3.ini
	run -0 ecg -q --events /dev/fd/5 -c g3.ini 5>ev.jsonl
	[ "$(cat mine.log)" = "hi" ]
	grep -q '"event":"group_end"' ev.jsonl
	printf '[web]\ncommand = echo made\nlog = pub/new.log\n' >g4.ini
	run -0 ecg -q -c g4.ini
	[ "$(cat pub/new.log)" = "made" ] && [ ! -L pub/new.log ]
}
