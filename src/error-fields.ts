/**
 * The `code` of a Node.js system error (`ENOENT`, `EADDRINUSE`, zeromq's `EAGAIN`…), or undefined
 * when the error has none: one reading of a field every layer checks.
 */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** An error's message; anything else thrown, as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What went wrong in a word where there is one: the code, else the message. */
export function errorReason(error: unknown): string {
  return errorCode(error) ?? errorMessage(error);
}
