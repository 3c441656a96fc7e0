import {Box, Text} from 'ink'
import type {AgentState, EngineSnapshot} from '../../engine/api/contract.js'
import {safeText} from '../../engine/util/text.js'
import {STATE_COLOR} from './agents-pane.js'
import {AGENT_ORDER, outsideQueues, type HeaderFigures} from './board.js'
import {marked, useColour} from './color.js'
import {clock, duration, percent} from './format.js'
import {LEVEL_COLOR} from './table.js'
import type {Level} from './thresholds.js'

// States shown by count on the agents line; paused has its own count (paused during a call included).
// A phone problem (unreachable, busy on another call) shows only when an agent has one:
// at 80 columns the line has no room for two zeros.
const ALERTS: readonly AgentState[] = ['unreachable', 'other-call']
const COUNTED: readonly AgentState[] = AGENT_ORDER.filter((s) => s !== 'paused' && s !== 'offline' && !ALERTS.includes(s))

function Figure(p: {label: string; value: string; level?: Level; last?: boolean}) {
  const colour = useColour()
  return (
    <Text>
      <Text dimColor>{p.label} </Text>
      <Text bold color={p.level ? LEVEL_COLOR[p.level] : undefined}>
        {marked(p.value, p.level, colour)}
      </Text>
      {p.last ? '' : '   '}
    </Text>
  )
}

// Below this width labels shorten and the title gives way: at 80 columns today's
// totals, AHT and the paused count must stay on screen (the title is the window's).
const COMPACT_BELOW = 100
// From this width the line of figures also has callers in the IVR and callbacks pending.
const WIDE_FROM = 120

/** Three lines: time and today's totals; agents by state; the figures a supervisor watches. A fourth once there are chats (hasChatLine). */
export function Header(p: {title: string; at: number | null; figures: HeaderFigures | null; timeZone?: string; live: boolean; width: number; overdueTickets?: number | null; chats?: EngineSnapshot['chats'] | null; chatUrl?: string | null}) {
  const f = p.figures
  const short = p.width < COMPACT_BELOW
  const sl = !f ? 'SL' : f.slSeconds === null ? 'SL (per-queue T)' : short ? `SL ${f.slSeconds}s` : `SL (${f.slSeconds} s)`
  const pausedOnCall = f ? f.paused - f.agents.paused : 0
  // Tickets past due, last on the figures' line and only when there are some.
  const overdue = p.overdueTickets ? <Figure label={p.width < WIDE_FROM ? 'Overdue' : 'Tickets overdue'} value={String(p.overdueTickets)} level="alert" last /> : null
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        {short ? null : <Text bold>{`${safeText(p.title, 60)}   `}</Text>}
        <Text bold>{p.at === null ? '--:--:--' : clock(p.at, p.timeZone)}</Text>
        <Text dimColor>{p.live ? '   live' : '   not live'}</Text>
        <Text dimColor>{'   Today '}</Text>
        <Text bold>{f ? String(f.offered) : '-'}</Text>
        <Text dimColor> offered · </Text>
        <Text bold>{f ? String(f.answered) : '-'}</Text>
        <Text dimColor> answered · </Text>
        <Text bold>{f ? String(f.abandoned) : '-'}</Text>
        <Text dimColor> abandoned · </Text>
        <Figure label="AHT" value={duration(f?.ahtMs)} level={f?.levels.aht} last />
      </Text>
      <Text wrap="truncate-end">
        <Text dimColor>Agents </Text>
        <Text bold>{f ? f.loggedIn : '-'}</Text>
        <Text dimColor>{short ? ': ' : ' logged in: '}</Text>
        {COUNTED.map((s) => (
          <Text key={s}>
            <Text color={STATE_COLOR[s]}>{`${f ? f.agents[s] : '-'} ${s}`}</Text>
            <Text dimColor>{s === 'idle' && f && f.idleFullOfChats > 0 ? ` (${f.idleFullOfChats} full of chats)` : ''}</Text>
            <Text dimColor> · </Text>
          </Text>
        ))}
        {ALERTS.filter((s) => f && f.agents[s] > 0).map((s) => (
          <Text key={s}>
            <Text bold color={STATE_COLOR[s]}>{`${f!.agents[s]} ${s}`}</Text>
            <Text dimColor> · </Text>
          </Text>
        ))}
        <Text color={STATE_COLOR.paused}>{`${f ? f.paused : '-'} paused`}</Text>
        <Text dimColor>{pausedOnCall > 0 ? ` (${pausedOnCall} on a call)` : ''}</Text>
        <Text dimColor>{f ? ` · ${f.agents.offline} offline` : ''}</Text>
      </Text>
      <Text wrap="truncate-end">
        <Figure label="Waiting" value={f ? String(f.waiting) : '-'} level={f?.levels.waiting} />
        <Figure label={short ? 'Longest' : 'Longest wait'} value={duration(f?.longestWaitMs)} level={f?.levels.longestWait} />
        <Figure label={sl} value={percent(f?.serviceLevel)} level={f?.levels.serviceLevel} />
        <Figure label={short ? 'Answered' : 'Answer rate'} value={percent(f?.answerRate)} level={f?.levels.answerRate} />
        <Figure label={short ? 'Abandoned' : 'Abandon rate'} value={percent(f?.abandonRate)} level={f?.levels.abandonRate} last={p.width < WIDE_FROM && !overdue} />
        {p.width >= WIDE_FROM ? (
          <>
            <Figure label="In IVR" value={f ? String(f.inIvr) : '-'} />
            <Figure label="Callbacks pending" value={f ? String(f.callbacksPending) : '-'} last={!overdue} />
          </>
        ) : null}
        {overdue}
      </Text>
      <ChatFigures chats={p.chats ?? null} url={p.chatUrl ?? null} />
    </Box>
  )
}

/** Whether the header has its chat line: once there are chats (in a queue, with an agent, with the bot or its customer) or agents holding some, or from the start with the widget's URL to show. */
export function hasChatLine(chats: EngineSnapshot['chats'] | null | undefined, url?: string | null): boolean {
  if (url) return true
  return !!chats && (chats.waiting > 0 || chats.active > 0 || outsideQueues(chats).length > 0 || Object.values(chats.agents).some((a) => a.total > 0))
}

/** Chats: waiting in a queue (offers included), active, those with the bot or its customer, and each agent's load as chats/limit (+call while on a call). */
function ChatFigures(p: {chats: EngineSnapshot['chats'] | null; url: string | null}) {
  if (!hasChatLine(p.chats, p.url)) return null
  const c: NonNullable<EngineSnapshot['chats']> = p.chats ?? {waiting: 0, offered: 0, active: 0, withBot: 0, awaitingCustomer: 0, leavingMessage: 0, queues: {}, agents: {}}
  const loads = Object.entries(c.agents).filter(([, a]) => a.total > 0)
  const outside = outsideQueues(c)
  return (
    <Text wrap="truncate-end">
      {p.url ? <Text>{`${safeText(p.url, 60)} `}</Text> : null}
      <Text dimColor>{'Chats '}</Text>
      <Text bold>{String(c.waiting)}</Text>
      <Text dimColor> waiting · </Text>
      <Text bold>{String(c.active)}</Text>
      <Text dimColor> active</Text>
      <Text dimColor>{outside.length > 0 ? ` · ${outside.join(' · ')}` : ''}</Text>
      <Text dimColor>{loads.length > 0 ? ` · ${loads.map(([id, a]) => `${safeText(id, 20)} ${a.total}/${a.limit}${a.onCall ? '+call' : ''}`).join(' ')}` : ''}</Text>
    </Text>
  )
}
