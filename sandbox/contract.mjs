// The providers' published contracts, as JSON Schema, checked with Ajv.
//
// Lensmor: transcribed from its OpenAPI document, version 0.27.0, the newest published (public
// repository LensmorOfficial/API-Doc, api-reference-backup/openapi.json, at commit
// 289efd6cce105add0470ed27ad84469e6393fbe9): the request bodies, query and path parameters and
// headers of the routes this package uses, and the answers it reads. Names in comments are the
// document's schema names. Where the document is silent the note says so. 0.26 made the changes
// from 0.25: 1..2000 ids per unlock, `event_id` optional, a free precheck `action_type` with
// length limits, several `sourceType`s, decimal task ids, and the 422
// LEAD_SELECTION_LIMIT_EXCEEDED answer.
// Salesfinity publishes no schema: its rules come from ../shared/seeds and ../shared/API.md.
//
// The sandbox refuses (400 + ApiError) every request these schemas refuse, and checks every
// answer it gives against them, so it cannot drift into accepting or answering what the real
// API would not.

import Ajv2020 from "ajv/dist/2020.js";

const string = { type: "string" };
const stringOrNull = { type: ["string", "null"] };
const strings = { type: "array", items: string };
const integer = { type: "integer" };
const numberOrNull = { type: ["number", "null"] };

/** The most personnel ids one unlock takes (0.25: 100). */
export const MAX_UNLOCK_IDS = 2000;

/** Inline body of POST /external/contacts/unlock, and `PhoneUnlockRequest`: `event_id` is
 *  optional (without it Lensmor skips the membership check). The document does not forbid other
 *  fields here (no additionalProperties: false), so neither do we. */
const unlockBody = {
  type: "object",
  required: ["personnel_ids"],
  properties: {
    personnel_ids: { type: "array", minItems: 1, maxItems: MAX_UNLOCK_IDS, items: string },
    event_id: { type: "string", minLength: 1, maxLength: 100 },
  },
};

const text = (max) => ({ type: "string", minLength: 1, maxLength: max });

/** `ActionPrecheckRequest`: the action's input inside `params`; nothing else at the top. The
 *  action is a free string (the document lists examples; any other is a 200 with
 *  `unsupported_action`). */
const precheckBody = {
  type: "object",
  required: ["action_type", "params"],
  properties: {
    action_type: text(100),
    call_source: text(100),
    params: { type: "object", additionalProperties: true },
    locale: text(20),
    trace_id: text(200),
    conversation_id: text(200),
    channel_message_id: text(200),
  },
  additionalProperties: false,
};

/** What `params` holds for unlock_contact_emails/phones is not documented (inferred): the
 *  unlock's own body, which is what the documented `detail` fields describe. */
const unlockPrecheckParams = unlockBody;

/** GET /external/personnel/list query (EventIdQuery, Page, and its own pageSize 1..50). The
 *  document does not forbid unknown query parameters; we refuse them anyway, so a misspelled
 *  parameter (`page_size`) in the package fails here instead of being ignored there. */
const personnelListQuery = {
  type: "object",
  required: ["event_id"],
  properties: {
    event_id: { type: "string", minLength: 1, maxLength: 100 },
    page: { type: "integer", minimum: 1 },
    pageSize: { type: "integer", minimum: 1, maximum: 50 },
    exhibitor_id: string,
    department: { type: "string", maxLength: 100 },
    level: { type: "string", maxLength: 50 },
    search_query: { type: "string", maxLength: 200 },
    // One or more of exhibitor, social, visitors, comma-separated or the parameter repeated
    // (the sandbox joins repeats with commas before checking); the schema bounds only the length.
    sourceType: { type: "string", maxLength: 200 },
  },
  additionalProperties: false,
};

/** The `taskId` path parameter of both task routes. */
const taskIdPath = { type: "string", pattern: "^[0-9]+$" };

/** GET /external/personnel/profile query (PersonnelIdQuery). */
const personnelProfileQuery = {
  type: "object",
  required: ["personnel_id"],
  properties: { personnel_id: { type: "string", minLength: 1, maxLength: 20 } },
  additionalProperties: false,
};

const noQuery = { type: "object", additionalProperties: false };

/** The CallSource header parameter. */
const callSourceHeader = { enum: ["api", "agent"] };

/** Salesfinity POST /v1/api/enrichment/email (seeds, API.md). */
const enrichmentBody = {
  type: "object",
  required: ["linkedin_url", "type"],
  properties: {
    linkedin_url: { type: "string", pattern: "^https://(www\\.)?linkedin\\.com/in/[^/?#]+/?$" },
    type: { enum: ["work", "personal"] },
    callback_url: { type: "string", pattern: "^https?://" },
    external_id: { type: "string", maxLength: 256 },
  },
};

// ---- answers --------------------------------------------------------------------------------

/** `ApiError`; `details` is optional and of any shape. */
const apiError = {
  type: "object",
  required: ["code", "message", "errorKey", "traceId"],
  properties: { code: integer, message: string, errorKey: string, traceId: string, details: {} },
};

/** The `UnprocessableEntity` answer: a selection above the account's runtime limit. */
const selectionLimitError = {
  ...apiError,
  required: [...apiError.required, "details"],
  properties: {
    ...apiError.properties,
    errorKey: { const: "LEAD_SELECTION_LIMIT_EXCEEDED" },
    details: {
      type: "object",
      required: ["requestedCount", "limit", "selectionMode"],
      properties: { requestedCount: integer, limit: integer, selectionMode: string },
    },
  },
};

const decimalId = { type: "string", pattern: "^[0-9]+$" };

