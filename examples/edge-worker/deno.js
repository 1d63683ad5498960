// The same proxy under Deno (Deno Deploy or `deno serve`): the handler is the worker's, the
// environment comes from Deno.env, and the Durable Objects live in this process (memory.js):
// budgets, owners, once-per-selection and the key's governor hold for this one instance.
//
//   deno run --allow-net --allow-env --allow-read=node_modules examples/edge-worker/deno.js
import { handle, KeyGovernors, UnlockTasks } from "./worker.js";
import { memoryNamespace } from "./memory.js";

const SETTINGS = [
  "LENSMOR_API_KEY", "SALESFINITY_API_KEY", "SESSION_SECRET", "ALLOWED_ORIGIN", "DAILY_CREDITS_PER_USER",
  "REQUESTS_PER_MINUTE_PER_USER", "UPSTREAM_TIMEOUT_MS", "CALLBACK_SECRET", "PUBLIC_URL", "CALLBACK_INTERVAL_MS",
  "LENSMOR_BASE_URL", "SALESFINITY_BASE_URL", "POLL_DELAYS_MS", "LENSMOR_RATE_LIMIT", "LENSMOR_RATE_WINDOW_MS",
  "SALESFINITY_RATE_LIMIT", "SALESFINITY_RATE_WINDOW_MS", "QUEUE_WAIT_MS", "CONTACT_VISIBILITY", "GROUP_HOLD_MS",
];
const env = Object.fromEntries(SETTINGS.map((name) => [name, Deno.env.get(name)]).filter(([, value]) => value !== undefined));
env.TASKS = memoryNamespace(UnlockTasks, env);
env.GOVERNORS = memoryNamespace(KeyGovernors, env);
const port = Number(Deno.env.get("PORT") ?? 8790);

Deno.serve({ hostname: "127.0.0.1", port, onListen: ({ port }) => console.log(JSON.stringify({ port })) }, (request) => handle(request, env));
