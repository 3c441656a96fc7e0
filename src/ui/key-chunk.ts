import type {KeyPress} from './dashboard/keys.js'

// Keys typed faster than a screen reads them, or pasted, arrive as one chunk ("/support\r"):
// Ink hands the chunk on as one input, which a screen would take as one odd key (a "/"
// that opens the filter swallowed the rest). Each character is its own key here.

/** Whether Ink's input is such a chunk (several characters, not an escape sequence). */
export const isChunk = (input: string, key: KeyPress): boolean => input.length > 1 && !key.ctrl && !key.escape

/** The chunk's keys, one per character: Enter, Backspace, Tab and controls by name. */
export function keysOf(chunk: string): [string, KeyPress][] {
  return [...chunk].map((ch) => {
    if (ch === '\r' || ch === '\n') return ['', {return: true}]
    if (ch === '\u007f' || ch === '\b') return ['', {backspace: true}]
    if (ch === '\t') return ['', {tab: true}]
    if (ch < ' ') return ['', {ctrl: true}]
    return [ch, {}]
  })
}
