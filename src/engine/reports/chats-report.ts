import {CHAT_LOOKBACK_MS, CHAT_REPORT_TYPES, ChatTally, type ChatQueueFigures, type ChatAgentFigures} from './chat-tally.js'
import {CLOCK_SKEW_MS, idBefore, scanEvents} from './event-scan.js'
import {avgChatConcurrency, meanMs} from './metrics.js'
import {periodMeta, sec, type ReportContext} from './report-context.js'
import type {Cell, TableReport} from './report-output.js'
import {roundHalfUp} from './rounding.js'

export {CHAT_LOOKBACK_MS, CHAT_REPORT_TYPES}

/**
 * Chats per queue, with a row per agent of the queue after its total, and one row per agent
 * over all queues (queue empty) with its concurrency: offered, answered, abandoned, average
 * wait, first response and handle time, ratings (metrics.ts, "Chats").
 */
export function chatsReport(ctx: ReportContext): TableReport {
  return {
    kind: 'table',
    type: 'chats',
    columns: ['queue', 'agent', 'offered', 'answered', 'abandoned', 'exited', 'system_ended', 'overflowed', 'messages_left', 'missed', 'avg_wait_s', 'avg_first_response_s', 'handled', 'avg_handle_s', 'max_concurrent', 'avg_concurrent', 'ratings', 'avg_rating'],
    meta: {
      ...periodMeta(ctx),
      notes: {
        queue: "empty on an agent's row over all queues (the one with its concurrency)",
        agent: 'empty on the row that totals the queue',
        offered: 'a queue: conversations that entered it in the period (a transfer to it counts); an agent: offers made to it',
        abandoned: 'ended (the customer left or went silent) before an agent accepted: queue rows only',
        exited: 'left the queue without an agent and without the customer leaving: overflowed, asked to leave a message, closed at chat.maxWait or with no agent logged in (queue rows only); offered = answered + abandoned + exited + system_ended + still waiting',
        system_ended: 'ended while waiting by the system itself (the engine or the demo stopping, its queue removed): apart, as calls are (queue rows only)',
        overflowed: 'of exited, moved to another queue (chat onMaxWait / onNoAgents: overflow), where it is offered again',
        messages_left: 'messages customers left (chat leaveMessage) that became tickets for the queue, counted when written (off-hours ones too)',
        missed: 'offers the agent let run out unaccepted',
        avg_first_response_s: "from entering the queue to the agent's first line",
        avg_handle_s: 'from accept to close or transfer away, for those that ended in the period',
        avg_concurrent: 'chats held at once, on average over the time the agent held at least one',
      },
    },
    rows: rows(ctx),
  }
}

function* rows(ctx: ReportContext): Generator<Cell[]> {
  const t = new ChatTally(ctx.period.from, ctx.period.to)
  for (const e of scanEvents(ctx.db, {afterId: idBefore(ctx.db, ctx.period.from - CHAT_LOOKBACK_MS), types: CHAT_REPORT_TYPES})) {
    if (e.ts >= ctx.period.to + CLOCK_SKEW_MS) break
    t.add(e)
  }
  t.finish()
  const queueOk = (q: string) => ctx.queue === null || q === ctx.queue
  const agentOk = (a: string) => ctx.agent === null || a === ctx.agent
  for (const queue of [...t.queues.keys()].sort()) {
    if (!queueOk(queue)) continue
    if (ctx.agent === null) yield figures(queue, '', t.queues.get(queue)!, null)
    for (const key of [...t.pairs.keys()].filter((k) => k.startsWith(`${queue}\u0000`)).sort()) {
      const agent = key.slice(queue.length + 1)
      if (agentOk(agent)) yield figures(queue, agent, t.pairs.get(key)!, null)
    }
  }
  if (ctx.queue !== null) return
  for (const agent of [...t.agents.keys()].sort()) if (agentOk(agent)) yield figures('', agent, t.agents.get(agent)!, t.agents.get(agent)!)
}

function figures(queue: string, agent: string, f: ChatQueueFigures, a: ChatAgentFigures | null): Cell[] {
  const conc = a ? avgChatConcurrency(a.chatMs, a.busyMs) : null
  return [
    queue,
    agent,
    f.offered,
    f.answered,
    agent === '' ? f.abandoned : null,
    agent === '' ? f.exited : null,
    agent === '' ? f.systemEnded : null,
    agent === '' ? f.overflowed : null,
    agent === '' ? f.messagesLeft : null,
    a ? a.missed : null,
    sec(meanMs(f.waitMs, f.answered)),
    sec(meanMs(f.firstResponseMs, f.responded)),
    f.handled,
    sec(meanMs(f.handleMs, f.handled)),
    a ? a.maxConcurrent : null,
    conc === null ? null : roundHalfUp(conc, 2),
    f.ratings,
    f.ratings > 0 ? roundHalfUp(f.ratingTotal / f.ratings, 2) : null,
  ]
}
