#!/usr/bin/env bats
# Output: prefixes, whole lines, order, long lines, binary, options.

load helper

@test "NAME | line, padded to the longest name; stderr stays stderr" {
	printf '[a]\ncommand = echo out; echo err >&2\n[longer-name]\ncommand = true\n' >g.ini
	run --separate-stderr ecg -q -c g.ini
	[ "$status" -eq 0 ]
	[ "$output" = "a           | out" ]
	[ "$stderr" = "a           | err" ]
}

@test "4 tasks x 10,000 lines: complete, in order per task, no mixed lines" {
	{
		for i in 1 2 3 4; do
			printf '[t%d]\ncommand = "%s" t%d 10000\n' "$i" "$FIXTURES/gen-lines.sh" "$i"
		done
	} >g.ini
	ecg -q -c g.ini >out.txt
	[ "$(wc -l <out.txt)" -eq 40000 ]
	run "$FIXTURES/check-lines.sh" 4 10000 <out.txt
	echo "$output"
	[ "$output" = ok ]
}

@test "the same through a slow reader and through 2>&1 into one pipe" {
	{
		for i in 1 2 3; do
			printf '[t%d]\ncommand = "%s" t%d 5000; "%s" t%d 5000 >&2\n' \
				"$i" "$FIXTURES/gen-lines.sh" "$i" "$FIXTURES/gen-lines.sh" "$i"
		done
		printf '[group]\nbuffer = 4K\n'
	} >g.ini
	# stdout and stderr are one pipe; the reader sleeps now and then
	bash -c "'$ECG_BIN' -q -c g.ini 2>&1 | while IFS= read -r l; do printf '%s\n' \"\$l\"; done" >out.txt
	[ "$(wc -l <out.txt)" -eq 30000 ]
	# each task printed its lines twice (0..4999, then 0..4999 on stderr)
	run awk '{ split($0, f, " "); k = f[3] " " f[4]; c[k]++ } END { for (k in c) if (c[k] != 2) { print "bad " k; exit 1 } print "ok" }' out.txt
	[ "$output" = ok ]
	run grep -cvE '^t[0-9] +\| t[0-9] [0-9]{6} [a-z]+$' out.txt
	[ "$output" = 0 ]
}

@test "a 1 MiB line comes out in pieces of at most buffer bytes, nothing dropped" {
	printf '[a]\ncommand = head -c 1048576 /dev/zero | tr "\\\\0" x; echo; echo after\n' >g.ini
	ecg -q -c g.ini >out.txt
	run awk '{ n++; sub(/^a \| /, ""); len += length($0); if (length($0) > 65536) big = 1 } END { print n, len, big + 0 }' out.txt
	# 16 pieces of 64 KiB (the task's own newline ends the last), then "after"
	[ "$output" = "17 1048581 0" ]
	[ "$(tail -1 out.txt)" = "a | after" ]
}

@test "a line of exactly buffer bytes is one line, not one and an empty one" {
	printf '[group]\nbuffer = 1K\n[t]\ncommand = head -c 1024 /dev/zero | tr "\\\\0" x; echo; head -c 2048 /dev/zero | tr "\\\\0" y; echo; echo; echo after\n' >g.ini
	ecg -q -c g.ini >out.txt
	run awk '{ print length($0), substr($0, 1, 5) }' out.txt
	# 1024 x; 2048 y in two pieces; the task's own empty line; after
	[ "$output" = "$(printf '1028 t | x\n1028 t | y\n1028 t | y\n4 t | \n9 t | a')" ]
}

@test "a final line without a newline gets one" {
	printf '[a]\ncommand = printf "first\\\\nno newline"\n[b]\ncommand = sleep 0.2; echo b\n' >g.ini
	ecg -q -c g.ini >out.txt
	[ "$(grep -c '' out.txt)" -eq 3 ]
	grep -qx 'a | no newline' out.txt
	[ "$(tail -c 1 out.txt | od -An -c | tr -d ' ')" = '\n' ]
}

@test "binary output, invalid UTF-8 and NUL bytes pass through unchanged" {
	printf '\000\001\002\377\376 bin\303(ary\000\n\200end' >bytes
	printf '[a]\ncommand = cat bytes\n' >g.ini
	ecg -q --no-prefix -c g.ini >out.bin
	printf '\n' >>bytes
	cmp bytes out.bin
	ecg -q -c g.ini >out2.bin
	sed 's/^a | //' out2.bin | cmp - bytes
}

