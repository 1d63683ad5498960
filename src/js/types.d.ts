/** Which task: the provider and what it finds. */
export type TaskKind = "lensmor.email" | "lensmor.phone" | "salesfinity.email";

/** The task as a whole. `unknown`: a status word this version does not know (polling goes on). */
export type TaskStatus = "pending" | "processing" | "completed" | "failed" | "unknown";

/**
 * One contact's outcome. `delivered` only when the provider says unlocked/completed AND the value
 * is present; `no-value` when it says so without a value; `not-found`: Salesfinity found nothing.
 */
export type ItemStatus = "pending" | "processing" | "delivered" | "failed" | "not-found" | "no-value" | "unknown";

export interface PollingOptions {
  /** Waits in ms: [0] from the create to the first poll, then after each poll; the last repeats. Default [3000, 5000, 10000, 20000]. */
  delaysMs?: number[] | undefined;
  /** Default deadline of every `waitForTask` (ms from its start). Default: none. */
  maxWaitMs?: number | undefined;
  /** 0..1: each wait is lengthened by up to this fraction, so clients drift apart. Default 0.1. */
  jitter?: number | undefined;
  /** Failed polls in a row (5xx, network, unreadable) before giving up. Default 5. */
  maxFailures?: number | undefined;
}

export interface ClientOptions {
  provider: "lensmor" | "salesfinity";
  /** The provider's key. Leave it out in browsers: point `baseUrl` at a proxy that adds it. */
  apiKey?: string | undefined;
  /** The provider, or a proxy in front of it. https only, except localhost. */
  baseUrl?: string | undefined;
  /** Lensmor's `x-call-source`. */
  callSource?: "api" | "agent" | undefined;
  polling?: PollingOptions | undefined;
  /** A request with no answer after this many ms fails as `network` (polls are retried). Default 30000. */
  requestTimeoutMs?: number | undefined;
  /** One budget for every request of this client. Default 110 requests per 60000 ms. */
  rateLimit?: { requests?: number | undefined; windowMs?: number | undefined } | undefined;
  /**
   * Most personnel ids per unlock, 1..2000. Default 2000, Lensmor's limit (OpenAPI 0.27; 0.25
   * took 100). Lower it for an account or deployment with a smaller limit.
   */
  maxBatch?: number | undefined;
  /**
   * Default true: in a browser, waits on one task share one poller across the tabs of this
   * origin (Web Locks elect the tab that polls, BroadcastChannel carries its snapshots, events
   * and result to the others; when it closes or freezes, another takes over). Where the
   * runtime lacks either API (Node, workerd, Deno, old browsers), each wait polls on its own.
   */
  shareAcrossTabs?: boolean | undefined;
  /**
   * Where the tokens of this client's running tasks are kept, so that after a reload (or in
   * another process) `running()` lists them and `resumeAll()` resumes them: `"local"` for
   * localStorage in a browser, or any object with `get`/`set`/`delete` (a server's database, an
   * edge KV). A started task (or group) is kept until its result was delivered to a caller. The
   * store holds tokens, never a key.
   */
  store?: "local" | UnlockStore | undefined;
  /**
   * Headers sent with every request, for a proxy that must know who calls (a session token):
   * an object, or a function called before each request (it may return a promise, so a token
   * can be refreshed). The package's own headers win on a clash.
   */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>) | undefined;
  /** The fetch to use instead of the global one (same signature). Redirects are never followed. */
  fetch?: ((input: string, init: RequestInit) => Promise<Response>) | undefined;
  /** Retries of a safe read (balance, precheck, contacts, getTask) after a 5xx, a network error or a short 429. Default 2. Creates are never retried. */
  maxRetries?: number | undefined;
  /** Called before every request: its method and URL (never a header, so never a key). */
  onRequest?: ((info: RequestInfo) => void) | undefined;
  /** Called after every request: status, duration and the provider's request id, or the error code. */
  onResponse?: ((info: ResponseInfo) => void) | undefined;
  /** Called when a request waits: for the client's rate budget, or to retry a safe read. */
  onWait?: ((info: WaitInfo) => void) | undefined;
}

