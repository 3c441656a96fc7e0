import {Box, Text} from 'ink'
import {useEffect, useRef, useState, useSyncExternalStore} from 'react'
import {safeText} from '../../engine/util/text.js'
import {STATE_COLOR} from '../dashboard/agents-pane.js'
import {fit} from '../dashboard/cells.js'
import {ColourContext, honourNoColor, useColour} from '../dashboard/color.js'
import {clock, duration} from '../dashboard/format.js'
import type {KeyPress} from '../dashboard/keys.js'
import {useTerminalSize, type Size} from '../dashboard/use-terminal-size.js'
import type {DeskState, HistoryView, Pop, Refusal} from './desk-feed.js'
import {INITIAL_DESK_UI, inTextField, kbPick, onDeskKey, PROMPT_LABEL, type DeskAction, type DeskContext, type DeskUi} from './desk-keys.js'
import {useKeys} from '../use-keys.js'
import {displayWidth} from '../text-width.js'
import {crmUrl, hyperlink} from './terminal-codes.js'
import {ChatList, chatListHeight, ChatPane, customerName, ReplyLines} from './chat-pane.js'

export interface DeskSource {
  subscribe(fn: () => void): () => void
  getState(): DeskState
  /** The agent saw the conversation in front: its lines are read. */
  markRead?(conversation: string): void
}

export interface DeskMessage {
  text: string
  error: boolean
}

export interface DeskProps {
  feed: DeskSource
  /** Carries out an action; answers with what to tell the agent (and KB hits for a search). */
  run(action: DeskAction, ctx: {state: DeskState; ui: DeskUi}): Promise<{text: string; kbHits?: {id: number; question: string}[]} | void>
  onQuit(): void
  size?: Size
  timeZone?: string
  /** Whether the terminal gets OSC 8 hyperlinks (off where they would show as text). */
  hyperlinks?: boolean
}

const MESSAGE_MS = 8000

