#!/usr/bin/env bats
# --junit: a JUnit XML report at the end, parsed with python3's xml.etree.

load helper

@test "--junit: one testcase a task; failures with their last 50 stderr lines; skipped; stopped tasks pass" {
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
	assert suite.get("failures") == "2" and suite.get("skipped") == "1", suite.attrib
	cases = {c.get("name"): c for c in suite.findall("testcase")}
	assert list(cases) == ["svc", "ok", "slow", "waiting", "gate", "bad"], list(cases)
	for c in cases.values():
	    assert c.get("classname") == "g" and float(c.get("time")) >= 0, c.attrib
	assert len(cases["svc"]) == 0 and len(cases["ok"]) == 0 and len(cases["gate"]) == 0
	assert cases["waiting"].find("skipped").get("message") == "not started"
	assert cases["slow"].find("failure").get("message") == "timed out"
	f = cases["bad"].find("failure")
	assert f.get("message") == "exited 3", f.attrib
	lines = f.text.strip("\n").split("\n")
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
	assert len(cases["svc"]) == 0, "stopped by the group: passes"
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
