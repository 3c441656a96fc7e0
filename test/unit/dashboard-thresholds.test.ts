import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DEFAULT_THRESHOLDS, describeThresholds, levelOf, loadThresholds, summarizeThresholds, worst} from '../../src/ui/dashboard/thresholds.js'
import {UserError} from '../../src/engine/util/errors.js'

const dir = mkdtempSync(join(tmpdir(), 'callctl-thresholds-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
const file = (name: string, text: string) => {
  const f = join(dir, name)
  writeFileSync(f, text)
  return f
}

describe('threshold levels', () => {
  it('lower is worse for service level and answer rate: a level starts below its threshold', () => {
    expect(levelOf('serviceLevel', 0.8, DEFAULT_THRESHOLDS)).toBe('ok')
    expect(levelOf('serviceLevel', 0.7999, DEFAULT_THRESHOLDS)).toBe('warn')
    expect(levelOf('serviceLevel', 0.6, DEFAULT_THRESHOLDS)).toBe('warn')
    expect(levelOf('serviceLevel', 0.5999, DEFAULT_THRESHOLDS)).toBe('alert')
    expect(levelOf('answerRate', 0.85, DEFAULT_THRESHOLDS)).toBe('warn')
  })

  it('higher is worse for the others: a level starts at its threshold, in the unit it is written in', () => {
    expect(levelOf('longestWait', 29_999, DEFAULT_THRESHOLDS)).toBe('ok')
    expect(levelOf('longestWait', 30_000, DEFAULT_THRESHOLDS)).toBe('warn')
    expect(levelOf('longestWait', 60_000, DEFAULT_THRESHOLDS)).toBe('alert')
    expect(levelOf('abandonRate', 0.049, DEFAULT_THRESHOLDS)).toBe('ok')
    expect(levelOf('abandonRate', 0.05, DEFAULT_THRESHOLDS)).toBe('warn')
    expect(levelOf('waiting', 10, DEFAULT_THRESHOLDS)).toBe('alert')
    expect(levelOf('aht', 359_000, DEFAULT_THRESHOLDS)).toBe('ok')
  })

  it('no figure, or a threshold switched off, is not coloured', () => {
    expect(levelOf('serviceLevel', null, DEFAULT_THRESHOLDS)).toBe('none')
    expect(levelOf('asa', 90_000, {...DEFAULT_THRESHOLDS, asa: null})).toBe('none')
    expect(worst(['ok', 'none', 'warn'])).toBe('warn')
    expect(worst([])).toBe('none')
  })

  it('documents the defaults', () => {
    expect(describeThresholds()).toEqual([
      "serviceLevel warn below 80%, alert below 60% (today's service level (each queue's T and formula))",
      'answerRate   warn below 90%, alert below 80% (answered / finished calls today (callers still waiting and system-ended ones apart))',
      'abandonRate  warn from 5%, alert from 10% ((abandoned − short) / (finished calls − short) today)',
      'longestWait  warn from 30 s, alert from 60 s (the longest wait of a caller in line now)',
      'waiting      warn from 5 callers, alert from 10 callers (callers in line now, per queue)',
      'asa          warn from 20 s, alert from 40 s (average speed of answer today)',
      'aht          warn from 360 s, alert from 600 s (average handle time today (talk + hold + wrap-up))',
    ])
    expect(summarizeThresholds({...DEFAULT_THRESHOLDS, aht: null})).toBe(
      'serviceLevel 80/60 %, answerRate 90/80 % (worse below); abandonRate 5/10 %, longestWait 30/60 s, waiting 5/10 callers, asa 20/40 s, aht off (worse from)',
    )
  })
})

describe('loading thresholds', () => {
  const none = join(dir, 'absent.yaml')

  it('defaults when there is no file and no flag', () => {
    expect(loadThresholds({defaultFile: none})).toEqual(DEFAULT_THRESHOLDS)
  })

  it('the default file (dashboard.yaml), then flags on top', () => {
    const f = file('dashboard.yaml', 'thresholds:\n  serviceLevel: {warn: 90, alert: 75}\n  aht: off\n')
    const t = loadThresholds({defaultFile: f, flags: ['serviceLevel=85,70', 'longestwait=20,45']})
    expect(t.serviceLevel).toEqual({warn: 85, alert: 70})
    expect(t.longestWait).toEqual({warn: 20, alert: 45})
    expect(t.aht).toBeNull()
    expect(t.asa).toEqual(DEFAULT_THRESHOLDS.asa)
    expect(loadThresholds({defaultFile: f}).serviceLevel).toEqual({warn: 90, alert: 75})
  })

  it('an explicit file must exist', () => {
    expect(() => loadThresholds({file: none, defaultFile: none})).toThrow(/Cannot read .*absent\.yaml: ENOENT/)
  })

  it('file mistakes are reported at file:line:column', () => {
    const bad = file('bad.yaml', 'thresholds:\n  serviceLevel: {warn: 90, alert: 75}\n  speed: {warn: 1, alert: 2}\n')
    expect(() => loadThresholds({file: bad, defaultFile: none})).toThrow(/bad\.yaml:3:3: unknown threshold "speed"/)
    const inverted = file('inverted.yaml', 'thresholds:\n  serviceLevel: {warn: 60, alert: 80}\n')
    expect(() => loadThresholds({file: inverted, defaultFile: none})).toThrow(/inverted\.yaml:2:17: serviceLevel alert \(80\) must not be above warn \(60\): lower is worse/)
    const other = file('other.yaml', 'colours: {}\n')
    expect(() => loadThresholds({file: other, defaultFile: none})).toThrow(/the dashboard file has one section, thresholds/)
  })

  it('flag mistakes are user errors with exit code 2 and an example', () => {
    const err = (flag: string) => {
      try {
        loadThresholds({defaultFile: none, flags: [flag]})
      } catch (e) {
        return e as UserError
      }
      throw new Error(`${flag} was accepted`)
    }
    expect(err('sl').message).toBe('Invalid --threshold "sl"')
    expect(err('speed=1,2').message).toBe('Unknown threshold "speed"')
    expect(err('abandonRate=10,5').message).toBe('--threshold abandonRate: alert (5) must not be below warn (10): higher is worse')
    expect(err('answerRate=120,80').message).toBe('--threshold answerRate: is in percent: 0 to 100')
    expect(err('asa=20').message).toBe('--threshold asa: needs two numbers, warn and alert, both 0 or more')
    expect(err('asa=20').exitCode).toBe(2)
    expect(err('asa=20').suggestion).toBe('Use asa=WARN,ALERT, e.g. asa=20,40')
  })
})