export function Desk(p: DeskProps) {
  const [colour] = useState(() => honourNoColor())
  const s = useSyncExternalStore(p.feed.subscribe, p.feed.getState)
  const size = useTerminalSize(p.size)
  const [ui, setUi] = useState<DeskUi>(INITIAL_DESK_UI)
  const [message, setMessage] = useState<DeskMessage | null>(null)
  const [kbHits, setKbHits] = useState<{id: number; question: string}[]>([])
  const [, tick] = useState(0)

  // Countdowns and time in state move every second.
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 1000)
    return () => clearInterval(t)
  }, [])
  useEffect(() => {
    if (!message) return
    const t = setTimeout(() => setMessage(null), MESSAGE_MS)
    return () => clearTimeout(t)
  }, [message])

  const ctx = deskContext(s, ui, kbHits)
  const frontChat = ctx.chat ? (s.chats.find((c) => c.id === ctx.chat!.id) ?? null) : null
  // What is in front is read.
  const frontTop = frontChat?.lines.at(-1)?.seq ?? 0
  const frontNotes = frontChat?.notes.filter((n) => !n.read).length ?? 0
  useEffect(() => {
    if (frontChat && !ui.chatHistory && (frontTop > frontChat.readSeq || frontNotes > 0)) p.feed.markRead?.(frontChat.id)
  }, [frontChat?.id, frontTop, frontNotes, ui.chatHistory])
  // A ring brings the call in front (its pop), unless the agent is typing into a chat.
  const ringing = s.pop && !s.pop.ended && !s.pop.missed ? s.pop.callId : null
  useEffect(() => {
    if (ringing === null) return
    const now = latest.current.ui
    if (now.chat !== null && now.mode.kind === 'normal') {
      latest.current.ui = {...now, chat: null, chatHistory: false}
      setUi(latest.current.ui)
    }
  }, [ringing])
  const latest = useRef({ui, ctx, s})
  latest.current = {ui, ctx, s}
  const onKey = (input: string, key: KeyPress) => {
      const {ui: before, ctx: c, s: state} = latest.current
      // A refused token: nothing can be sent any more, q is the one key left.
      if (state.refused) return input === 'q' ? p.onQuit() : undefined
      const {ui: next, action} = onDeskKey(before, input, key, c)
      const offline = state.feed.status !== 'live'
      // Without the engine a key is not done: say so rather than drop it (the feed connects
      // again by itself). The screen stays as it was (a reply's draft, a prompt's text), to send again.
      if (action && offline && !LOCAL_ACTIONS.has(action.type) && action.type !== 'chat-typing') {
        return setMessage({text: `Not connected to the engine: ${keyName(input, key, action)} not done`, error: true})
      }
      if (next !== before) {
        latest.current.ui = next
        setUi(next)
      }
      if (!action) return
      if (action.type === 'quit') return p.onQuit()
      if (action.type === 'say') return setMessage({text: action.text, error: true})
      if (action.type === 'note' && action.notice) setMessage({text: action.notice, error: true})
      if (offline && action.type === 'chat-typing') return
      if (offline && action.type === 'note' && next.mode.kind !== 'note') setMessage({text: 'Not connected to the engine: the note is not saved (n, then Enter, saves it once connected)', error: true})
      p.run(action, {state, ui: next}).then(
        (r) => {
          if (!r) return
          if (r.kbHits) {
            setKbHits(r.kbHits)
            const picked = kbPick(latest.current.ui, r.kbHits)
            latest.current.ui = picked
            setUi(picked)
          }
          setMessage({text: r.text, error: false})
        },
        (err: unknown) => setMessage({text: err instanceof Error ? err.message : String(err), error: true}),
      )
  }
  useKeys(onKey, {inText: () => inTextField(latest.current.ui)})

  const width = size.columns
  const rows = Math.max(12, size.rows - 1)
  const now = Date.now() + s.skewMs
  const lower = ui.mode.kind === 'pick' ? Math.min(ui.mode.items.length + 1, Math.max(3, rows - 12)) : ui.mode.kind === 'prompt' ? 1 : 0
  const noteLines = 2
  const paneLines = Math.max(3, rows - 2 - 1 - lower - noteLines - 1 - 2)
  const listLines = Math.min(chatListHeight(s.chats), Math.max(0, paneLines - 3))
  const popLines = paneLines - listLines
  if (s.refused) return <Refused s={s} refusal={s.refused} width={width} rows={rows} now={now} timeZone={p.timeZone} colour={colour} />
  return (
    <ColourContext.Provider value={colour}>
      <Box flexDirection="column" width={width} height={rows}>
        <Header s={s} width={width} now={now} timeZone={p.timeZone} />
        <StateLine s={s} now={now} width={width} owed={ctx.dispositionOwed} />
        {listLines > 0 && ui.mode.kind !== 'help' ? (
          <Box flexDirection="column" height={listLines} overflow="hidden">
            <ChatList chats={s.chats} front={frontChat?.id ?? null} width={width} now={Date.now()} />
          </Box>
        ) : null}
        <Box flexDirection="column" height={ui.mode.kind === 'help' ? paneLines : popLines} overflow="hidden">
          {ui.mode.kind === 'help' ? (
            <Help />
          ) : frontChat ? (
            <ChatPane c={frontChat} height={popLines} width={width} historyShown={ui.chatHistory} timeZone={p.timeZone} historyRow={(i) => historyRow(i, p.timeZone)} />
          ) : s.pop ? (
            <PopPane pop={s.pop} s={s} width={width} now={now} hyperlinks={p.hyperlinks ?? true} timeZone={p.timeZone} />
          ) : (
            <Idle s={s} width={width} />
          )}
        </Box>
        {frontChat ? (
          <ReplyLines c={frontChat} text={ui.replies[frontChat.id] ?? ''} editing={ui.mode.kind === 'reply'} width={width} />
        ) : (
          <NoteLines text={ctx.noteCall ? (ui.notes[ctx.noteCall] ?? '') : ''} editing={ui.mode.kind === 'note'} call={ctx.noteCall} s={s} width={width} />
        )}
        {ui.mode.kind === 'pick' ? <Picker title={pickTitle(ui.mode.pick, ctx.chat?.state === 'active' && frontChat ? customerName(frontChat) : null)} items={ui.mode.items} height={lower} width={width} /> : null}
        {ui.mode.kind === 'prompt' ? <PromptLine label={PROMPT_LABEL[ui.mode.prompt]} text={ui.mode.text} /> : null}
        <Text wrap="truncate-end" color={message?.error ? 'red' : 'green'}>
          {message ? `${message.error && !colour ? '! ' : ''}${safeText(message.text, 300)}` : ' '}
        </Text>
        <KeyLines ctx={ctx} ui={ui} width={width} />
      </Box>
    </ColourContext.Provider>
  )
}

