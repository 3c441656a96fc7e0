// What the terminal sends a full screen (the desk, the dashboard), read whole before Ink sees it.
// This is the one reader of the raw input: every escape sequence is recognised to its end,
// across reads, so that no part of one is ever taken as keys. Before, only CSI was known:
// an OSC 8 hyperlink pasted into a note (`ESC ] 8 ; ; http://x ESC \ link`) reached Ink as
// "Esc, then ] 8 ; ; h t t p ..." and the desk ran them as its keys (h held the call, l
// logged the agent out); Alt+x (ESC x) left the note and hung up.
//
// What Ink is handed, each in a form its own parser splits back into exactly one event:
// - the keys' sequences (arrows, Home, End, Delete, Page Up and Down, Shift-Tab, F1-F4, the
//   kitty keyboard protocol's), as they are;
// - Alt+character (ESC and one character), as it is: the screen decides (use-keys.ts);
// - an Esc only when the read was that Esc alone;
// - text between the bracketed paste marks (ESC [ 200 ~ ... ESC [ 201 ~) with its controls
//   and sequences removed (newlines and tabs become spaces), between the marks;
// - nothing of any other sequence: other CSI (a colour: Ink 6.8 threw on "\x1b[31m" and took
//   the desk down), OSC (to BEL or ST), DCS, SOS, PM and APC (to ST), their 8-bit forms.

