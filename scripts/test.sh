#!/usr/bin/env bash
# npm test: every test, from a fresh machine. Installs what is missing (scripts/setup.sh),
# then: native Rust tests -> build the package -> JS tests in Node -> the packed tarball ->
# browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --browser

echo "== native: cargo test"
cargo test --quiet

# The properties again with many more generated inputs (the fuzzing row of RELIABILITY.md).
CASES=5000
echo "== fuzz: tests/properties.rs with PROPTEST_CASES=$CASES"
PROPTEST_CASES=$CASES cargo test --quiet --test properties
echo "fuzz: $(grep -c '^    fn ' tests/properties.rs) properties x $CASES generated inputs each, no panic"

echo "== wasm: wasm-bindgen-test in Node and headless Chromium"
node scripts/wasm-tests.mjs

echo "== build: pkg/"
node scripts/build.mjs

echo "== node: the package against the sandbox"
node --test --test-reporter=spec tests/js/*.test.mjs

echo "== browser: headless Chromium (no bundler, esbuild)"
node --test --test-reporter=spec tests/browser/*.test.mjs

echo "== edge: workerd and Deno"
node --test --test-reporter=spec tests/edge/*.test.mjs
