#!/bin/sh
# Installs the tools the benchmark compares ecg-run with, saying what it
# runs: GNU parallel and ruby-foreman from Debian, concurrently from npm
# (into BENCH_CACHE, outside the source tree).  Node.js and npm come from
# Debian when there is no node here yet.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ecg-run-bench}
CONCURRENTLY_VERSION=9.2.5	# the last line that runs on Debian 12's Node.js 18

pkgs="parallel ruby-foreman procps"
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
# shellcheck disable=SC2086
sh "$HERE/../deps.sh" $pkgs

if [ "$("$CACHE/node_modules/.bin/concurrently" --version 2>/dev/null)" != "$CONCURRENTLY_VERSION" ]; then
	mkdir -p "$CACHE"
	echo "+ npm install --prefix $CACHE concurrently@$CONCURRENTLY_VERSION"
	npm install --no-audit --no-fund --loglevel=error --prefix "$CACHE" \
		"concurrently@$CONCURRENTLY_VERSION"
fi
# GNU parallel asks for a citation once unless told it was seen.
mkdir -p "$HOME/.parallel" && touch "$HOME/.parallel/will-cite"
