import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SaltValue } from '../../src/salt/codec/values.js';

/**
 * The recorded frames from a real Salt master (see test/fixtures/salt-wire/README.md). Tests load
 * these rather than invent payloads.
 */
export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'salt-wire');

export interface RecordedMessage {
  b64: string;
  hex?: string;
  decoded: unknown;
}

export interface RecordedEvent {
  framing: 'bare' | 'len32';
  frame_b64: string;
  tag: string;
  data: Record<string, unknown>;
  body_family?: { family: string };
}

export interface Fixture {
  case: string;
  description: string;
  request?: { payload: RecordedMessage };
  reply?: RecordedMessage | null;
  reply_timed_out?: boolean;
  events?: RecordedEvent[];
  [key: string]: unknown;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.json`), 'utf8')) as Fixture;
}

export function allFixtures(): Fixture[] {
  return fixtureNames().map(loadFixture);
}

export function bytesOf(message: { b64: string }): Buffer {
  return Buffer.from(message.b64, 'base64');
}

/** Turns a fixture's `decoded` JSON back into wire values (`{"$bytes_b64": …}` → bytes). */
export function toWireValue(value: unknown): SaltValue {
  if (Array.isArray(value)) return value.map(toWireValue);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === '$bytes_b64') return Buffer.from(String(obj['$bytes_b64']), 'base64');
    const out: Record<string, SaltValue> = {};
    for (const k of keys) out[k] = toWireValue(obj[k]);
    return out;
  }
  return value as SaltValue;
}