/** What the desk does without the engine (a note is kept on screen until it can be saved). */
const LOCAL_ACTIONS = new Set<DeskAction['type']>(['quit', 'say', 'copy', 'open-crm', 'note'])

/** The key as the agent knows it, for "h not done". */
function keyName(input: string, key: KeyPress, action: DeskAction): string {
  if (key.return) return 'Enter'
  if (key.escape) return 'Esc'
  return input.length === 1 && input >= ' ' ? input : action.type
}

const PICK_TITLE = {pause: 'Pause: pick a reason (Esc cancels)', disposition: 'Disposition: pick a code (Esc cancels)', kb: 'Knowledge base: a number copies the answer (Esc closes)', replies: 'Quick replies: a number copies one (Esc closes)'}

/** With a chat in front, answers and quick replies go to its customer. */
function pickTitle(pick: keyof typeof PICK_TITLE, chatWith: string | null): string {
  if (chatWith && pick === 'kb') return `Knowledge base: a number sends the answer to ${safeText(chatWith, 30)} (Esc closes)`
  if (chatWith && pick === 'replies') return `Quick replies: a number sends one to ${safeText(chatWith, 30)} (Esc closes)`
  return PICK_TITLE[pick]
}

/** What the keys need, from the feed's state and the screen's. */
export function deskContext(s: DeskState, ui: DeskUi, kbHits: readonly {id: number; question: string}[]): DeskContext {
  const call = s.call && s.call.agent === s.agent && s.call.state === 'connected' ? s.call : null
  const last = s.lastCall
  const noteCall = call?.id ?? last?.id ?? null
  const settings = s.settings
  const queue = call?.queue ?? last?.queue ?? null
  const codes = (queue !== null && s.feed.snapshot?.queues.find((q) => q.name === queue)?.settings.dispositions) || []
  // A conversation in front that went away (transferred, put away) leaves the call in front.
  const front = ui.chat ? s.chats.find((c) => c.id === ui.chat) : undefined
  return {
    agentState: s.me?.state ?? null,
    paused: s.me?.pauseReason != null,
    connected: call ? {id: call.id, held: s.held.has(call.id), consulting: s.consulting.has(call.id)} : null,
    noteCall,
    // The queue's codes say whether one is owed (a queue without codes asks for none).
    dispositionOwed: last !== null && last.disposition === null && codes.length > 0,
    pauseReasons: settings?.pauseReasons ?? ['break'],
    dispositions: codes,
    quickReplies: settings?.quickReplies ?? [],
    kbHits,
    queues: Object.keys(s.me?.queues ?? {}),
    crmLink: settings?.crmLink && customerOf(s) ? settings.crmLink : null,
    customer: customerOf(s),
    chats: s.chats.map((c) => ({id: c.id, state: c.view.state})),
    chat: front ? {id: front.id, state: front.view.state} : null,
  }
}

/** The number of the customer the desk shows (the pop's caller, else the last call's). */
export function customerOf(s: DeskState): string | null {
  const c = s.pop?.call
  return s.pop?.history?.number ?? (c ? (c.callbackNumber ?? c.caller.number) : null) ?? s.lastCall?.number ?? null
}

