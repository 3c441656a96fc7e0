import {CallctlCommand} from '../ui/command.js'
import {describeSupervision, supervise, superviseArgs, superviseFlags, type SuperviseResult} from '../ui/supervise.js'

export default class Monitor extends CallctlCommand<SuperviseResult> {
  static summary = "Listen to an agent's call from your phone; nobody hears you"
  static description = 'Run it again with another mode (monitor, whisper, barge) to switch without being called again; stop with callctl supervise stop.'
  static examples = ['<%= config.bin %> monitor 1001 --from PJSIP/2001', '<%= config.bin %> monitor call-mwt6x944-375c372187']
  static args = superviseArgs
  static flags = superviseFlags

  protected async execute(): Promise<SuperviseResult> {
    const {args, flags} = await this.parse(Monitor)
    return supervise('monitor', args.target, flags.from, flags.config)
  }

  protected render(r: SuperviseResult): void {
    this.print(describeSupervision(r))
  }
}