const creditBalance = {
  type: "object",
  required: ["totalAmount", "totalBalance", "subscriptionAmount", "subscriptionBalance", "addonAmount", "addonBalance", "addonExpireAt", "giftAmount", "giftBalance", "resetAt"],
  properties: {
    totalAmount: { type: "number" }, totalBalance: { type: "number" },
    subscriptionAmount: { type: "number" }, subscriptionBalance: { type: "number" },
    addonAmount: { type: "number" }, addonBalance: { type: "number" }, addonExpireAt: numberOrNull,
    giftAmount: { type: "number" }, giftBalance: { type: "number" }, resetAt: numberOrNull,
  },
};

const precheckAnswer = {
  type: "object",
  required: ["ok", "action_type", "allowed", "should_charge", "credits", "reason_code", "biz_code", "detail"],
  properties: {
    ok: { const: true },
    action_type: string,
    allowed: { type: "boolean" },
    should_charge: { type: "boolean" },
    credits: integer,
    reason_code: {
      enum: ["ok", "already_unlocked", "unlock_in_progress", "state_conflict", "insufficient_balance", "no_contacts_available",
        "exceed_max_unlock_limit", "invalid_subject", "unsupported_action", "not_found", "forbidden", "system_error"],
    },
    biz_code: string,
    detail: { type: "object" },
  },
};

/** `ContactUnlockSubmission`: `accepted` carries task_id and job_id; `success` has no task. */
const unlockSubmission = {
  type: "object",
  required: ["status"],
  properties: {
    status: { enum: ["accepted", "success"] },
    task_id: decimalId,
    job_id: decimalId,
    skipped_personnel_ids: strings,
    skipped_detail: {
      type: "object",
      properties: {
        invalid_personnel_ids: strings, missing_personnel_ids: strings, unlinked_personnel_ids: strings,
        already_unlocked_personnel_ids: strings, unlocking_personnel_ids: strings,
      },
    },
  },
  oneOf: [
    { properties: { status: { const: "accepted" } }, required: ["task_id", "job_id"] },
    { properties: { status: { const: "success" } } },
  ],
};

/** `ContactUnlockTask` (value field `email`) and `PhoneUnlockTask` (`phone`). */
function unlockTask(valueField) {
  return {
    type: "object",
    required: ["taskId", "taskStatus", "items"],
    properties: {
      taskId: decimalId,
      taskStatus: { enum: ["pending", "processing", "completed", "failed"] },
      items: {
        type: "array",
        items: {
          type: "object",
          required: ["personnelId", "status"],
          properties: {
            personnelId: string,
            status: { enum: ["pending", "processing", "unlocked", "failed"] },
            [valueField]: stringOrNull,
            errorCode: string,
          },
        },
      },
    },
  };
}

/** `ContactItem`. */
const contactItem = {
  type: "object",
  required: ["id", "fullName", "contactUnlockStatus"],
  properties: {
    id: string, fullName: stringOrNull, title: stringOrNull, department: stringOrNull, seniorityLevel: stringOrNull,
    linkedinUrl: stringOrNull, companyName: stringOrNull, email: stringOrNull, phone: stringOrNull,
    contactUnlockStatus: string,
    phoneUnlockStatus: { enum: ["ready", "processing", "failed", null] },
  },
};

/** `ContactPageWithSemantics`. */
const contactPage = {
  type: "object",
  required: ["items", "total", "page", "pageSize", "totalPages", "hasMore"],
  properties: {
    items: { type: "array", items: contactItem },
    total: integer, page: integer, pageSize: integer, totalPages: integer, hasMore: { type: "boolean" },
    semantics: {
      type: "object",
      properties: {
        accessMode: { enum: ["preview", "full"] },
        previewLimit: { type: ["integer", "null"] },
        pageState: { type: "object", properties: { requestedPage: integer, accessible: { type: "boolean" }, maxAccessiblePage: integer } },
      },
    },
  },
};

/** Salesfinity answers (seeds). */
const enrichmentCreated = {
  type: "object",
  required: ["_id", "status", "linkedin_url"],
  properties: { _id: string, status: string, linkedin_url: string },
};
const enrichmentState = {
  type: "object",
  required: ["_id", "status"],
  properties: {
    _id: string,
    status: { enum: ["pending", "processing", "completed", "not-found", "failed"] },
    linkedin_url: string,
    enrichment_type: { enum: ["work_email", "personal_email"] },
    email: { oneOf: [{ type: "null" }, { type: "object", required: ["email", "type"], properties: { email: string, type: { enum: ["work", "personal"] } } }] },
    external_id: string,
  },
};
const salesfinityCredits = { type: "object", required: ["balance"], properties: { balance: { type: "number" } } };

export const schemas = {
  unlockBody, precheckBody, unlockPrecheckParams, personnelListQuery, personnelProfileQuery, noQuery, taskIdPath, callSourceHeader, enrichmentBody,
  apiError, selectionLimitError, creditBalance, precheckAnswer, unlockSubmission, emailTask: unlockTask("email"), phoneTask: unlockTask("phone"),
  contactItem, contactPage, enrichmentCreated, enrichmentState, salesfinityCredits,
};

const strict = new Ajv2020({ allErrors: true, strict: false });
// Query values arrive as text: "2" is the integer 2 there, as in any HTTP framework.
const queries = new Ajv2020({ allErrors: true, strict: false, coerceTypes: true });

const compiled = new Map();

/** A checker for the schema named `name`: `check(value)` is null or a list of problems. */
export function validator(name) {
  if (!compiled.has(name)) {
    const schema = schemas[name];
    if (!schema) throw new Error(`no schema named ${name}`);
    const ajv = name.endsWith("Query") ? queries : strict;
    const validate = ajv.compile(schema);
    compiled.set(name, (value) => (validate(value) ? null : validate.errors.map((e) => `${e.instancePath || "(body)"} ${e.message}`)));
  }
  return compiled.get(name);
}
