// Run by Deno from an app folder that installed the packed tarball (the "deno" condition).
import { UnlockClient, UnlockError } from "unlock-tasks";

const client = new UnlockClient({ provider: "salesfinity", apiKey: "sf_deno", baseUrl: Deno.env.get("SANDBOX_URL"), polling: { delaysMs: [40, 60, 100] } });
const task = await client.enrichEmail({ linkedinUrl: "linkedin.com/in/grace-hopper", type: "personal" });
const result = await client.waitForTask(task.token);
let code;
try {
  await client.enrichEmail({ linkedinUrl: "https://example.com/in/x", type: "work" });
} catch (e) {
  code = `${e instanceof UnlockError}:${e.code}`;
}
console.log(JSON.stringify({ value: result.delivered[0]?.value, code }));
