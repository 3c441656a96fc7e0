import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {ttsPrompt} from '../../engine/prompts/prompt-service.js'
import type {PromptRecord} from '../../engine/prompts/prompt-store.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'

export default class PromptTts extends CallctlCommand<PromptRecord> {
  static summary = 'Make a prompt from text with espeak-ng (Chinese or English)'
  static examples = ['<%= config.bin %> prompt tts welcome --lang en "Welcome to Acme support."', '<%= config.bin %> prompt tts welcome --lang zh "您好，欢迎致电客服中心"']
  static args = {name: Args.string({description: 'prompt name used in flows', required: true}), text: Args.string({description: 'what to say', required: true})}
  static flags = {
    lang: Flags.string({description: 'language', options: ['en', 'zh', 'yue'], default: 'en'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<PromptRecord> {
    const {args, flags} = await this.parse(PromptTts)
    return withStore(flags.config, (store) => ttsPrompt(store, callctlPaths(), args.name, args.text, flags.lang))
  }

  protected render(p: PromptRecord): void {
    this.print(`Prompt ${p.name} (${p.language}) spoken: ${((p.durationMs ?? 0) / 1000).toFixed(1)} s.`)
  }
}
