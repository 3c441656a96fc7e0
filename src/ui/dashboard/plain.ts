import {fields, table} from '../render.js'
import {AGENT_STATES, outsideQueues, type Board} from './board.js'
import {callStateText, clock, duration, percent} from './format.js'

// `dashboard --once`: the same panes as plain text for scripts, logs and pipes.

export function plainBoard(b: Board, timeZone?: string): string {
  const h = b.header
  const out = [
    fields({
      time: clock(b.at, timeZone),
      ...(b.asterisk && b.asterisk.state !== 'connected'
        ? {asterisk: `${b.asterisk.state.toUpperCase()} for ${duration(b.at - b.asterisk.since)} (${b.asterisk.attempts} attempts; ${b.asterisk.error ?? 'no answer'}): no new calls answered`}
        : {}),
      ...(b.overload?.overloaded
        ? {overload: `Asterisk answers slowly (p90 ${b.overload.p90Ms} ms) for ${duration(b.at - (b.overload.since ?? b.at))}: new callers refused (${b.overload.shed} so far)`}
        : {}),
      agents: `${h.loggedIn} logged in: ${AGENT_STATES.filter((s) => s !== 'offline' && ((s !== 'unreachable' && s !== 'other-call') || h.agents[s] > 0)).map((s) => `${s === 'paused' ? h.paused : h.agents[s]} ${s}${s === 'idle' && h.idleFullOfChats > 0 ? ` (${h.idleFullOfChats} full of chats)` : ''}`).join(', ')} (${h.agents.offline} offline)`,
      waiting: `${h.waiting} (longest ${duration(h.longestWaitMs)})`,
      [`service level${h.slSeconds === null ? '' : ` (${h.slSeconds} s)`}`]: percent(h.serviceLevel),
      'answer rate': percent(h.answerRate),
      'abandon rate': percent(h.abandonRate),
      today: `${h.offered} offered, ${h.answered} answered, ${h.abandoned} abandoned`,
    }),
    '',
    'QUEUES',
    table(b.queues, [
      // At 80 columns the staffing columns go first (the agents line above counts them), then ASA.
      {header: 'QUEUE', get: (q) => q.name},
      {header: 'WAITING', get: (q) => q.waiting, align: 'right'},
      {header: 'LONGEST', get: (q) => duration(q.longestWaitMs), align: 'right'},
      {header: 'IDLE', get: (q) => q.idle, align: 'right', optional: true},
      {header: 'BUSY', get: (q) => q.busy, align: 'right', optional: true},
      {header: 'PAUSED', get: (q) => q.paused, align: 'right', optional: true},
      {header: 'OFFERED', get: (q) => q.offered, align: 'right'},
      {header: 'ANSWERED', get: (q) => q.answered, align: 'right'},
      {header: 'ABANDONED', get: (q) => q.abandoned, align: 'right'},
      {header: 'ABAND%', get: (q) => percent(q.abandonRate), align: 'right'},
      {header: 'SL (T)', get: (q) => `${percent(q.serviceLevel)} (${q.slSeconds}s)`, align: 'right'},
      {header: 'ASA', get: (q) => duration(q.asaMs), align: 'right', optional: true},
      {header: 'AHT', get: (q) => duration(q.ahtMs), align: 'right'},
    ]),
    '',
    'AGENTS',
    table(b.agents, [
      {header: 'AGENT', get: (a) => a.id},
      {header: 'NAME', get: (a) => a.name, max: 24},
      {header: 'STATE', get: (a) => a.state},
      {header: 'IN STATE', get: (a) => duration(a.inStateMs), align: 'right'},
      {header: 'CALLER', get: (a) => (a.caller ? [a.caller.number, a.caller.name].filter(Boolean).join(' ') : '-'), max: 40},
      {header: 'CALLS', get: (a) => a.callsToday, align: 'right'},
      {header: 'REASON', get: (a) => a.why ?? a.pauseReason ?? '-'},
    ]),
    '',
    'CALLS',
    b.calls.length === 0
      ? 'No live calls.'
      : table(b.calls, [
          {header: 'CALLER', get: (c) => c.number, max: 24},
          {header: 'NAME', get: (c) => c.name || '-', max: 24},
          {header: 'TIER', get: (c) => c.tier ?? '-', max: 12},
          {header: 'QUEUE', get: (c) => c.queue ?? '-'},
          {header: 'AGENT', get: (c) => c.agent ?? (c.ringing.length ? `ringing ${c.ringing.join(',')}` : '-'), max: 30},
          {header: 'STATE', get: (c) => callStateText(c, b.at)},
          {header: 'WAIT', get: (c) => duration(c.waitMs), align: 'right'},
          {header: 'TALK', get: (c) => duration(c.talkMs), align: 'right'},
          {header: 'KEYS', get: (c) => c.keys.join(' ') || '-', max: 30},
        ]),
    ...chatLines(b),
  ]
  return out.join('\n')
}