@test "--no-prefix, -T and --color" {
	printf '[a]\ncommand = echo plain\n' >g.ini
	run ecg -q --no-prefix -c g.ini
	[ "$output" = "plain" ]
	run ecg -q -T -c g.ini
	[[ "$output" =~ ^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}\ a\ \|\ plain$ ]]
	run --separate-stderr ecg -T -c g.ini
	[[ "${stderr_lines[0]}" =~ ^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}\ ecg-run:\ a:\ started$ ]]
	NO_COLOR=1 run ecg -q --color=always -c g.ini
	[ "$output" = $'\e[36ma |\e[0m plain' ]
	run ecg -q --color=never -c g.ini
	[ "$output" = "a | plain" ]
	# auto: not a terminal here, so no colour
	run ecg -q -c g.ini
	[ "$output" = "a | plain" ]
}

@test "--color=auto colours on a terminal unless NO_COLOR is set" {
	command -v script >/dev/null || skip "script(1) not installed"
	printf '[a]\ncommand = echo tty\n' >g.ini
	run script -qec "'$ECG_BIN' -q -c g.ini" /dev/null
	[[ "$output" == *$'\e[36ma |\e[0m tty'* ]]
	NO_COLOR=1 run script -qec "'$ECG_BIN' -q -c g.ini" /dev/null
	[[ "$output" == *"a | tty"* ]]
	[[ "$output" != *$'\e['* ]]
}

@test "--color=auto decides for each stream: stderr to a file gets no escape codes" {
	command -v script >/dev/null || skip "script(1) not installed"
	printf '[a]\ncommand = echo out; echo err >&2\n' >g.ini
	run script -qec "'$ECG_BIN' -q -c g.ini 2>err.log" /dev/null
	[[ "$output" == *$'\e[36ma |\e[0m out'* ]]
	[ "$(cat err.log)" = "a | err" ]
	# and the other way round
	run script -qec "'$ECG_BIN' -q -c g.ini >out.log" /dev/null
	[[ "$output" == *$'\e[36ma |\e[0m err'* ]]
	[ "$(cat out.log)" = "a | out" ]
}

@test "-T stamps ecg-run's last lines too (output that could not be written)" {
	printf '[chatty]\ncommand = while :; do echo line; done\n' >g.ini
	bash -c "'$ECG_BIN' -T -q -c g.ini 2>err.txt | head -1 >/dev/null" || true
	cat err.txt
	grep -qE '^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3} ecg-run: [0-9]+ bytes of task output could not be written to stdout: Broken pipe$' err.txt
	! grep -vqE '^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3} ' err.txt
}

@test "the shared stdout is never left (or made) non-blocking" {
	printf '[a]\ncommand = touch started; until [ -e looked ]; do sleep 0.01; done; echo x\n' >g.ini
	# a sibling that shares ecg-run's stdout looks at the flags while it runs
	# (its task has started, so its output is set up), then after it ended
	run bash -c "{ '$ECG_BIN' -q -c g.ini & until [ -e started ]; do sleep 0.01; done; grep flags /proc/self/fdinfo/1; touch looked; wait; grep flags /proc/self/fdinfo/1; } | cat"
	[ "$status" -eq 0 ]
	local f
	for f in $(printf '%s\n' "$output" | awk '/^flags/ { print $2 }'); do
		[ $(( 0$f & 04000 )) -eq 0 ]
	done
	[ "$(printf '%s\n' "$output" | grep -c '^flags')" -eq 2 ]
}

@test "backpressure: a flood into a stuck stdout keeps memory bounded, then arrives whole" {
	mkfifo pipe
	printf '[group]\nbuffer = 64K\n[t1]\ncommand = "%s" t1 200000\n' "$FIXTURES/gen-lines.sh" >g.ini
	"$ECG_BIN" -q -c g.ini >pipe &
	local pid=$!
	exec 5<pipe
	# nobody reads yet: the task must end up blocked in write(2)
	wait_for 20 marked_blocked_in_write
	local rss
	rss=$(awk '/VmRSS/ { print $2 }' /proc/$pid/status)
	echo "# ecg-run RSS while the task is blocked: ${rss} kB" >&3
	[ "$rss" -lt 16384 ]
	cat <&5 >out.txt
	exec 5<&-
	wait "$pid"
	run "$FIXTURES/check-lines.sh" 1 200000 <out.txt
	[ "$output" = ok ]
}

@test "a task that ended leaves more output than a slow reader takes in 2 s: nothing is lost" {
	printf '[group]\nbuffer = 1K\n[a]\ncommand = seq 1 12000\n' >g.ini
	# the task is gone at once; its last 60 KB drain for about 4 s
	"$ECG_BIN" -q -c g.ini 2>err.txt | {
		while :; do
			chunk=$(dd bs=300 count=1 status=none; echo x)
			chunk=${chunk%x}
			[ -z "$chunk" ] && break
			printf '%s' "$chunk"
			sleep 0.02
		done
	} >out.txt
	[ "$(grep -c '' out.txt)" -eq 12000 ]
	[ "$(tail -1 out.txt)" = "a | 12000" ]
	[ ! -s err.txt ]
}

