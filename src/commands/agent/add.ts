import {Args, Flags} from '@oclif/core'
import {addAgent} from '../../engine/admin/admin.js'
import {withStore} from '../../engine/config/open-store.js'
import type {AgentRecord} from '../../engine/model.js'
import {CallctlCommand} from '../../ui/command.js'
import {fields} from '../../ui/render.js'

export default class AgentAdd extends CallctlCommand<AgentRecord> {
  static summary = 'Add an agent (its phone endpoint, queues and skills), or change one with --update (only the fields given change)'
  static examples = [
    '<%= config.bin %> agent add 1001 --name "Li Na" --endpoint PJSIP/1001 --queue sales --queue support:1 --skills "billing:3 english:1"',
    '<%= config.bin %> agent add 1001 --update --endpoint PJSIP/1001-desk',
    '<%= config.bin %> agent add 1002 --name 王芳 --endpoint PJSIP/1002 --queue 客服 --skills "粤语:3 英语:1"',
  ]
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {
    endpoint: Flags.string({description: 'Asterisk dial string of the phone, e.g. PJSIP/1001 (required for a new agent)'}),
    name: Flags.string({description: 'display name, in any script (李娜)'}),
    queue: Flags.string({description: 'QUEUE or QUEUE:PENALTY (repeatable)', multiple: true}),
    skills: Flags.string({description: 'skills with levels, e.g. "billing:3 english:1"'}),
    update: Flags.boolean({description: 'change an existing agent instead of failing; fields not given stay as they are'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<AgentRecord> {
    const {args, flags} = await this.parse(AgentAdd)
    return withStore(flags.config, (store) =>
      addAgent(store, {id: args.id, name: flags.name, endpoint: flags.endpoint, queues: flags.queue, skills: flags.skills}, {update: flags.update}),
    )
  }

  protected render(a: AgentRecord): void {
    this.print(`Agent ${a.id} saved.`)
    this.print(fields({name: a.name, endpoint: a.endpoint, queues: Object.entries(a.queues).map(([q, p]) => (p ? `${q}:${p}` : q)), skills: Object.entries(a.skills).map(([s, l]) => `${s}:${l}`)}))
  }
}
