// The types of api.js's functions; index.d.ts declares its UnlockClient and UnlockError.
export { KeyGovernor, checkUnlockInput, checkEnrichInput, tokenFor, parseTaskResponse, creditsPerContact, providerFacts, proxyStatus, createdAnswer, readGroupHeader, resplitSize, describeToken } from "./unlock_tasks.js";
export type { KeyGovernorOptions, GovernorClaim, Admission, GovernorAnswer, GroupAnnouncement, TokenInfo } from "./unlock_tasks.js";
