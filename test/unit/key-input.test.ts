import {describe, expect, it} from 'vitest'
import {createInputParser} from '../../node_modules/ink/build/input-parser.js'
import {createKeyFilter, isAltChord, PASTE_END, PASTE_START, pastedText} from '../../src/ui/key-input.js'

// The one reader of what the terminal sends a full screen (misuse report 21, finding 1): each
// escape sequence is read whole, across reads, so no part of one is ever taken as keys.

/** What Ink is handed for each read, in order. */
const through = (...reads: string[]) => {
  const f = createKeyFilter()
  return reads.map((r) => f.push(r))
}
/** Ink's events for what it is handed (Ink 6.8's own parser splits the input so). */
const inkEvents = (handed: string) => createInputParser().push(handed)

const OSC8 = ' see \u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\ done'

describe('the key filter', () => {
  it('keeps the keys: arrows, Home, End, Delete, Page Up and Down, Shift-Tab, F1-F4, SS3 arrows, kitty keys', () => {
    for (const key of ['\u001b[A', '\u001b[1;5C', '\u001b[H', '\u001b[3~', '\u001b[5;5~', '\u001b[Z', '\u001bOA', '\u001bOP', '\u001b[97;5u', '\u001b[[A']) expect(through(key), JSON.stringify(key)).toEqual([key === '\u001b[[A' ? '' : key])
  })

  it('drops CSI that is no key (a colour), whole', () => {
    expect(through('a\u001b[31mb\u001b[0m\u001b[?1;2c')).toEqual(['ab'])
  })

  it('drops OSC to its ST or BEL: a hyperlink and a title leave their text only', () => {
    expect(through(OSC8)).toEqual([' see link done'])
    expect(through('a\u001b]0;title\u0007b')).toEqual(['ab'])
    // 8-bit OSC and ST.
    expect(through('a\u009d0;title\u009cb')).toEqual(['ab'])
  })

  it('drops DCS, SOS, PM and APC to their ST', () => {
    expect(through('1\u001bP1$r0m\u001b\\2\u001bXsos\u001b\\3\u001b^pm\u001b\\4\u001b_apc;x\u001b\\5')).toEqual(['12345'])
  })

  it('drops SS3 that is no key Ink names (a keypad digit would have been "Ox": O, then x)', () => {
    expect(through('\u001bOx', '\u001bO2P')).toEqual(['', ''])
  })

  it('hands Alt+character on as one event, and an Esc read alone as Esc', () => {
    expect(through('\u001bx', '\u001b', '\u001b/')).toEqual(['\u001bx', '\u001b', '\u001b/'])
    expect(inkEvents('\u001bx')).toEqual(['\u001bx'])
    expect(isAltChord('\u001bx')).toBe(true)
    expect(isAltChord('\u001b')).toBe(false)
    expect(isAltChord('\u001b[A')).toBe(false)
    // Esc before Alt+x in one read: no Esc of its own (it did not arrive alone).
    expect(through('\u001b\u001bx')).toEqual(['\u001bx'])
    // Alt+] typed (ESC ] read alone) is Alt+], not an OSC that swallows what is typed next.
    expect(through('\u001b]', 'ab')).toEqual(['\u001b]', 'ab'])
  })

  it('reads a sequence cut between two reads whole', () => {
    const [a, b] = OSC8.split('http')
    expect(through(a!, 'http' + b!)).toEqual([' see ', 'link done'])
    // Cut right after its ESC: the ESC waits for the rest.
    expect(through('ab\u001b', ']0;t\u0007cd')).toEqual(['ab', 'cd'])
    expect(through('ab\u001b', '[A')).toEqual(['ab', '\u001b[A'])
    // An unfinished sequence gives way to an Esc read alone.
    expect(through('ab\u001b]0;ti', '\u001b', 'x')).toEqual(['ab', '\u001b', 'x'])
  })

  it('bracketed paste: text only between the marks, controls and sequences out, also cut between reads', () => {
    expect(through(`${PASTE_START}a\r\nb\u001b]0;t\u0007\tc\u001bx\u0003${PASTE_END}q`)).toEqual([`${PASTE_START}a b cx${PASTE_END}q`])
    expect(through(`${PASTE_START}see \u001b]8;;http:`, '//x\u001b\\link\u001b', `]8;;\u001b\\ done\u001b[20`, '1~h')).toEqual([`${PASTE_START}see `, 'link', ' done', `${PASTE_END}h`])
    // A lone ESC read inside a paste is part of it (the end mark may follow), not the Esc key.
    expect(through(`${PASTE_START}ab`, '\u001b', '[201~')).toEqual([`${PASTE_START}ab`, '', PASTE_END])
    // What Ink makes of it: the marks and the text as events of their own.
    expect(inkEvents(`${PASTE_START}a b${PASTE_END}`)).toEqual([PASTE_START, 'a b', PASTE_END])
    expect(pastedText('a\r\nb\tc\u0007')).toBe('a b c')
  })
})
