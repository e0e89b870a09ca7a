#!/usr/bin/env bats
# Beyond one machine: the examples in conf/deploy (a Kubernetes pod, a
# Nomad job, a systemd unit) run ecg-run as the entrypoint of
# conf/deploy/group.ini; what they ask of it is tested here as far as one
# machine allows: their probe commands against a live group, their stop
# grace against the group's stop bound, the unit with systemd-analyze.

load helper

DEPLOY="$ECG_TOP/conf/deploy"

# group.ini on a free port, at ./group.ini
local_group() {
	local port
	port=$(free_port)
	sed "s/8766/$port/g" "$DEPLOY/group.ini" >group.ini
}

# The probe commands of a file (kubernetes.yaml's exec lists, nomad.hcl's
# check), with this build and this group file: one per line.
probes() {
	python3 - "$1" "$ECG_BIN" "$PWD/group.ini" <<-'PY'
	import re, sys
	text = open(sys.argv[1]).read()
	cmds = [re.findall(r'"([^"]*)"', m) for m in re.findall(r'command: (\[.*\])', text)]
	for m in re.finditer(r'command\s*=\s*"([^"]*)"\s*\n\s*args\s*=\s*(\[.*\])', text):
	    cmds.append([m.group(1)] + re.findall(r'"([^"]*)"', m.group(2)))
	for c in cmds:
	    if c[1] == "-c":
	        continue	# the entrypoint, not a probe
	    c = [sys.argv[2] if a.endswith("ecg-run") else a for a in c]
	    c = [sys.argv[3] if a == "/etc/ecg-run/group.ini" else a for a in c]
	    print(" ".join(c))
	PY
}

# all_pass FILE: every probe command of FILE exits 0
all_pass() {
	local p
	while read -r p; do
		$p >/dev/null 2>&1 || return 1
	done < <(probes "$1")
}

@test "the pod's and the Nomad job's probes are ecg-run ctl check: 0 once the group is ready and healthy, 3 once it is gone (health.bats: through failing and stopping)" {
	local_group
	[ "$(probes "$DEPLOY/kubernetes.yaml" | wc -l)" -eq 3 ]
	[ "$(probes "$DEPLOY/nomad.hcl" | wc -l)" -eq 1 ]
	probes "$DEPLOY/kubernetes.yaml" | grep -q " ctl -c $PWD/group.ini check$"
	start_bg -c group.ini
	wait_for 30 all_pass "$DEPLOY/kubernetes.yaml"
	all_pass "$DEPLOY/nomad.hcl"
	kill -TERM "$ECG_PID"
	wait_bg
	[ "$STATUS" -eq 143 ]
	run -3 $(probes "$DEPLOY/nomad.hcl")
}

@test "the orchestrators' stop grace is longer than the stop bound --check prints" {
	run -0 --separate-stderr ecg --check -c "$DEPLOY/group.ini"
	local bound
	bound=$(printf '%s\n' "$output" | sed -n 's/^; once told to stop, it exits within \([0-9]*\)s (the stop bound)$/\1/p')
	[ -n "$bound" ]
	grep -q "^  terminationGracePeriodSeconds: 20$" "$DEPLOY/kubernetes.yaml"
	grep -q '^      kill_timeout = "20s"$' "$DEPLOY/nomad.hcl"
	grep -q "^TimeoutStopSec=20$" "$DEPLOY/ecg-run.service"
	[ "$bound" -lt 20 ]
	# the bound is the chain: worker after api, 5s each, plus 2s
	[ "$bound" -eq 12 ]
}

@test "the systemd unit: Type=notify, KillMode=mixed, ExecReload through ctl; systemd-analyze verify finds nothing" {
	grep -q "^Type=notify$" "$DEPLOY/ecg-run.service"
	grep -q "^KillMode=mixed$" "$DEPLOY/ecg-run.service"
	grep -q "^ExecReload=/usr/local/bin/ecg-run ctl -c /etc/ecg-run/group.ini signal HUP api$" \
		"$DEPLOY/ecg-run.service"
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not on this machine: the unit was not verified"
	sed "s#/usr/local/bin/ecg-run#$ECG_BIN#g; s#/etc/ecg-run/group.ini#$DEPLOY/group.ini#g" \
		"$DEPLOY/ecg-run.service" >app.service
	run -0 systemd-analyze verify "$PWD/app.service"
	echo "$output"
	[ -z "$output" ]
}

@test "under a service manager (NOTIFY_SOCKET), ecg-run says READY=1 once the group is ready and STOPPING=1 when it stops; ExecReload's ctl signals the task" {
	local_group
	timeout 60 python3 - >notify.log <<-'PY' &
	import os, socket
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	s.bind(os.path.abspath("manager.sock"))
	open("listening", "w").close()
	while True:
	    m = s.recv(4096).decode()
	    print(m, flush=True)
	    if "STOPPING=1" in m:
	        break
	PY
	local manager=$!
	wait_for 20 test -e listening
	NOTIFY_SOCKET=$PWD/manager.sock start_bg -c group.ini
	wait_for 30 grep -q "READY=1" notify.log
	# the worker does not catch HUP: it dies of it, and is restarted
	run -0 "$ECG_BIN" ctl -c group.ini signal HUP worker
	wait_for 20 grep -q "worker: killed by signal 1 (SIGHUP), restarting" err.txt
	kill -TERM "$ECG_PID"
	wait_bg
	wait "$manager"
	grep -q "STOPPING=1" notify.log
}
