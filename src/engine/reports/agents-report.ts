import type Database from 'better-sqlite3'
import {chatTalliesByBucket, type ChatAgentFigures} from './chat-tally.js'
import {presenceAt, tallyByInterval} from './interval-tally.js'
import {emptyTally, occupancy, type FcrCounts} from './metrics.js'
import {FCR_COLUMNS, fcrCells} from './queues-report.js'
import {reopensUntil} from './reopens.js'
import {buckets, fcrMeta, fcrSpan, periodMeta, sec, share, slBook, type ReportContext} from './report-context.js'
import type {Cell, TableReport} from './report-output.js'
import {roundHalfUp} from './rounding.js'
import {visitRows} from './visit-rows.js'
import {fcrByInterval} from './visit-tally.js'

/**
 * Per agent and interval: time logged in, paused (in total and per reason), idle, talking,
 * on hold and in wrap-up; calls answered, handled and outbound; missed rings; occupancy;
 * survey scores. Counted by EventTally, so the figures match the queues report's.
 */
export function agentsReport(ctx: ReportContext): TableReport {
  const reasons = pauseReasons(ctx.db, ctx.period)
  const reasonCols = columnNames(reasons)
  return {
    kind: 'table',
    type: 'agents',
    columns: [
      'interval_start',
      'interval_end',
      'agent',
      'agent_name',
      'logged_in_s',
      'paused_s',
      ...reasons.map((r) => reasonCols.get(r)!),
      'unreachable_s',
      'idle_s',
      'talk_s',
      'hold_s',
      'wrap_up_s',
      'answered',
      'handled',
      'outbound',
      'missed_rings',
      'occupancy',
      'surveys',
      'avg_survey_score',
      ...FCR_COLUMNS,
      ...CHAT_COLUMNS,
    ],
    meta: {
      ...periodMeta(ctx),
      pause_reasons: Object.fromEntries(reasons.map((r) => [reasonCols.get(r)!, r])),
      notes: {
        idle_s: 'measured: logged in, not paused, not unreachable and not working (connected on a call, hold included, or in wrap-up); ringing counts as idle; split where intervals meet',
        unreachable_s: "logged in and not paused while the agent's phone was unregistered or not answering qualify pings (offered no call); apart from pauses",
        occupancy: '(talk + hold + wrap-up) / (logged in - paused), a share from 0 to 1; only work done while logged in and not paused counts (a call or wrap-up that goes on after a logout or during a pause counts up to it), split where intervals meet like logged-in time: so it can differ from the row\'s talk_s + hold_s + wrap_up_s, which count whole calls',
        talk_s: 'connected time without hold; counted in the interval the call ended',
        intervals: 'logged-in, paused and wrap-up time is split where intervals meet',
        handled: 'calls the agent finished, outbound included; answered: queue calls connected to the agent',
        ...fcrMeta(ctx),
        chats_answered: 'chats the agent accepted that entered their queue in the interval; chats_handled and chat_handle_s: those it closed or transferred away in the interval, and their time from accept (metrics.ts, "Chats")',
        chats_max_concurrent: 'the most chats it held at once in the interval',
      },
    },
    rows: rows(ctx, reasons),
  }
}

function* rows(ctx: ReportContext, reasons: string[]): Generator<Cell[]> {
  const sl = slBook(ctx)
  const z = ctx.period.zone
  const span = fcrSpan(ctx)
  const fcr = fcrByInterval(visitRows(ctx.db, span), reopensUntil(ctx.db, span.to + span.windowMs), buckets(ctx), {...span, now: ctx.now})
  const chats = chatTalliesByBucket(ctx.db, buckets(ctx), ctx.period)
  let i = 0
  for (const {bucket, tally} of tallyByInterval(ctx.db, buckets(ctx), ctx.period, (q) => sl.of(q), ctx.now)) {
    const f = fcr.get(i++)?.agents ?? NO_FCR
    const c = chats.get(bucket.start)
    // An agent whose contact started in an interval it has nothing else in is listed there too.
    const ids = new Set([...tally.agents.keys(), ...tally.agentTimes.keys(), ...f.keys(), ...(c?.agents.keys() ?? [])])
    for (const a of [...ids].sort()) {
      if (ctx.agent !== null && a !== ctx.agent) continue
      const t = tally.agents.get(a) ?? emptyTally()
      const times = tally.agentTimes.get(a)
      const logged = times?.loggedInMs ?? 0
      const paused = times?.pausedMs ?? 0
      yield [
        z.format(bucket.start),
        z.format(bucket.end),
        a,
        ctx.agentNames.get(a) ?? '',
        sec(logged),
        sec(paused),
        ...reasons.map((r) => sec(times?.pausedByReason[r] ?? 0)),
        sec(times?.unreachableMs ?? 0),
        sec(times?.idleMs ?? 0),
        sec(t.talkMs),
        sec(t.holdMs),
        sec(t.wrapUpMs),
        t.answered,
        t.handled,
        times?.outbound ?? 0,
        times?.missedRings ?? 0,
        share(occupancy(times?.workMs ?? 0, logged, paused)),
        times?.surveys ?? 0,
        times && times.surveys > 0 ? roundHalfUp(times.surveyTotal / times.surveys, 2) : null,
        ...fcrCells(f.get(a)),
        ...chatCells(c?.agents.get(a)),
      ]
    }
  }
}

const NO_FCR: ReadonlyMap<string, FcrCounts> = new Map()

/** Chats next to calls (metrics.ts, "Chats"). */
const CHAT_COLUMNS = ['chats_answered', 'chats_handled', 'chat_handle_s', 'chats_max_concurrent', 'chat_ratings', 'avg_chat_rating'] as const

function chatCells(c: ChatAgentFigures | undefined): Cell[] {
  if (!c) return [0, 0, sec(0), 0, 0, null]
  return [c.answered, c.handled, sec(c.handleMs), c.maxConcurrent, c.ratings, c.ratings > 0 ? roundHalfUp(c.ratingTotal / c.ratings, 2) : null]
}

/** Pause reasons in use in the period (and by pauses that began before it), sorted. */
function pauseReasons(db: Database.Database, period: {from: number; to: number}): string[] {
  const found = new Set<string>()
  for (const r of db.prepare("SELECT DISTINCT data->>'reason' AS reason FROM events WHERE type = 'agent.paused' AND ts >= ? AND ts < ?").all(period.from, period.to) as {reason: unknown}[]) {
    found.add(String(r.reason ?? '') || 'unspecified')
  }
  for (const s of presenceAt(db, period.from).values()) if (s.pausedReason !== null) found.add(s.pausedReason)
  return [...found].sort()
}

/** paused_lunch_s, ...: reasons are short codes, but come from outside, so they are reduced to [a-z0-9_]. */
function columnNames(reasons: string[]): Map<string, string> {
  const out = new Map<string, string>()
  const used = new Set<string>()
  for (const r of reasons) {
    // Letters of any script stay: a 午饭 column is paused_午饭_s, not paused___s.
    const base = `paused_${r.toLowerCase().replace(/[^\p{L}\p{M}\p{N}_]+/gu, '_').slice(0, 40)}_s`
    let name = base
    for (let i = 2; used.has(name); i++) name = `${base.slice(0, -2)}_${i}_s`
    used.add(name)
    out.set(r, name)
  }
  return out
}
