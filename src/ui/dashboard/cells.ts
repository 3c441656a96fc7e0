import {safeText} from '../../engine/util/text.js'
import {cutToWidth, displayWidth} from '../text-width.js'

// Cutting or padding a cell to a column's width. Caller names and queue names are
// often Chinese (two columns per character); text-width.ts measures them as Ink does.

/** Outside text made inert, cut to `width` columns (with …) and padded to exactly `width`. */
export function fit(value: unknown, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return ''
  const s = safeText(value, 400)
  let w = displayWidth(s)
  let out = s
  if (w > width) {
    const cut = cutToWidth(s, width - 1)
    out = cut.text + '…'
    w = cut.width + 1
  }
  const pad = ' '.repeat(Math.max(0, width - w))
  return align === 'right' ? pad + out : out + pad
}