function Header(p: {s: DeskState; width: number; now: number; timeZone?: string}) {
  const me = p.s.me
  const live = p.s.feed.status === 'live' && !p.s.refused
  const right = `${live ? 'live' : 'NOT LIVE'}  ${clock(p.now, p.timeZone)}`
  const left = `callctl desk · ${p.s.agent}${me?.name ? ` ${safeText(me.name, 40)}` : ''}`
  return (
    <Box width={p.width}>
      <Box flexGrow={1} flexShrink={1} minWidth={0}>
        <Text bold wrap="truncate-end">
          {left}
        </Text>
      </Box>
      <Text color={live ? 'green' : 'red'} bold={!live}>
        {' ' + right}
      </Text>
    </Box>
  )
}

/** The token refused: the line that says so, its fix, and q (no other key does anything). */
function Refused(p: {s: DeskState; refusal: Refusal; width: number; rows: number; now: number; timeZone?: string; colour: boolean}) {
  return (
    <ColourContext.Provider value={p.colour}>
      <Box flexDirection="column" width={p.width} height={p.rows}>
        <Header s={p.s} width={p.width} now={p.now} timeZone={p.timeZone} />
        <Text wrap="truncate-end" color="red" inverse bold>{` TOKEN REFUSED · ${safeText(p.refusal.message, 200)} `}</Text>
        <Box flexGrow={1} flexDirection="column">
          <Text wrap="wrap">{safeText(p.refusal.suggestion, 300)}</Text>
        </Box>
        <Text dimColor>q quit</Text>
      </Box>
    </ColourContext.Provider>
  )
}

function StateLine(p: {s: DeskState; now: number; width: number; owed: boolean}) {
  const me = p.s.me
  if (p.s.feed.status === 'unreachable') return <Text wrap="truncate-end" color="red" inverse bold>{` ENGINE UNREACHABLE · ${safeText(p.s.feed.error ?? '', 200)} `}</Text>
  if (!me) return <Text dimColor>{p.s.feed.status === 'connecting' ? 'Connecting to the engine…' : `Agent ${p.s.agent} is not in the engine's snapshot`}</Text>
  const state = me.state
  let detail = `${duration(p.now - me.since)}`
  if (state === 'wrap-up' && p.s.wrapUpEndsAt !== null) detail = `${duration(Math.max(0, p.s.wrapUpEndsAt - p.now))} left · r ready now`
  if (me.pauseReason) detail += ` · paused: ${safeText(me.pauseReason, 32)}`
  const owed = p.owed && state !== 'on-call' ? ' · DISPOSITION OWED (d)' : ''
  const queues = Object.keys(me.queues)
  // The engine counts an agent user's own tickets (assigned to it or its queues, or of its calls).
  const late = p.s.feed.overdueTickets
  const overdue = late ? ` · ${late} ticket${late === 1 ? '' : 's'} overdue` : ''
  return (
    <Text wrap="truncate-end">
      <Text bold inverse color={STATE_COLOR[state]}>{` ${state.toUpperCase()} `}</Text>
      {` ${detail}`}
      <Text color="yellow" bold>{owed}</Text>
      <Text color="red">{overdue}</Text>
      <Text dimColor>{` · calls today ${me.callsToday} · queues ${queues.map((q) => safeText(q, 30)).join(', ') || '-'}`}</Text>
    </Text>
  )
}

function Idle(p: {s: DeskState; width: number}) {
  const owed = p.s.owed
  return (
    <Box flexDirection="column">
      <Text dimColor>{idleLine(p.s)}</Text>
      {owed.length > 0 ? <Text bold>{`Owed callbacks (b calls the first back): ${owed.length}`}</Text> : null}
      {owed.slice(0, 5).map((o) => (
        <Text key={o.callId} wrap="truncate-end">
          {`  ${fit(o.number, 16)} ${fit(o.name, 16)} ${o.why}`}
        </Text>
      ))}
    </Box>
  )
}

