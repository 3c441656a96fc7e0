import {describe, expect, it} from 'vitest'
import {safeId} from '../../src/engine/util/ids.js'

// The one id a name goes by where Asterisk or a file system needs ASCII (dialplan
// extensions, Local channels, lock files): stable, distinct, and the name itself when safe.
describe('safeId', () => {
  it('leaves a safe ASCII name as it is, so nothing changes for existing queues', () => {
    for (const n of ['sales', 'q', '100', 'sales.eu-2', 'A_b']) expect(safeId(n)).toBe(n)
  })

  it('gives any other name an id the inbound dialplan pattern _[0-9a-zA-Z+]. and a file system take', () => {
    for (const n of ['客服', '售后', '粤语', 'café', '../客服 app', '-x', '.hidden', 'a'.repeat(65), '客\u202e服']) {
      const id = safeId(n)
      expect(id, n).toMatch(/^[0-9A-Za-z][A-Za-z0-9._-]{0,63}$/)
      expect(id, n).toMatch(/-[0-9a-f]{8}$/)
    }
    expect(safeId('客服')).toMatch(/^u-[0-9a-f]{8}$/)
    expect(safeId('café')).toMatch(/^cafe-[0-9a-f]{8}$/)
  })

  it('is the same for one name in either normal form, and differs between names', () => {
    expect(safeId('café'.normalize('NFD'))).toBe(safeId('café'.normalize('NFC')))
    expect(safeId('客服')).toBe(safeId('客服'))
    const ids = new Set(['客服', '售后', '客服1', '客服2', 'café', 'cafè'].map(safeId))
    expect(ids.size).toBe(6)
  })
})
