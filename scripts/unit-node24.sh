#!/usr/bin/env bash
# Runs the unit projects under Node 24 (the current LTS) beside the machine's Node; `npm run test:unit:node24`.
#
# Node 24 is npm's `node` package (its preinstall fetches `node-<platform>-<arch>` from the npm registry,
# which holds the official binary); nothing else is downloaded. It is cached outside the checkout, in
# ~/.cache/edgeplane/node24 (EDGEPLANE_NODE24_DIR to move it), and reused while it is a 24.x. npm is
# called with --prefix: it must never climb to the project's package.json and install into node_modules.
#
# No native addon needs rebuilding for Node 24's ABI: the hub store uses the built-in `node:sqlite` there
# (src/hub/store/default-driver.ts) and never loads better-sqlite3, whose node_modules build is for the
# machine's Node. Were anything to load it, the ABI mismatch would fail the run loudly.
# Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${EDGEPLANE_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/edgeplane/node24}

node24=$dir/runtime/node_modules/node/bin/node
if [ ! -x "$node24" ] || [ "$("$node24" -p 'process.versions.node.split(".")[0]')" != 24 ]; then
  rm -rf "$dir/runtime"
  mkdir -p "$dir/runtime"
  # `node@24`: the newest 24.x on npm. Its preinstall script is what fetches the binary package.
  npm install --prefix "$dir/runtime" --no-save --no-package-lock --no-audit --no-fund --loglevel=error node@24
fi

echo "unit tests under Node $("$node24" --version)"
# Node 24 first on PATH: child processes the tests start with `node` get it too.
export PATH="$(dirname "$node24"):$PATH"
# Every unit file, and every Wasm runtime file but two, to keep CI inside its time budget: the
# outgoing-HTTP API details (outgoing-http: wasi:http error codes, bodies, poll — jco's bindings, the
# same on any Node) and the pools' placement logic (pools). Node 24 still runs guests calling out
# through blocked executors (outgoing-executors), memory limits, commands, the filesystem and the
# transpile cache. Both run in full under the machine's Node.
# Its JSON report under CI (vitest.config.ts) is .cache/vitest-report-node24.json, beside the main run's.
export EDGEPLANE_VITEST_REPORT=${EDGEPLANE_VITEST_REPORT:-node24}
exec "$node24" node_modules/vitest/vitest.mjs run --project unit --project unit-wasm \
  --exclude src/runtime-wasm/outgoing/outgoing-http.test.ts \
  --exclude src/runtime-wasm/pools/pools.test.ts "$@"
