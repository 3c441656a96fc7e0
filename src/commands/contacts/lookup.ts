import {Args, Flags} from '@oclif/core'
import {lookupCaller, type CallerLookup} from '../../engine/contacts/lookup.js'
import {COUNTRY_HINT, isSupportedCountry, normaliseNumber} from '../../engine/contacts/phone-number.js'
import {loadEngineConfig} from '../../engine/config/engine-config.js'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'
import {fields} from '../../ui/render.js'

interface Result extends CallerLookup {
  /** Origin of the CRM that was asked (the path may hold credentials), or null. */
  crm: string | null
}

export default class ContactsLookup extends CallctlCommand<Result> {
  static summary = 'Show what screen pop attaches to a call from this number (CRM webhook, then local contacts)'
  static examples = ['<%= config.bin %> contacts lookup 13812345678', '<%= config.bin %> contacts lookup +442079460958 --local --json']
  static args = {number: Args.string({description: 'caller number, as the trunk sends it or in E.164', required: true})}
  static flags = {
    country: Flags.string({description: 'ISO country for a number without a country code'}),
    local: Flags.boolean({description: 'do not ask the CRM, only the local contacts'}),
    timeout: Flags.integer({description: 'milliseconds to wait for the CRM (default: crm.timeoutMs, 800)', min: 1, max: 30_000}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {args, flags} = await this.parse(ContactsLookup)
    const cfg = loadEngineConfig({file: flags.config, requireAri: false})
    const country = (flags.country ?? cfg.defaultCountry).toUpperCase()
    if (!isSupportedCountry(country)) throw new UserError(`--country "${country}" is not a supported ISO country code`, {suggestion: COUNTRY_HINT, exitCode: 2})
    if (!normaliseNumber(args.number, country)) {
      throw new UserError(`"${args.number}" is not a phone number (default country ${country})`, {suggestion: 'Give it as dialled in that country, or in E.164 (+8613812345678).', exitCode: 2})
    }
    const url = flags.local ? null : cfg.crm.lookupUrl
    const result = await withStore(flags.config, (store) =>
      lookupCaller(args.number, {
        directory: repositoriesOf(store).contacts,
        crm: url ? {url, timeoutMs: flags.timeout ?? cfg.crm.timeoutMs} : null,
        defaultCountry: country,
        vipTiers: cfg.crm.vipTiers,
      }),
    )
    return {...result, crm: url ? originOf(url) : null}
  }

  protected render(r: Result): void {
    const c = r.contact
    const source = r.source === 'crm' ? `CRM (${r.crm})` : r.source === 'local' ? 'local contacts' : 'nobody: no contact for this number'
    this.print(
      fields({
        number: r.number,
        source,
        ...(c
          ? {
              name: c.name,
              tier: c.tier,
              vip: c.vip ? 'yes: raised priority, personal greeting' : 'no',
              language: c.language,
              company: c.company,
              notes: c.notes,
              ...(c.lastTickets ? {'last tickets': c.lastTickets} : {}),
            }
          : {}),
        ...(r.crmError ? {'CRM problem': `${r.crmError} (local contacts used)`} : {}),
        ...(r.localError ? {'local problem': r.localError} : {}),
      }),
    )
  }
}

function originOf(url: string): string {
  try {
    return new URL(url.replaceAll('{number}', '0')).origin
  } catch {
    return 'invalid URL'
  }
}
