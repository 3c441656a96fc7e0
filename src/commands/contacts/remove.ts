import {Args, Flags} from '@oclif/core'
import type {Contact} from '../../engine/contacts/contact-store.js'
import {COUNTRY_HINT, isSupportedCountry, normaliseNumber} from '../../engine/contacts/phone-number.js'
import {loadEngineConfig} from '../../engine/config/engine-config.js'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {UserError} from '../../engine/util/errors.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'

export default class ContactsRemove extends CallctlCommand<Contact> {
  static summary = 'Remove a contact by number'
  static examples = ['<%= config.bin %> contacts remove 13812345678', '<%= config.bin %> contacts remove +8613812345678']
  static args = {number: Args.string({description: 'number, national or E.164', required: true})}
  static flags = {
    country: Flags.string({description: 'ISO country for a number without a country code'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Contact> {
    const {args, flags} = await this.parse(ContactsRemove)
    const country = (flags.country ?? loadEngineConfig({file: flags.config, requireAri: false}).defaultCountry).toUpperCase()
    if (!isSupportedCountry(country)) throw new UserError(`--country "${country}" is not a supported ISO country code`, {suggestion: COUNTRY_HINT, exitCode: 2})
    const number = normaliseNumber(args.number, country)
    if (!number) throw new UserError(`"${args.number}" is not a phone number (default country ${country})`, {exitCode: 2})
    return withStore(flags.config, async (store) => {
      const dir = repositoriesOf(store).contacts
      const contact = await dir.get(number)
      if (!contact || !(await dir.remove(number))) {
        throw new UserError(`No contact with number ${number}`, {suggestion: 'See them with: callctl contacts list', exitCode: 1, code: 'not_found'})
      }
      return contact
    })
  }

  protected render(c: Contact): void {
    this.print(`Contact ${c.number}${c.name ? ` (${safeText(c.name, 100)})` : ''} removed.`)
  }
}
