import {HIDDEN_CHAR_CLASS} from './text.js'

// JSON output is read by programs and, as often, by people in a terminal (`callctl calls
// --json`, `report --format json` to stdout). JSON.stringify escapes C0 controls but writes
// DEL, the C1 controls (U+009B is a CSI to many terminals), bidi overrides (U+202E) and
// zero-width characters as they are. Here they become \uXXXX escapes: the same string to
// any JSON parser (nothing is lost, unlike safeText), and inert on a terminal.

// Outside JSON strings the text is ASCII punctuation, digits and letters, so a replacement
// over the whole serialized text can only touch string contents. The set is safeText's
// (HIDDEN_CHAR_CLASS: bidi, invisible characters, joiners), plus DEL and C1, the line and
// paragraph separators (raw, they end a line in JavaScript and some terminals) and the tag
// characters (U+E0000-E007F, as UTF-16 code units: this expression has no u flag).
const NOT_RAW = new RegExp(`[\\u007f-\\u009f\\u2028\\u2029${HIDDEN_CHAR_CLASS}]|\\udb40[\\udc00-\\udc7f]`, 'g')

const escape = (s: string): string => {
  let out = ''
  for (let i = 0; i < s.length; i++) out += '\\u' + s.charCodeAt(i).toString(16).padStart(4, '0')
  return out
}

/**
 * The one JSON serializer for output (command --json, JSON lines, `events --follow --json`,
 * `report --format json`): JSON.stringify, then every control, bidi and invisible character
 * left raw by it written as a \u escape. Apply it last, to the value as it is to be printed.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value ?? null, null, indent).replace(NOT_RAW, escape)
}
