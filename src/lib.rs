//! # unlock-tasks
//!
//! Start contact unlock and enrichment tasks (Lensmor email, Lensmor phone, Salesfinity email),
//! poll them with the providers' backoff until they finish, and resume polling from a stored
//! token after a reload or on another machine.
//!
//! This crate root is the pure-Rust core, with no I/O and no wasm dependency:
//! - [`validate`]: every input checked before any request (nothing is spent on bad input);
//! - [`providers`]: requests built from validated input, responses read into [`model`];
//! - [`schedule`]: when to poll; [`poller`]: the sans-IO state machine that drives a task;
//! - [`token`]: the resume token, [`group_token`] a group's (a selection of many tasks);
//!   [`error`]: the one error type with stable codes.
//!
//! A driver (the wasm facade, an edge worker step, a test with a virtual clock) does the I/O.

// `Error` carries the provider's traceId, errorKey and details next to the message, which puts
// it past clippy's 128-byte threshold. Errors are the cold path, the `Ok` types returned beside
// them (a `Poller`, a `Snapshot`) are larger still, and boxing would make every field access
// at the JavaScript boundary clumsier for no measurable gain.
#![allow(clippy::result_large_err)]

pub mod budget;
pub mod config;
pub mod contacts;
pub mod error;
pub mod governor;
pub mod group;
pub mod group_header;
pub mod group_start;
pub mod group_token;
mod hash;
pub mod http;
#[cfg(target_arch = "wasm32")]
mod js;
mod json_out;
pub mod json_view;
pub mod kind;
pub mod model;
pub mod options;
mod order;
pub mod poller;
pub mod providers;
pub mod retry;
pub mod schedule;
pub mod token;
pub mod tracking;
pub mod validate;
mod varint;

pub use budget::RateBudget;
pub use contacts::{Contact, ContactPage, ContactQuery, UnlockState};
pub use error::{Error, ErrorCode};
pub use governor::{Admission, Claim, Governor, Priority};
pub use group::GroupPoller;
pub use group_token::{GroupToken, PartToken};
pub use http::{HttpRequest, HttpResponse, Method, Millis};
pub use kind::{Provider, TaskKind};
pub use model::{Anomaly, Item, ItemState, PartState, Snapshot, Summary, TaskResult, TaskStatus};
pub use poller::{Action, Event, Poller, Step};
pub use providers::{Balance, CallSource, Created, Endpoint, Precheck, SkipReason, Skipped};
pub use schedule::{PollingConfig, Schedule};
pub use token::ResumeToken;
pub use validate::{EmailType, Enrichment, Selection};

#[cfg(target_arch = "wasm32")]
pub use js::UnlockClient;

/// The .wasm's allocator: talc, smaller than the default dlmalloc (BENCHMARKS.md, issue 22).
/// The module runs on one thread (no atomics), which its wasm allocator assumes.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
