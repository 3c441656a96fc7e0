import {Flags} from '@oclif/core'
import {configuredAri} from '../../engine/config/configured-ari.js'
import {withStore} from '../../engine/config/open-store.js'
import {sipBlocked, type BlockedResult} from '../../engine/sip/blocked-service.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

export default class SipBlocked extends CallctlCommand<BlockedResult> {
  static summary = 'List SIP addresses blocked after repeated failed registrations, or lift a block'
  static description = `The engine watches Asterisk's security log (sip.securityLog; the sandbox's by default) and blocks an
address after sip.blockAfter failures (10) within sip.blockWindowSeconds (60) for sip.blockSeconds (600):
every request from it is refused (REGISTER 403, calls unanswered) whatever user name it tries.
ACCOUNTS are the user names it tried, as Asterisk logged them.`
  static examples = ['<%= config.bin %> sip blocked', '<%= config.bin %> sip blocked --clear 203.0.113.7', '<%= config.bin %> sip blocked --clear-all --json']
  static flags = {
    clear: Flags.string({description: 'lift the block on this address (repeatable)', multiple: true}),
    'clear-all': Flags.boolean({description: 'lift every block'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<BlockedResult> {
    const {flags} = await this.parse(SipBlocked)
    return withStore(flags.config, (store) => sipBlocked(store, () => configuredAri(flags.config), {clear: flags.clear, clearAll: flags['clear-all']}))
  }

  protected render(r: BlockedResult): void {
    for (const a of r.cleared) this.print(`Unblocked ${a}${r.asterisk === 'applied' ? '' : ` (Asterisk: ${r.asterisk})`}.`)
    if (r.blocks.length === 0) return this.print(r.cleared.length ? 'No other address is blocked.' : 'No address is blocked.')
    this.print(
      table(r.blocks, [
        {header: 'ADDRESS', get: (b) => b.address},
        {header: 'SINCE', get: (b) => new Date(b.since).toISOString().slice(0, 19).replace('T', ' ')},
        {header: 'UNTIL', get: (b) => new Date(b.until).toISOString().slice(0, 19).replace('T', ' ')},
        {header: 'FAILURES', get: (b) => String(b.failures)},
        {header: 'ACCOUNTS', get: (b) => safeText(b.accounts.join(', ')), max: 40},
      ]),
    )
  }
}
