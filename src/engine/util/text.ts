// Caller ID names, DTMF, CSV cells and file content come from outside and may carry
// terminal escape sequences meant to rewrite a supervisor's screen.

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences,
// and 8-bit C1 controls.
const ANSI_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|[\u0080-\u009f]/g
// C0 controls and DEL; newline and tab are replaced by a space where a single line is expected.
const CONTROL = /[\u0000-\u001f\u007f]/g

/** Text that is safe to print on a terminal, on one line. */
export function safeText(input: unknown, maxLength = 200): string {
  if (input === null || input === undefined) return ''
  let s = String(input).replace(ANSI_SEQUENCE, '').replace(CONTROL, ' ')
  // Lone surrogates (invalid UTF-16, e.g. from broken UTF-8 decoding) render unpredictably.
  s = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
  if (s.length > maxLength) s = s.slice(0, Math.max(0, maxLength - 1)) + '…'
  return s
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
