import {Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import type {PromptRecord} from '../../engine/prompts/prompt-store.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

export default class PromptList extends CallctlCommand<{prompts: PromptRecord[]}> {
  static summary = 'List prompts (name, language, length, source)'
  static examples = ['<%= config.bin %> prompt list --json']
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<{prompts: PromptRecord[]}> {
    const {flags} = await this.parse(PromptList)
    return {prompts: await withStore(flags.config, (store) => repositoriesOf(store).prompts.list())}
  }

  protected render(r: {prompts: PromptRecord[]}): void {
    if (r.prompts.length === 0) return this.print('No prompts yet. Add one with callctl prompt add NAME FILE or callctl prompt tts NAME TEXT; Asterisk sounds are used as sound:NAME.')
    this.print(
      table(r.prompts, [
        {header: 'NAME', get: (p) => p.name},
        {header: 'LANG', get: (p) => p.language},
        {header: 'SECONDS', get: (p) => ((p.durationMs ?? 0) / 1000).toFixed(1), align: 'right'},
        {header: 'SOURCE', get: (p) => p.source},
        {header: 'TEXT', get: (p) => p.text ?? '', max: 50},
      ]),
    )
  }
}
