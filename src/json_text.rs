//! JSON text to and from `serde_json::Value`, the core's model of JSON: serde_json, natively
//! and in the wasm build alike, so the native tests read answers with the very parser users run.
//!
//! The host's `JSON.parse` was the wasm build's parser until issue 12: it is smaller, but it
//! turns an integer id above 2^53 into a float (a task created and paid for, then unfollowable),
//! and walking its result into a `Value` cost one boundary call per value. BENCHMARKS.md
//! compares the candidates.

use serde_json::Value;

pub(crate) fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}
