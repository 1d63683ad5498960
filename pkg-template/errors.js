/**
 * The class of every error this package throws or rejects with. Errors are created inside the
 * WebAssembly module as plain `Error`s named "UnlockError"; this class recognises them, so
 * `err instanceof UnlockError` works in every runtime (and `err instanceof Error` too).
 */
export class UnlockError extends Error {
  static [Symbol.hasInstance](value) {
    return value instanceof Error && value.name === "UnlockError";
  }
}
