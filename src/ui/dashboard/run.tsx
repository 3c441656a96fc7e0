import type {AgentListing} from '../../engine/api/contract.js'
import {UserError} from '../../engine/util/errors.js'
import {engineActions} from './actions.js'
import {Dashboard} from './dashboard.js'
import {EngineFeed, type FeedConnection} from './feed.js'
import type {Thresholds} from './thresholds.js'
import {runFullScreen} from '../full-screen.js'

export interface RunDashboardOptions {
  connect(): Promise<FeedConnection>
  thresholds: Thresholds
  from: string | null
  by: string
  pauseReason: string
  storeFallback?: {pause(agent: string, reason: string): Promise<AgentListing>; unpause(agent: string): Promise<AgentListing>}
  title?: string
  /** The chat widget's URL (the demo's): the chat line shows it at any width. */
  chatUrl?: string | null
  /** Stops the dashboard from outside (the demo's --duration). */
  until?: Promise<unknown>
}

/** Runs the live dashboard in the terminal until q, Ctrl-C, or `until`; a token the engine refused ends it as a UserError (exit 2), as the desk's does. */
export async function runDashboard(o: RunDashboardOptions): Promise<'quit' | 'stopped'> {
  const feed = new EngineFeed(o.connect)
  const actions = engineActions({request: (m, ...args) => feed.request(m, ...args), from: o.from, by: o.by, pauseReason: o.pauseReason, storeFallback: o.storeFallback})
  const how = await runFullScreen((quit) => <Dashboard feed={feed} actions={actions} thresholds={o.thresholds} onQuit={quit} title={o.title} chatUrl={o.chatUrl ?? null} from={o.from} />, {feed, maxFps: 10, until: o.until})
  const state = feed.getState()
  if (state.status === 'refused') {
    throw new UserError(`The engine refused the token: ${state.error ?? 'unknown or revoked'}`, {
      suggestion: 'Ask an admin for a new one (callctl user token NAME), set CALLCTL_TOKEN to it and start the dashboard again.',
      exitCode: 2,
      code: 'unauthorized',
    })
  }
  return how
}
