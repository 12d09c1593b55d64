import { waitUntil } from './api.js';

/** An SSE stream as a conforming client reads it: lines end at CRLF, LF or a lone CR. */
export function parseSse(text: string): Array<Record<string, string>> {
  const events: Array<Record<string, string>> = [];
  const noFields = (): Record<string, string> => Object.create(null) as Record<string, string>;
  let fields = noFields();
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (Object.keys(fields).length > 0) events.push(fields);
      fields = noFields();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon === 0) continue;
    const name = colon < 0 ? line : line.slice(0, colon);
    fields[name] = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
  }
  return events;
}

/** An SSE client that accumulates the stream's text. */
export class SseClient {
  text = '';
  status = 0;
  headers = new Headers();
  private done: Promise<void> = Promise.resolve();
  private readonly controller = new AbortController();

  /** With `onLine`, lines are handed over instead of kept (for floods). */
  constructor(private readonly onLine?: (line: string) => void) {}

  static async open(
    api: { url: string },
    path: string,
    headers: Record<string, string> = {},
    onLine?: (line: string) => void,
  ): Promise<SseClient> {
    const client = new SseClient(onLine);
    const response = await fetch(api.url + path, { headers, signal: client.controller.signal });
    client.status = response.status;
    client.headers = response.headers;
    if (response.status === 200 && response.body) {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      client.done = (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            client.receive(decoder.decode(value, { stream: true }));
          }
        } catch {
          // aborted
        }
      })();
    } else {
      client.text = await response.text();
    }
    return client;
  }

  private partial = '';

  private receive(chunk: string): void {
    if (!this.onLine) {
      this.text += chunk;
      return;
    }
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.onLine(line);
  }

  async waitFor(fragment: string, timeoutMs = 5_000): Promise<void> {
    await waitUntil(() => this.text.includes(fragment), timeoutMs);
  }

  /** Resolves when the server ends the stream. */
  ended(): Promise<void> {
    return this.done;
  }

  close(): void {
    this.controller.abort();
  }
}
