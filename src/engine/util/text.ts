// Caller ID names, DTMF, contact fields, CSV cells and file content come from outside and
// may carry terminal escape sequences meant to rewrite a supervisor's screen (clear it, set
// the window title, plant a hyperlink, answer back), or invisible characters that reorder
// or hide what is shown (bidi overrides, zero-width characters). safeText is the one
// sanitizer for text shown in a terminal; JSON keeps such text lossless with \u escapes
// instead (json-text.ts).

// Escape sequences are removed whole, so their payload (a window title, a link target,
// a colour) does not show up as text either. In order of the alternation:
//   control strings: OSC (ESC ] or U+009D) up to BEL or ST; DCS (ESC P / U+0090),
//     SOS (ESC X / U+0098), PM (ESC ^ / U+009E), APC (ESC _ / U+009F) up to ST
//     (ESC \ or U+009C). An unterminated one runs to the end, as a terminal swallows it.
//   CSI (ESC [ or the 8-bit U+009B): parameter bytes, intermediate bytes, final byte.
//   nF escapes: ESC, intermediate bytes, a final byte (ESC ( 0 switches to line drawing,
//     ESC # 8 fills the screen with E).
//   two-byte escapes: ESC 7, ESC c (full reset), ESC M, ...
// Every ESC and C1 byte left after this is dropped below, so nothing can reassemble into
// a sequence: the regular expression only decides how much payload goes with it.
const ESCAPE_SEQUENCE =
  /(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|(?:\u001b[PX^_]|[\u0090\u0098\u009e\u009f])[^\u001b\u009c]*(?:\u001b\\|\u009c)?|(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|\u001b[ -/]+[0-~]?|\u001b[0-~]/g

/**
 * Removes terminal escape sequences whole (payload included), leaving the rest as it is:
 * for text kept as data (a chat message) that must not keep `[31m` or `]0;title` once its
 * ESC is gone. safeText does this and more for one line on a terminal.
 */
export function withoutEscapeSequences(s: string): string {
  return s.replace(ESCAPE_SEQUENCE, '')
}

// Characters that move the cursor to a new line or column: one space each where a single
// line is expected (a caller cannot fake a second row, nor overwrite the start of this one).
const LINE_BREAK = /[\t\n\v\f\r\u0085\u2028\u2029]/g

// Everything else that is not text: the rest of C0, DEL, C1.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

// Bidirectional formatting: LRE RLE PDF LRO RLO (U+202A-202E), the isolates LRI RLI FSI PDI
// (U+2066-2069), the marks LRM RLM ALM. An RLO shows "moc.evil" as "live.com" and makes a
// terminal lay the rest of the line out right to left; none is needed to show a name, the
// terminal's own bidi handling (if any) shows Arabic and Hebrew as they are.
const BIDI_CHARS = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069'
const BIDI = new RegExp(`[${BIDI_CHARS}]`, 'g')

// Invisible characters with no job in a name shown on a terminal, used to make two names
// look alike or to hide text: zero-width space, word joiner and the invisible operators
// (U+2060-2064), the byte order mark / zero-width no-break space, the Mongolian vowel
// separator, interlinear annotation marks, the Hangul fillers that show as a blank name.
const INVISIBLE_CHARS = '\\u200b\\u2060-\\u2064\\ufeff\\u180e\\ufff9-\\ufffb\\u3164\\uffa0'
const INVISIBLE = new RegExp(`[${INVISIBLE_CHARS}]`, 'g')

// Tag characters (U+E0000-E007F) are invisible ASCII look-alikes ("ASCII smuggling"); their
// one use in text is the subdivision flags (🏴 + tags + cancel tag, e.g. Scotland), kept.
const TAG = /(?<!\u{1f3f4}[\u{e0020}-\u{e007e}]*)[\u{e0000}-\u{e007f}]/gu

// The zero-width joiner and non-joiner are kept where they do a job and dropped elsewhere
// (between Latin letters they only make "Alice" and "Al‍ice" different strings that look
// the same): ZWJ joins emoji into one picture (👨‍👩‍👧, 👩🏽‍💻, 🏳️‍🌈), and ZWJ and ZWNJ choose
// the letter forms of Arabic-script and Indic names (Persian می‌خواهم, Devanagari क्‍ष).
const JOINER_CHARS = '\\u200c\\u200d'
const JOINER = new RegExp(`[${JOINER_CHARS}]`, 'g')

/**
 * Every character safeText drops or decides on besides escapes and controls (bidi, invisible,
 * joiners), as a character-class body: json-text.ts escapes the same set, from this one list.
 */
export const HIDDEN_CHAR_CLASS = BIDI_CHARS + INVISIBLE_CHARS + JOINER_CHARS
const EMOJI_BEFORE = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f]$/u
const EMOJI_AFTER = /^\p{Extended_Pictographic}/u
const JOINING_SCRIPT =
  '\\p{sc=Arabic}\\p{sc=Syriac}\\p{sc=Nko}\\p{sc=Mongolian}\\p{sc=Devanagari}\\p{sc=Bengali}\\p{sc=Gurmukhi}\\p{sc=Gujarati}\\p{sc=Oriya}\\p{sc=Tamil}\\p{sc=Telugu}\\p{sc=Kannada}\\p{sc=Malayalam}\\p{sc=Sinhala}\\p{sc=Khmer}\\p{sc=Myanmar}'
const SCRIPT_BEFORE = new RegExp(`[${JOINING_SCRIPT}]$`, 'u')
const SCRIPT_AFTER = new RegExp(`^[${JOINING_SCRIPT}]`, 'u')

// Lone surrogates (invalid UTF-16, e.g. from broken UTF-8 decoding) render unpredictably.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

function keepJoiner(zw: string, at: number, s: string): string {
  // A character takes up to two UTF-16 units: look at the two either side.
  const before = s.slice(Math.max(0, at - 2), at)
  const after = s.slice(at + 1, at + 3)
  if (zw === '\u200d' && EMOJI_BEFORE.test(before) && EMOJI_AFTER.test(after)) return zw
  return SCRIPT_BEFORE.test(before) && SCRIPT_AFTER.test(after) ? zw : ''
}

/**
 * Text that is inert on a terminal, on one line: no escape sequence, control character,
 * bidi override or hiding character survives; Chinese, emoji and other printable text is
 * unchanged. Longer than `maxLength` UTF-16 units, it is cut (at a character boundary, so
 * no emoji is cut in half) and ends with …
 */
export function safeText(input: unknown, maxLength = 200): string {
  if (input === null || input === undefined) return ''
  let s = String(input)
    .replace(ESCAPE_SEQUENCE, '')
    .replace(LINE_BREAK, ' ')
    .replace(CONTROL, '')
    .replace(BIDI, '')
    .replace(INVISIBLE, '')
    .replace(TAG, '')
    .replace(JOINER, keepJoiner)
    .replace(LONE_SURROGATE, '\ufffd')
  if (s.length > maxLength) s = cut(s, Math.max(0, maxLength - 1)) + '…'
  return s
}

const graphemes = new Intl.Segmenter(undefined, {granularity: 'grapheme'})

// A character that belongs with the one before it (a combining mark, a skin tone, a joiner,
// a variation selector, a tag, a Hangul vowel or final) or may (a regional indicator pairs
// up into a flag): cutting just before it would split a character on screen.
const CONTINUES = /^[\p{M}\p{Emoji_Modifier}\u200d\u1160-\u11ff\u{1f1e6}-\u{1f1ff}\u{e0020}-\u{e007f}]/u

/** The longest run of whole characters (grapheme clusters) within `max` UTF-16 units. */
function cut(s: string, max: number): string {
  let end = max
  if (/[\ud800-\udbff]/.test(s[end - 1] ?? '')) end--
  // Usually the cut is between two plain characters: no segmenting (slow on every table cell).
  if (!CONTINUES.test(s.slice(end, end + 2)) && s[end - 1] !== '\u200d') return s.slice(0, end)
  // Otherwise back to the start of the character it falls in, found in a window around it.
  const from = Math.max(0, end - 64)
  let start = from
  for (const {index} of graphemes.segment(s.slice(from, end + 64))) {
    if (from + index > end) break
    start = from + index
  }
  return s.slice(0, start)
}

/**
 * A CSV cell a spreadsheet will not execute: a leading =, +, -, @, tab or CR turns
 * the cell into a formula in Excel and LibreOffice, so it is prefixed with a quote.
 * The full-width ＝ ＋ － ＠ count too: Apple Numbers folds them into their ASCII forms.
 */
export function csvSafe(value: unknown): string {
  if (value === null || value === undefined) return ''
  const s = String(value)
  return /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/.test(s) ? `'${s}` : s
}