/** What the pop's place says with no pop: never "No call" while the agent is on one (its pop is on its way) or owes its disposition. */
function idleLine(s: DeskState): string {
  const state = s.me?.state
  if (state === 'offline') return 'Logged out. l logs you in.'
  if (state === 'on-call') return 'On a call: its pop is on its way.'
  if (state === 'wrap-up' && s.lastCall) return `Wrap-up of the call with ${safeText(s.lastCall.number, 32) || 'the customer'} (${s.lastCall.id})`
  return 'No call. The pop shows here when your phone rings.'
}

/** " · on hold 0:42" while the call is held (the time once the snapshot has it; a hold just pressed has only its event). */
function onHold(c: NonNullable<Pop['call']>, s: DeskState, now: number): string {
  if (!s.held.has(c.id)) return ''
  return typeof c.heldSince === 'number' ? ` · on hold ${duration(Math.max(0, now - c.heldSince))}` : ' · on hold'
}

function PopPane(p: {pop: Pop; s: DeskState; width: number; now: number; hyperlinks: boolean; timeZone?: string}) {
  const c = p.pop.call
  const me = p.s.me
  const h = p.pop.history
  const contact = h?.contact ?? null
  const tags = [...new Set([...(contact?.tags ?? []), ...(h?.callTags ?? [])])]
  const ringing = c !== null && c.agent !== p.s.agent && !p.pop.ended && !p.pop.missed
  const status = p.pop.missed ? 'MISSED' : p.pop.ended ? 'ENDED' : ringing ? 'RINGING' : c?.state === 'connected' ? (p.s.held.has(c.id) ? 'ON HOLD' : 'CONNECTED') : (c?.state.toUpperCase() ?? 'RINGING')
  const number = c ? (c.callbackNumber ?? c.caller.number) : '…'
  const name = c?.caller.name || contact?.name || ''
  const waited = c ? (c.connectedAt ?? p.now) - (c.enteredQueueAt ?? c.joinedAt ?? c.startedAt) : null
  const label = (t: string) => <Text dimColor>{t.padEnd(9)}</Text>
  const crm = p.s.settings?.crmLink ? crmUrl(p.s.settings.crmLink, {number: h?.number ?? number, contact: contact?.number ?? null, call: p.pop.callId}) : null
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold inverse color={ringing ? 'yellow' : 'cyan'}>{` ${status} `}</Text>
        <Text bold>{` ${safeText(number, 32)}  ${safeText(name, 60)}`}</Text>
        {contact?.vip || c?.contact?.vip ? <Text color="magenta" bold>{' VIP'}</Text> : null}
        <Text>{c && c.queue === null ? '  no queue' : `  queue ${safeText(c?.queue ?? '-', 30)} · waited ${waited === null ? '-' : duration(waited)}`}</Text>
      </Text>
      {ringing ? (
        <Text color="yellow" wrap="truncate-middle">{`Answer on your phone: ${safeText(me?.endpoint ?? 'your phone', 60)}`}</Text>
      ) : c?.connectedAt && !p.pop.ended ? (
        <Text dimColor wrap="truncate-end">{`Talking ${duration(p.now - c.connectedAt)}${onHold(c, p.s, p.now)}${p.s.consulting.has(c.id) ? ' · consulting (y completes, u cancels)' : ''}`}</Text>
      ) : (
        <Text> </Text>
      )}
      <Text wrap="truncate-end">
        {label('Contact')}
        {contact
          ? `${safeText(contact.tier || 'no tier', 32)}${contact.company ? ` · ${safeText(contact.company, 60)}` : ''}${tags.length ? ` · tags ${tags.map((t) => safeText(t, 30)).join(', ')}` : ''}${contact.notes ? ` · ${safeText(contact.notes, 120)}` : ''}`
          : c?.contact
            ? `${safeText(c.contact.tier, 32)} (from the CRM)`
            : h
              ? 'not in the contacts'
              : '…'}
      </Text>
      <Text wrap="truncate-end">
        {label('IVR keys')}
        {c ? (c.keyTrail.length ? c.keyTrail.map((k) => safeText(k, 40)).join(' → ') : 'none') : '…'}
      </Text>
      {crm ? (
        <Text wrap="truncate-end">
          {label('CRM (o)')}
          {p.hyperlinks ? hyperlink(crm, fit(crm, Math.max(10, p.width - 10)).trimEnd()) : crm}
        </Text>
      ) : null}
      <Text bold wrap="truncate-end">
        {h ? `History: ${h.interactions.length === 0 ? 'first contact' : `last ${h.interactions.length}`}${partial(h.searchedFrom, p.s, p.now) ? ` (read back to ${shortDate(h.searchedFrom, p.timeZone).slice(0, 5)} only)` : ''}` : p.pop.error ? `History: ${safeText(p.pop.error, 100)}` : 'History: …'}
      </Text>
      {(h?.interactions ?? []).map((i) => (
        <Text key={i.kind + i.id} wrap="truncate-end">
          {historyRow(i, p.timeZone)}
        </Text>
      ))}
    </Box>
  )
}

