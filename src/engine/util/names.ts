// Names people type — queues, skills, pause reasons, contact tiers — in any script:
// 客服, 粤语, 午饭, 贵宾 as well as sales. What is refused is what can hide or fake text:
// control characters, bidi overrides and zero-width characters (category Cf), line
// separators, private-use and unassigned code points, and spaces at either end.
//
// Lengths count code points: a stable measure (grapheme rules change with Unicode
// versions) that also bounds storage, where 64 graphemes of stacked accents would not.

/** A letter of any script, then letters, combining marks, digits, "_", "." or "-". */
export const IDENTIFIER_START = String.raw`\p{L}\p{N}`
export const IDENTIFIER_PART = String.raw`\p{L}\p{M}\p{N}_.\-`

const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}]/u
const HIDDEN_ALL = new RegExp(HIDDEN.source, 'gu')

/** A refused name as it can be shown in a message: hidden characters written as \u202E. */
export function shownName(s: string, max = 80): string {
  const cut = [...s].slice(0, max).join('')
  return cut.replace(HIDDEN_ALL, (c) => `\\u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`) + (cut.length < s.length ? '…' : '')
}

/** Why `s` cannot be a name, or null. `max` is in code points. */
export function nameProblem(s: string, max: number): string | null {
  if (s === '') return 'is empty'
  // Before the space check: JavaScript's trim() also takes U+FEFF, which is no space.
  const hidden = HIDDEN.exec(s)
  if (hidden) return `contains the invisible or control character U+${hidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
  if (s.trim() === '') return 'is empty'
  if (s !== s.trim()) return 'starts or ends with a space'
  const n = [...s].length
  if (n > max) return `is ${n} characters long (at most ${max})`
  return null
}

/**
 * The form a name is stored and compared in. NFC: "e" + combining acute and "é" are
 * the same text, and a name typed either way is one name.
 */
export function canonicalName(s: string): string {
  return s.normalize('NFC')
}

/**
 * What two names must not share. NFKC folds compatibility forms a Chinese input method
 * produces (full-width "ｓａｌｅｓ", "客服１") onto the plain ones: such names look the
 * same to a supervisor, so they are one name, not two.
 */
export function nameKey(s: string): string {
  return s.normalize('NFKC')
}
