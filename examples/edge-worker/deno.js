// The same proxy under Deno (Deno Deploy or `deno serve`): the handler is the worker's, the
// environment comes from Deno.env. Without a Durable Object there is no background polling:
// the browser polls through the proxy, which still adds the key and validates every start.
//
//   deno run --allow-net --allow-env --allow-read=node_modules examples/edge-worker/deno.js
import { handle } from "./worker.js";

const env = Object.fromEntries(
  ["LENSMOR_API_KEY", "SALESFINITY_API_KEY", "ALLOWED_ORIGIN", "LENSMOR_BASE_URL", "SALESFINITY_BASE_URL", "POLL_DELAYS_MS"]
    .map((name) => [name, Deno.env.get(name)])
    .filter(([, value]) => value !== undefined),
);
const port = Number(Deno.env.get("PORT") ?? 8790);

Deno.serve({ hostname: "127.0.0.1", port, onListen: ({ port }) => console.log(JSON.stringify({ port })) }, (request) => handle(request, env));
