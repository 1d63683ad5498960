// The two jobs the facade (src/js/convert.rs) hands to JS itself, because JS does them several
// times faster than the way across the boundary would: a view out, a long string in.
//
// The views the core writes as JSON text (src/json_view.rs), as JS values: one JSON.parse, then
// every packed item list turned into the item objects of the TypeScript types. Building item
// objects from the packed form takes a fifth to a tenth of what JSON.parse of the same items
// written as objects takes (BENCHMARKS.md). The packed form is written by json_view.rs's `items`; the
// shapes are its: a task view keeps its item lists under these keys, and a pollOnce step or a
// progress event keeps its task views under `snapshot` and `result`.
const ITEM_LISTS = ["items", "delivered", "failed", "notFound", "noValue", "unresolved"];

export function view(text) {
  const value = JSON.parse(text);
  if (value !== null && typeof value === "object") {
    unpackTask(value);
    if (value.snapshot) unpackTask(value.snapshot);
    if (value.result) unpackTask(value.result);
  }
  return value;
}

function unpackTask(task) {
  for (const key of ITEM_LISTS) {
    const list = task[key];
    // A packed list starts with the list of state words; no other list under these keys does.
    if (Array.isArray(list) && Array.isArray(list[0])) task[key] = items(list);
  }
}

// `[states, texts, cells]`: `cells` holds numbers as characters (U+0020 + n; a larger one as
// U+E000 then two characters of 15 bits each): per item its flags (1 value, 2 valueType,
// 4 errorCode, 8 chargeable), id length, state number, providerStatus length, then the length
// of each text present; lengths in UTF-16 code units, texts one after the other in that order.
function items(packed) {
  const [states, texts, cells] = packed;
  const out = [];
  let at = 0;
  let k = 0;
  const next = () => {
    const n = cells.charCodeAt(k++) - 32;
    return n === 0xe000 - 32 ? ((cells.charCodeAt(k++) - 32) << 15) | (cells.charCodeAt(k++) - 32) : n;
  };
  const take = () => texts.slice(at, (at += next()));
  while (k < cells.length) {
    const flags = next();
    const item = { id: take(), status: states[next()], providerStatus: take() };
    if (flags & 1) item.value = take();
    if (flags & 2) item.valueType = take();
    if (flags & 4) item.errorCode = take();
    item.chargeable = (flags & 8) !== 0;
    out.push(item);
  }
  return out;
}

// A long string (an answer's text) as UTF-8 bytes for wasm memory. wasm-bindgen's own copy
// (passStringToWasm0) moves an ASCII string one UTF-16 unit at a time, in a JS loop; the host's
// encoder does it natively (BENCHMARKS.md). The encoder is made when this module loads, as the
// glue's is, so a script that replaces `TextEncoder` later changes neither.
const encoder = new TextEncoder();

export function utf8(text) {
  return encoder.encode(text);
}
