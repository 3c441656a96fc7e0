import {safeText} from '../../engine/util/text.js'

// Terminal columns a string takes, and cutting or padding it to a column's width.
// Caller names and queue names are often Chinese (two columns per character); a
// mis-measured cell would push the rest of its row out of line.

function charWidth(cp: number): number {
  // Combining marks, zero-width joiner, variation selectors.
  if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200b || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0
  if (
    cp >= 0x1100 &&
    (cp <= 0x115f ||
      (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x1f300 && cp <= 0x1faff) ||
      (cp >= 0x20000 && cp <= 0x3fffd))
  )
    return 2
  return 1
}

function textWidth(s: string): number {
  let w = 0
  for (const ch of s) w += charWidth(ch.codePointAt(0)!)
  return w
}

/** Outside text made inert, cut to `width` columns (with …) and padded to exactly `width`. */
export function fit(value: unknown, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return ''
  const s = safeText(value, 400)
  let w = textWidth(s)
  let out = s
  if (w > width) {
    out = ''
    w = 0
    for (const ch of s) {
      const cw = charWidth(ch.codePointAt(0)!)
      if (w + cw > width - 1) break
      out += ch
      w += cw
    }
    out += '…'
    w += 1
  }
  const pad = ' '.repeat(Math.max(0, width - w))
  return align === 'right' ? pad + out : out + pad
}
