#!/usr/bin/env bash
# The static checks and builds that `npm test` runs before vitest, in two lanes side by side: each
# lane is one single-threaded process at a time (tsc, eslint, prettier, ...), so on a 2-core machine
# the two finish in about the time of the longer one instead of the sum (~50 s instead of ~100 s
# here). A lane stops at its first failure; the script fails if either lane did, and prints each
# lane's output whole, one after the other, so nothing is interleaved.
set -uo pipefail
cd "$(dirname "$0")/.."

lane() {
  for script in "$@"; do
    echo "> npm run $script"
    # Unquoted on purpose: an entry may carry arguments ('build:examples -- --fixtures').
    # shellcheck disable=SC2086
    npm run -s $script || { echo "npm run $script failed"; return 1; }
  done
}

out1=$(mktemp)
out2=$(mktemp)
trap 'rm -f "$out1" "$out2"' EXIT
# build:examples reads nothing from dist/, so it need not wait for build. With --fixtures it also builds
# the Wasm runtime's test components (src/runtime-wasm/testdata), two at a time here: built on demand,
# the serial unit-wasm project built them one after another (about 80 s of a CI run's vitest time).
lane typecheck format:check lint:deps lock:check build >"$out1" 2>&1 &
pid1=$!
lane lint 'build:examples -- --fixtures' >"$out2" 2>&1 &
pid2=$!
wait "$pid1"
rc1=$?
wait "$pid2"
rc2=$?
cat "$out1" "$out2"
[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]
