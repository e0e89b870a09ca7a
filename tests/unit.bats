#!/usr/bin/env bats
# The C unit tests of the small modules, each a TAP program.

load helper

unit() {
	run $ECG_RUN_WRAP "$ECG_BUILD/tests/unit/test_$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"not ok"* ]]
	[[ "$output" == *"1.."* ]]
}

@test "unit: ring buffer" { unit ring; }
@test "unit: context" { unit context; }
@test "unit: errgroup" { unit errgroup; }
@test "unit: channel" { unit channel; }
@test "unit: value parsers" { unit value; }
@test "unit: ERE matcher (ready = line), also against glibc" { unit ere; }
@test "unit: config loader" { unit config; }
@test "unit: the one table of keys (every key read, inherited, printed, loaded back)" { unit keys; }
@test "unit: plain commands" { unit command; }
@test "unit: growable text buffer" { unit buf; }
@test "unit: the one clock" { unit clock; }
@test "unit: string index (the loader's names)" { unit strmap; }
@test "unit: who holds a port (ready = tcp, http)" { unit portown; }
@test "unit: line framing (golden strings)" { unit frame; }
@test "unit: ecg-run's messages on the output pump" { unit notes; }
@test "unit: per-task log files" { unit logfile; }
@test "unit: out of memory while setting up" { unit alloc; }
@test "unit: escapees" { unit escapees; }
@test "unit: task transition table" { unit taskstate; }
@test "unit: restart decision" { unit restart; }
@test "unit: every cell of the table, in a fake world" { unit task; }
@test "unit: dependency graph" { unit deps; }
@test "unit: tcp and http readiness probes" { unit netprobe; }
@test "unit: notify sockets (sd_notify)" { unit notify; }
@test "unit: the stop policy on real processes (SIGCONT only to a group still there)" { unit proc; }
@test "unit: the control protocol's requests (JSON)" { unit json; }
@test "unit: where the control socket lives" { unit sockpath; }
@test "unit: the control socket (clients, limits, streams)" { unit server; }
@test "unit: env_file lines (dotenv) and ${NAME} in values" { unit dotenv; }

@test "unit: every unit test of tests/unit is run here, as make builds them all" {
	local src name missing=""
	for src in "$BATS_TEST_DIRNAME"/unit/test_*.c; do
		name=${src##*/test_}
		name=${name%.c}
		grep -q "{ unit $name; }" "$BATS_TEST_FILENAME" || missing="$missing $name"
		[ -x "$ECG_BUILD/tests/unit/test_$name" ] || missing="$missing $name(not built)"
	done
	echo "missing:$missing"
	[ -z "$missing" ]
}

@test "unit: an escapee's reused pid is never signalled (PID namespace)" {
	[ "$(id -u)" -eq 0 ] || skip "needs root for unshare --pid"
	command -v unshare >/dev/null || skip "unshare not installed"
	unshare --pid --fork --mount-proc true 2>/dev/null || skip "PID namespaces not available here"
	run $ECG_RUN_WRAP unshare --pid --fork --mount-proc "$ECG_BUILD/tests/unit/test_escapees" reuse
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"not ok"* ]]
	[[ "$output" == *"1.."* ]]
}
