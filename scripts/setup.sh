#!/usr/bin/env bash
# Installs what building and testing need, on a fresh machine; skips what is already there.
#   the wasm32 target, wasm-bindgen-cli at the version pinned in Cargo.toml, npm packages,
#   and (with --browser) Debian's chromium + chromium-driver.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

pinned=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$pinned" ]; then
  echo "installing wasm-bindgen-cli $pinned (about 4 minutes on 2 cores)"
  # No --locked: a dependency pinned in its lock file is missing from the registry here.
  cargo install --quiet wasm-bindgen-cli --version "$pinned"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm ci` refuses this lock file here: the registry this machine reaches has no entries for
  # deno's and workerd's other-platform builds, so the lock cannot list them. `npm install`
  # still installs the locked versions of everything that resolves.
  npm ci --no-audit --no-fund --loglevel=silent 2>/dev/null || npm install --no-audit --no-fund --loglevel=error
fi

if [ "${1:-}" = "--browser" ] && ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi
