import {CLOCK_SKEW_MS, idBefore, scanEvents} from './event-scan.js'
import {periodMeta, type ReportContext} from './report-context.js'
import type {Cell, TableReport} from './report-output.js'

/** The events the report reads. */
export const IVR_TYPES = ['ivr.node', 'ivr.keys', 'ivr.timeout'] as const

const KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'] as const
const KEY_COLUMNS = KEYS.map((k) => `key_${k === '*' ? 'star' : k === '#' ? 'hash' : k}`)

interface NodeCount {
  kind: string
  entries: number
  keys: number[]
  collected: number
  invalid: number
  timeouts: number
}

/** Per IVR flow and node: how often callers reached it, each menu key chosen, input collected, invalid input, timeouts. */
export function ivrReport(ctx: ReportContext): TableReport {
  return {
    kind: 'table',
    type: 'ivr',
    columns: ['flow', 'node', 'kind', 'entries', ...KEY_COLUMNS, 'collected', 'invalid', 'timeouts'],
    meta: {
      ...periodMeta(ctx),
      notes: {key_N: 'menu choices taken with key N', collected: 'digits collected by an input node', invalid: 'input that matched no choice', timeouts: 'no key in time'},
    },
    rows: rows(ctx),
  }
}

function* rows(ctx: ReportContext): Generator<Cell[]> {
  const {from, to} = ctx.period
  const nodes = new Map<string, NodeCount>()
  const node = (flow: string, id: string) => {
    const k = `${flow}\u0000${id}`
    let n = nodes.get(k)
    if (!n) nodes.set(k, (n = {kind: '', entries: 0, keys: KEYS.map(() => 0), collected: 0, invalid: 0, timeouts: 0}))
    return n
  }
  for (const e of scanEvents(ctx.db, {afterId: idBefore(ctx.db, from - CLOCK_SKEW_MS), types: IVR_TYPES})) {
    if (e.ts >= to + CLOCK_SKEW_MS) break
    if (e.ts < from || e.ts >= to) continue
    const d = e.data
    const n = node(String(d.flow ?? ''), String(d.node ?? ''))
    if (e.type === 'ivr.node') {
      n.entries++
      n.kind = String(d.kind ?? n.kind)
    } else if (e.type === 'ivr.timeout') n.timeouts++
    else if (d.result === 'invalid') n.invalid++
    else if (d.result === 'collected') n.collected++
    else {
      const i = KEYS.indexOf(String(d.keys ?? '') as (typeof KEYS)[number])
      if (i >= 0) n.keys[i]!++
      else n.collected++
    }
  }
  const sorted = [...nodes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [k, n] of sorted) {
    const [flow, id] = k.split('\u0000') as [string, string]
    yield [flow, id, n.kind, n.entries, ...n.keys, n.collected, n.invalid, n.timeouts]
  }
}
