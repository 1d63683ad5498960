// Cloudflare Workers / workerd: the .wasm is imported as a compiled module (code generation
// from bytes is not allowed there).
import wasmModule from "./unlock_tasks_bg.wasm";
import { initSync, UnlockClient, describeToken } from "./unlock_tasks.js";
import { extend } from "./extras.js";

initSync({ module: wasmModule });
extend(UnlockClient, { describeToken });

export * from "./api.js";
