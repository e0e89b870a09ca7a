#!/usr/bin/env bats
# --junit: a JUnit XML report at the end, parsed with python3's xml.etree.

load helper

@test "--junit: one testcase a task; failures with why and their last 50 stderr lines; skipped" {
	write_ini g.ini <<-'INI'
	[svc]
	command = exec sleep 30
	[ok]
	command = echo fine
	[slow]
	command = trap 'touch slow.done; exit 0' TERM; while :; do sleep 0.02; done
	timeout = 100ms
	cancel_on = never
	[waiting]
	after = gate
	command = true
	[gate]
	command = exec sleep 30
	ready = line never
	ready_timeout = 0
	[bad]
	command = until [ -e slow.done ]; do sleep 0.02; done; i=1; while [ $i -le 60 ]; do echo "err $i" >&2; i=$((i + 1)); done; printf 'odd <&>"\047 \377 \001 end\n' >&2; exit 3
	INI
	run --separate-stderr ecg --junit report.xml -c g.ini
	echo "$stderr" | tail -3 >&3
	[ "$status" -eq 3 ]
	python3 - <<-'PY'
	import xml.etree.ElementTree as ET
	root = ET.parse("report.xml").getroot()
	assert root.tag == "testsuites", root.tag
	suite = root.find("testsuite")
	assert suite.get("name") == "g" and suite.get("tests") == "6", suite.attrib
	assert suite.get("failures") == "2" and suite.get("skipped") == "3", suite.attrib
	cases = {c.get("name"): c for c in suite.findall("testcase")}
	assert list(cases) == ["svc", "ok", "slow", "waiting", "gate", "bad"], list(cases)
	for c in cases.values():
	    assert c.get("classname") == "g" and float(c.get("time")) >= 0, c.attrib
	assert len(cases["ok"]) == 0, "ended before the failure: passes"
	cause = "bad: failed with status 3, stopping the group"
	# cut off by a failure: skipped, the cause named
	for name in ("svc", "gate"):
	    m = cases[name].find("skipped").get("message")
	    assert m == "stopped (SIGTERM) when the group stopped: " + cause, (name, m)
	assert cases["waiting"].find("skipped").get("message") == "not started"
	f = cases["slow"].find("failure")
	assert f.get("message") == "timed out", f.attrib
	assert f.text.split("\n")[0] == "timed out after 100ms", f.text
	f = cases["bad"].find("failure")
	assert f.get("message") == "exited 3", f.attrib
	lines = f.text.strip("\n").split("\n")
	assert lines[:2] == ["exited with status 3", "stderr, last lines:"], lines[:2]
	lines = lines[2:]
	assert len(lines) == 50, len(lines)
	assert lines[0] == "err 12" and lines[-2] == "err 60", (lines[0], lines[-2])
	assert lines[-1] == "odd <&>\"' \ufffd \ufffd end", repr(lines[-1])
	PY
}

@test "--junit: a cause that is not a task is one more failed testcase, named group" {
	printf '[svc]\ncommand = exec sleep 30\n[done]\ncommand = true\n' >g.ini
	run --separate-stderr ecg --junit report.xml --deadline 300ms -c g.ini
	[ "$status" -eq 124 ]
	python3 - <<-'PY'
	import xml.etree.ElementTree as ET
	suite = ET.parse("report.xml").getroot().find("testsuite")
	assert suite.get("tests") == "3" and suite.get("failures") == "1", suite.attrib
	cases = {c.get("name"): c for c in suite.findall("testcase")}
	cause = "deadline of 300ms passed, stopping the group"
	m = cases["svc"].find("skipped").get("message")
	assert m == "stopped (SIGTERM) when the group stopped: " + cause, m
	assert len(cases["done"]) == 0, "ended before the deadline: passes"
	f = cases["group"].find("failure")
	assert f.get("message") == "deadline of 300ms passed, stopping the group", f.attrib
	assert "exit status 124" in f.text
	PY
}

