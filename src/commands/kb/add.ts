import {Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import type {KbEntry} from '../../engine/kb/knowledge-base.js'
import {CallctlCommand} from '../../ui/command.js'
import {fields} from '../../ui/render.js'

export default class KbAdd extends CallctlCommand<KbEntry> {
  static summary = 'Add a knowledge base entry: a question, its answer and tags'
  static examples = [
    '<%= config.bin %> kb add --question "如何申请退款？" --answer "在订单页面点击申请退款。" --tags 退款,billing',
    '<%= config.bin %> kb add -q "How do I reset my password?" -a "Use Forgot password on the login page." -t account',
  ]
  static flags = {
    question: Flags.string({char: 'q', description: 'the question, as a caller would ask it', required: true}),
    answer: Flags.string({char: 'a', description: 'the answer agents read out', required: true}),
    tags: Flags.string({char: 't', description: 'tags separated by commas, e.g. billing,refund'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<KbEntry> {
    const {flags} = await this.parse(KbAdd)
    return withStore(flags.config, (store) => repositoriesOf(store).kb.add({question: flags.question, answer: flags.answer, tags: flags.tags}))
  }

  protected render(e: KbEntry): void {
    this.print(`Entry ${e.id} added.`)
    this.print(fields({question: e.question, answer: e.answer, tags: e.tags.length ? e.tags : '(none)'}))
  }
}
