import {appendFileSync} from 'node:fs'
import {render} from 'ink'
import type {FeedConnection} from '../dashboard/feed.js'
import {deskActions} from './desk-actions.js'
import {DeskFeed} from './desk-feed.js'
import {Desk} from './desk.js'

export interface RunDeskOptions {
  connect(): Promise<FeedConnection>
  agent: string
  /** Stops the desk from outside. */
  until?: Promise<unknown>
}

const ENTER_ALT = '\u001b[?1049h\u001b[H'
const LEAVE_ALT = '\u001b[?1049l'
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Runs the agent's desk in the terminal until q, Ctrl-C, or `until`. */
export async function runDesk(o: RunDeskOptions): Promise<'quit' | 'stopped'> {
  const stdout = process.stdout
  const feed = new DeskFeed(o.connect, o.agent)
  const actions = deskActions({feed, write: (s) => stdout.write(s)})
  let quit!: (how: 'quit' | 'stopped') => void
  const done = new Promise<'quit' | 'stopped'>((r) => (quit = r))
  const restore = () => stdout.write(LEAVE_ALT)
  stdout.write(ENTER_ALT)
  process.once('exit', restore)
  const onSignal = () => quit('stopped')
  for (const sig of SIGNALS) process.once(sig, onSignal)
  feed.start()
  // CALLCTL_DESK_TRACE=FILE: each action and its outcome, one JSON line each (for diagnosing a desk).
  const trace = process.env.CALLCTL_DESK_TRACE
  const run: typeof actions.run = !trace
    ? actions.run
    : async (action, ctx) => {
        if (action.type === 'note') return actions.run(action, ctx)
        const log = (what: object) => appendFileSync(trace, JSON.stringify({at: Date.now(), ...what}) + '\n')
        log({action})
        try {
          const r = await actions.run(action, ctx)
          log({done: action.type, r})
          return r
        } catch (err) {
          log({failed: action.type, error: String(err)})
          throw err
        }
      }
  const app = render(<Desk feed={feed} run={run} onQuit={() => quit('quit')} hyperlinks={!process.env.NO_COLOR} />, {
    stdout,
    exitOnCtrlC: false,
    incrementalRendering: false,
    maxFps: 20,
  })
  void o.until?.then(() => quit('stopped'))
  try {
    return await done
  } finally {
    await actions.flush()
    app.unmount()
    app.cleanup()
    feed.stop()
    for (const sig of SIGNALS) process.off(sig, onSignal)
    process.off('exit', restore)
    restore()
  }
}