/** The options of `enrichEmails`: a call's, and how many creates may run at once. */
export interface EnrichManyOptions extends CallOptions {
  /** Salesfinity creates at once (one profile each), 1 to 16. Default 4. They share the client's rate budget. */
  maxConcurrency?: number | undefined;
}

/** The options of `unlockEmails` and `unlockPhones`: a call's, and whether it may start a group. */
export interface UnlockOptions extends CallOptions {
  /**
   * Default true: a selection larger than one task (`maxBatch`), or one the provider refuses
   * for its size, starts as a group of tasks. `false` makes it one task or a refusal: more than
   * `maxBatch` contacts are a `validation` error, and a size refusal rejects with its `limit`.
   * For a server that relays one part of a browser's group (the browser's client re-splits).
   */
  group?: boolean | undefined;
}

/** The last argument of every method. */
export interface CallOptions {
  /**
   * Aborts the call: it rejects with code `aborted` and the signal's reason as `cause`. A start
   * is aborted only until its create is sent: a sent create completes, so its outcome is known.
   */
  signal?: AbortSignal | undefined;
  /**
   * Whose request this is, when one client serves many people (a server with one key): the
   * client's rate budget gives each user turns, so one user's hundred starts don't hold up
   * another's first. 1 to 512 bytes; absent, the call is the client's own.
   */
  user?: string | undefined;
}

export interface RequestInfo {
  method: "GET" | "POST";
  url: string;
}

export interface ResponseInfo extends RequestInfo {
  durationMs: number;
  /** The HTTP status, when an answer came. */
  status?: number;
  /** The provider's request id (Lensmor `X-Request-ID`), when it sent one. */
  traceId?: string;
  /** The error code, when no answer came (`network`, `aborted`). */
  error?: UnlockErrorCode;
}

export interface WaitInfo {
  reason: "rate-budget" | "retry";
  at: number;
  until: number;
  /** For a retry: what failed. */
  code?: UnlockErrorCode;
}

export interface UnlockInput {
  /** The event the contacts belong to, 1..100 characters. Optional: without it Lensmor does not check that each contact belongs to an event. */
  eventId?: string | undefined;
  /** 1..maxBatch ids; duplicates are removed and reported in `duplicates`. */
  personnelIds: Array<string | number>;
}

export interface EnrichInput {
  /** A `linkedin.com/in/<name>` profile URL. */
  linkedinUrl: string;
  type: "work" | "personal";
  /** Salesfinity POSTs here when done. The post is unsigned: confirm it with `getTask`. */
  callbackUrl?: string | undefined;
  /** Up to 256 characters, echoed back. */
  externalId?: string | undefined;
}

/**
 * What a start answered: a task to follow (`started: true`, with its `taskId` and `token`), or
 * nothing to do (`started: false`: every contact already unlocked or skipped; no task, no
 * charge). Narrow on `started` to get a `token` of type `string`.
 */
export type StartedTask = RunningTask | NothingStarted;

export interface RunningTask extends StartBase {
  started: true;
  /** The task's id; for a group, its first task's. */
  taskId: string;
  /**
   * Store this to resume polling after a reload or on another machine. Holds no secret. A
   * group's (`ug1.`) resumes every part; `waitForTask`, `getTask`, `pollOnce` and `watch` take
   * either kind.
   */
  token: string;
  /** A selection larger than one task started as a group: its tasks' ids, in order. */
  parts?: string[];
}

export interface NothingStarted extends StartBase {
  started: false;
  taskId: null;
  token: null;
}

export interface StartBase {
  kind: TaskKind;
  /** Epoch ms. */
  createdAt: number;
  /** true when a running task for the same selection was returned instead of creating another. */
  reused: boolean;
  providerStatus: string;
  /** Ids the provider skipped (already unlocked, unlocking, not in the event...). */
  skippedIds: string[];
  /** Every contact the provider skipped, with its reason: why it was not charged. */
  skipped: SkippedContact[];
  /** The provider's `skipped_detail`, as it sent it (null when absent). */
  skippedDetail: unknown;
  /** Ids given more than once and sent once. */
  duplicates: string[];
  /** The provider's request id of the create (quote it to support). */
  requestId?: string;
}

