// Node through import: the .wasm is read synchronously, so there is no top-level await.
// (require() gets node.cjs: the same glue and .wasm, as CommonJS.)
import { readFileSync } from "node:fs";
import { initSync, UnlockClient, describeToken } from "./unlock_tasks.js";
import { extend } from "./extras.js";

initSync({ module: readFileSync(new URL("./unlock_tasks_bg.wasm", import.meta.url)) });
extend(UnlockClient, { describeToken });

export * from "./api.js";
