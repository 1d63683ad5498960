// Loading you control: nothing is fetched until `init()` is called, it may be told where the
// .wasm is (a CDN URL, a Response, bytes, a compiled module), and a failed load is a rejected
// promise app code can catch. The API is the same as the default entry's, once `init()` has
// resolved.
import load, { UnlockClient, describeToken } from "./unlock_tasks.js";
import { extend } from "./extras.js";

let loading = null;

/** Loads the WebAssembly module once; later calls return the same promise (a failed load may be retried). */
export function init(source = new URL("./unlock_tasks_bg.wasm", import.meta.url)) {
  loading ??= load({ module_or_path: source }).then(
    () => extend(UnlockClient, { describeToken }),
    (cause) => {
      loading = null;
      throw Object.assign(new Error(`unlock-tasks could not load its WebAssembly module: ${cause?.message ?? cause}`), { name: "UnlockError", code: "network", cause });
    },
  );
  return loading;
}

export * from "./api.js";