/**
 * Why a create did not charge a contact. `already-unlocked`: read its value with `getContact` or
 * `listContacts`; `unlocking`: another task has it; `missing`/`invalid`: no such contact;
 * `unlinked`: not in this event; `unspecified`: skipped without a reason.
 */
export type SkipReason = "already-unlocked" | "unlocking" | "missing" | "invalid" | "unlinked" | "unspecified";

export interface SkippedContact {
  id: string;
  reason: SkipReason;
}

/** Something odd in the provider's last answer; the rest of it was read. */
export type Anomaly =
  /** The entry at `index` of the answer's items has no usable id: it is not in `items`. */
  | { problem: "item-without-id"; index: number }
  /** The entry at `index` has an id but no status word: it is not in `items`. */
  | { problem: "item-without-status"; index: number; id: string }
  /** The id was listed more than once; the entry that says most was kept. */
  | { problem: "repeated-id"; id: string };

export interface Item {
  /** Lensmor: the personnel id. Salesfinity: the LinkedIn URL. */
  id: string;
  status: ItemStatus;
  /** The provider's own word. */
  providerStatus: string;
  /** The email or phone, only when delivered. */
  value?: string;
  /** Salesfinity: "work" or "personal". */
  valueType?: string;
  errorCode?: string;
  /** Charged under the published rules. */
  chargeable: boolean;
}

export interface Snapshot {
  kind: TaskKind;
  taskId: string;
  status: TaskStatus;
  providerStatus: string;
  done: boolean;
  items: Item[];
  externalId?: string;
  /** What was odd in the last answer (empty when nothing was). */
  anomalies: Anomaly[];
  /**
   * A group's tasks (a selection larger than one task), each with its own status; a part that
   * failed says why here, and the others' items are still reported. Absent for one task, whose
   * `taskId` is then the group's first.
   */
  parts?: PartState[];
  /** The provider's request id of the answer read (for `waitForTask`, the last poll's). */
  requestId?: string;
}

/** One task of a group. */
export interface PartState {
  taskId: string;
  status: TaskStatus;
  error?: { code: UnlockErrorCode; message: string; status?: number; errorKey?: string; traceId?: string };
}

/** A finished task: every item in exactly one outcome list, and its price. */
export interface TaskResult extends Snapshot {
  delivered: Item[];
  failed: Item[];
  notFound: Item[];
  noValue: Item[];
  /** Items left pending/processing/unknown, e.g. by a failed task. */
  unresolved: Item[];
  /** Credits by the published rules (15 per email, 150 per phone, 1 per found Salesfinity email); the balance is the truth. */
  credits: number;
}

export type PollStep =
  | { done: true; result: TaskResult; snapshot: Snapshot; token: string; nextPollAt: null }
  | { done: false; snapshot: Snapshot | null; token: string; nextPollAt: number };

export type UnlockEvent =
  | { type: "poll"; at: number; status: number | null }
  | { type: "wait"; at: number; until: number }
  | { type: "progress"; at: number; snapshot: Snapshot }
  | { type: "throttled"; at: number; resumeAt: number; retryAfterMs: number | null; traceId: string | null }
  | { type: "retrying"; at: number; resumeAt: number; failures: number; code: UnlockErrorCode; message: string; traceId: string | null };

export interface WaitOptions {
  signal?: AbortSignal | undefined;
  /** Whose task this is (see {@link CallOptions.user}): its polls take that user's turns. */
  user?: string | undefined;
  /** Called with each new state of the task (only when something changed). */
  onProgress?: ((snapshot: Snapshot) => void) | undefined;
  /** Called for every poll, wait, throttle and retry: a timeline. */
  onEvent?: ((event: UnlockEvent) => void) | undefined;
  /** Give up with `timeout` (and a resumable `token`) once the next poll would come later than this. */
  maxWaitMs?: number | undefined;
}

