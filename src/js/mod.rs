//! The `#[wasm_bindgen]` facade (wasm32 only): JS types in, core calls, JS types out.
//!
//! - `client`: the `UnlockClient` class, its methods short: read the input, call the core
//!   through `shared`, give back the view;
//! - `shared`: what a client and its tasks share (settings, budget, starts, loops) and send;
//! - `inputs`: start, precheck and contact inputs read into the core's types;
//! - `call`: the last argument of every method (`{ signal, user }`);
//! - `headers`: the `headers` option;
//! - `checks`: input checks and tokens for servers, without a client;
//! - `governor`: `KeyGovernor`, one key's window shared by a server's users;
//! - `group`: a selection larger than one task, started part by part;
//! - `watch`: one poll loop per task shared by all its waiters;
//! - `io`: `fetch`, timers and the clock;
//! - `registry`: the client's small maps;
//! - `convert`: option objects in, JSON views and `UnlockError`s out;
//! - `types.d.ts`: the TypeScript shapes, emitted into the generated `.d.ts`.

mod call;
mod checks;
mod client;
pub use client::UnlockClient;
mod convert;
mod governor;
mod group;

mod headers;
mod hooks;
mod inputs;
mod io;
mod registry;
mod shared;
mod watch;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");
