import {Flags} from '@oclif/core'
import {listAgents, type AgentListing} from '../../engine/admin/admin.js'
import {withStore} from '../../engine/config/open-store.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

export default class AgentList extends CallctlCommand<{agents: AgentListing[]}> {
  static summary = 'List agents with their endpoint, queues, skills and login state'
  static examples = ['<%= config.bin %> agent list', '<%= config.bin %> agent list --queue sales --json']
  static flags = {
    queue: Flags.string({description: 'only members of this queue'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<{agents: AgentListing[]}> {
    const {flags} = await this.parse(AgentList)
    const agents = await withStore(flags.config, listAgents)
    return {agents: flags.queue ? agents.filter((a) => flags.queue! in a.queues) : agents}
  }

  protected render(r: {agents: AgentListing[]}): void {
    if (r.agents.length === 0) return this.print('No agents. Add one with: callctl agent add ID --endpoint PJSIP/ID')
    this.print(
      table(r.agents, [
        {header: 'AGENT', get: (a) => a.id},
        {header: 'NAME', get: (a) => a.name, max: 30},
        {header: 'ENDPOINT', get: (a) => a.endpoint, max: 50},
        {header: 'LOGIN', get: (a) => (a.presence === 'paused' ? `paused (${a.pauseReason})` : a.presence)},
        {header: 'QUEUES', get: (a) => Object.entries(a.queues).map(([q, p]) => (p ? `${q}:${p}` : q)).join(',')},
        {header: 'SKILLS', get: (a) => Object.entries(a.skills).map(([s, l]) => `${s}:${l}`).join(' ')},
      ]),
    )
  }
}
