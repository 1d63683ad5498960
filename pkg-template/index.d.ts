/// <reference lib="esnext.disposable" />
// (wasm-bindgen declares `[Symbol.dispose]` on UnlockClient; this lib names that symbol.)
import type { UnlockClient as GeneratedClient, ClientOptions, UnlockErrorFields, Snapshot, StartedTask, TaskResult, WaitOptions, KeptTask } from "./unlock_tasks.js";

export * from "./api.js";
export type {
  TaskKind, TaskStatus, ItemStatus, PollingOptions, ClientOptions, UnlockInput, EnrichInput,
  StartedTask, RunningTask, NothingStarted, StartBase, Item, Snapshot, TaskResult, PollStep, UnlockEvent,
  WaitOptions, Balance, Precheck, UnlockErrorCode, UnlockErrorFields, CheckedUnlock, CheckedEnrich,
  SkipReason, SkippedContact, Anomaly, ContactQuery, Contact, ContactPage, CallOptions, UnlockOptions,
  RequestInfo, ResponseInfo, WaitInfo, UnlockStore, KeptTask,
} from "./unlock_tasks.js";

/** What every client can do, whatever its provider. */
type Common = "creditBalance" | "getTask" | "waitForTask" | "pollOnce" | "free" | "baseUrl" | "shareAcrossTabs" | "store" | typeof Symbol.dispose;

/** What the package adds to every client in JavaScript. */
export interface ClientExtras {
  /**
   * Each new state of the task, as an async iterator; it ends when the task does, with the
   * result as its return value. Leaving the loop early stops the wait (the task runs on).
   * `for await (const snapshot of client.watch(token)) render(snapshot);`
   */
  watch(token: string, options?: { signal?: AbortSignal | undefined; user?: string | undefined; maxWaitMs?: number | undefined }): AsyncGenerator<Snapshot, TaskResult, undefined>;
  /** Starts and waits in one call: the result, or `null` when nothing needed unlocking. */
  complete(start: StartedTask | Promise<StartedTask>, options?: WaitOptions): Promise<TaskResult | null>;
  /** The running tasks (and groups) the client's `store` keeps, oldest first. */
  running(): Promise<KeptTask[]>;
  /**
   * Waits on every task the store keeps, under this client's one budget: each with its
   * `result`, or its `error` (a timeout or abort keeps it in the store for later).
   */
  resumeAll(options?: {
    signal?: AbortSignal | undefined;
    user?: string | undefined;
    maxWaitMs?: number | undefined;
    onProgress?: ((snapshot: Snapshot, task: KeptTask) => void) | undefined;
  }): Promise<Array<KeptTask & ({ result: TaskResult; error?: undefined } | { result?: undefined; error: UnlockError })>>;
}

/** A client made with `provider: "lensmor"`: only Lensmor's methods exist on it. */
export type LensmorClient = Pick<
  GeneratedClient,
  Common | "unlockEmails" | "unlockPhones" | "precheckEmails" | "precheckPhones" | "listContacts" | "getContact"
> & ClientExtras & { readonly provider: "lensmor" };

/** A client made with `provider: "salesfinity"`: only Salesfinity's methods exist on it. */
export type SalesfinityClient = Pick<GeneratedClient, Common | "enrichEmail" | "enrichEmails"> & ClientExtras & { readonly provider: "salesfinity" };

/**
 * Starts and follows unlock and enrichment tasks against one provider. The type of the client
 * follows `provider`, so calling another provider's method is a compile error.
 */
export declare const UnlockClient: {
  new (options: ClientOptions & { provider: "lensmor" }): LensmorClient;
  new (options: ClientOptions & { provider: "salesfinity" }): SalesfinityClient;
  new (options: ClientOptions): LensmorClient | SalesfinityClient;
  readonly prototype: LensmorClient | SalesfinityClient;
};
export type UnlockClient = LensmorClient | SalesfinityClient;

/** Every error of this package: a real `Error` with a stable `code` and the provider's fields. */
export declare class UnlockError extends Error {
  name: "UnlockError";
}
// Declaration merging: the class has every field of UnlockErrorFields, declared once in Rust's types.
export interface UnlockError extends UnlockErrorFields {}
