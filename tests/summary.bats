#!/usr/bin/env bats
# --summary: the table of the tasks at the end, on stderr.

load helper

# The summary rows of $stderr: the lines after the last task message that
# start with a task name, and the cause line.
summary_rows() {
	printf '%s\n' "$stderr" | grep -E "^($1) " || true
}

@test "--summary=auto: shown after a failure, one aligned row a task and the cause; not after a clean run" {
	write_ini g.ini <<-'INI'
	[web]
	command = exec sleep 30
	[flaky]
	command = echo run >>runs; exit 2
	restart = on-failure
	max_restarts = 1
	; slow's timeout (100ms) always comes first: its timer is due earlier
	restart_delay = 300ms
	[slow]
	command = exec sleep 30
	timeout = 100ms
	cancel_on = never
	[nocwd]
	cwd = missing
	command = true
	cancel_on = never
	[late]
	after = web
	ready = line never
	ready_timeout = 0
	command = exec sleep 30
	[never]
	after = late
	command = true
	INI
	run --separate-stderr ecg -c g.ini
	echo "$stderr" | tail -8 >&3
	[ "$status" -eq 2 ]
	run summary_rows 'web|flaky|slow|nocwd|late|never'
	[ "${#lines[@]}" -eq 6 ]
	[[ "${lines[0]}" =~ ^web\ +stopped\ \(SIGTERM\)\ +[0-9.]+m?s\ +0\ restarts$ ]]
	[[ "${lines[1]}" =~ ^flaky\ +exited\ 2\ +[0-9.]+m?s\ +1\ restart$ ]]
	[[ "${lines[2]}" =~ ^slow\ +timed\ out\ + ]]
	[[ "${lines[3]}" =~ ^nocwd\ +could\ not\ start\ + ]]
	[[ "${lines[4]}" =~ ^late\ +stopped\ \(SIGTERM\)\ + ]]
	[[ "${lines[5]}" =~ ^never\ +not\ started\ +-\ +0\ restarts$ ]]
	# aligned: every result starts in the same column
	local col=${lines[0]%%stopped*}
	[[ "${lines[1]:${#col}}" == "exited 2"* ]]
	[[ "${lines[5]:${#col}}" == "not started"* ]]
	[[ "$stderr" == *$'\n'"ecg-run: cause: flaky: failed with status 2, stopping the group; exit status 2" ]]

	printf '[a]\ncommand = true\n[b]\ncommand = echo hi\n' >g.ini
	run --separate-stderr ecg -c g.ini
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"restarts"* ]]
	[[ "$stderr" != *"cause"* ]]
}

@test "--summary=always after a clean run; never, and -q, hide it; -q --summary=always shows it" {
	printf '[a]\ncommand = true\n[b]\ncommand = exit 4\n' >g.ini
	printf '[a]\ncommand = true\n' >ok.ini
	run --separate-stderr ecg --summary=always -c ok.ini
	[ "$status" -eq 0 ]
	[[ "$stderr" == *$'\n'"a  exited 0  "*"0 restarts"$'\n'"ecg-run: no cause: every task ended; exit status 0" ]]
	run --separate-stderr ecg --summary=never -c g.ini
	[ "$status" -eq 4 ]
	[[ "$stderr" != *"restarts"* ]]
	run --separate-stderr ecg -q -c g.ini
	[ "$status" -eq 4 ]
	[[ "$stderr" != *"restarts"* ]]
	run --separate-stderr ecg -q --summary=always -c g.ini
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"b  exited 4"*"ecg-run: cause: b: failed with status 4, stopping the group; exit status 4" ]]
	run --separate-stderr ecg --summary=sometimes -c g.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == "ecg-run: --summary takes auto, always or never, not 'sometimes'"* ]]
}

@test "--summary: a signal's status is the one ecg-run ends with" {
	printf '[a]\ncommand = touch up; exec sleep 30\n' >g.ini
	start_bg -c g.ini
	wait_for 20 test -e up
	kill -INT "$ECG_PID"
	wait_bg
	[ "$STATUS" -eq 130 ]
	grep -q "^a  stopped (SIGTERM)" err.txt
	grep -q "^ecg-run: cause: received SIGINT, stopping the group; exit status 130$" err.txt
}

@test "--summary is whole for 300 tasks with 60-character names, the cause line last" {
	local pad=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
	{
		for i in $(seq 100 399); do
			printf '[t%s-%s]\ncommand = true\n' "$pad" "$i"
		done
	} >g.ini
	run -0 --separate-stderr ecg -q --summary=always -c g.ini
	run -0 summary_rows "t$pad-[0-9]+"
	[ "${#lines[@]}" -eq 300 ]
	[ "${#lines[0]}" -gt 60 ]
	local i
	for i in $(seq 0 299); do
		[[ "${lines[$i]}" =~ ^t$pad-$((i + 100))\ +exited\ 0\ +[0-9.]+m?s\ +0\ restarts$ ]] ||
			{ echo "row $i: ${lines[$i]}"; false; }
	done
	[ "$(printf '%s\n' "$stderr" | tail -1)" = "ecg-run: no cause: every task ended; exit status 0" ]
	# and after a failure, the cause and its status end it
	{
		for i in $(seq 100 399); do
			printf '[t%s-%s]\ncommand = exec sleep 30\n' "$pad" "$i"
		done
		printf '[zz-fails]\ncommand = sleep 1; exit 3\n'
	} >g.ini
	run -3 --separate-stderr ecg -q --summary=always -c g.ini
	run -0 summary_rows "t$pad-[0-9]+|zz-fails"
	[ "${#lines[@]}" -eq 301 ]
	[[ "${lines[300]}" =~ ^zz-fails\ +exited\ 3\  ]]
	[ "$(printf '%s\n' "$stderr" | tail -1)" = "ecg-run: cause: zz-fails: failed with status 3, stopping the group; exit status 3" ]
	no_marked_left
}

@test "--summary with -T: every row and the cause line carry a stamp, the columns line up" {
	printf '[web]\ncommand = exec sleep 30\n[a-much-longer-name]\ncommand = exit 4\n[db]\ncommand = exec sleep 30\n' >g.ini
	run -4 --separate-stderr ecg -T --summary=always -c g.ini
	local stamp='[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3} '
	run -0 summary_rows "$stamp(web|a-much-longer-name|db) "
	[ "${#lines[@]}" -eq 3 ]
	# the stamp, then the name padded: every result starts in one column
	local col=${lines[0]%%stopped*}
	[[ "${lines[1]:${#col}}" == "exited 4"* ]]
	[[ "${lines[2]:${#col}}" == "stopped (SIGTERM)"* ]]
	printf '%s\n' "$stderr" | tail -1 | grep -qE "^${stamp}ecg-run: cause: a-much-longer-name: failed with status 4, stopping the group; exit status 4$"
	# no line of ecg-run's own goes without a stamp
	! printf '%s\n' "$stderr" | grep -vqE "^$stamp"
}
