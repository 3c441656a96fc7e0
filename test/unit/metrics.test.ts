import {describe, expect, it} from 'vitest'
import {abandonRate, agentsNeeded, aht, answerRate, asa, countAbandoned, countAnswered, countHandled, countOffered, DEFAULT_SL, describeSl, emptyTally, erlangC, erlangServiceLevel, occupancy, serviceLevel} from '../../src/engine/reports/metrics.js'

// Hand-computed: 10 offered; 6 answered after 5, 10, 15, 25, 30, 40 s; 4 abandoned after
// 3 s (short), 12 s, 30 s and 60 s. T = 20 s, short abandon < 5 s.
function scenario() {
  const t = emptyTally()
  for (let i = 0; i < 10; i++) countOffered(t)
  for (const s of [5, 10, 15, 25, 30, 40]) countAnswered(t, s * 1000, DEFAULT_SL)
  for (const s of [3, 12, 30, 60]) countAbandoned(t, s * 1000, DEFAULT_SL)
  return t
}

describe('metric definitions (PRODUCT.md)', () => {
  it('answer rate = answered / finished offered (here every call offered finished)', () => {
    expect(answerRate(scenario())).toBeCloseTo(6 / 10)
  })

  it('abandon rate = (abandoned − short) / (finished offered − short)', () => {
    expect(abandonRate(scenario())).toBeCloseTo((4 - 1) / (10 - 1))
  })

  it('service level under each formula', () => {
    const t = scenario()
    // answered within 20 s: 5, 10, 15 → 3. Abandoned after T: 30, 60 → 2. Within T (not short): 12 → 1.
    expect(serviceLevel(t, 'default')).toBeCloseTo(3 / (6 + 2))
    expect(serviceLevel(t, 'answered')).toBeCloseTo(3 / 6)
    expect(serviceLevel(t, 'sl2')).toBeCloseTo((3 + 1) / (6 + 3))
    expect(serviceLevel(t, 'answered-abandoned')).toBeCloseTo(3 / (6 + 3))
  })

  it('ASA, AHT and occupancy', () => {
    const t = scenario()
    expect(asa(t)).toBeCloseTo(((5 + 10 + 15 + 25 + 30 + 40) * 1000) / 6)
    countHandled(t, 120_000, 30_000, 10_000)
    countHandled(t, 60_000, 0, 10_000)
    expect(aht(t)).toBeCloseTo((180_000 + 30_000 + 20_000) / 2)
    expect(occupancy(230_000, 3_600_000, 600_000)).toBeCloseTo(230_000 / 3_000_000)
    expect(t.longestWaitMs).toBe(60_000)
  })

  it('says "no figure" rather than 0 % when nothing was offered', () => {
    const t = emptyTally()
    expect([answerRate(t), abandonRate(t), serviceLevel(t, 'default'), asa(t), aht(t)]).toEqual([null, null, null, null, null])
  })

  it('names T and the formula', () => {
    expect(describeSl(DEFAULT_SL)).toBe('SL 20 s (answered within T / (answered + abandoned after T); short abandon < 5 s excluded)')
  })

  it('Erlang C on a hand-computed case (100 calls/h, AHT 180 s, 20 s target)', () => {
    // 5 Erlangs. By hand: with 7 agents P(wait) = 54.254 / (113.118 + 54.254) = 0.3241 and
    // SL(20 s) = 1 − 0.3241·e^(−2·20/180) = 0.7405; with 8 agents P(wait) = 0.1672, SL = 0.8802.
    expect(erlangC(7, 5)).toBeCloseTo(0.3241, 3)
    expect(erlangServiceLevel(7, 100, 180, 20)).toBeCloseTo(0.7405, 3)
    expect(erlangC(8, 5)).toBeCloseTo(0.1672, 3)
    expect(erlangServiceLevel(8, 100, 180, 20)).toBeCloseTo(0.8802, 3)
    expect(agentsNeeded(100, 180, 0.8, 20)).toBe(8)
    expect(agentsNeeded(0, 180, 0.8, 20)).toBe(0)
  })
})
