import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {showPhone, type PhoneResult} from '../../engine/phones/phones.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'
import {renderPhone} from '../../ui/phone-render.js'

export default class PhoneShow extends CallctlCommand<PhoneResult> {
  static summary = "Show a phone's SIP account: user name, server, agent; its password only with --show-secret"
  static examples = ['<%= config.bin %> phone show 1001', '<%= config.bin %> phone show 1001 --show-secret --json']
  static args = {id: Args.string({description: 'phone id', required: true})}
  static flags = {
    'show-secret': Flags.boolean({description: 'print the SIP password'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<PhoneResult> {
    const {args, flags} = await this.parse(PhoneShow)
    return withStore(flags.config, async (store) => showPhone({store, paths: callctlPaths(), ari: () => null}, args.id, {showSecret: flags['show-secret']}))
  }

  protected render(r: PhoneResult): void {
    this.print(renderPhone(r))
  }
}
