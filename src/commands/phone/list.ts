import {Flags} from '@oclif/core'
import {configuredAri} from '../../engine/config/configured-ari.js'
import {withStore} from '../../engine/config/open-store.js'
import {withEngine} from '../../engine/api/connect.js'
import {listPhones, type LiveContact, type PhoneRow} from '../../engine/phones/phones.js'
import {UserError} from '../../engine/util/errors.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

export default class PhoneList extends CallctlCommand<{phones: PhoneRow[]}> {
  static summary = 'List provisioned phones with their agent and registration state (online, offline, missing from Asterisk)'
  static examples = ['<%= config.bin %> phone list', '<%= config.bin %> phone list --json']
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<{phones: PhoneRow[]}> {
    const {flags} = await this.parse(PhoneList)
    const live = await engineContacts(flags.config)
    return {phones: await withStore(flags.config, (store) => listPhones({store, paths: callctlPaths(), ari: () => configuredAri(flags.config)}, live))}
  }

  protected render(r: {phones: PhoneRow[]}): void {
    if (r.phones.length === 0) return this.print('No phones. Add one with: callctl phone add 1001 --agent 1001')
    this.print(
      table(r.phones, [
        {header: 'PHONE', get: (p) => p.id},
        {header: 'AGENT', get: (p) => p.agent ?? ''},
        {header: 'STATE', get: (p) => p.state ?? 'asterisk unreachable'},
        {header: 'CONTACT', get: (p) => p.contact ?? '', max: 40},
        {header: 'USER AGENT', get: (p) => p.userAgent ?? '', max: 30},
        {header: 'RTT', get: (p) => (p.rttMs === null ? '' : `${p.rttMs.toFixed(1)} ms`)},
        {header: 'TRANSPORT', get: (p) => p.transport ?? 'udp, tcp'},
      ]),
    )
    if (r.phones.some((p) => p.state !== null) && r.phones.every((p) => p.since === null)) this.print('(contact, user agent and RTT come from a running engine: callctl engine start)')
  }
}

/** The registrations a running engine has heard; none when no engine runs. */
async function engineContacts(config: string | undefined): Promise<LiveContact[]> {
  try {
    return await withEngine(config, (c) => c.request('phones.status'))
  } catch (err) {
    if (err instanceof UserError && (err.code === 'engine_unreachable' || err.code === 'disconnected')) return []
    throw err
  }
}
