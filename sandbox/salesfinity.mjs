// Salesfinity in the sandbox: the documented routes' behaviour (../shared/seeds, API.md).
// Salesfinity's errors are `{ statusCode, message }`, not Lensmor's ApiError.

import { randomBytes } from "node:crypto";
import { enrichmentOutcome } from "./fixtures.mjs";

const LINKEDIN = /^https:\/\/(www\.)?linkedin\.com\/in\/([^/?#]+)\/?$/;

const fail = (status, message) => ({ status, body: { statusCode: status, message } });

export function credits({ state, key }) {
  return { status: 200, body: { balance: state.balanceOf(key).salesfinity } };
}

export function createEnrichment({ state, key, body }) {
  if (state.balanceOf(key).salesfinity <= 0) return fail(402, "Insufficient credits");
  const id = randomBytes(12).toString("hex");
  const slug = LINKEDIN.exec(body.linkedin_url)[2];
  state.enrichments.set(id, {
    id, key, slug, type: body.type, url: body.linkedin_url, externalId: body.external_id,
    callbackUrl: body.callback_url, ...state.timing(), held: state.hold, charged: false,
  });
  return { status: 201, body: { _id: id, status: "pending", linkedin_url: body.linkedin_url } };
}

export function pollEnrichment({ state, key, params, fault }) {
  const e = state.enrichments.get(params.id);
  if (!e || e.key !== key) return fail(404, "Enrichment request not found");
  const now = Date.now();
  const base = { _id: e.id, linkedin_url: e.url, ...(e.externalId ? { external_id: e.externalId } : {}) };
  const running = fault?.kind === "unknown-status" ? "queued_v2" : "processing";
  if (e.held) return { status: 200, body: { ...base, status: running }, unchecked: Boolean(fault) };
  if (now < e.startAt) return { status: 200, body: { ...base, status: "pending" } };
  if (now < e.settleAt) return { status: 200, body: { ...base, status: running }, unchecked: Boolean(fault) };
  const outcome = enrichmentOutcome(e.slug);
  if (outcome === "not-found") return { status: 200, body: { ...base, status: "not-found", email: null, enrichment_type: `${e.type}_email` } };
  if (outcome === "failed") return { status: 200, body: { ...base, status: "failed" } };
  if (!e.charged) {
    e.charged = true;
    state.balanceOf(key).salesfinity -= 1;
  }
  const domain = e.type === "work" ? "work.example" : "mail.example";
  return { status: 200, body: { ...base, status: "completed", enrichment_type: `${e.type}_email`, email: { email: `${e.slug}@${domain}`, type: e.type } } };
}

export function release(enrichment, now) {
  enrichment.held = false;
  enrichment.startAt = Math.min(enrichment.startAt, now);
  enrichment.settleAt = Math.min(enrichment.settleAt, now);
}
