import {CallctlCommand} from '../ui/command.js'
import {describeSupervision, supervise, superviseArgs, superviseFlags, type SuperviseResult} from '../ui/supervise.js'

export default class Whisper extends CallctlCommand<SuperviseResult> {
  static summary = "Coach an agent: the agent hears you, the customer does not"
  static description = 'Run it again with another mode (monitor, whisper, barge) to switch without being called again; stop with callctl supervise stop.'
  static examples = ['<%= config.bin %> whisper 1001 --from PJSIP/2001', '<%= config.bin %> whisper call-mwt6x944-375c372187']
  static args = superviseArgs
  static flags = superviseFlags

  protected async execute(): Promise<SuperviseResult> {
    const {args, flags} = await this.parse(Whisper)
    return supervise('whisper', args.target, flags.from, flags.config)
  }

  protected render(r: SuperviseResult): void {
    this.print(describeSupervision(r))
  }
}
