import {render} from 'ink'
import type {AgentListing} from '../../engine/api/contract.js'
import {engineActions} from './actions.js'
import {Dashboard} from './dashboard.js'
import {EngineFeed, type FeedConnection} from './feed.js'
import type {Thresholds} from './thresholds.js'

export interface RunDashboardOptions {
  connect(): Promise<FeedConnection>
  thresholds: Thresholds
  from: string | null
  by: string
  pauseReason: string
  storeFallback?: {pause(agent: string, reason: string): Promise<AgentListing>; unpause(agent: string): Promise<AgentListing>}
  title?: string
  /** Stops the dashboard from outside (the demo's --duration). */
  until?: Promise<unknown>
}

// The alternate screen, as full-screen programs (top, less) use: the shell's screen
// comes back untouched on exit.
const ENTER_ALT = '\u001b[?1049h\u001b[H'
const LEAVE_ALT = '\u001b[?1049l'
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Runs the live dashboard in the terminal until q, Ctrl-C, or `until`. */
export async function runDashboard(o: RunDashboardOptions): Promise<'quit' | 'stopped'> {
  const stdout = process.stdout
  const feed = new EngineFeed(o.connect)
  const actions = engineActions({request: (m, ...args) => feed.request(m, ...args), from: o.from, by: o.by, pauseReason: o.pauseReason, storeFallback: o.storeFallback})
  let quit!: (how: 'quit' | 'stopped') => void
  const done = new Promise<'quit' | 'stopped'>((r) => (quit = r))
  const restore = () => stdout.write(LEAVE_ALT)
  stdout.write(ENTER_ALT)
  process.once('exit', restore)
  const onSignal = () => quit('stopped')
  // In raw mode Ctrl-C arrives as a key; these come from elsewhere (kill, a closed terminal).
  for (const sig of SIGNALS) process.once(sig, onSignal)
  feed.start()
  const app = render(<Dashboard feed={feed} actions={actions} thresholds={o.thresholds} onQuit={() => quit('quit')} title={o.title} from={o.from} />, {
    stdout,
    exitOnCtrlC: false,
    // Ink's incremental mode left the first frame's top line on screen (tmux, Ink 6.8).
    incrementalRendering: false,
    maxFps: 10,
  })
  void o.until?.then(() => quit('stopped'))
  try {
    return await done
  } finally {
    app.unmount()
    app.cleanup()
    feed.stop()
    for (const sig of SIGNALS) process.off(sig, onSignal)
    process.off('exit', restore)
    restore()
  }
}
