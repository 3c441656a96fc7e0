import {Box, Text} from 'ink'
import {safeText} from '../../engine/util/text.js'
import {fit} from '../dashboard/cells.js'
import {useColour} from '../dashboard/color.js'
import {cutToWidth, displayWidth} from '../text-width.js'
import {unread, type ChatLine, type ChatNote, type DeskChat} from './desk-chats.js'

// The chats on the desk: one line per conversation (the one in front marked), and the one in
// front: its transcript (the latest lines that fit) or its customer's history, and the
// reply being typed. Everything the customer wrote goes through safeText: inert. A
// supervisor's private note stands in the transcript at its time as "[note from NAME]",
// in its own colour: with NO_COLOR the words alone say it was never the customer's.

/** Conversations listed at most (the rest: "+N more", Tab still reaches them). */
export const CHAT_ROWS = 4
const TYPING_SHOWN_MS = 6000

const STATE_LABEL: Record<string, string> = {flow: 'BOT', queued: 'WAITING', offered: 'OFFERED', active: 'ACTIVE', closed: 'CLOSED'}
const STATE_COLOUR: Record<string, string> = {offered: 'yellow', active: 'green', closed: 'gray', queued: 'cyan', flow: 'cyan'}

export function chatListHeight(chats: readonly DeskChat[]): number {
  return chats.length === 0 ? 0 : 1 + Math.min(chats.length, CHAT_ROWS)
}

export function customerName(c: DeskChat): string {
  return c.view.name || c.view.number || c.view.customer
}

export function ChatList(p: {chats: readonly DeskChat[]; front: string | null; width: number; now: number}) {
  const at = p.chats.findIndex((c) => c.id === p.front)
  // The one in front is always listed.
  const start = Math.max(0, Math.min(at - CHAT_ROWS + 1, p.chats.length - CHAT_ROWS))
  const shown = p.chats.slice(start, start + CHAT_ROWS)
  const more = p.chats.length - shown.length
  const offered = p.chats.filter((c) => c.view.state === 'offered').length
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {`Chats ${p.chats.length}${offered ? ` · ${offered} offered (a accepts)` : ''} · Tab switches${more ? ` · +${more} more` : ''}`}
      </Text>
      {shown.map((c) => (
        <ChatRow key={c.id} c={c} front={c.id === p.front} width={p.width} now={p.now} />
      ))}
    </Box>
  )
}

function ChatRow(p: {c: DeskChat; front: boolean; width: number; now: number}) {
  const v = p.c.view
  const n = unread(p.c)
  const typing = p.c.typingAt !== null && p.now - p.c.typingAt < TYPING_SHOWN_MS && v.state !== 'closed'
  // The last word of the customer or the agent (the queue's "you are next in line" tells the agent nothing).
  const said = p.c.lines.findLast((l) => l.from === 'customer' || l.from === 'agent') ?? v.last
  const last = typing ? 'typing…' : said ? `${said.from === 'agent' ? 'you: ' : ''}${said.text}` : ''
  return (
    <Text wrap="truncate-end" bold={p.front}>
      {p.front ? '> ' : '  '}
      <Text color={STATE_COLOUR[v.state]}>{fit(STATE_LABEL[v.state] ?? v.state, 8)}</Text>
      {` ${fit(customerName(p.c), 18)} ${fit(v.channel, 7)} `}
      <Text color="yellow" bold={n > 0}>{fit(n > 0 ? `${n} new` : '', 7)}</Text>
      {safeText(last, 200)}
    </Text>
  )
}

/** The conversation in front: a header line, then its transcript's latest lines (or the customer's history). */
export function ChatPane(p: {c: DeskChat; height: number; width: number; historyShown: boolean; timeZone?: string; historyRow: (i: HistoryInteraction) => string}) {
  const v = p.c.view
  const closed = v.state === 'closed' ? ` · CLOSED${v.closeReason ? ` (${v.closeReason === 'customer' ? 'the customer left' : safeText(v.closeReason, 20)})` : ''} · x puts it away` : ''
  const head = `Chat with ${safeText(customerName(p.c), 40)} · ${v.channel}${v.number && v.name ? ` · ${safeText(v.number, 24)}` : ''}${v.queue ? ` · queue ${safeText(v.queue, 24)}` : ''}${closed}`
  const rows = Math.max(1, p.height - 1)
  return (
    <Box flexDirection="column" height={p.height} overflow="hidden">
      <Text bold wrap="truncate-end">
        {head}
      </Text>
      {p.historyShown ? <ChatHistory c={p.c} rows={rows} historyRow={p.historyRow} /> : <Transcript lines={p.c.lines} notes={p.c.notes} rows={rows} width={p.width} name={customerName(p.c)} timeZone={p.timeZone} />}
    </Box>
  )
}

