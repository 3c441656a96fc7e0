import type {QueueExtras} from './event-tally.js'
import {FcrCollector} from './fcr.js'
import type {Bucket} from './interval.js'
import {tallyByInterval} from './interval-tally.js'
import {abandonRate, aht, answerRate, asa, emptyTally, fcrRate, serviceLevel, type FcrCounts, type Tally} from './metrics.js'
import {reopensUntil} from './reopens.js'
import {buckets, fcrMeta, fcrSpan, periodMeta, sec, share, slBook, type ReportContext} from './report-context.js'
import type {Cell, TableReport} from './report-output.js'
import {slColumn} from './sl-columns.js'
import {laterRows, visitPlan, visitRows} from './visit-rows.js'
import {grid, otherRows, visitGroups} from './visit-sql.js'
import {fcrByInterval, fcrFrom, VisitTally} from './visit-tally.js'

const BEFORE_SL = ['interval_start', 'interval_end', 'queue', 'offered', 'answered', 'abandoned', 'short_abandoned', 'exited', 'system_ended', 'waiting', 'answer_rate', 'abandon_rate']
const AFTER_SL = ['asa_s', 'longest_wait_s', 'aht_s', 'handled', 'talk_s', 'hold_s', 'wrap_up_s', 'callbacks_requested', 'callbacks_completed', 'overflowed_out', 'overflowed_in']
/** First-contact resolution (metrics.ts), after every older column. */
export const FCR_COLUMNS = ['fcr_contacts', 'fcr_resolved', 'fcr_rate', 'fcr_pending', 'fcr_anonymous']

export function fcrCells(f: FcrCounts | undefined): Cell[] {
  return [f?.contacts ?? 0, f?.resolved ?? 0, share(f ? fcrRate(f) : null), f?.pending ?? 0, f?.anonymous ?? 0]
}

/**
 * Per queue and interval: the metric tally (metrics.ts definitions, via EventTally), with
 * the service level in the column named after the queue's own T and formula.
 */
export function queuesReport(ctx: ReportContext): TableReport {
  const sl = slBook(ctx)
  const configured = [...ctx.queues.keys()].filter((q) => ctx.queue === null || q === ctx.queue)
  // '' stands for queues no longer configured: they are counted with the default settings.
  const slCols = sl.columns(ctx.queue !== null ? [ctx.queue] : [...configured, ''])
  return {
    kind: 'table',
    type: 'queues',
    columns: [...BEFORE_SL, ...slCols, ...AFTER_SL, ...FCR_COLUMNS],
    meta: {
      ...periodMeta(ctx),
      service_level: sl.definitions(ctx.queue !== null ? [ctx.queue] : configured),
      notes: {
        rates: 'shares from 0 to 1; empty when there is nothing to divide by; they count finished queue visits only (answered + abandoned + exited), never callers still waiting or system-ended visits',
        answer_rate: 'answered / (answered + abandoned + exited)',
        abandon_rate: '(abandoned - short abandons) / (answered + abandoned + exited - short abandons)',
        exited: 'left the queue without an agent and without hanging up (max wait, a key, no agents, a callback that failed)',
        system_ended: 'queue visits the system ended (the engine or the demo shutting down, Asterisk restarting): neither answered nor abandoned, in no rate',
        waiting: 'callers still in line at the end of the interval (entered within the period)',
        times: 'seconds; talk excludes hold; AHT = (talk + hold + wrap-up) / handled',
        intervals:
          'each count falls in the interval where it happened (offered on entering the queue, answered on connecting, abandoned on hanging up, exited and system-ended on leaving); talk and hold count where the call ended; wrap-up is split where intervals meet',
        sl: 'each queue has its SL in the column of its own T and formula (see serviceLevel); queues removed since count with the defaults',
        ...fcrMeta(ctx),
      },
    },
    rows: rows(ctx, slCols),
  }
}

interface IntervalFigures {
  bucket: Bucket
  queues: ReadonlyMap<string, Tally>
  extras: ReadonlyMap<string, QueueExtras>
}

/**
 * The tallies per interval: from the queue-visit summary when it reaches the period (and the
 * calls after its checkpoint folded from the log), else from a walk of the log. The calls as
 * contacts for first-contact resolution come from the same rows. The intervals come one at a
 * time, in order; what is held meanwhile is the intervals with something counted (from the
 * summary, whose rows come in no time order) and the contacts (fcr.ts), never a map per
 * interval: a two-year report at 15 minutes has 70,000 intervals, nearly all empty.
 */