/** One past interaction of the customer: when, what, queue, outcome, agent, disposition, notes. */
function historyRow(i: HistoryView['interactions'][number], timeZone?: string): string {
  return `${shortDate(i.at, timeZone)} ${fit(i.kind === 'ticket' ? i.id : 'call', 8)} ${fit(i.queue ?? '-', 8)} ${fit(i.outcome, 9)} ${fit(i.agent ?? '', 5)} ${i.disposition ? safeText(i.disposition.label, 30) + ' ' : ''}${i.notes.map((n) => `"${safeText(n, 80)}"`).join(' ')}${i.priority ? ` (${safeText(i.priority, 10)})` : ''}`
}

/** Whether the history was read less far back than the center's window (the engine's time budget ran out first). */
function partial(searchedFrom: number, s: DeskState, now: number): boolean {
  const days = s.settings?.historyDays
  return days !== undefined && searchedFrom > now - days * 86_400_000 + 3_600_000
}

/** 11-22 09:30, in the given (or the local) time zone. */
function shortDate(ms: number, timeZone?: string): string {
  const part = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone}).formatToParts(ms).map((p) => [p.type, p.value]),
  )
  return `${part.month}-${part.day} ${part.hour}:${part.minute}`
}

function NoteLines(p: {text: string; editing: boolean; call: string | null; s: DeskState; width: number}) {
  const colour = useColour()
  const saved = p.call ? p.s.notesSaved.get(p.call) : undefined
  const state = p.call === null || (p.text === '' && saved === undefined) ? '' : saved === p.text ? ' saved' : ' saving…'
  const ticket = p.s.lastCall?.ticket ? ` · ticket ${p.s.lastCall.ticket}` : ''
  const disposition = p.s.lastCall?.disposition ? ` · ${safeText(p.s.lastCall.disposition.label, 40)}` : ''
  const shown = safeText(p.text, 4000)
  // The end of a long note, as much as fits the line beside the caret: where the agent types.
  const tail = p.editing ? lastColumns(shown, Math.max(10, p.width - 2)) : shown
  return (
    <Box flexDirection="column" height={2}>
      <Text wrap="truncate-end">
        <Text bold>{p.editing ? 'NOTE (typing: Enter or Esc ends)' : 'Note (n)'}</Text>
        <Text dimColor>{state + ticket + disposition}</Text>
      </Text>
      <Text wrap="truncate-end">
        {tail || (p.editing ? '' : ' ')}
        {p.editing ? (colour ? <Text inverse> </Text> : '_') : ''}
      </Text>
    </Box>
  )
}

const graphemes = new Intl.Segmenter(undefined, {granularity: 'grapheme'})

/** The longest end of `s` that fits in `width` columns (a wide character counts two), cut between graphemes. */
export function lastColumns(s: string, width: number): string {
  const parts = [...graphemes.segment(s)].map((g) => g.segment)
  let used = 0
  let from = parts.length
  while (from > 0) {
    const w = displayWidth(parts[from - 1]!)
    if (used + w > width) break
    used += w
    from--
  }
  return parts.slice(from).join('')
}

