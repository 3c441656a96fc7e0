// What a customer writes reaches a browser, a terminal (callctl desk), a transcript
// export and a database. Characters that only steer a display, never say anything, are
// taken out once here at the channel's edge, so no face has to remember to. An escape
// sequence goes whole: dropping only its ESC left `[31m红]0;X` in the desk, `chat list` and
// transcripts, where no later sanitizer can recognise it any more.
import {withoutEscapeSequences} from '../../util/text.js'

/** C0 controls but tab and newline, DEL, C1 controls (ESC starts a terminal sequence). */
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g
/** Bidi overrides and isolates: they make a line read differently from what it holds. */
const BIDI = /[\u202A-\u202E\u2066-\u2069]/g
/** Half a surrogate pair is not text: PostgreSQL and JSON round trips differ on it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

export function cleanText(s: string): string {
  return withoutEscapeSequences(s.replace(/\r\n?/g, '\n')).replace(CONTROLS, '').replace(BIDI, '').replace(LONE_SURROGATE, '\uFFFD').trim()
}

/** A name or number: one line, no controls, at most `max` characters. */
export function cleanLine(s: string, max: number): string {
  return [...cleanText(s).replace(/\s+/g, ' ')].slice(0, max).join('')
}

/** Length in characters a person counts (code points), not UTF-16 units. */
export function charCount(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

/** A phone number as a customer may type it: digits, +, spaces, dashes, brackets. */
export function cleanNumber(s: string): string | null {
  const line = cleanLine(s, 32)
  return /^\+?[0-9 ()-]{3,31}$/.test(line) ? line : null
}
