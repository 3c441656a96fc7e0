import {afterEach, describe, expect, it, vi} from 'vitest'
import {numberFlag, numberListFlag} from '../../src/bench/flags.js'

// A benchmark's bad flag is the user's mistake: one line on stderr and exit 2, no stack trace.

describe('benchmark flags', () => {
  afterEach(() => vi.restoreAllMocks())

  function refusal(run: () => unknown): {code: number | undefined; said: string} {
    let said = ''
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((said += String(s)), true))
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      throw Object.assign(new Error('exit'), {code})
    }) as never)
    try {
      run()
    } catch (err) {
      if ((err as Error).message !== 'exit') throw err
    }
    return {code: exit.mock.calls[0]?.[0] as number | undefined, said}
  }

  it('reads good values', () => {
    expect(numberListFlag(['--rates', '20,5,10'], '--rates', '1')).toEqual([5, 10, 20])
    expect(numberListFlag([], '--rates', '5,10')).toEqual([5, 10])
    expect(numberFlag(['--calls', '30'], '--calls', 10, {integer: true, min: 1})).toBe(30)
  })

  it.each([
    [['--rates', 'x'], () => numberListFlag(['--rates', 'x'], '--rates', '5,10'), 'Error: --rates: "x" is not a positive number (example: --rates 5,10)\n'],
    [['--rates', '5,-1'], () => numberListFlag(['--rates', '5,-1'], '--rates', '5,10'), 'Error: --rates: "-1" is not a positive number (example: --rates 5,10)\n'],
    [['--calls', '2.5'], () => numberFlag(['--calls', '2.5'], '--calls', 10, {integer: true, min: 1}), 'Error: --calls needs a whole number >= 1, got "2.5"\n'],
  ])('%j: one line, exit 2', (_args, run, line) => {
    expect(refusal(run)).toEqual({code: 2, said: line})
  })
})
