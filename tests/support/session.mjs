// Test helper: session tokens as an app's server mints them for the edge worker (HS256 JWT,
// `sub` and `exp`), the same code as the README's example.
import { createHmac } from "node:crypto";

const base64url = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** A signed token for `sub`, valid for `seconds` (negative: already expired). */
export function sessionToken(secret, sub, { seconds = 3600, header = { alg: "HS256", typ: "JWT" }, claims = {} } = {}) {
  const body = base64url(header) + "." + base64url({ sub, exp: Math.floor(Date.now() / 1000) + seconds, ...claims });
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

/** `{ authorization: "Bearer ..." }` for `sub`. */
export function signedIn(secret, sub) {
  return { authorization: `Bearer ${sessionToken(secret, sub)}` };
}
