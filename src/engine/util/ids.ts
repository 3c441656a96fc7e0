import {createHash, randomBytes} from 'node:crypto'

/** Sortable, unique ids: time in base 36 then randomness. Safe in file names and ARI ids. */
export function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/**
 * The id a name goes by where only ASCII is safe: a dialplan extension (the inbound
 * pattern _[0-9a-zA-Z+]. takes no 客服), a Local channel, a file name. A name that is
 * already safe is its own id, so nothing changes for "sales"; any other gets the ASCII
 * left of it (accents dropped: "café" → "cafe") and a hash of the whole name, so 客服
 * and 售后 never share an id and the same name always gets the same one.
 */
export function safeId(name: string): string {
  const n = name.normalize('NFC')
  if (SAFE.test(n)) return n
  const slug = n
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .slice(0, 40)
  const hash = createHash('sha1').update(n).digest('hex').slice(0, 8)
  // "u" (unicode) when nothing ASCII is left: an id must start with a letter or digit.
  return `${slug || 'u'}-${hash}`
}
