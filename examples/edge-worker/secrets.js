// Every secret the deployment holds is scrubbed from every answer, in the spellings a provider
// or a gateway might echo it in: as sent, in another case, percent-encoded, with JSON `\u`
// escapes, base64 or base64url (at any of the three byte alignments inside a longer encoded
// text), or hex.

/** Secrets shorter than this are not scrubbed (they would match ordinary text). */
const MIN_SECRET = 4;

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** One character as itself (any case) or as a JSON escape (`\u0041`, `\/`). */
function jsonChar(char) {
  const code = char.charCodeAt(0).toString(16).padStart(4, "0");
  return `(?:${escapeRegExp(char)}|\\\\u${code}|\\\\${escapeRegExp(char)})`;
}

function base64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

/** The parts of the base64 text of `secret` that appear in any base64 text containing it:
 *  for each of the three alignments, the characters made of the secret's bytes alone. */
function base64Forms(bytes) {
  const forms = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const text = base64(padded).replace(/=+$/, "");
    // Characters that mix in the padding bytes or whatever follows the secret are cut off.
    const inner = text.slice(offset ? 4 : 0, Math.floor((offset + bytes.length) / 3) * 4);
    if (inner.length >= 8) forms.push(inner, inner.replaceAll("+", "-").replaceAll("/", "_"));
  }
  return forms;
}

/** A pattern that finds every spelling of every secret. */
export function secretPattern(secrets) {
  const alternatives = [];
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret.length < MIN_SECRET) continue;
    const bytes = new TextEncoder().encode(secret);
    alternatives.push([...secret].map(jsonChar).join(""));
    alternatives.push(escapeRegExp(encodeURIComponent(secret)));
    alternatives.push([...bytes].map((b) => b.toString(16).padStart(2, "0")).join(""));
    for (const form of base64Forms(bytes)) alternatives.push(escapeRegExp(form));
  }
  // Longest first, so a spelling that contains another is scrubbed whole.
  alternatives.sort((a, b) => b.length - a.length);
  return alternatives.length ? new RegExp(alternatives.join("|"), "gi") : null;
}

/** `text` with every spelling of every secret replaced. */
export function scrub(text, pattern) {
  return pattern ? text.replace(pattern, "[redacted]") : text;
}
