import {Args, Flags} from '@oclif/core'
import {addAgent} from '../../engine/admin/admin.js'
import {withStore} from '../../engine/config/open-store.js'
import type {AgentRecord} from '../../engine/model.js'
import {configuredAri} from '../../engine/config/configured-ari.js'
import {addPhone, checkPhoneId, type PhoneResult} from '../../engine/phones/phones.js'
import {UserError} from '../../engine/util/errors.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {byFlag} from '../../engine/api/store-access.js'
import {CallctlCommand} from '../../ui/command.js'
import {renderPhone} from '../../ui/phone-render.js'

/** The agent as saved, and its phone when --sip made one. */
export type AgentAddResult = AgentRecord & {phone: PhoneResult | null}
import {fields} from '../../ui/render.js'

export default class AgentAdd extends CallctlCommand<AgentAddResult> {
  static summary = 'Add an agent (its phone endpoint, queues and skills), or change one with --update (only the fields given change)'
  static examples = [
    '<%= config.bin %> agent add 1001 --name "Li Na" --endpoint PJSIP/1001 --queue sales --queue support:1 --skills "billing:3 english:1"',
    '<%= config.bin %> agent add 1001 --update --endpoint PJSIP/1001-desk',
    '<%= config.bin %> agent add 1003 --name "Zhao Lei" --sip --queue sales',
    '<%= config.bin %> agent add 1002 --name 王芳 --endpoint PJSIP/1002 --queue 客服 --skills "粤语:3 英语:1"',
  ]
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {
    endpoint: Flags.string({description: 'Asterisk dial string of the phone, e.g. PJSIP/1001 (required for a new agent unless --sip)'}),
    name: Flags.string({description: 'display name, in any script (李娜)'}),
    queue: Flags.string({description: 'QUEUE or QUEUE:PENALTY (repeatable)', multiple: true}),
    skills: Flags.string({description: 'skills with levels, e.g. "billing:3 english:1"'}),
    sip: Flags.boolean({description: 'also provision its SIP phone (id = agent id, endpoint PJSIP/ID) and print the phone password once'}),
    update: Flags.boolean({description: 'change an existing agent instead of failing; fields not given stay as they are'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<AgentAddResult> {
    const {args, flags} = await this.parse(AgentAdd)
    if (flags.sip && flags.endpoint && flags.endpoint !== `PJSIP/${args.id}`) {
      throw new UserError('--sip gives the agent its own phone PJSIP/' + args.id + ', so --endpoint cannot name another', {suggestion: 'Leave out --endpoint, or leave out --sip.', exitCode: 2, code: 'conflicting_flags'})
    }
    // The phone's id is checked before the agent is saved: "a.b" is a fine agent id but no
    // SIP user name, and the agent used to be left on PJSIP/a.b with no phone behind it.
    if (flags.sip) checkPhoneId(args.id)
    return withStore(flags.config, async (store, who) => {
      const endpoint = flags.sip ? `PJSIP/${args.id}` : flags.endpoint
      const agent = await addAgent(store, {id: args.id, name: flags.name, endpoint, queues: flags.queue, skills: flags.skills}, {update: flags.update, ...byFlag(who)})
      const phone = flags.sip ? await addPhone({store, paths: callctlPaths(), ari: () => configuredAri(flags.config)}, {id: args.id, agent: args.id}) : null
      if (phone?.asterisk === 'refused by asterisk') process.exitCode = 1
      return {...agent, phone}
    })
  }

  protected render(r: AgentAddResult): void {
    const {phone, ...a} = r
    this.print(`Agent ${a.id} saved.`)
    this.print(fields({name: a.name, endpoint: a.endpoint, queues: Object.entries(a.queues).map(([q, p]) => (p ? `${q}:${p}` : q)), skills: Object.entries(a.skills).map(([s, l]) => `${s}:${l}`)}))
    if (phone) {
      this.print(`\nIts phone ${phone.phone.id}:`)
      this.print(renderPhone(phone))
    }
  }
}
