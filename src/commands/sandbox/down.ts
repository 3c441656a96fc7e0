import {sandboxDown, type DownResult} from '../../engine/sandbox/sandbox.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'

export default class SandboxDown extends CallctlCommand<DownResult> {
  static summary = 'Stop the sandbox Asterisk started by `sandbox up` (by its recorded PID)'
  static examples = ['<%= config.bin %> sandbox down']

  protected async execute(): Promise<DownResult> {
    await this.parse(SandboxDown)
    return sandboxDown(callctlPaths())
  }

  protected render(r: DownResult): void {
    if (r.how === 'not-running') this.print('No sandbox is running.')
    else if (r.how === 'gone') this.print(`Sandbox Asterisk (pid ${r.pid}) had already stopped.`)
    else this.print(`Sandbox Asterisk (pid ${r.pid}) ${r.how}.`)
  }
}
