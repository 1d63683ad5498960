// The types of api.js's functions; index.d.ts declares its UnlockClient and UnlockError.
export { checkUnlockInput, checkEnrichInput, tokenFor, parseTaskResponse, creditsPerContact, providerFacts, proxyStatus, createdAnswer } from "./unlock_tasks.js";
