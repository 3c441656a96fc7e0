import stringWidth from 'string-width'

// Terminal columns, measured the way Ink measures them: the same string-width copy Ink
// 6.8.0 lays its boxes out with. Two hand-written tables used to disagree (a family
// emoji was 5 columns in CLI tables, 6 in the wallboard, 2 on the screen), and a cell
// measured differently from Ink pushes the rest of its row out of line.

const graphemes = new Intl.Segmenter(undefined, {granularity: 'grapheme'})

/** Columns `s` takes on a terminal (CJK 2, emoji sequences 2, combining marks 0). */
export function displayWidth(s: string): number {
  return stringWidth(s)
}

/**
 * The longest start of `s` that fits in `columns`, cut between graphemes: a flag, a
 * ZWJ family or a letter with its accents is kept whole or left out whole, never split
 * into pieces the terminal would draw as something else.
 */
export function cutToWidth(s: string, columns: number): {text: string; width: number} {
  let text = ''
  let width = 0
  for (const {segment} of graphemes.segment(s)) {
    const w = stringWidth(segment)
    if (width + w > columns) break
    text += segment
    width += w
  }
  return {text, width}
}