# utime + stime of a process, in clock ticks
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

@test "behind a stuck reader, after its task ended, ecg-run waits without using the CPU" {
	printf '[group]\nbuffer = 1K\n[a]\ncommand = seq 1 12000\n' >g.ini
	mkfifo pipe
	"$ECG_BIN" -q -c g.ini >pipe 2>err.txt &
	local pid=$! t_end c0 c1 hz
	exec 5<pipe
	# the task is gone; its last lines wait in its pipe for the stuck reader
	wait_for 20 no_marked_left
	t_end=$(now_ms)
	# the 2 s grace for its pipes has passed: from then on, two seconds
	until [ $(( $(now_ms) - t_end )) -ge 2500 ]; do sleep 0.05; done
	c0=$(cpu_ticks "$pid")
	until [ $(( $(now_ms) - t_end )) -ge 4500 ]; do sleep 0.05; done
	c1=$(cpu_ticks "$pid")
	hz=$(getconf CLK_TCK)
	echo "# ecg-run used $((c1 - c0)) ticks of $hz/s in 2 s behind a stuck reader" >&3
	# a busy loop takes a whole core (or its share of a busy machine: a third)
	[ $((c1 - c0)) -lt $((hz / 5)) ]
	cat <&5 >out.txt
	exec 5<&-
	wait "$pid"
	[ "$(grep -c '' out.txt)" -eq 12000 ]
}

# line_no PATTERN FILE: the number of the first line that is exactly PATTERN
line_no() {
	grep -nxF -- "$1" "$2" | head -1 | cut -d: -f1
}

# line_no_prefix PREFIX FILE: the number of the first line that starts with PREFIX
line_no_prefix() {
	grep -nF -- "$1" "$2" | awk -F: -v p="$1" '{ l = $0; sub(/^[0-9]+:/, "", l); if (index(l, p) == 1) { print $1; exit } }'
}

# in_order FINDER FIRST SECOND FILE: FINDER finds both in FILE, FIRST before SECOND
in_order() {
	local a b
	a=$("$1" "$2" "$4")
	b=$("$1" "$3" "$4")
	if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -ge "$b" ]; then
		echo "in $4: '$2' at line ${a:-none}, '$3' at line ${b:-none}" >&2
		return 1
	fi
}

# after FIRST SECOND FILE: both lines are in FILE, FIRST before SECOND
after() {
	in_order line_no "$@"
}

# after_prefix FIRST SECOND FILE: a line starting with FIRST comes before one starting with SECOND
after_prefix() {
	in_order line_no_prefix "$@"
}

@test "a message about a task comes after the task's own lines: its end, and the cause" {
	cat >g.ini <<-'INI'
	[web]
	command = seq 1 3000
	[errs]
	command = seq 1 3000 >&2
	[chat]
	command = seq 1 5000; seq 1 5000 >&2
	[db]
	command = until [ -e go ]; do sleep 0.01; done; seq 1 2000; echo "FATAL: no space left" >&2; exit 3
	[idle]
	command = touch go; exec sleep 300
	INI
	local i
	for i in $(seq 1 10); do
		rm -f go
		# stdout and stderr are one file, as in a CI log
		ecg -c g.ini >out.txt 2>&1 || true
		after "web  | 3000" "ecg-run: web: exited with status 0" out.txt
		after "errs | 3000" "ecg-run: errs: exited with status 0" out.txt
		after "db   | 2000" "ecg-run: db: exited with status 3" out.txt
		after "db   | FATAL: no space left" "ecg-run: db: exited with status 3" out.txt
		after "db   | FATAL: no space left" "ecg-run: db: failed with status 3, stopping the group" out.txt
		# stderr on a file of its own: its own lines still come first
		rm -f go
		ecg -c g.ini >out2.txt 2>err2.txt || true
		after "errs | 3000" "ecg-run: errs: exited with status 0" err2.txt
		after "db   | FATAL: no space left" "ecg-run: db: failed with status 3, stopping the group" err2.txt
	done
	no_marked_left
}

@test "the message that a task is ready (line) comes after the line that made it ready" {
	cat >g.ini <<-'INI'
	[db]
	command = echo "db is booting"; echo "db ready to accept connections"; echo "db after ready"; exec sleep 300
	ready = line ready to accept
	[app]
	after = db
	command = echo "app up"
	cancel_on = exit
	INI
	local i
	for i in $(seq 1 8); do
		ecg -c g.ini >out.txt 2>&1
		after_prefix "db  | db ready to accept connections" "ecg-run: db: ready (line ready to accept) after" out.txt
	done
	no_marked_left
}

