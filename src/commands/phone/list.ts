import {Flags} from '@oclif/core'
import {configuredAri} from '../../engine/config/configured-ari.js'
import {withStore} from '../../engine/config/open-store.js'
import {listPhones, type PhoneRow} from '../../engine/phones/phones.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

export default class PhoneList extends CallctlCommand<{phones: PhoneRow[]}> {
  static summary = 'List provisioned phones with their agent and registration state (online, offline, missing from Asterisk)'
  static examples = ['<%= config.bin %> phone list', '<%= config.bin %> phone list --json']
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<{phones: PhoneRow[]}> {
    const {flags} = await this.parse(PhoneList)
    return {phones: await withStore(flags.config, (store) => listPhones({store, paths: callctlPaths(), ari: () => configuredAri(flags.config)}))}
  }

  protected render(r: {phones: PhoneRow[]}): void {
    if (r.phones.length === 0) return this.print('No phones. Add one with: callctl phone add 1001 --agent 1001')
    this.print(
      table(r.phones, [
        {header: 'PHONE', get: (p) => p.id},
        {header: 'AGENT', get: (p) => p.agent ?? ''},
        {header: 'STATE', get: (p) => p.state ?? 'asterisk unreachable'},
        {header: 'TRANSPORT', get: (p) => p.transport ?? 'udp, tcp'},
      ]),
    )
  }
}
