// Browsers, bundlers and Deno: the .wasm is found next to this file via import.meta.url and
// loaded before the first call (top-level await), so no init() is needed. To choose where the
// .wasm comes from, or to catch a failed load, import "unlock-tasks/init" instead.
import init, { UnlockClient, describeToken } from "./unlock_tasks.js";
import { extend } from "./extras.js";

await init({ module_or_path: new URL("./unlock_tasks_bg.wasm", import.meta.url) });
extend(UnlockClient, { describeToken });

export * from "./api.js";