/** `checkUnlockInput`: the selection as it would be sent, and a key naming it in any order. */
export interface CheckedUnlock {
  /** Absent when the input named no event. */
  eventId?: string;
  personnelIds: string[];
  duplicates: string[];
  key: string;
}

/** Where a provider is and how its key is sent: `{ [authHeader]: authPrefix + key }`. */
export interface ProviderFacts {
  baseUrl: string;
  authHeader: string;
  authPrefix: string;
}

/** A store of running tasks' tokens (the client's `store` option); each method may be async. */
export interface UnlockStore {
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

/** A task (or group) a client's store keeps, as `running()` lists it. */
export interface KeptTask {
  kind: TaskKind;
  /** The task's id (a group's first part's). */
  taskId: string;
  token: string;
  /** When it was created, epoch ms. */
  startedAt: number;
  /** A group's parts; 1 for a task. */
  parts: number;
  /** The last progress a wait saw: contacts settled of the total. `null` before the first poll. */
  progress: { status: TaskStatus; settled: number; total: number } | null;
}

/** `describeToken`: what a token names, read without a client. */
export interface TokenInfo {
  kind: TaskKind;
  /** The task's id (a group's first part's). */
  taskId: string;
  /** The same for every token of this task (or group), however far its polling went. */
  key: string;
  /** When the task (a group's first part) was created, epoch ms. */
  createdAt: number;
  /** A group's parts; 1 for a task. */
  parts: number;
}

/**
 * `readGroupHeader`: what a group's part announces to a key-holding proxy in its
 * `x-unlock-group` header (sent only by a client without an `apiKey`).
 */
export interface GroupAnnouncement {
  /** 16 lowercase hex digits naming the whole selection, the same in every tab. */
  group: string;
  /** The contacts (or profiles) of the group not yet started, this part's included: 1 to 10,000. */
  rest: number;
}

/** `checkEnrichInput`: the lookup as it would be sent (canonical URL), and a key naming it. */
export interface CheckedEnrich {
  linkedinUrl: string;
  type: "work" | "personal";
  callbackUrl?: string;
  externalId?: string;
  key: string;
}

export interface Balance {
  balance: number;
  /** The provider's request id of the answer. */
  requestId?: string;
  /** Lensmor: when the subscription balance resets (epoch ms). */
  resetAt?: number;
}

/**
 * Lensmor's answer to "what would this unlock do?" (charges nothing, reserves nothing: recheck
 * right before spending). Every field is filled even when the provider left it out: `allowed`
 * false, counts 0, lists empty.
 */
export interface Precheck {
  allowed: boolean;
  shouldCharge: boolean;
  credits: number;
  /** `ok`, `already_unlocked`, `unlock_in_progress`, `insufficient_balance`, `exceed_max_unlock_limit`, ... */
  reasonCode: string;
  /** Lensmor's `biz_code`, for support. */
  bizCode: string;
  /** The contacts that would be charged. */
  chargeableIds: string[];
  /** Listed when the provider lists them (the counts below are always filled). */
  alreadyUnlockedIds: string[];
  unlockingIds: string[];
  missingIds: string[];
  invalidIds: string[];
  requestedCount: number;
  chargeableCount: number;
  alreadyUnlockedCount: number;
  unlockingCount: number;
  /** The provider's request id of the answer. */
  requestId?: string;
}

/** `listContacts`: one page of an event's contacts (Lensmor `GET /external/personnel/list`). */
/** Where Lensmor found a contact: as an exhibitor's staff, from social signals, or as a registered visitor. */
export type SourceType = "exhibitor" | "social" | "visitors";

export interface ContactQuery {
  /** 1..100 characters. */
  eventId: string;
  /** One-based. Default 1. */
  page?: number | undefined;
  /** 1..50. Default 50. */
  pageSize?: number | undefined;
  exhibitorId?: string | undefined;
  /** At most 100 characters. */
  department?: string | undefined;
  /** At most 50 characters. */
  level?: string | undefined;
  /** At most 200 characters. */
  searchQuery?: string | undefined;
  /** One or more attendee sources: a list, or text with the labels comma-separated. */
  sourceType?: SourceType | SourceType[] | string | undefined;
}

export interface Contact {
  id: string;
  fullName?: string;
  title?: string;
  companyName?: string;
  linkedinUrl?: string;
  /** Only `locked` contacts are charged by an email unlock. */
  emailStatus: "locked" | "unlocking" | "unlocked" | "failed" | "unknown";
  /** Lensmor's own word (`contactUnlockStatus`). */
  providerEmailStatus: string;
  /** Present once unlocked for this key. */
  email?: string;
  /** Lensmor `phoneUnlockStatus`; absent when no phone unlock was asked for. */
  phoneStatus?: "ready" | "processing" | "failed" | (string & {});
  /** Present once the phone is `ready`. */
  phone?: string;
}

export interface ContactPage {
  items: Contact[];
  total?: number;
  page: number;
  pageSize: number;
  totalPages?: number;
  hasMore: boolean;
  /** false: the page lies past this key's preview window (no items; not an error). */
  accessible: boolean;
  accessMode?: "preview" | "full" | (string & {});
  previewLimit?: number;
  /** Entries of the answer without a usable id, left out of `items`. */
  unreadable: number;
  requestId?: string;
}

export type UnlockErrorCode =
  | "validation" | "unauthorized" | "payment_required" | "not_found" | "conflict"
  | "rate_limited" | "server" | "network" | "timeout" | "aborted" | "protocol"
  /** The client's `store` failed: a start's error holds its `token` and `started`, so nothing is lost. */
  | "store";

/** The fields of every error this package rejects or throws with (`name` is "UnlockError"). */
export interface UnlockErrorFields {
  code: UnlockErrorCode;
  status?: number;
  errorKey?: string;
  traceId?: string;
  retryAfterMs?: number;
  /** For `validation`: the input at fault, e.g. "personnelIds[3]". */
  field?: string;
  details?: unknown;
  /**
   * The most contacts this account may select in one task: Lensmor's 422
   * `LEAD_SELECTION_LIMIT_EXCEEDED` (code `validation`, field `personnelIds`). Nothing was
   * created or charged; parts of at most this many are accepted.
   */
  limit?: number;
  /**
   * A group that stopped part-way (a 402, a 429, a network error at part k): the contacts that
   * did not start. The parts that did run on under `token`; starting these again starts only
   * them.
   */
  notStarted?: string[];
  /** For `timeout` and `aborted` of a wait, and a group stopped part-way: resume from here. */
  token?: string;
  /** For `store`: the start's answer (the task started; only the store failed). */
  started?: StartedTask;
}

/** `new KeyGovernor(options)`: one provider key's window (defaults: the client's 110 a minute;
 *  a server that is the key's only user may give the provider's documented 120). `saved` is
 *  what `save()` returned before a restart, read at `now` (epoch ms). */
export interface KeyGovernorOptions {
  requests?: number | undefined;
  windowMs?: number | undefined;
  saved?: string | undefined;
  now?: number | undefined;
}

/** One request asking a `KeyGovernor` for a place: the same `id` on every ask keeps it. */
export interface GovernorClaim {
  id: string;
  /** A person's start, then a person's read, then background polls. */
  priority: "start" | "read" | "poll";
  /** Whose request: users take turns when several wait. */
  user: string;
  /** When this request first asked (epoch ms): the longest waiting goes first. */
  since: number;
}

/** Send now and `settle(ticket, ...)` when the answer arrives, or ask again at `at`. */
export type Admission = { go: true; ticket: number } | { go: false; at: number };

/** What a `KeyGovernor` learns from an answer: its status and rate headers. */
export interface GovernorAnswer {
  status: number;
  headers?: Record<string, string> | undefined;
}