type HistoryInteraction = Extract<NonNullable<DeskChat['history']>, {interactions: unknown}>['interactions'][number]

function ChatHistory(p: {c: DeskChat; rows: number; historyRow: (i: HistoryInteraction) => string}) {
  const h = p.c.history
  if (!h) return <Text dimColor>History: …</Text>
  if ('error' in h) return <Text wrap="truncate-end">{`History: ${safeText(h.error, 200)}`}</Text>
  const contact = h.contact
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        {`Contact  ${contact ? `${safeText(contact.tier || 'no tier', 32)}${contact.company ? ` · ${safeText(contact.company, 60)}` : ''}${contact.notes ? ` · ${safeText(contact.notes, 120)}` : ''}` : 'not in the contacts'} · i shows the chat`}
      </Text>
      <Text bold>{`History of ${safeText(h.number, 32)}: ${h.interactions.length === 0 ? 'first contact' : `last ${h.interactions.length}`}`}</Text>
      {h.interactions.slice(0, Math.max(0, p.rows - 2)).map((i) => (
        <Text key={i.kind + i.id} wrap="truncate-end">
          {p.historyRow(i)}
        </Text>
      ))}
    </Box>
  )
}

type Said = {key: string; ts: number; from: ChatLine['from'] | 'note'; text: string}

function Transcript(p: {lines: readonly ChatLine[]; notes: readonly ChatNote[]; rows: number; width: number; name: string; timeZone?: string}) {
  const colour = useColour()
  if (p.lines.length === 0 && p.notes.length === 0) return <Text dimColor>…</Text>
  const said: Said[] = p.lines.map((l) => {
    const who = l.from === 'customer' ? p.name : l.from === 'agent' ? 'you' : l.from
    return {key: `${l.seq}`, ts: l.ts, from: l.from, text: `${hhmm(l.ts, p.timeZone)} ${safeText(who, 18)}: ${safeText(l.text, 4000)}`}
  })
  // Each note after the lines written by its time.
  p.notes.forEach((n, i) => {
    const at = said.findIndex((s) => s.ts > n.ts)
    const note: Said = {key: `n${i}`, ts: n.ts, from: 'note', text: `${hhmm(n.ts, p.timeZone)} [note from ${safeText(n.by, 24) || 'a supervisor'}] ${safeText(n.text, 2000)}`}
    said.splice(at < 0 ? said.length : at, 0, note)
  })
  const rows: {key: string; from: Said['from']; text: string}[] = []
  for (const s of said) wrap(s.text, Math.max(20, p.width - 1)).forEach((text, i) => rows.push({key: `${s.key}.${i}`, from: s.from, text}))
  return (
    <Box flexDirection="column">
      {rows.slice(-p.rows).map((r) => (
        <Text key={r.key} wrap="truncate-end" color={r.from === 'customer' ? 'cyan' : r.from === 'note' ? 'magenta' : undefined} dimColor={r.from === 'system' || r.from === 'bot'} bold={r.from === 'customer' && !colour}>
          {r.text}
        </Text>
      ))}
    </Box>
  )
}

/** The reply being typed to the conversation in front (two lines, in place of the call's note). */
export function ReplyLines(p: {c: DeskChat; text: string; editing: boolean; width: number}) {
  const colour = useColour()
  const active = p.c.view.state === 'active'
  const tail = cutTail(safeText(p.text, 4000), Math.max(10, p.width - 2))
  return (
    <Box flexDirection="column" height={2}>
      <Text wrap="truncate-end" bold>
        {p.editing ? 'REPLY (typing: Enter sends, Esc leaves)' : active ? 'Reply (Enter to write)' : p.c.view.state === 'offered' ? 'Reply: a accepts the chat first' : 'Reply: this chat is not with you'}
      </Text>
      <Text wrap="truncate-end">
        {tail || (p.editing ? '' : ' ')}
        {p.editing ? (colour ? <Text inverse> </Text> : '_') : ''}
      </Text>
    </Box>
  )
}

function wrap(s: string, width: number): string[] {
  const out: string[] = []
  let rest = s
  while (displayWidth(rest) > width) {
    const cut = cutToWidth(rest, width)
    if (cut.text.length === 0) break
    out.push(cut.text)
    rest = rest.slice(cut.text.length)
  }
  out.push(rest)
  return out
}

/** The end of a long reply: where the agent types. */
function cutTail(s: string, width: number): string {
  let out = [...s].slice(-width).join('')
  while (displayWidth(out) > width) out = [...out].slice(1).join('')
  return out
}

function hhmm(ms: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', {hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone}).format(ms)
}
