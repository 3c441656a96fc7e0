import {describe, expect, it} from 'vitest'
import {parseUntil} from '../../src/engine/blacklist/until.js'
import {UserError} from '../../src/engine/util/errors.js'

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0)

const refusal = (text: string) => {
  try {
    parseUntil(text, NOW)
  } catch (err) {
    return err instanceof UserError ? {message: err.message, exitCode: err.exitCode} : err
  }
  return null
}

describe('blacklist add --until', () => {
  it('takes a duration from now, calendar years like recordings purge --older-than, and a future ISO time', () => {
    expect(parseUntil('30d', NOW)).toBe(NOW + 30 * 86_400_000)
    expect(parseUntil('90', NOW)).toBe(NOW + 90_000)
    expect(parseUntil('1y', NOW)).toBe(Date.UTC(2027, 11, 7, 12, 0, 0))
    expect(parseUntil('2027-01-01', NOW)).toBe(Date.UTC(2027, 0, 1))
    expect(parseUntil('2027-01-01T08:00:00+08:00', NOW)).toBe(Date.UTC(2027, 0, 1))
  })

  it('refuses every invalid value with exit 2 (misuse report 21: -5d and 99999y were exit 1, 0 exit 2)', () => {
    expect(refusal('-5d')).toEqual({message: 'Invalid --until "-5d"', exitCode: 2})
    expect(refusal('99999y')).toEqual({message: 'Invalid --until "99999y"', exitCode: 2})
    expect(refusal('soon')).toEqual({message: 'Invalid --until "soon"', exitCode: 2})
    expect(refusal('2027-13-45')).toEqual({message: 'Invalid --until "2027-13-45"', exitCode: 2})
    expect(refusal('0')).toEqual({message: '--until "0" is not in the future', exitCode: 2})
    expect(refusal('2020-01-01')).toEqual({message: '--until "2020-01-01" is not in the future', exitCode: 2})
    expect(refusal('99999999999w')).toEqual({message: '--until "99999999999w" is too far ahead', exitCode: 2})
  })
})
