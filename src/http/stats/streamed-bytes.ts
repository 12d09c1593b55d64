/**
 * The bytes of the answers written as streams (serialize.ts), by their response: what a
 * Content-Length would have said, for the access log and `/stats`.
 */
const streamed = new WeakMap<object, number>();

/** The bytes a response's streamed body wrote, when it had one. */
export function streamedBytes(response: object): number | undefined {
  return streamed.get(response);
}

/** Counts a streamed body's bytes against its response (`serializeBody`'s `onBytes`). */
export function countStreamedBytes(response: object): (written: number) => void {
  return (written) => streamed.set(response, written);
}
