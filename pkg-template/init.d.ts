// "unlock-tasks/init": the same API, loaded when you say and from where you say.
export * from "./index.js";

/**
 * Loads the WebAssembly module; call it (once) before using the API. `source` defaults to the
 * .wasm next to this file; give a URL (a CDN), a Response, the bytes or a compiled module to
 * load it from elsewhere. A failed load rejects with an `UnlockError` (code `network`, the
 * failure as `cause`) and may be retried.
 */
export declare function init(source?: URL | string | Response | Promise<Response> | BufferSource | WebAssembly.Module): Promise<void>;