@test "--junit: - is refused; a report that cannot be written is known before anything runs" {
	printf '[a]\ncommand = touch ran\n' >g.ini
	run --separate-stderr ecg --junit - -c g.ini
	[ "$status" -eq 125 ]
	[[ "$stderr" == "ecg-run: --junit needs a file"* ]]
	run --separate-stderr ecg --junit no-dir/r.xml -c g.ini
	[ "$status" -eq 125 ]
	[ "$stderr" = "ecg-run: --junit no-dir/r.xml: No such file or directory" ]
	[ ! -e ran ]
	run --separate-stderr ecg --junit r.xml -c g.ini
	[ "$status" -eq 0 ]
	python3 -c 'import xml.etree.ElementTree as ET; s = ET.parse("r.xml").getroot().find("testsuite"); assert s.get("failures") == "0" and s.get("tests") == "1", s.attrib'
}

@test "--junit: a failure says why: the check and its last error, the step that could not be done" {
	write_ini g.ini <<-'INI'
	[db]
	command = exec sleep 30
	ready = tcp 127.0.0.1:1
	ready_timeout = 300ms
	[nocwd]
	cwd = /nonexistent
	command = true
	cancel_on = never
	INI
	run -124 --separate-stderr ecg --junit report.xml -c g.ini
	python3 - <<-'PY'
	import xml.etree.ElementTree as ET
	cases = {c.get("name"): c for c in ET.parse("report.xml").getroot().iter("testcase")}
	f = cases["db"].find("failure")
	assert f.get("message") == "not ready", f.attrib
	assert f.text.startswith("not ready after 300ms (tcp 127.0.0.1:1: connection refused)"), f.text
	f = cases["nocwd"].find("failure")
	assert f.get("message") == "could not start", f.attrib
	assert f.text.startswith("cannot start: chdir /nonexistent: No such file or directory"), f.text
	PY
}

# case_is FILE TASK WANT: junit_case of TASK is WANT; if not, shows it and the report
case_is() {
	local got
	got=$(junit_case "$1" "$2")
	[ "$got" = "$3" ] && return 0
	echo "case $2 of $1: got '$got', want '$3'"
	cat "$1"
	return 1
}

# junit_case FILE TASK: "pass", "skipped: MESSAGE" or "failure: MESSAGE"
junit_case() {
	python3 - "$1" "$2" <<-'PY'
	import sys, xml.etree.ElementTree as ET
	for c in ET.parse(sys.argv[1]).getroot().iter("testcase"):
	    if c.get("name") == sys.argv[2]:
	        s, f = c.find("skipped"), c.find("failure")
	        print("skipped: " + s.get("message") if s is not None else
	              "failure: " + f.get("message") if f is not None else "pass")
	PY
}

@test "--junit: a task cut off by the cancellation passes when the run ended as planned, else is skipped" {
	# start-server-and-test: the test ends with 0 (cancel_on = exit), the server was cut off
	printf '[server]\ncommand = exec sleep 30\n[test]\ncommand = true\ncancel_on = exit\n' >g.ini
	run -0 ecg --junit r1.xml -c g.ini
	case_is r1.xml server pass
	case_is r1.xml test pass
	# the same test failing (cancel_on = exit with 3): the server is skipped, naming it
	printf '[server]\ncommand = exec sleep 30\n[test]\ncommand = exit 3\ncancel_on = exit\n' >g.ini
	run -3 ecg --junit r2.xml -c g.ini
	case_is r2.xml server "skipped: stopped (SIGTERM) when the group stopped: test: ended (cancel_on = exit), stopping the group"
	case_is r2.xml test "failure: exited 3"
	# every task that is not a sidecar ended: the sidecar was serving them, it passes
	printf '[proxy]\ncommand = exec sleep 30\nsidecar = yes\n[job]\ncommand = true\n' >g.ini
	run -0 ecg --junit r3.xml -c g.ini
	echo "$output"
	case_is r3.xml proxy pass
	# ecg-run's own SIGTERM: skipped, naming the signal
	printf '[svc]\ncommand = touch up; exec sleep 30\n' >g.ini
	start_bg --junit r4.xml -c g.ini
	wait_for 20 test -e up
	kill -TERM "$ECG_PID"
	wait_bg
	[ "$STATUS" -eq 143 ]
	case_is r4.xml svc "skipped: stopped (SIGTERM) when the group stopped: received SIGTERM, stopping the group"
	case_is r4.xml group "failure: received SIGTERM, stopping the group"
}

