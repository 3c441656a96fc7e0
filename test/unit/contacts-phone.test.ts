import {describe, expect, it} from 'vitest'
import {isSupportedCountry, normaliseNumber} from '../../src/engine/contacts/phone-number.js'

describe('normaliseNumber', () => {
  it.each([
    // [input, default country, E.164]
    ['13812345678', 'CN', '+8613812345678'],
    ['138 1234 5678', 'CN', '+8613812345678'],
    ['138-1234-5678', 'CN', '+8613812345678'],
    ['+86 138 1234 5678', 'CN', '+8613812345678'],
    ['008613812345678', 'CN', '+8613812345678'],
    ['8613812345678', 'CN', '+8613812345678'],
    ['013812345678', 'CN', '+8613812345678'],
    ['１３８１２３４５６７８', 'CN', '+8613812345678'],
    ['tel:+8613812345678', 'CN', '+8613812345678'],
    ['010-8888 8888', 'CN', '+861088888888'],
    ['(010) 8888-8888', 'CN', '+861088888888'],
    ['+86 (0)10 8888 8888', 'CN', '+861088888888'],
    ['+86 010 8888 8888', 'CN', '+861088888888'],
    ['0755-12345678', 'CN', '+8675512345678'],
    ['021 1234 5678', 'CN', '+862112345678'],
    ['400-812-3123', 'CN', '+864008123123'],
    ['+1 415 555 0100', 'CN', '+14155550100'],
    ['020 7946 0958', 'GB', '+442079460958'],
    // 07700 900xxx is Ofcom's range for TV drama, never assigned: a real mobile range instead.
    ['07400 123456', 'GB', '+447400123456'],
    ['+44 (0)20 7946 0958', 'GB', '+442079460958'],
    ['(415) 555-0100', 'US', '+14155550100'],
    ['1-415-555-0100', 'US', '+14155550100'],
    ['415.555.0100', 'CA', '+14155550100'],
    ['011 44 20 7946 0958', 'US', '+442079460958'],
    ['030 123456', 'DE', '+4930123456'],
    ['01 23 45 67 89', 'FR', '+33123456789'],
    ['06 1234 5678', 'IT', '+390612345678'],
    ['8 495 123-45-67', 'RU', '+74951234567'],
    ['03-1234-5678', 'JP', '+81312345678'],
    ['010 86 138 1234 5678', 'JP', '+8613812345678'],
    ['02-123-4567', 'KR', '+8221234567'],
    ['9123 4567', 'HK', '+85291234567'],
    ['02 2345 6789', 'TW', '+886223456789'],
    ['6123 4567', 'SG', '+6561234567'],
    ['098765 43210', 'IN', '+919876543210'],
    ['(02) 9876 5432', 'AU', '+61298765432'],
    ['0011 86 13812345678', 'AU', '+8613812345678'],
    ['+855 12 345 678', 'CN', '+85512345678'],
    ['13812345678', 'cn', '+8613812345678'],
    // Countries the hand-made table did not know: a default country is any ISO code.
    ['0301 2345678', 'PK', '+923012345678'],
    ['0803 123 4567', 'NG', '+2348031234567'],
    ['0912 345 678', 'VN', '+84912345678'],
  ])('%s in %s → %s', (input, country, e164) => {
    expect(normaliseNumber(input, country)).toBe(e164)
  })

  it.each([
    ['12345', 'CN', 'too short'],
    ['1381234567', 'CN', 'a mobile number missing a digit'],
    ['138123456789', 'CN', 'a mobile number with a digit too many'],
    ['555-0100', 'US', 'no area code'],
    ['(115) 555-0100', 'US', 'area codes never start with 1'],
    ['+86 138 1234 5678 9999', 'CN', 'too long for the country'],
    ['+1234567890123456', 'CN', 'more than 15 digits'],
    ['+0086 13812345678', 'CN', 'a calling code cannot start with 0'],
    ['++8613812345678', 'CN', 'two plus signs'],
    ['138+12345678', 'CN', 'a plus sign in the middle'],
    ['13812345678', 'XX', 'a national number for an unknown country'],
    // The hand-made table checked lengths only, and outside its 30 countries not even the calling code.
    ['+999 123 4567', 'CN', 'calling code 999 is not assigned'],
    ['07700 900123', 'GB', "Ofcom's drama range, never assigned"],
  ])('rejects %s (%s): %s', (input, country) => {
    expect(normaliseNumber(input, country)).toBeNull()
  })

  it('rejects hostile input: letters, control characters, escapes, huge strings, non-strings', () => {
    const hostile: unknown[] = [
      '',
      ' ',
      '+',
      'anonymous',
      'abc',
      '138abc45678',
      '1381234\u00005678',
      '13812345678\u001b[2J',
      '\u202e13812345678',
      '138\t1234\t5678',
      'x'.repeat(10_000),
      '1'.repeat(10_000),
      '1 '.repeat(5_000),
      null,
      undefined,
      13812345678,
      {toString: () => '13812345678'},
    ]
    for (const h of hostile) expect(normaliseNumber(h, 'CN')).toBeNull()
  })

  it('knows which default countries it supports', () => {
    expect(isSupportedCountry('CN')).toBe(true)
    expect(isSupportedCountry('gb')).toBe(true)
    expect(isSupportedCountry('XX')).toBe(false)
    // Every country with a numbering plan, not only the 30 in a table of our own.
    expect(isSupportedCountry('PK')).toBe(true)
    expect(isSupportedCountry('ng')).toBe(true)
    expect(isSupportedCountry('toString')).toBe(false)
  })
})
