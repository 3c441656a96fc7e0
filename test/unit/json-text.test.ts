import {describe, expect, it} from 'vitest'
import {jsonText} from '../../src/engine/util/json-text.js'
import {HOSTILE_STRINGS, rawForbidden} from '../fixtures/hostile-strings.js'

describe('jsonText', () => {
  it('escapes the C1 CSI, DEL, bidi overrides and zero-width characters that JSON.stringify leaves raw', () => {
    const value = {name: '\u009b2J\u202eevil\u007f\u200b\u2028\ufeff'}
    expect(JSON.stringify(value)).toContain('\u009b')
    const text = jsonText(value)
    expect(text).toBe('{"name":"\\u009b2J\\u202eevil\\u007f\\u200b\\u2028\\ufeff"}')
    expect(JSON.parse(text)).toEqual(value)
  })

  it('round-trips every string of the hostile corpus exactly, with nothing raw left, and keeps Chinese and emoji readable', () => {
    for (const h of HOSTILE_STRINGS) {
      const text = jsonText({caller: {name: h.text, number: h.text}}, 2)
      expect(rawForbidden(text), h.id).toEqual([])
      // ZWJ/ZWNJ too: JSON has a lossless escape for them, so none is left raw.
      expect(text, h.id).not.toMatch(/[\u200c\u200d]/)
      expect(JSON.parse(text), h.id).toEqual({caller: {name: h.text, number: h.text}})
    }
    expect(jsonText('王小明 😀')).toBe('"王小明 😀"')
  })

  it('escapes tag characters as surrogate pairs and keeps indentation', () => {
    expect(jsonText('a\u{e0041}')).toBe('"a\\udb40\\udc41"')
    expect(jsonText({a: [1]}, 2)).toBe('{\n  "a": [\n    1\n  ]\n}')
    expect(jsonText(undefined)).toBe('null')
  })
})
