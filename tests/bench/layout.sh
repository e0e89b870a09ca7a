#!/usr/bin/env bash
# layout.sh: writes src/front/layout.ld, the order of ecg-run's code in its
# static binary: the functions a group runs come first, together; the rest
# (the ctl client, ad-hoc groups, Procfiles, JUnit, most of libc) after.
#
#   tests/bench/layout.sh [OUT]      (make layout runs it; OUT defaults to src/front/layout.ld)
#
# Why: the kernel maps a file's pages around each page a process touches
# (fault-around, and whole large folios), so code that runs once pulls in
# its neighbours.  With the code a group runs in one place, an idle group
# of 200 tasks maps about 300 KiB of the binary instead of all 860 KiB
# (tests/bench/RESULTS.md, W5a).  The order changes nothing but where code
# lies: a function missing from the list still runs, from further away.
#
# How: callgrind lists every function executed while ecg-run runs a few
# groups (idle tasks stopped by SIGTERM; tasks that print and one that
# fails; a readiness chain; the control socket asked for status).  Each is
# named in the script by its section (our objects are compiled with
# -ffunction-sections: .text.NAME) or, for libc, libev and inih, by its
# archive member.  Under valgrind glibc picks other string functions than
# on the machine (ifunc), and a few start-up paths differ: so every
# variant of a string function listed is listed, and NATIVE_* below name
# what runs natively only (found with perf's page-fault events: perf record
# -e page-faults -d on an idle group shows no fault in the code after the
# listed part).  Needs valgrind, and a release build (-ffunction-sections).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$TOP/src/front/layout.ld}
ECG=${ECG:-$TOP/build/ecg-run}
LIBDIR=$(dirname "$(gcc -print-file-name=libc.a)")

# What runs natively and not under valgrind: libc's start-up of a static
# PIE (valgrind enters it elsewhere), and a task's child before its exec
# (it shares our memory, so its pages count as ours; callgrind does not
# follow it): the spawn path by clone, and what child() in spawn.c calls.
NATIVE_MEMBERS="libc-start.o dl-object.o dl-setup_hash.o dl-lookup.o getpagesize.o
	pthread_mutex_lock.o pthread_mutex_unlock.o sysconf.o sigabbrev_np.o
	clone.o clone3.o close_range.o chdir.o dup2.o execve.o getpid.o getppid.o ioctl.o prctl.o
	setrlimit.o setrlimit64.o setsid.o setpgid.o sigprocmask.o syscall.o umask.o unshare.o
	setuid.o setgid.o setgroups.o"
NATIVE_FUNCS="child child_fail child_stack child_entry"

note() { printf 'layout: %s\n' "$*" >&2; }

work=$(mktemp -d)
if [ -n "${LAYOUT_KEEP:-}" ]; then
	note "keeping $work"
else
	trap 'rm -rf "$work"' EXIT
fi

command -v valgrind >/dev/null || { note "needs valgrind"; exit 1; }
[ -x "$ECG" ] || { note "no $ECG: make first"; exit 1; }

# run_cg NAME SECONDS ARGS...: ecg-run under callgrind, SIGTERM after SECONDS (0: none)
run_cg() {
	local name=$1 secs=$2 pid
	shift 2
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.$name" \
		"$ECG" "$@" >"$work/out.$name" 2>&1 </dev/null &
	pid=$!
	if [ "$secs" != 0 ]; then
		sleep "$secs"
		kill -TERM "$pid" 2>/dev/null || true
	fi
	wait "$pid" || true
}

{
	echo "[group]"
	echo "stop_timeout = 5s"
	for i in $(seq 0 49); do printf '\n[s%d]\ncommand = sleep 1000\n' "$i"; done
} >"$work/idle.ini"
{
	echo "[group]"
	for i in 0 1 2 3; do
		printf '\n[p%d]\ncommand = for i in $(seq 200); do echo line $i; echo err $i >&2; done; printf partial; sleep 5\n' "$i"
	done
	printf '\n[fail]\ncommand = sleep 1; exit 3\n'
} >"$work/out.ini"
{
	echo "[group]"
	printf '\n[db]\ncommand = sleep 1; echo ready; sleep 1000\nready = line ^ready$\n'
	printf '\n[web]\ncommand = sleep 1000\nafter = db\n'
	printf '\n[once]\ncommand = true\nready = exited\n'
	printf '\n[probe]\ncommand = sleep 1000\nready = command true\nafter = once\n'
} >"$work/chain.ini"

