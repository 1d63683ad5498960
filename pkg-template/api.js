// The public API, the same from every entry once its module is loaded: the generated glue's
// class and functions (its init functions stay inside) and the error class. Each entry loads
// the .wasm its own way, then re-exports this list; a new function is one line here (and its
// type in api.d.ts). The error class lives here too rather than in a module of its own: every
// import an entry's imports add is one more round trip before a page can fetch the .wasm.
export { UnlockClient, KeyGovernor, checkUnlockInput, checkEnrichInput, tokenFor, parseTaskResponse, creditsPerContact, providerFacts, proxyStatus, createdAnswer, readGroupHeader, resplitSize, describeToken } from "./unlock_tasks.js";

/**
 * The class of every error this package throws or rejects with. Errors are created inside the
 * WebAssembly module as plain `Error`s named "UnlockError"; this class recognises them, so
 * `err instanceof UnlockError` works in every runtime (and `err instanceof Error` too).
 */
export class UnlockError extends Error {
  static [Symbol.hasInstance](value) {
    return value instanceof Error && value.name === "UnlockError";
  }
}
