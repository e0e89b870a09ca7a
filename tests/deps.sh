#!/bin/sh
# Installs the Debian packages named as arguments that are not installed
# yet, saying what it runs.  Used by "make run" and "make check".
set -eu

missing=
for pkg in "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case $status in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	echo "ecg-run: missing Debian packages:$missing" >&2
	echo "ecg-run: run as root: apt-get install$missing" >&2
	exit 1
fi
echo "ecg-run: installing missing Debian packages:$missing"
echo "+ ${sudo:+$sudo }apt-get update"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
echo "+ ${sudo:+$sudo }apt-get install -y$missing"
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
