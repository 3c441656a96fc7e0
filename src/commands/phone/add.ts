import {Args, Flags} from '@oclif/core'
import {configuredAri} from '../../engine/config/configured-ari.js'
import {withStore} from '../../engine/config/open-store.js'
import {addPhone, type PhoneResult} from '../../engine/phones/phones.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'
import {renderPhone} from '../../ui/phone-render.js'

export default class PhoneAdd extends CallctlCommand<PhoneResult> {
  static summary = 'Provision a SIP phone (PJSIP endpoint, auth and AOR) in Asterisk, with a generated password shown once'
  static description = `The phone's id is its SIP user name and extension. Its password is generated (24 characters),
kept in a 0600 file under the callctl home and shown only now (later: phone show ID --show-secret).
Running it again changes nothing but what you give (--agent, --transport) and pushes the phone to
Asterisk again. With --agent the agent rings on this phone (its endpoint becomes PJSIP/ID).
If Asterisk is not reachable the phone is kept and the engine pushes it when it connects.`
  static examples = ['<%= config.bin %> phone add 1001 --agent 1001', '<%= config.bin %> phone add 1001 --reset-secret', '<%= config.bin %> phone add 2001 --transport tcp --json']
  static args = {id: Args.string({description: 'phone id: its SIP user name and extension (1001)', required: true})}
  static flags = {
    agent: Flags.string({description: 'the agent this phone rings for'}),
    transport: Flags.string({description: 'only this transport', options: ['udp', 'tcp']}),
    'reset-secret': Flags.boolean({description: 'generate a new password (the phone must register with it again)'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<PhoneResult> {
    const {args, flags} = await this.parse(PhoneAdd)
    const r = await withStore(flags.config, (store) =>
      addPhone({store, paths: callctlPaths(), ari: () => configuredAri(flags.config)}, {id: args.id, agent: flags.agent, transport: flags.transport as 'udp' | 'tcp' | undefined, resetSecret: flags['reset-secret']}),
    )
    if (r.asterisk === 'refused by asterisk') process.exitCode = 1
    return r
  }

  protected render(r: PhoneResult): void {
    this.print(r.created ? `Phone ${r.phone.id} added.` : `Phone ${r.phone.id} saved.`)
    this.print(renderPhone(r))
  }
}
