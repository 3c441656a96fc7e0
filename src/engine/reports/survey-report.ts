import {CLOCK_SKEW_MS, idBefore, scanEvents} from './event-scan.js'
import {periodMeta, type ReportContext} from './report-context.js'
import type {Cell, TableReport} from './report-output.js'
import {roundHalfUp} from './rounding.js'

/** The events the report reads. */
export const SURVEY_TYPES = ['survey.answered', 'survey.skipped'] as const

interface Scores {
  answered: number
  skipped: number
  /** Index 1-5: answers with that score. */
  byScore: number[]
  total: number
}

/**
 * Post-call survey scores (1-5) per queue and per agent within it, with a total row per
 * queue (agent empty): how many answered, skipped, each score, the average.
 */
export function surveyReport(ctx: ReportContext): TableReport {
  return {
    kind: 'table',
    type: 'survey',
    columns: ['queue', 'agent', 'answered', 'skipped', 'score_1', 'score_2', 'score_3', 'score_4', 'score_5', 'average_score'],
    meta: {...periodMeta(ctx), notes: {agent: 'empty on the row that totals the queue', skipped: 'asked, but no valid key (or the caller hung up)'}},
    rows: rows(ctx),
  }
}

function* rows(ctx: ReportContext): Generator<Cell[]> {
  const {from, to} = ctx.period
  const by = new Map<string, Scores>()
  const count = (key: string, answered: boolean, score: number) => {
    let s = by.get(key)
    if (!s) by.set(key, (s = {answered: 0, skipped: 0, byScore: [0, 0, 0, 0, 0, 0], total: 0}))
    if (!answered) s.skipped++
    else {
      s.answered++
      s.total += score
      s.byScore[score]!++
    }
  }
  for (const e of scanEvents(ctx.db, {afterId: idBefore(ctx.db, from - CLOCK_SKEW_MS), types: SURVEY_TYPES})) {
    if (e.ts >= to + CLOCK_SKEW_MS) break
    if (e.ts < from || e.ts >= to) continue
    const queue = e.queue ?? ''
    const agent = e.agent ?? ''
    if ((ctx.queue !== null && queue !== ctx.queue) || (ctx.agent !== null && agent !== ctx.agent)) continue
    const score = Number(e.data.score)
    const answered = e.type === 'survey.answered' && Number.isInteger(score) && score >= 1 && score <= 5
    count(`${queue}\u0000`, answered, score)
    if (agent) count(`${queue}\u0000${agent}`, answered, score)
  }
  // The queue total sorts first: its agent part is empty.
  const sorted = [...by.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [key, s] of sorted) {
    const [queue, agent] = key.split('\u0000') as [string, string]
    yield [queue, agent, s.answered, s.skipped, ...s.byScore.slice(1), s.answered > 0 ? roundHalfUp(s.total / s.answered, 2) : null]
  }
}
