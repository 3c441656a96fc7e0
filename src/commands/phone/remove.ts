import {Args, Flags} from '@oclif/core'
import {configuredAri} from '../../engine/config/configured-ari.js'
import {withStore} from '../../engine/config/open-store.js'
import {removePhone, type PhoneResult} from '../../engine/phones/phones.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'

export default class PhoneRemove extends CallctlCommand<PhoneResult> {
  static summary = 'Remove a phone from Asterisk and the store, and delete its password'
  static examples = ['<%= config.bin %> phone remove 1001']
  static args = {id: Args.string({description: 'phone id', required: true})}
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<PhoneResult> {
    const {args, flags} = await this.parse(PhoneRemove)
    const r = await withStore(flags.config, (store) => removePhone({store, paths: callctlPaths(), ari: () => configuredAri(flags.config)}, args.id))
    if (r.asterisk === 'refused by asterisk') process.exitCode = 1
    return r
  }

  protected render(r: PhoneResult): void {
    this.print(`Phone ${r.phone.id} removed${r.asterisk === 'applied' ? '' : ` from the store (Asterisk: ${r.asterisk}${r.asteriskError ? `: ${r.asteriskError}` : ''})`}.`)
    if (r.phone.agent) this.print(`Agent ${r.phone.agent} keeps endpoint PJSIP/${r.phone.id}, which no longer exists: it will show as unreachable. Give it another phone: callctl phone add ID --agent ${r.phone.agent}`)
  }
}
