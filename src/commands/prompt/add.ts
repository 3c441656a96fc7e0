import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {addPrompt} from '../../engine/prompts/prompt-service.js'
import type {PromptRecord} from '../../engine/prompts/prompt-store.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'

export default class PromptAdd extends CallctlCommand<PromptRecord> {
  static summary = 'Add a prompt from an audio file (WAV, MP3…), converted to 8 kHz mono for Asterisk'
  static examples = ['<%= config.bin %> prompt add welcome welcome.mp3 --lang en', '<%= config.bin %> prompt add welcome 欢迎.wav --lang zh']
  static args = {name: Args.string({description: 'prompt name used in flows', required: true}), file: Args.string({description: 'audio file', required: true})}
  static flags = {
    lang: Flags.string({description: 'language of this recording', default: 'en'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<PromptRecord> {
    const {args, flags} = await this.parse(PromptAdd)
    return withStore(flags.config, (store) => addPrompt(store, callctlPaths(), args.name, args.file, flags.lang))
  }

  protected render(p: PromptRecord): void {
    this.print(`Prompt ${p.name} (${p.language}) saved: ${((p.durationMs ?? 0) / 1000).toFixed(1)} s.`)
  }
}
