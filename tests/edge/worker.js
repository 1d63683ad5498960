// A Cloudflare-style worker that uses the package to unlock and wait, for the workerd test.
import { UnlockClient } from "unlock-tasks";

export default {
  async fetch(request, env) {
    const client = new UnlockClient({ provider: "lensmor", apiKey: env.LENSMOR_API_KEY, baseUrl: env.SANDBOX_URL, polling: { delaysMs: [40, 60, 100] } });
    const resume = new URL(request.url).searchParams.get("token");
    if (resume) {
      // A token made elsewhere (a group's, made in Node): waited for here.
      const result = await client.waitForTask(resume).catch((error) => ({ error: error.code }));
      return Response.json({ status: result.status ?? result.error, parts: result.parts?.map((p) => p.status), items: result.items?.length });
    }
    try {
      const task = await client.unlockEmails({ eventId: "139574", personnelIds: ["789", "792", "793"] });
      const step = await client.pollOnce(task.token);
      const result = await client.waitForTask(step.token);
      return Response.json({ status: result.status, delivered: result.delivered.map((i) => i.id), failed: result.failed.map((i) => i.id), stepToken: typeof step.token });
    } catch (error) {
      return Response.json({ error: error.code, message: error.message }, { status: 500 });
    }
  },
};
