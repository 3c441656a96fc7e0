import {CLOCK_SKEW_MS, idBefore, scanEvents} from './event-scan.js'
import {periodMeta, share, type ReportContext} from './report-context.js'
import type {Cell, TableReport} from './report-output.js'

/** The events the report reads. */
export const DISPOSITION_TYPES = ['call.disposition'] as const

/**
 * Dispositions chosen in wrap-up, per queue, agent and code: how many calls, and their share
 * of the queue's dispositions and of the agent's in that queue. A call counts once, with
 * the last code chosen for it in the period (a later choice replaces an earlier one), for
 * the queue and agent that choice names; a call of no queue (outbound) has queue ''.
 */
export function dispositionsReport(ctx: ReportContext): TableReport {
  return {
    kind: 'table',
    type: 'dispositions',
    columns: ['queue', 'agent', 'code', 'label', 'calls', 'queue_share', 'agent_share'],
    meta: {
      ...periodMeta(ctx),
      notes: {
        calls: "calls whose last disposition chosen in the period is this code (by this agent, in this queue)",
        queue_share: "calls / every call with a disposition in the queue (the queue's codes add up to 1)",
        agent_share: "calls / the agent's calls with a disposition in the queue",
        label: 'the label of the code when it was last chosen',
      },
    },
    rows: rows(ctx),
  }
}

function* rows(ctx: ReportContext): Generator<Cell[]> {
  const {from, to} = ctx.period
  // The last choice per call.
  const last = new Map<string, {queue: string; agent: string; code: string; label: string}>()
  for (const e of scanEvents(ctx.db, {afterId: idBefore(ctx.db, from - CLOCK_SKEW_MS), types: DISPOSITION_TYPES})) {
    if (e.ts >= to + CLOCK_SKEW_MS) break
    if (e.ts < from || e.ts >= to || !e.callId) continue
    const code = String(e.data.code ?? '')
    last.delete(e.callId)
    last.set(e.callId, {queue: e.queue ?? '', agent: e.agent ?? '', code, label: String(e.data.label ?? code)})
  }
  const counts = new Map<string, {queue: string; agent: string; code: string; label: string; calls: number}>()
  const queueTotal = new Map<string, number>()
  const agentTotal = new Map<string, number>()
  for (const d of last.values()) {
    if ((ctx.queue !== null && d.queue !== ctx.queue) || (ctx.agent !== null && d.agent !== ctx.agent)) continue
    const key = `${d.queue}\u0000${d.agent}\u0000${d.code}`
    const c = counts.get(key)
    if (c) {
      c.calls++
      c.label = d.label
    } else counts.set(key, {...d, calls: 1})
    queueTotal.set(d.queue, (queueTotal.get(d.queue) ?? 0) + 1)
    const qa = `${d.queue}\u0000${d.agent}`
    agentTotal.set(qa, (agentTotal.get(qa) ?? 0) + 1)
  }
  const sorted = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [, c] of sorted) {
    yield [c.queue, c.agent, c.code, c.label, c.calls, share(c.calls / queueTotal.get(c.queue)!), share(c.calls / agentTotal.get(`${c.queue}\u0000${c.agent}`)!)]
  }
}