const ESC = '\u001b'
export const PASTE_START = '\u001b[200~'
export const PASTE_END = '\u001b[201~'
/** CSI sequences that are keys Ink names. */
const KEY = /^\u001b\[(?:(?:1;\d{1,3})?[A-DHFZ]|(?:[1-6]|1[5-9]|2[0-4])(?:;\d{1,3})?~|\d{1,7}(?:[;:]\d{1,7})*u)$/
/** SS3 finals Ink names (arrows, Home, End, F1-F4). */
const SS3_KEY = /[A-FHP-Sa-e]/
/** ESC and one of these starts a sequence that runs to a string terminator: OSC, DCS, SOS, PM, APC. */
const STRING_INTRO = new Set([']', 'P', 'X', '^', '_'])
/** Their 8-bit forms (U+009D OSC, U+0090 DCS, U+0098 SOS, U+009E PM, U+009F APC). */
const C1_STRING_INTRO = new Set(['\u009d', '\u0090', '\u0098', '\u009e', '\u009f'])
const C1_CSI = '\u009b'
const C1_SS3 = '\u008f'
/** An unfinished sequence held for the next read is given up past this size. */
const PENDING_MAX = 65_536

type Kind = 'text' | 'key' | 'alt' | 'drop' | 'paste-start' | 'paste-end'
/** One piece of input from `i` to `end`; null when the input ends inside it. */
type Token = {kind: Kind; end: number} | null

const isFinal = (c: number) => c >= 0x40 && c <= 0x7e

/** CSI from `i`; its parameters start at `from`. */
function csi(s: string, i: number, from: number, eightBit: boolean): Token {
  let k = from
  // Legacy function keys: ESC [ [ A.
  if (s[k] === '[') k++
  for (; k < s.length; k++) {
    const c = s.charCodeAt(k)
    if (c >= 0x20 && c <= 0x3f) continue
    if (!isFinal(c)) return {kind: 'drop', end: k}
    const seq = s.slice(i, k + 1)
    const kind: Kind = eightBit ? 'drop' : seq === PASTE_START ? 'paste-start' : seq === PASTE_END ? 'paste-end' : KEY.test(seq) ? 'key' : 'drop'
    return {kind, end: k + 1}
  }
  return null
}

/** SS3 from `i`: ESC O, optional parameters, one final character. */
function ss3(s: string, i: number, from: number, eightBit: boolean): Token {
  for (let k = from; k < s.length; k++) {
    const c = s.charCodeAt(k)
    if ((c >= 0x30 && c <= 0x39) || c === 0x3b) continue
    if (!isFinal(c)) return {kind: 'drop', end: k}
    return {kind: !eightBit && k === from && SS3_KEY.test(s[k]!) ? 'key' : 'drop', end: k + 1}
  }
  return null
}

/** A string sequence's body from `from`: to BEL or ST (ESC \ or U+009C); CAN, SUB or another ESC abort it. */
function stringSequence(s: string, from: number): Token {
  for (let k = from; k < s.length; k++) {
    const c = s[k]
    if (c === '\u0007' || c === '\u009c') return {kind: 'drop', end: k + 1}
    if (c === '\u0018' || c === '\u001a') return {kind: 'drop', end: k + 1}
    if (c === ESC) {
      if (k + 1 >= s.length) return null
      // Another sequence starts: this one is given up, that one read on its own.
      return {kind: 'drop', end: s[k + 1] === '\\' ? k + 2 : k}
    }
  }
  return null
}

function token(s: string, i: number): Token {
  const c = s[i]!
  if (c === ESC) {
    const n = s[i + 1]
    if (n === undefined) return null
    if (n === '[') return csi(s, i, i + 2, false)
    if (n === 'O') return ss3(s, i, i + 2, false)
    if (STRING_INTRO.has(n)) return stringSequence(s, i + 2)
    // ESC ESC (Alt+Esc, or an Esc before a sequence or an Alt key): the first is dropped.
    if (n === ESC) return {kind: 'drop', end: i + 1}
    const cp = s.codePointAt(i + 1)!
    return {kind: 'alt', end: i + 1 + (cp > 0xffff ? 2 : 1)}
  }
  if (c === C1_CSI) return csi(s, i, i + 1, true)
  if (c === C1_SS3) return ss3(s, i, i + 1, true)
  if (C1_STRING_INTRO.has(c)) return stringSequence(s, i + 1)
  let k = i + 1
  while (k < s.length && s[k] !== ESC && s[k] !== C1_CSI && s[k] !== C1_SS3 && !C1_STRING_INTRO.has(s[k]!)) k++
  return {kind: 'text', end: k}
}

/** Pasted text as text only: line breaks and tabs are spaces, every other control goes. */
export function pastedText(text: string): string {
  return text.replace(/\r\n?|[\n\t]/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
}

/** A reader of the raw input, read by read: what Ink is to be handed of each (see the top of this file). */
export function createKeyFilter() {
  let pending = ''
  let paste = false
  return {
    /** Whether the input is inside a bracketed paste (its end mark not read yet). */
    get inPaste(): boolean {
      return paste
    },
    push(chunk: string): string {
      // An Esc read alone (or Escs only) is the Esc key, whatever was left unfinished before it.
      if (!paste && /^\u001b+$/.test(chunk)) {
        pending = ''
        return ESC
      }
      const s = pending + chunk
      pending = ''
      let out = ''
      for (let i = 0; i < s.length; ) {
        let t = token(s, i)
        if (!t) {
          const rest = s.slice(i)
          // ESC [ or ESC ] ... read alone were typed (Alt+[, Alt+]), not the start of a sequence cut by the read.
          if (!paste && rest === chunk && rest.length === 2) t = {kind: rest[1] === '[' || rest[1] === 'O' ? 'drop' : 'alt', end: s.length}
          else {
            pending = rest.length > PENDING_MAX ? '' : rest
            break
          }
        }
        const piece = s.slice(i, t.end)
        i = t.end
        if (paste) {
          if (t.kind === 'paste-end') {
            paste = false
            out += PASTE_END
          } else if (t.kind === 'text') out += pastedText(piece)
          // A stray ESC before a character in pasted text: the character stays.
          else if (t.kind === 'alt') out += pastedText(piece.slice(1))
          continue
        }
        if (t.kind === 'paste-start') {
          paste = true
          out += PASTE_START
        } else if (t.kind === 'text' || t.kind === 'key' || t.kind === 'alt') out += piece
      }
      return out
    },
  }
}

/** One read's input as Ink is handed it, read on its own. */
export function dropUnknownSequences(chunk: string): string {
  return createKeyFilter().push(chunk)
}

/** An event of Ink's that is Alt and one character (ESC and the character), not the start of a sequence. */
export const isAltChord = (event: string): boolean => /^\u001b[^\u001b[O]$/u.test(event)

/** Makes `stdin` hand Ink its input read whole (Ink reads strings: it sets utf8). */
export function guardKeyInput(stdin: NodeJS.ReadStream): void {
  const read = stdin.read.bind(stdin)
  const filter = createKeyFilter()
  stdin.read = ((size?: number) => {
    const chunk: unknown = read(size)
    return typeof chunk === 'string' ? filter.push(chunk) : chunk
  }) as typeof stdin.read
}
