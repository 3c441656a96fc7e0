import {Flags} from '@oclif/core'
import {listAgents} from '../../engine/admin/admin.js'
import type {AgentState} from '../../engine/api/contract.js'
import {withEngine} from '../../engine/api/connect.js'
import {checkKnownNames} from '../../engine/admin/known-names.js'
import {withStore} from '../../engine/config/open-store.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'
import {listedAgent, type ListedAgent} from '../../ui/presence.js'
import {table} from '../../ui/render.js'

/**
 * An agent as stored, in the running engine's state when one runs, with why it offers
 * the agent no call (backoff, automatic pause), when it says.
 */
export type AgentListRow = ListedAgent & {why: string | null}

export default class AgentList extends CallctlCommand<{agents: AgentListRow[]}> {
  static summary = 'List agents with their endpoint, queues, skills and state (offline, idle, ringing, on-call, wrap-up, paused)'
  static description = `With an engine running, WHY says why an agent gets no calls when its login state does not:
a phone whose rings fail is backed off ("backoff until 10:31:05: Allocation failed"), or was paused
automatically ("auto-paused: 3 missed rings").`
  static examples = ['<%= config.bin %> agent list', '<%= config.bin %> agent list --queue sales --json']
  static flags = {
    queue: Flags.string({description: 'only members of this queue'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<{agents: AgentListRow[]}> {
    const {flags} = await this.parse(AgentList)
    const {agents, queue} = await withStore(flags.config, async (store) => {
      const named = await checkKnownNames(store, {queue: flags.queue})
      return {agents: await listAgents(store), queue: named.queue}
    })
    const live = await engineAgents(flags.config)
    const rows = agents.map((a) => ({...listedAgent(a, live.get(a.id)?.state), why: live.get(a.id)?.why ?? null}))
    return {agents: queue ? rows.filter((a) => Object.hasOwn(a.queues, queue)) : rows}
  }

  protected render(r: {agents: AgentListRow[]}): void {
    if (r.agents.length === 0) return this.print('No agents. Add one with: callctl agent add ID --endpoint PJSIP/ID')
    const anyWhy = r.agents.some((a) => a.why)
    this.print(
      table(r.agents, [
        {header: 'AGENT', get: (a) => a.id, keep: true},
        {header: 'NAME', get: (a) => a.name, max: 30},
        {header: 'ENDPOINT', get: (a) => a.endpoint, max: 50},
        {header: 'STATE', get: (a) => (a.state === 'paused' ? `paused (${a.pauseReason})` : a.state)},
        {header: 'QUEUES', get: (a) => Object.entries(a.queues).map(([q, p]) => (p ? `${q}:${p}` : q)).join(',')},
        {header: 'SKILLS', get: (a) => Object.entries(a.skills).map(([s, l]) => `${s}:${l}`).join(' ')},
        ...(anyWhy ? [{header: 'WHY', get: (a: AgentListRow) => a.why ?? ''}] : []),
      ]),
    )
  }
}

/** Agent id → state and why, from the running engine; none when no engine runs (the store has no such thing). */
async function engineAgents(config: string | undefined): Promise<Map<string, {state: AgentState; why: string | null}>> {
  try {
    const snap = await withEngine(config, (c) => c.request('snapshot'))
    return new Map(snap.agents.map((a) => [a.id, {state: a.state, why: a.why ?? null}]))
  } catch (err) {
    if (err instanceof UserError && (err.code === 'engine_unreachable' || err.code === 'disconnected')) return new Map()
    throw err
  }
}
