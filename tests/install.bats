#!/usr/bin/env bats
# make install / uninstall honour PREFIX, DESTDIR and MANPREFIX; the
# binary is linked the way the Makefile says.

load helper

@test "make install puts the binary, both man pages and the examples in place; uninstall removes them" {
	local top="$BATS_TEST_DIRNAME/.." dest="$BATS_TEST_TMPDIR/dest"
	run make -s -C "$top" install DESTDIR="$dest" PREFIX=/opt/ecg MANPREFIX=/opt/man \
		VARIANT="$ECG_VARIANT" LINK="$(link_mode)"
	[ "$status" -eq 0 ]
	[ -x "$dest/opt/ecg/bin/ecg-run" ]
	[ -f "$dest/opt/man/man1/ecg-run.1" ]
	[ -f "$dest/opt/man/man5/ecg-run.ini.5" ]
	[ -f "$dest/opt/ecg/share/doc/ecg-run/examples/demo.ini" ]
	run "$dest/opt/ecg/bin/ecg-run" --check -c "$dest/opt/ecg/share/doc/ecg-run/examples/demo.ini"
	[ "$status" -eq 0 ]
	run make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/opt/ecg MANPREFIX=/opt/man
	[ "$status" -eq 0 ]
	[ -z "$(find "$dest" -type f)" ]
}

@test "ecg-run is linked as LINK says; by default one static file: no interpreter, no shared libraries" {
	command -v readelf >/dev/null || skip "readelf not installed"
	run readelf -l -d "$ECG_BIN"
	[ "$status" -eq 0 ]
	if [ "$(link_mode)" = static ]; then
		[[ "$output" != *"program interpreter"* ]]
		[[ "$output" != *"(NEEDED)"* ]]
		# still a position-independent executable: its addresses are randomized
		readelf -h "$ECG_BIN" | grep -q 'Type: *DYN'
	else
		[[ "$output" == *"(NEEDED)"*"libev"* ]]
	fi
}

@test "LINK must be static or dynamic" {
	run make -s -C "$BATS_TEST_DIRNAME/.." LINK=shared all
	[ "$status" -ne 0 ]
	[[ "$output" == *"LINK must be static or dynamic, not 'shared'"* ]]
}

@test "every example in conf/ passes --check" {
	local f
	for f in "$BATS_TEST_DIRNAME"/../conf/*.ini; do
		run ecg --check -c "$f"
		echo "$f: $output"
		[ "$status" -eq 0 ]
	done
}

@test "the man pages render without warnings" {
	command -v groff >/dev/null || skip "groff not installed"
	run --separate-stderr groff -man -Tutf8 -ww "$BATS_TEST_DIRNAME/../man/ecg-run.1"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	grep -q '^\.SH EXIT STATUS' "$BATS_TEST_DIRNAME/../man/ecg-run.1"
	run --separate-stderr groff -man -Tutf8 -ww "$BATS_TEST_DIRNAME/../man/ecg-run.ini.5"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "the usage text mirrors the man page SYNOPSIS" {
	run ecg --help
	local opt
	for opt in config check quiet verbose color timestamps no-prefix help version; do
		[[ "$output" == *"--$opt"* ]]
		sed 's/\\-/-/g' "$BATS_TEST_DIRNAME/../man/ecg-run.1" | grep -q -- "--$opt"
	done
}

@test "build outputs stay out of git's way: all under build/, which is ignored" {
	command -v git >/dev/null && git -C "$ECG_TOP" rev-parse --git-dir >/dev/null 2>&1 ||
		skip "not a git checkout"
	# the suite's own build has happened; whatever it made must be ignored
	git -C "$ECG_TOP" check-ignore -q "$ECG_BIN"
	local f bad=0
	while IFS= read -r f; do
		case $f in
		*.o | *.stamp | build/*) echo "untracked build output: $f" >&2; bad=1 ;;
		esac
		if [ "$(head -c 4 "$ECG_TOP/$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; then
			echo "untracked binary: $f" >&2
			bad=1
		fi
	done < <(git -C "$ECG_TOP" ls-files --others --exclude-standard)
	[ "$bad" -eq 0 ]
}

@test "VARIANT must be release, asan or dynamic" {
	run make -s -C "$ECG_TOP" VARIANT=debug all
	[ "$status" -ne 0 ]
	[[ "$output" == *"VARIANT must be release, asan or dynamic, not 'debug'"* ]]
}
