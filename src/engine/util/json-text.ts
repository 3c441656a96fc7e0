// JSON output is read by programs and, as often, by people in a terminal (`callctl calls
// --json`, `report --format json` to stdout). JSON.stringify escapes C0 controls but writes
// DEL, the C1 controls (U+009B is a CSI to many terminals), bidi overrides (U+202E) and
// zero-width characters as they are. Here they become \uXXXX escapes: the same string to
// any JSON parser (nothing is lost, unlike safeText), and inert on a terminal.

// Outside JSON strings the text is ASCII punctuation, digits and letters, so a replacement
// over the whole serialized text can only touch string contents. The set is safeText's:
// DEL and C1; ALM, LRM, RLM; zero-width space, ZWNJ, ZWJ; line and paragraph separators
// (raw, they end a line in JavaScript and some terminals); bidi embeddings, overrides and
// isolates; word joiner and invisible operators; Mongolian vowel separator; byte order
// mark; interlinear annotations; Hangul fillers; tag characters.
const NOT_RAW = /[\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\u3164\ufeff\uffa0\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g

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