note "profiling (under valgrind, about 20 s)"
run_cg idle 4 -c "$work/idle.ini"
run_cg out 0 -c "$work/out.ini"
run_cg quiet 4 -q --control none -c "$work/idle.ini"
( sleep 5; "$ECG" ctl -c "$work/chain.ini" status >/dev/null 2>&1 || true ) &
run_cg chain 7 -c "$work/chain.ini"
wait

# every function executed, without GCC's clone suffixes
cat "$work"/cg.* | sed -n -E 's/^c?fn=\([0-9]+\) (.*)$/\1/p' |
	sed -E "s/'[0-9]+$//; s/\.(constprop|isra|part|cold|lto_priv)\.[0-9]+//g" | sort -u >"$work/exec"

# symbol -> where it is defined
# (global ones only: a static helper's name, read_int say, is in many
# members, and callgrind does not say which one ran)
members() {	# members ARCHIVE: "symbol member" for each global function
	nm -A --defined-only "$1" 2>/dev/null | awk '$(NF-1) ~ /^[TWi]$/ {
		n = split($1, a, ":"); print $NF, a[n - 1] }' |
		sed -E 's/\.(constprop|isra|part|cold)\.[0-9]+//g' | sort -u
}
members "$LIBDIR/libc.a" >"$work/libc"
members "$LIBDIR/libev.a" >"$work/libev"
members "$(dirname "$(gcc -print-file-name=libinih.a)")/libinih.a" >"$work/libinih" || true
for o in "$TOP"/build/src/*/*.o; do
	nm --defined-only "$o" | awk '$2 ~ /[tT]/ {print $3}'
done | sed -E 's/\.(constprop|isra|part|cold)\.[0-9]+//g' | sort -u >"$work/ours"

hot_libc=$( { join "$work/exec" "$work/libc" | awk '{print $2}'; printf '%s\n' $NATIVE_MEMBERS; } | sort -u)
# a string function's variants (memchr.o chooses among memchr-avx2.o,
# memchr-evex.o, ...): glibc picks one for the CPU it runs on
ar t "$LIBDIR/libc.a" | sort -u >"$work/libc.members"
variants=$(printf '%s\n' "$hot_libc" | sed -E 's/-.*//; s/\.o$//' | sort -u |
	while read -r b; do grep -q -E "^$b-(avx|evex)" "$work/libc.members" && echo "$b"; done || true)
{
	echo "/*"
	echo " * Written by tests/bench/layout.sh (make layout): the code ecg-run runs in a"
	echo " * group, first and together, so that an idle group maps less of its binary."
	echo " * Linked into the static release build only; the order is all it changes."
	echo " */"
	echo "SECTIONS"
	echo "{"
	echo "  .text.ecg_hot :"
	echo "  {"
	echo "    *crt1.o(.text .text.*)"
	echo "    *crtbegin*.o(.text .text.*)"
	{ comm -12 "$work/exec" "$work/ours"; printf '%s\n' $NATIVE_FUNCS; } | sort -u |
		while read -r f; do echo "    *(.text.$f .text.$f.*)"; done
	printf '%s\n' "$hot_libc" | grep -v -E -- "^($(printf '%s\n' $variants | paste -sd'|'))-" |
		while read -r m; do echo "    *libc.a:$m(.text .text.*)"; done
	# the AVX2 and AVX-512 (evex) ones: what a machine of the last ten years picks
	for b in $variants; do
		grep -E "^$b-(avx|evex)" "$work/libc.members" | grep -v -- '-rtm' |
			while read -r m; do echo "    *libc.a:$m(.text .text.*)"; done
	done
	[ -s "$work/libev" ] && echo "    *libev.a:ev.o(.text)"
	[ -s "$work/libinih" ] && echo "    *libinih.a:*(.text)"
	echo "  }"
	echo "}"
	echo "INSERT BEFORE .text;"
	echo ""
	echo "/*"
	echo " * Our functions the profile did not run, left in .text after the ones above"
	echo " * (tests/layout.bats checks that every function of ours is named here or above:"
	echo " * after adding one, run make layout)."
	comm -23 "$work/ours" <({ comm -12 "$work/exec" "$work/ours"; printf '%s\n' $NATIVE_FUNCS; } |
		sort -u) | fmt -w 90 | sed 's/^/ * cold: /'
	echo " */"
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
note "wrote $OUT: $(comm -12 "$work/exec" "$work/ours" | wc -l) of our functions, $(printf '%s\n' "$hot_libc" | wc -l) libc members"
