import {Box, Text} from 'ink'
import {useEffect, useMemo, useRef, useState, useSyncExternalStore} from 'react'
import {errorMessage} from '../../engine/util/errors.js'
import {safeText} from '../../engine/util/text.js'
import type {DashboardActions} from './actions.js'
import {AgentsPane} from './agents-pane.js'
import {buildBoard} from './board.js'
import {CallsPane} from './calls-pane.js'
import {ChartPane} from './chart-pane.js'
import {ColourContext, honourNoColor} from './color.js'
import type {FeedState} from './feed.js'
import {clock, duration} from './format.js'
import {hasChatLine, Header} from './header.js'
import {Help} from './help.js'
import {INITIAL_UI, onKey, selectedIndex, type Action, type KeyPress, type UiState} from './keys.js'
import {chartLines, paneHeights} from './layout.js'
import {QueuesPane} from './queues-pane.js'
import {StatusLine, type Message} from './status-line.js'
import type {Thresholds} from './thresholds.js'
import {useTerminalSize, type Size} from './use-terminal-size.js'
import {useKeys} from '../use-keys.js'

export interface FeedSource {
  subscribe(fn: () => void): () => void
  getState(): FeedState
  /** Asks for a fresh snapshot (after an action). */
  refresh?(delayMs?: number): void
}

export interface DashboardProps {
  feed: FeedSource
  actions: DashboardActions
  thresholds: Thresholds
  onQuit(): void
  title?: string
  /** The chat widget's URL, shown on the chat line from the start (the title gives way below 100 columns). */
  chatUrl?: string | null
  /** The supervisor's phone, shown in the help. */
  from?: string | null
  /** Fixed size (tests, benchmarks); otherwise the terminal's, following resizes. */
  size?: Size
  timeZone?: string
}

const MESSAGE_MS = 10_000

export function Dashboard(p: DashboardProps) {
  // Before anything is drawn: NO_COLOR holds for every pane (see color.ts).
  const [colour] = useState(() => honourNoColor())
  const state = useSyncExternalStore(p.feed.subscribe, p.feed.getState)
  const size = useTerminalSize(p.size)
  const [ui, setUi] = useState<UiState>(INITIAL_UI)
  const [message, setMessage] = useState<Message | null>(null)
  const [, tick] = useState(0)
  const board = useMemo(() => (state.snapshot ? buildBoard(state.snapshot, {thresholds: p.thresholds, filter: ui.filter}) : null), [state.snapshot, p.thresholds, ui.filter])

  const live = state.status === 'live'
  const rows = Math.max(6, size.rows - 1) // a full-height frame makes Ink clear the screen on every update
  const asterisk = live && state.snapshot?.link && state.snapshot.link.state !== 'connected' ? state.snapshot.link : null
  const overload = live && !asterisk && state.snapshot?.overload?.overloaded ? state.snapshot.overload : null
  const boxesDown = live && !asterisk && !overload && state.snapshot?.boxes?.some((b) => !b.up) ? state.snapshot.boxes : null
  const banner = state.status === 'unreachable' || state.status === 'refused' ? 2 : asterisk || overload || boxesDown ? 1 : 0
  // The header's fourth line, chats, once there are any.
  const paneLines = Math.max(0, rows - 3 - 1 - banner - (hasChatLine(state.snapshot?.chats, p.chatUrl) ? 1 : 0))
  const counts = {queues: board?.queues.length ?? 0, agents: board?.agents.length ?? 0, calls: board?.calls.length ?? 0}
  // Lines the panes would leave blank hold the last hour, drawn large.
  const chart = board && board.recentBucketMs !== null && board.queues.length > 0 ? chartLines(paneLines, counts) : 0
  const heights = paneHeights(paneLines - chart, counts, ui.focus)

  // The retry countdown moves while the engine is away.
  useEffect(() => {
    if (live) return
    const t = setInterval(() => tick((n) => n + 1), 1000)
    return () => clearInterval(t)
  }, [live])

  useEffect(() => {
    if (!message) return
    const t = setTimeout(() => setMessage(null), MESSAGE_MS)
    return () => clearTimeout(t)
  }, [message])

  const run = (action: Action) => {
    if (action.type === 'quit') return p.onQuit()
    if (action.type === 'say') return setMessage({text: action.text, error: true})
    const what =
      action.type === 'supervise'
        ? {doing: `Starting ${action.mode} of agent ${action.agent}…`, call: () => p.actions.supervise(action.mode, action.agent, action.call)}
        : action.type === 'pause'
          ? {doing: `Pausing agent ${action.agent}…`, call: () => p.actions.pause(action.agent)}
          : {doing: `Unpausing agent ${action.agent}…`, call: () => p.actions.unpause(action.agent)}
    setMessage({text: what.doing, error: false})
    what.call().then(
      (text) => {
        setMessage({text, error: false})
        // The engine applies a presence change within 250 ms.
        p.feed.refresh?.(300)
      },
      (err: unknown) => setMessage({text: errorMessage(err), error: true}),
    )
  }

  // Key handling reads the latest state through refs: Ink keeps one listener.
  const latest = useRef({ui, board, pageRows: 10})
  latest.current = {ui, board, pageRows: Math.max(1, heights[ui.focus] - 2)}
  const press = (input: string, key: KeyPress) => {
    const {ui: before, board: b, pageRows} = latest.current
    const {ui: next, action} = onKey(before, input, key, b, pageRows)
    if (next !== before) {
      latest.current.ui = next
      setUi(next)
    }
    if (action) run(action)
  }
  // The filter line is a text field: a paste is typed into it, an Alt key there does nothing (Alt+b was Esc, then barge).
  useKeys(press, {inText: () => latest.current.ui.editingFilter})

  const width = size.columns
  return (
    <ColourContext.Provider value={colour}>
      <Box flexDirection="column" width={width} height={rows}>
        <Header title={p.title ?? 'callctl dashboard'} at={board?.at ?? null} figures={board?.header ?? null} timeZone={p.timeZone} live={live} width={width} overdueTickets={state.overdueTickets ?? null} chats={state.snapshot?.chats ?? null} chatUrl={p.chatUrl ?? null} />
        {state.status === 'refused' ? (
          <RefusedBanner state={state} />
        ) : state.status === 'unreachable' ? (
          <Banner state={state} timeZone={p.timeZone} />
        ) : asterisk ? (
          <AsteriskBanner link={asterisk} at={state.snapshot!.at} />
        ) : overload ? (
          <OverloadBanner overload={overload} at={state.snapshot!.at} />
        ) : boxesDown ? (
          <BoxesBanner boxes={boxesDown} at={state.snapshot!.at} />
        ) : null}
        {ui.help ? (
          <Help thresholds={p.thresholds} from={p.from ?? null} height={paneLines} width={width} />
        ) : board ? (
          <Box flexDirection="column" height={paneLines}>
            {heights.queues > 0 ? <QueuesPane recentPeak={board.recentPeak} rows={board.queues} total={board.totals.queues} width={width} height={heights.queues} focused={ui.focus === 'queues'} selected={selectedIndex(board, ui, 'queues')} /> : null}
            {heights.agents > 0 ? <AgentsPane rows={board.agents} total={board.totals.agents} width={width} height={heights.agents} focused={ui.focus === 'agents'} selected={selectedIndex(board, ui, 'agents')} /> : null}
            {heights.calls > 0 ? <CallsPane rows={board.calls} total={board.totals.calls} width={width} height={heights.calls} focused={ui.focus === 'calls'} selected={selectedIndex(board, ui, 'calls')} /> : null}
            {chart > 0 ? <ChartPane queues={board.queues} peak={board.recentPeak} bucketMinutes={Math.round((board.recentBucketMs ?? 300_000) / 60_000)} width={width} height={chart} /> : null}
          </Box>
        ) : (
          <Box height={paneLines} flexDirection="column" justifyContent="center" alignItems="center">
            <Text>{state.status === 'connecting' ? 'Connecting to the engine…' : 'No data from the engine yet.'}</Text>
            <Text dimColor>Is it running? Start it with: callctl engine start</Text>
          </Box>
        )}
        <StatusLine filter={ui.filter} editing={ui.editingFilter} message={message} width={width} />
      </Box>
    </ColourContext.Provider>
  )
}

