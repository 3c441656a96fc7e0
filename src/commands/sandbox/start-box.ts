import {Args} from '@oclif/core'
import {startBox, type StartBoxResult} from '../../engine/sandbox/sandbox.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'

export default class SandboxStartBox extends CallctlCommand<StartBoxResult> {
  static summary = 'Start one sandbox box again (after kill-box or a crash), on the ports and config it had'
  static description = 'Waits until its ARI answers and, with a proxy, until the proxy sends it calls again (at most 5 s more).'
  static examples = ['<%= config.bin %> sandbox start-box box2']
  static args = {name: Args.string({description: 'the box (box1, box2, …; see sandbox status)', required: true})}

  protected async execute(): Promise<StartBoxResult> {
    const {args} = await this.parse(SandboxStartBox)
    return startBox(callctlPaths(), args.name)
  }

  protected render(r: StartBoxResult): void {
    const proxy = r.proxyState === null ? '' : r.proxyState === 'active' ? '; the proxy sends it calls again' : `; the proxy sees it ${r.proxyState}`
    this.print(r.alreadyRunning ? `${r.name} (pid ${r.pid}) is already running${proxy}.` : `${r.name} (pid ${r.pid}) started in ${r.startSeconds.toFixed(1)} s${proxy}.`)
  }
}
