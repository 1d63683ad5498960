// The public API, the same from every entry once its module is loaded: the generated glue's
// class and functions (its init functions stay inside) and the error class. Each entry loads
// the .wasm its own way, then re-exports this list; a new function is one line here (and its
// type in api.d.ts).
export { UnlockClient, checkUnlockInput, checkEnrichInput, tokenFor, parseTaskResponse, creditsPerContact, providerFacts, proxyStatus, createdAnswer } from "./unlock_tasks.js";
export { UnlockError } from "./errors.js";