@test "--junit: U+FFFE and U+FFFF in stderr become U+FFFD: the report is well-formed XML" {
	printf '[bad]\ncommand = printf %s >&2; exit 1\n' "'a \357\277\276 b \357\277\277 c \355\240\200 d\n'" >g.ini
	run -1 ecg --junit report.xml -c g.ini
	python3 - <<-'PY'
	import xml.etree.ElementTree as ET
	f = next(ET.parse("report.xml").getroot().iter("failure"))
	assert f.text.rstrip("\n").endswith("a \ufffd b \ufffd c \ufffd\ufffd\ufffd d"), repr(f.text)
	PY
	# expat itself, strictly
	python3 -c 'import xml.parsers.expat as E; E.ParserCreate().Parse(open("report.xml", "rb").read(), True)'
}

@test "--junit: a FIFO, a directory are refused before anything runs; a symlink at PATH is replaced, not followed" {
	printf '[a]\ncommand = touch ran\n' >g.ini
	mkfifo r.fifo
	run_timed -125 --separate-stderr ecg --junit r.fifo -c g.ini
	[ "$stderr" = "ecg-run: --junit r.fifo: is a FIFO, not a regular file" ]
	[ "$ELAPSED" -lt 10000 ]
	mkdir r.dir
	run -125 --separate-stderr ecg --junit r.dir -c g.ini
	[ "$stderr" = "ecg-run: --junit r.dir: is a directory, not a regular file" ]
	run -125 --separate-stderr ecg --junit no-such-dir/ -c g.ini
	[ "$stderr" = "ecg-run: --junit no-such-dir/: is a directory, not a regular file" ]
	[ ! -e ran ]
	mkdir rep
	echo "not a report" >rep/target
	ln -s target rep/r.xml
	run -0 ecg --junit rep/r.xml -c g.ini
	[ "$(cat rep/target)" = "not a report" ]
	[ -f rep/r.xml ] && [ ! -L rep/r.xml ]
	python3 -c 'import xml.etree.ElementTree as ET; ET.parse("rep/r.xml")'
	# nothing of the writing is left beside it
	[ "$(ls -A rep | tr '\n' ' ')" = "r.xml target " ]
}

@test "--junit on a full disk: said once, no empty or partial report, an old one stays" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
	command -v unshare >/dev/null || skip "unshare not installed"
	unshare --mount true 2>/dev/null || skip "mount namespaces not available here"
	# a task whose stderr makes a report larger than the room left
	printf '[bad]\ncommand = i=0; while [ $i -lt 200 ]; do echo "error line $i ......................................................................" >&2; i=$((i + 1)); done; exit 1\n' >g.ini
	mkdir disk
	cat >run.sh <<-SH
	mount -t tmpfs -o size=64k tmpfs disk || exit 77
	echo "old report" >disk/r.xml
	dd if=/dev/zero of=disk/fill bs=1k count=1000 2>/dev/null
	'$ECG_BIN' --junit disk/r.xml -c g.ini 2>err.txt
	echo "status \$?"
	ls -A disk
	cat disk/r.xml
	SH
	run timeout 60 unshare --mount bash run.sh
	[ "$status" -ne 77 ] || skip "cannot mount a tmpfs here"
	echo "$output"
	cat err.txt
	[ "${lines[0]}" = "status 1" ]
	[ "$(grep -c -- '--junit' err.txt)" -eq 1 ]
	grep -qx "ecg-run: --junit disk/r.xml: No space left on device" err.txt
	# only the old report and the filler: no temporary file, no empty report
	[ "${lines[1]}" = fill ]
	[ "${lines[2]}" = r.xml ]
	[ "${lines[3]}" = "old report" ]
	[ "${#lines[@]}" -eq 4 ]
}
