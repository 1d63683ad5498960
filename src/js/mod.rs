//! The `#[wasm_bindgen]` facade (wasm32 only): JS types in, core calls, JS types out.
//!
//! - `client`: the `UnlockClient` class;
//! - `checks`: input checks and tokens for servers, without a client;
//! - `watch`: one poll loop per task shared by all its waiters;
//! - `io`: `fetch`, timers and the clock;
//! - `registry`: the client's small maps;
//! - `convert`: option objects in, JSON views and `UnlockError`s out;
//! - `types.d.ts`: the TypeScript shapes, emitted into the generated `.d.ts`.

mod checks;
mod client;
pub use client::UnlockClient;
mod convert;
mod hooks;
mod io;
mod registry;
mod watch;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");
