import {randomBytes} from 'node:crypto'

/** Sortable, unique ids: time in base 36 then randomness. Safe in file names and ARI ids. */
export function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`
}
