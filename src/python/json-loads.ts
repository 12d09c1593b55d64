import { parse } from 'lossless-json';
import { pythonFloat } from './float.js';

/**
 * `json.loads` as Python reads numbers: an integer literal is an exact integer however long
 * (a bigint past 2^53), a literal with a fraction or an exponent is a float (`1.0`, `1e2` stay
 * floats: `Float64`). A key given twice keeps its first place and its last value, as a dict does.
 * Objects are built with own properties only, so a `__proto__` key is a plain key.
 * Throws SyntaxError for text that is not JSON.
 */
export function jsonLoads(text: string): unknown {
  return parse(text, undefined, {
    parseNumber: parsePythonNumber,
    onDuplicateKey: ({ newValue }) => newValue,
  });
}

const INTEGER_LITERAL = /^-?\d+$/;

function parsePythonNumber(text: string): number | bigint | ReturnType<typeof pythonFloat> {
  if (INTEGER_LITERAL.test(text)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : BigInt(text);
  }
  return pythonFloat(Number(text));
}