@test "a one-shot task's exit is said before its readiness (ready = exited)" {
	cat >g.ini <<-'INI'
	[migrate]
	command = echo migrating
	ready = exited
	[app]
	after = migrate
	command = echo "app up"
	INI
	ecg -c g.ini >out.txt 2>&1
	after_prefix "migrate | migrating" "ecg-run: migrate: exited with status 0" out.txt
	after_prefix "ecg-run: migrate: exited with status 0" "ecg-run: migrate: ready (exited) after" out.txt
	after_prefix "ecg-run: migrate: ready (exited) after" "ecg-run: app: started" out.txt
}

@test "a task's first line comes after the message that it started, even behind a backlog" {
	# flood ends with its last 120 KB still on their way to a reader that
	# has not started: the message of its end waits for them, and the
	# message that late started waits behind it; late's lines, read at
	# once, must wait for that message.
	cat >g.ini <<-'INI'
	[flood]
	command = i=0; while [ $i -lt 1200 ]; do echo "flood line $i ......................................................................................"; i=$((i + 1)); done
	ready = exited
	[late]
	after = flood
	command = i=0; while [ $i -lt 200 ]; do echo "late line $i"; i=$((i + 1)); done; touch late-printed
	cancel_on = exit
	INI
	local i
	for i in 1 2 3; do
		rm -f late-printed
		# the reader starts once late has printed everything
		timeout 60 bash -c "'$ECG_BIN' -c g.ini 2>&1 | { until [ -e late-printed ]; do sleep 0.01; done; cat; }" >out.txt
		after "flood | flood line 1199 ......................................................................................" "ecg-run: flood: exited with status 0" out.txt
		after "ecg-run: late: started" "late  | late line 0" out.txt
	done
	no_marked_left
}

@test "a message longer than the limit is cut visibly and keeps its end; a long check does not hide the error" {
	local pad long
	pad=$(printf 'x%.0s' $(seq 1 1000))
	# a probe of 1,000 bytes that says why it fails
	printf '[db]\ncommand = exec sleep 300\nready = command : %s; echo "probe: connection refused" >&2; exit 1\nready_timeout = 300ms\n' "$pad" >g.ini
	run -124 --separate-stderr ecg --summary=always -c g.ini
	local line
	line=$(grep -a "^ecg-run: db: not ready" <<<"$stderr")
	[[ "$line" == *"$pad; echo \"probe: connection refused\" >&2; exit 1: probe: connection refused), stopping the group" ]]
	[[ "$stderr" == *"ecg-run: cause: db: not ready after 300ms (command : $pad"*": probe: connection refused), stopping the group; exit status 124" ]]
	# a check of 100,000 bytes: cut visibly, the message still says the error and the outcome
	long=$(printf 'y%.0s' $(seq 1 100000))
	printf '[db]\ncommand = exec sleep 300\nready = command : %s; echo "probe: connection refused" >&2; exit 1\nready_timeout = 300ms\n' "$long" >g.ini
	run -124 --separate-stderr ecg --summary=always -c g.ini
	line=$(grep -a "^ecg-run: db: not ready" <<<"$stderr")
	echo "# the not ready message: ${#line} bytes" >&3
	[ "${#line}" -lt 65536 ]
	[[ "$line" == *"yyy...: probe: connection refused), stopping the group" ]]
	line=$(grep -a "^ecg-run: cause: " <<<"$stderr")
	[ "${#line}" -lt 65536 ]
	[[ "$line" == *"yyy...: probe: connection refused), stopping the group; exit status 124" ]]
	no_marked_left
}

@test "an unfinished line (a prompt, a spinner) holds back neither messages nor other tasks' lines" {
	cat >g.ini <<-'INI'
	[t]
	command = printf 'spinner...'; echo >&3; exec sleep 300
	ready = fd 3
	[u]
	after = t
	command = seq 1 200000; echo u-finished
	cancel_on = exit
	INI
	run_timed -0 ecg -T -c g.ini
	echo "# ${ELAPSED} ms" >&3
	# every line of u, and the messages, while t's line stays unfinished
	[ "$(printf '%s\n' "$output" | grep -c ' u | [0-9]')" -eq 200000 ]
	[[ "$output" == *" u | u-finished"* ]]
	[[ "$output" == *"ecg-run: t: ready (fd 3)"* ]]
	[[ "$output" == *"ecg-run: u: started"* ]]
	# t's line is written once t is stopped, with a newline of ours
	[[ "$output" == *" t | spinner..."* ]]
	[ "$ELAPSED" -lt 30000 ]
	no_marked_left
}

@test "a last line without a newline still comes before the message that the task exited" {
	printf '[a]\ncommand = printf "FATAL: out of space"; exit 3\n' >g.ini
	local i
	for i in 1 2 3 4 5; do
		ecg -c g.ini >out.txt 2>&1 || true
		after "a | FATAL: out of space" "ecg-run: a: exited with status 3" out.txt
	done
}
