#!/bin/sh
# Checks the shape of src/: every file is in a layer's folder, each folder
# has a README, and a file includes only headers of its own layer or of
# layers before it (the order is the Makefile's LAYERS).  Prints each
# breach; exits 1 if there is one.  ROOT (default: the project's) holds
# the Makefile and src/.
#
# usage: layers.sh [ROOT]
set -eu
cd "${1:-$(dirname "$0")/..}"
layers=$(sed -n 's/^LAYERS = //p' Makefile)
[ -n "$layers" ] || { echo "no LAYERS in the Makefile"; exit 1; }
rank() {
	i=0
	for l in $layers; do
		[ "$l" = "$1" ] && { echo "$i"; return; }
		i=$((i + 1))
	done
	echo -1
}
bad=0
for f in src/*; do
	[ -d "$f" ] || { echo "$f: not in a layer's folder"; bad=1; continue; }
	[ "$(rank "${f#src/}")" -ge 0 ] || { echo "$f: a folder that is no layer"; bad=1; }
	[ -f "$f/README.md" ] || { echo "$f: no README.md"; bad=1; }
done
for f in src/*/*.c src/*/*.h; do
	layer=${f#src/}
	layer=${layer%%/*}
	own=$(rank "$layer")
	for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		case "$inc" in
		*/*) ;;
		*) echo "$f: includes \"$inc\" without its layer"; bad=1; continue ;;
		esac
		to=$(rank "${inc%%/*}")
		if [ "$to" -lt 0 ] || [ ! -f "src/$inc" ]; then
			echo "$f: includes \"$inc\", which is not in src"
			bad=1
		elif [ "$to" -gt "$own" ]; then
			echo "$f: includes \"$inc\" from a layer above its own ($layer)"
			bad=1
		fi
	done
done
exit $bad
