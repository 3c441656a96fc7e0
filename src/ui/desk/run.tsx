import {appendFileSync} from 'node:fs'
import {UserError} from '../../engine/util/errors.js'
import type {FeedConnection} from '../dashboard/feed.js'
import {deskActions} from './desk-actions.js'
import {DeskFeed} from './desk-feed.js'
import {Desk} from './desk.js'
import {runFullScreen} from '../full-screen.js'

export interface RunDeskOptions {
  connect(): Promise<FeedConnection>
  agent: string
  /** The token's user, named in the fix if the engine refuses the token. */
  user?: string
  /** Stops the desk from outside. */
  until?: Promise<unknown>
}

/** Runs the agent's desk in the terminal until q, Ctrl-C, or `until`; a token the engine refused ends it as a UserError (exit 2). */
export async function runDesk(o: RunDeskOptions): Promise<'quit' | 'stopped'> {
  const feed = new DeskFeed(o.connect, o.agent, o.user !== undefined ? {user: o.user} : {})
  const actions = deskActions({feed, write: (s) => process.stdout.write(s)})
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
  const how = await runFullScreen((quit) => <Desk feed={feed} run={run} onQuit={quit} hyperlinks={!process.env.NO_COLOR} />, {feed, maxFps: 20, until: o.until, beforeClose: () => actions.flush()})
  const refused = feed.getState().refused
  if (refused) throw new UserError(refused.message, {suggestion: refused.suggestion, exitCode: 2, code: 'unauthorized'})
  return how
}
