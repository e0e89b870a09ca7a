#!/usr/bin/env bats
# The shape of src/: one folder per layer, each with a README, and
# headers included only from the same layer or one below it.

load helper

@test "src: every file is in a layer's folder with a README, and includes only downward" {
	run sh "$BATS_TEST_DIRNAME/layers.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "src: the layer check finds an upward include, a file outside the layers and a missing README" {
	cp -r "$BATS_TEST_DIRNAME/../src" "$BATS_TEST_DIRNAME/../Makefile" .
	printf '#include "task/task.h"\n' >>src/seed/context.h
	run sh "$BATS_TEST_DIRNAME/layers.sh" .
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'src/seed/context.h: includes "task/task.h" from a layer above its own (seed)'* ]]
	cp -r "$BATS_TEST_DIRNAME/../src/seed/context.h" src/seed/context.h
	touch src/stray.c
	rm src/run/README.md
	printf '#include "clock.h"\n' >>src/base/buf.c
	run sh "$BATS_TEST_DIRNAME/layers.sh" .
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"src/stray.c: not in a layer's folder"* ]]
	[[ "$output" == *"src/run: no README.md"* ]]
	[[ "$output" == *'src/base/buf.c: includes "clock.h" without its layer'* ]]
}

@test "src: every .c file of a layer is built (MODULES), and nothing else is" {
	local listed found
	listed=$(awk '/^MODULES = / { on = 1 } on { print; if ($0 !~ /\\$/) exit }' \
		"$BATS_TEST_DIRNAME/../Makefile" | tr ' \\\t' '\n\n\n' | grep / | sort)
	found=$(cd "$BATS_TEST_DIRNAME/../src" && ls */*.c | sed 's/\.c$//' | grep -v '^front/main$' | sort)
	echo "listed: $listed"
	echo "found: $found"
	[ -n "$listed" ]
	[ "$listed" = "$found" ]
}

@test "src/front/layout.ld names every function of ecg-run's own, run or not (after adding one: make layout)" {
	command -v nm >/dev/null || skip "nm not installed"
	# another variant's -O1 keeps functions out of line that -O2 inlines
	[ "$ECG_VARIANT" = release ] || skip "the layout is the release build's"
	compgen -G "$ECG_BUILD/src/*/*.o" >/dev/null || skip "no objects in $ECG_BUILD"
	local ld=$BATS_TEST_DIRNAME/../src/front/layout.ld have listed missing
	have=$(for o in "$ECG_BUILD"/src/*/*.o; do nm --defined-only "$o"; done |
		awk '$2 ~ /^[tT]$/ {print $3}' |
		sed -E 's/\.(constprop|isra|part|cold)\.[0-9]+//g' | grep -v -e '^_' -e '\.' | sort -u)
	listed=$({ sed -n -E 's/^ +\*\(\.text\.([^ ]+) .*/\1/p' "$ld"
		sed -n 's/^ \* cold: //p' "$ld" | tr ' ' '\n'; } | sort -u)
	[ "$(echo "$have" | wc -l)" -gt 300 ]
	missing=$(comm -23 <(echo "$have") <(echo "$listed"))
	echo "not in src/front/layout.ld (make layout writes it again): $missing"
	[ -z "$missing" ]
}

@test "the static release build has the code a group runs in a section of its own, before the rest" {
	command -v readelf >/dev/null || skip "readelf not installed"
	[ "$ECG_VARIANT" = release ] && [ "$(link_mode)" = static ] || skip "not the static release build"
	run readelf -SW "$ECG_BIN"
	[ "$status" -eq 0 ]
	hot=$(echo "$output" | awk '$2 == ".text.ecg_hot" {print $4}')
	text=$(echo "$output" | awk '$2 == ".text" {print $4}')
	[ -n "$hot" ] && [ -n "$text" ]
	[ $((16#$hot)) -lt $((16#$text)) ]
}
