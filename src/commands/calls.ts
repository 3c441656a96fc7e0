import {Flags} from '@oclif/core'
import {withEngine} from '../engine/api/connect.js'
import {CALL_STATES, type CallView, type EngineSnapshot} from '../engine/api/contract.js'
import {findName, unknownName} from '../engine/admin/known-names.js'
import {CallctlCommand} from '../ui/command.js'
import {table} from '../ui/render.js'
import {callStateText, duration, ON_HOLD} from '../ui/dashboard/format.js'


export interface LiveCall extends CallView {
  /** In line since joining (across overflow and callbacks) until an agent answered, or until now. */
  waitedMs: number | null
  talkMs: number | null
}

export interface CallsResult {
  /** The engine's clock when it answered; durations are measured to it. */
  at: number
  calls: LiveCall[]
  /** The engine's link to Asterisk: while it is not connected, these calls may be gone. */
  link: EngineSnapshot['link'] | null
  /** Logged-in agents offered no call because of their phone (unreachable, or on a call the engine did not place): why the line may not move. */
  phoneProblems: {agent: string; state: 'unreachable' | 'other-call'; since: number; why: string | null}[]
}

export default class Calls extends CallctlCommand<CallsResult> {
  static summary = 'List the calls the running engine holds now: caller, queue, agent, state, wait and talk time'
  static description = 'Reads the live state of the engine (callctl engine start); the event log has the calls that have ended: callctl events.'
  static examples = ['<%= config.bin %> calls', '<%= config.bin %> calls --queue sales --state waiting', '<%= config.bin %> calls --json']
  static flags = {
    queue: Flags.string({description: 'only calls in this queue'}),
    state: Flags.string({description: 'only calls in this state (on-hold: connected calls whose caller is on hold)', options: [...CALL_STATES, ON_HOLD]}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<CallsResult> {
    const {flags} = await this.parse(Calls)
    // The whole snapshot rather than calls.list: its queue list tells a misspelt queue from an empty one.
    const snap = await withEngine(flags.config, (c) => c.request('snapshot'))
    const names = snap.queues.map((q) => q.name)
    const queue = flags.queue === undefined ? undefined : findName(names, flags.queue)
    if (flags.queue !== undefined && queue === undefined) throw unknownName('queue', flags.queue, names)
    const calls = snap.calls
      .filter((c) => (!queue || c.queue === queue) && (!flags.state || (flags.state === ON_HOLD ? c.heldSince !== null : c.state === flags.state)))
      .sort((a, b) => a.startedAt - b.startedAt)
      .map((c) => ({
        ...c,
        waitedMs: c.joinedAt === null ? null : Math.max(0, (c.connectedAt ?? snap.at) - c.joinedAt),
        talkMs: c.connectedAt === null ? null : Math.max(0, snap.at - c.connectedAt),
      }))
    const phoneProblems = snap.agents
      .filter((a) => (a.state === 'unreachable' || a.state === 'other-call') && (!queue || Object.hasOwn(a.queues, queue)))
      .map((a) => ({agent: a.id, state: a.state as 'unreachable' | 'other-call', since: a.since, why: a.why ?? null}))
    return {at: snap.at, calls, link: snap.link ?? null, phoneProblems}
  }

  protected render(r: CallsResult): void {
    if (r.link && r.link.state !== 'connected') {
      this.warn(`Asterisk at ${r.link.url} is ${r.link.state} (for ${duration(r.at - r.link.since)}, ${r.link.attempts} attempts): these calls are the engine's last view and new calls are not answered.`)
    }
    if (r.phoneProblems.length > 0) {
      const list = r.phoneProblems.map((p) => `${p.agent} ${p.state === 'unreachable' ? 'unreachable' : 'on another call'} ${duration(r.at - p.since)}`).join(', ')
      this.warn(`Agents offered no calls because of their phone: ${list} (callctl agent list says why)`)
    }
    if (r.calls.length === 0) return this.print('No live calls.')
    this.print(
      table(r.calls, [
        {header: 'CALL', get: (c) => c.id, keep: true},
        {header: 'CALLER', get: (c) => c.caller.number, max: 24},
        {header: 'NAME', get: (c) => c.caller.name || '-', max: 24},
        {header: 'QUEUE', get: (c) => c.queue ?? '-'},
        {header: 'AGENT', get: (c) => c.agent ?? (c.ringing.length ? `ringing ${c.ringing.join(',')}` : '-'), max: 30},
        {header: 'STATE', get: (c) => callStateText(c, r.at)},
        {header: 'WAITED', get: (c) => duration(c.waitedMs), align: 'right'},
        {header: 'TALK', get: (c) => duration(c.talkMs), align: 'right'},
        {header: 'KEYS', get: (c) => c.keyTrail.join(' ') || '-', max: 30, optional: true},
        {header: 'TIER', get: (c) => (c.contact ? `${c.contact.tier}${c.contact.vip && !/vip/i.test(c.contact.tier) ? ' (VIP)' : ''}` : '-'), max: 20, optional: true},
      ]),
    )
  }
}
