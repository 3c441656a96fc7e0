import {CallctlCommand} from '../ui/command.js'
import {describeSupervision, supervise, superviseArgs, superviseFlags, type SuperviseResult} from '../ui/supervise.js'

export default class Barge extends CallctlCommand<SuperviseResult> {
  static summary = "Join an agent's call: all three of you hear each other"
  static description = 'Run it again with another mode (monitor, whisper, barge) to switch without being called again; stop with callctl supervise stop.'
  static examples = ['<%= config.bin %> barge 1001 --from PJSIP/2001', '<%= config.bin %> barge call-mwt6x944-375c372187']
  static args = superviseArgs
  static flags = superviseFlags

  protected async execute(): Promise<SuperviseResult> {
    const {args, flags} = await this.parse(Barge)
    return supervise('barge', args.target, flags.from, flags.config)
  }

  protected render(r: SuperviseResult): void {
    this.print(describeSupervision(r))
  }
}