/** One line: the engine runs but has lost Asterisk; what is shown are its last calls, and no new call is answered. Most telling first: at 80 columns the error is what gets cut. */
function AsteriskBanner(p: {link: NonNullable<FeedState['snapshot']>['link'] & object; at: number}) {
  const l = p.link
  return (
    <Text wrap="truncate-end" color="red" bold inverse>
      {` ASTERISK ${l.state.toUpperCase()} ${duration(p.at - l.since)} · no new calls answered · ${l.attempts} attempts${l.error ? ` · ${safeText(l.error, 60)}` : ''} `}
    </Text>
  )
}

/** One line: some of several Asterisk boxes are away; the others serve, new calls go to them. */
function BoxesBanner(p: {boxes: NonNullable<NonNullable<FeedState['snapshot']>['boxes']>; at: number}) {
  const down = p.boxes.filter((b) => !b.up)
  const up = p.boxes.length - down.length
  return (
    <Text wrap="truncate-end" color="yellow" bold inverse>
      {` ${down.map((b) => `BOX ${safeText(b.name, 20).toUpperCase()} DOWN ${duration(p.at - (b.downSince ?? p.at))}`).join(' · ')} · ${up} of ${p.boxes.length} boxes serving · its calls were closed `}
    </Text>
  )
}

/** One line: Asterisk answers slowly, so the engine refuses new callers until it recovers. */
function OverloadBanner(p: {overload: NonNullable<FeedState['snapshot']>['overload'] & object; at: number}) {
  const o = p.overload
  return (
    <Text wrap="truncate-end" color="yellow" bold inverse>
      {` OVERLOADED for ${duration(p.at - (o.since ?? p.at))} · Asterisk answers in ${o.p90Ms} ms (p90) · new callers refused: ${o.shed} `}
    </Text>
  )
}

/** Two lines: the engine refused the token, so the dashboard stopped (q quits); then the engine's words. */
function RefusedBanner(p: {state: FeedState}) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end" color="red" bold inverse>
        {' TOKEN REFUSED · the dashboard has stopped · q quits '}
      </Text>
      <Text wrap="truncate-end" color="red">
        {safeText(p.state.error ?? 'the engine refused the token', 300)}
      </Text>
    </Box>
  )
}

/** Two lines: that the engine is unreachable and what is shown meanwhile, then why. */
function Banner(p: {state: FeedState; timeZone?: string}) {
  const s = p.state
  const retry = s.retryAt === null ? '' : ` · retrying in ${Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000))} s`
  const stale = s.snapshot && s.receivedAt !== null ? ` · showing data from ${clock(s.receivedAt, p.timeZone)}` : ''
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end" color="red" bold inverse>
        {` ENGINE UNREACHABLE${retry}${stale} `}
      </Text>
      <Text wrap="truncate-end" color="red">
        {safeText(s.error ?? 'no answer', 300)}
      </Text>
    </Box>
  )
}