function figures(ctx: ReportContext): {intervals: Iterable<IntervalFigures>; fcr: ReadonlyMap<number, ReadonlyMap<string, FcrCounts>>} {
  const sl = slBook(ctx)
  const span = fcrSpan(ctx)
  const reopens = reopensUntil(ctx.db, span.to + span.windowMs)
  const judge = {...span, now: ctx.now}
  const plan = visitPlan(ctx.db, span)
  if (plan.summary) {
    const summary = plan.summary
    const tally = new VisitTally(buckets(ctx), ctx.period, (q) => sl.of(q), ctx.now)
    const contacts = new FcrCollector()
    const g = grid(tally.buckets)
    if (g) {
      // The summary summed by SQLite; the calls after it (a few seconds' worth when an engine keeps it) one by one.
      const later = [...laterRows(ctx.db, plan)]
      const laterContacts: [string, number][] = reopens.filter((r) => r.customer !== '').map((r) => [r.customer, r.at])
      for (const r of later) if (r.contactAt !== null && r.inbound === 1 && r.customer) laterContacts.push([r.customer, r.contactAt])
      const job = {plan: {...plan, summary}, period: ctx.period, grid: g, bucketStarts: tally.buckets.starts, queues: [...ctx.queues.keys()], sl: (q: string) => sl.of(q), now: ctx.now, windowMs: span.windowMs, laterContacts}
      for (const group of visitGroups(ctx.db, job)) tally.addGroup(group)
      for (const {row, verdict} of otherRows(ctx.db, job)) {
        tally.add(row)
        if (verdict !== null) tally.countContact(row.contactAt!, row.queue, verdict)
      }
      for (const r of later) tally.add(r, contacts)
    } else for (const r of visitRows(ctx.db, span, plan)) tally.add(r, contacts)
    for (const [i, f] of fcrFrom(contacts, reopens, buckets(ctx), judge)) mergeFcr(tally.fcr, i, f.queues)
    return {intervals: tally.finish(), fcr: tally.fcr}
  }
  const fcr = new Map<number, Map<string, FcrCounts>>()
  for (const [i, f] of fcrByInterval(visitRows(ctx.db, span, plan), reopens, buckets(ctx), judge)) fcr.set(i, f.queues)
  function* walk(): Generator<IntervalFigures> {
    for (const {bucket, tally} of tallyByInterval(ctx.db, buckets(ctx), ctx.period, (q) => sl.of(q), ctx.now)) yield {bucket, queues: tally.queues, extras: tally.queueExtras}
  }
  return {intervals: walk(), fcr}
}

function mergeFcr(all: Map<number, Map<string, FcrCounts>>, i: number, from: ReadonlyMap<string, FcrCounts>): void {
  let into = all.get(i)
  if (!into) all.set(i, (into = new Map()))
  for (const [k, f] of from) {
    const t = into.get(k)
    if (!t) into.set(k, {...f})
    else for (const c of Object.keys(f) as (keyof FcrCounts)[]) t[c] += f[c]
  }
}

function* rows(ctx: ReportContext, slCols: string[]): Generator<Cell[]> {
  const sl = slBook(ctx)
  const z = ctx.period.zone
  const {intervals, fcr} = figures(ctx)
  let i = 0
  for (const {bucket, queues, extras} of intervals) {
    const f = fcr.get(i++)
    const names = new Set([...ctx.queues.keys(), ...queues.keys()])
    for (const q of [...names].sort()) {
      if (ctx.queue !== null && q !== ctx.queue) continue
      const t = queues.get(q) ?? emptyTally()
      const x = extras.get(q)
      const settings = sl.of(q)
      const slCells = slCols.map((c) => (c === slColumn(settings) ? share(serviceLevel(t, settings.formula)) : null))
      yield [
        z.format(bucket.start),
        z.format(bucket.end),
        q,
        t.offered,
        t.answered,
        t.abandoned,
        t.shortAbandoned,
        t.exited,
        t.systemEnded,
        t.waiting,
        share(answerRate(t)),
        share(abandonRate(t)),
        ...slCells,
        sec(asa(t)),
        sec(t.longestWaitMs),
        sec(aht(t)),
        t.handled,
        sec(t.talkMs),
        sec(t.holdMs),
        sec(t.wrapUpMs),
        x?.callbacksRequested ?? 0,
        x?.callbacksCompleted ?? 0,
        x?.overflowedOut ?? 0,
        x?.overflowedIn ?? 0,
        ...fcrCells(f?.get(q)),
      ]
    }
  }
}
