// Caller ID and dial strings: outside text made safe before it goes to a phone or a trunk.

/** Caller ID text is hostile: keep it bounded. Display code strips control characters. */
export function cap(s: string, max = 256): string {
  return s.length > max ? s.slice(0, max) : s
}

/** "Name" <number> for the agent's display, with characters that would break the syntax removed. */
export function callerIdString(c: {name: string; number: string}): string {
  const name = c.name.replace(/["<>\\\u0000-\u001f\u007f]/g, '').slice(0, 64)
  const number = c.number.replace(/[^0-9A-Za-z+*#]/g, '').slice(0, 32)
  return name ? `"${name}" <${number}>` : number
}

/** The trunk dial string with the number in it; the number is digits (and +) only. */
export function dialString(template: string, number: string): string {
  const n = number.replace(/[^0-9+]/g, '')
  return template.replace('{number}', n)
}

export function clampPriority(v: string | undefined): number {
  const n = Number(v)
  return Number.isInteger(n) ? Math.max(0, Math.min(100, n)) : 0
}