/** Chats, once an engine has any: in all (those in no queue by stage: with the bot, awaiting the customer, leaving a message), per queue (waiting, active, longest wait) and per agent (held per channel, its limit, a call beside). */
function chatLines(b: Board): string[] {
  const c = b.chats
  const outside = c ? outsideQueues(c) : []
  if (!c || (c.waiting === 0 && c.active === 0 && outside.length === 0 && Object.values(c.agents).every((a) => a.total === 0))) return []
  const queues = Object.entries(c.queues).map(([name, q]) => ({name, ...q}))
  const agents = Object.entries(c.agents).map(([id, a]) => ({id, ...a}))
  return [
    '',
    `CHATS  ${c.waiting} waiting (${c.offered} offered), ${c.active} active${outside.map((s) => `, ${s}`).join('')}`,
    table(queues, [
      {header: 'QUEUE', get: (q) => q.name},
      {header: 'WAITING', get: (q) => q.waiting, align: 'right'},
      {header: 'ACTIVE', get: (q) => q.active, align: 'right'},
      {header: 'LONGEST', get: (q) => duration(q.oldestJoinedAt === null ? null : b.at - q.oldestJoinedAt), align: 'right'},
    ]),
    ...(agents.length === 0
      ? []
      : [
          '',
          table(agents, [
            {header: 'AGENT', get: (a) => a.id},
            {header: 'WEB', get: (a) => a.web, align: 'right'},
            {header: 'WECHAT', get: (a) => a.wechat, align: 'right'},
            {header: 'WEBHOOK', get: (a) => a.webhook, align: 'right'},
            {header: 'LOAD', get: (a) => `${a.total}/${a.limit}`, align: 'right'},
            {header: 'CALL', get: (a) => (a.withCall ? 'on a call' : '-')},
          ]),
        ]),
  ]
}

/** One line for logs (the demo without a terminal prints one every few seconds); chats when given (an engine with a chat server). */
export function summaryLine(b: Board, timeZone?: string, chats?: Board['chats']): string {
  const h = b.header
  const busy = h.agents['on-call'] + h.agents.ringing
  return (
    `${clock(b.at, timeZone)} waiting ${h.waiting} (longest ${duration(h.longestWaitMs)}) · agents ${busy} on call, ${h.agents.idle} idle, ${h.agents['wrap-up']} wrap-up, ${h.paused} paused` +
    // Phone problems only when there are some (the line is read in CI logs and cron mail).
    (h.agents.unreachable > 0 ? `, ${h.agents.unreachable} unreachable` : '') +
    (h.agents['other-call'] > 0 ? `, ${h.agents['other-call']} on other calls` : '') +
    ` · today ${h.offered} offered, ${h.answered} answered, ${h.abandoned} abandoned · SL ${percent(h.serviceLevel)}${h.slSeconds === null ? '' : ` (${h.slSeconds} s)`}, answer ${percent(h.answerRate)}, abandon ${percent(h.abandonRate)}` +
    (chats ? ` · chats ${chats.waiting} waiting, ${chats.active} active${outsideQueues(chats).map((s) => `, ${s}`).join('')}` : '')
  )
}