function Picker(p: {title: string; items: {key: string; label: string}[]; height: number; width: number}) {
  return (
    <Box flexDirection="column" height={p.height} overflow="hidden">
      <Text bold>{p.title}</Text>
      {p.items.slice(0, Math.max(0, p.height - 1)).map((i) => (
        <Text key={i.key} wrap="truncate-end">
          {`  ${i.key}  ${safeText(i.label, 200)}`}
        </Text>
      ))}
    </Box>
  )
}

function PromptLine(p: {label: string; text: string}) {
  const colour = useColour()
  return (
    <Text wrap="truncate-end">
      <Text bold>{`${p.label}: `}</Text>
      {safeText(p.text, 200)}
      {colour ? <Text inverse> </Text> : '_'}
      <Text dimColor>{'  Enter · Esc'}</Text>
    </Text>
  )
}

/** Two lines of keys for what the agent can do now; the general ones last. */
function KeyLines(p: {ctx: DeskContext; ui: DeskUi; width: number}) {
  const c = p.ctx
  let first: string
  const chat = c.chat
  if (chat) first = chat.state === 'active' ? 'Enter write · c quick reply · / kb answer · t transfer · x close · i history' : chat.state === 'offered' ? 'a accept the chat · i history · Tab next · Esc back to the call' : chat.state === 'closed' ? 'x put the chat away · i history · Tab next · Esc back to the call' : 'Tab next · Esc back to the call'
  else if (c.connected) first = `h ${c.connected.held ? 'unhold' : 'hold'} · x hang up · t transfer · y ${c.connected.consulting ? 'complete · u cancel' : 'consult'} · f DTMF · n note · k ticket`
  else if (c.dispositionOwed) first = `1-9 or d disposition · n note · k ticket · r ready (after the disposition)`
  else if (c.agentState === 'offline') first = 'l log in'
  else if (c.agentState === 'paused' || c.paused) first = 'r ready · p pause reason · g dial · b call back · l log out'
  else if (c.agentState === 'ringing') first = 'answer on your phone · n note · o CRM'
  else first = 'p pause · g dial · b call back · l log out' + (c.noteCall ? ' · n note · k ticket' : '')
  const offered = c.chats.some((x) => x.state === 'offered')
  const second =
    c.chats.length > 0
      ? chat?.state === 'active'
        ? `${offered ? 'a accept · ' : ''}m send an image · Tab next chat · Esc call · ? help · q quit`
        : `${offered ? 'a accept · ' : ''}${chat ? 'Tab next chat · Esc call' : 'Tab chats'}${c.crmLink && !chat ? ' · o CRM' : ''} · / kb · c replies · ? help · q quit`
      : `${c.crmLink ? 'o CRM · ' : ''}/ knowledge base · c quick replies · ? help · q quit`
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end" dimColor>
        {first}
      </Text>
      <Text wrap="truncate-end" dimColor>
        {second}
      </Text>
    </Box>
  )
}

const HELP: [string, string][] = [
  ['l', 'log in / log out'],
  ['r', 'ready (ends wrap-up early, unpauses); needs the disposition'],
  ['p', 'pause with a reason'],
  ['h x', 'hold / unhold, hang up'],
  ['t  y  u', 'blind transfer; consult (y again completes, u cancels)'],
  ['f', 'send DTMF digits to the far end'],
  ['g  b', 'dial a number (the caller by default); call back an owed callback'],
  ['n', 'type the call note (saved as you type)'],
  ['1-9  d', 'disposition of the call (wrap-up)'],
  ['k', 'open a ticket from the call'],
  ['/  c', 'knowledge base search (a number copies the answer); quick replies'],
  ['o', 'open the CRM page of the caller'],
  ['Tab  a', 'chats: the next one in front (then the call); accept the one offered'],
  ['in chat', 'Enter write, c reply, / KB answer, m image, t transfer, x close, i history'],
  ['q', 'quit (any key closes this help)'],
]

function Help() {
  return (
    <Box flexDirection="column">
      {HELP.map(([k, what]) => (
        <Text key={k} wrap="truncate-end">
          <Text bold>{k.padEnd(9)}</Text>
          {what}
        </Text>
      ))}
    </Box>
  )
}
