// Node (import and require): the .wasm is read synchronously, so there is no top-level await
// and `require("unlock-tasks")` works too (Node >= 20.19 loads ES modules from require).
import { readFileSync } from "node:fs";
import { initSync, UnlockClient, checkUnlockInput, checkEnrichInput, tokenFor, parseTaskResponse, creditsPerContact } from "./unlock_tasks.js";

initSync({ module: readFileSync(new URL("./unlock_tasks_bg.wasm", import.meta.url)) });

export { UnlockClient, checkUnlockInput, checkEnrichInput, tokenFor, parseTaskResponse, creditsPerContact };
export { UnlockError } from "./errors.js";
