// An app as a user writes it: the package by name, bundled by esbuild.
import { UnlockClient, UnlockError } from "unlock-tasks";
import { scenario } from "./scenario.js";

const sandbox = new URLSearchParams(location.search).get("sandbox");
scenario({ UnlockClient, UnlockError }, sandbox).then((r) => { window.__result = r; }, (e) => { window.__error = String(e && e.stack || e); });
