/// <reference lib="esnext.disposable" />
// (wasm-bindgen declares `[Symbol.dispose]` on UnlockClient; this lib names that symbol.)
export { UnlockClient, checkUnlockInput, checkEnrichInput, tokenFor, parseTaskResponse, creditsPerContact } from "./unlock_tasks.js";
export type {
  TaskKind, TaskStatus, ItemStatus, PollingOptions, ClientOptions, UnlockInput, EnrichInput,
  StartedTask, Item, Snapshot, TaskResult, PollStep, UnlockEvent, WaitOptions, Balance, Precheck,
  UnlockErrorCode, UnlockErrorFields, CheckedUnlock, CheckedEnrich, SkipReason, SkippedContact, Anomaly,
  ContactQuery, Contact, ContactPage,
} from "./unlock_tasks.js";
import type { UnlockErrorFields } from "./unlock_tasks.js";

/** Every error of this package: a real `Error` with a stable `code` and the provider's fields. */
export declare class UnlockError extends Error {
  name: "UnlockError";
}
// Declaration merging: the class has every field of UnlockErrorFields, declared once in Rust's types.
export interface UnlockError extends UnlockErrorFields {}
