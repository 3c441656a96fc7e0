import {Flags} from '@oclif/core'
import {sandboxDown, type DownResult} from '../../engine/sandbox/sandbox.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'

export default class SandboxDown extends CallctlCommand<DownResult> {
  static summary = 'Stop the sandbox Asterisk started by `sandbox up` (by its recorded PID)'
  static description = 'Stops every box and the proxy. Refuses while an engine is connected to the sandbox (its calls would be lost) unless --force. Its ports, boxes and proxy are remembered: the next sandbox up comes back as it was.'
  static examples = ['<%= config.bin %> sandbox down', '<%= config.bin %> sandbox down --force']
  static flags = {
    force: Flags.boolean({description: 'stop it even while an engine is connected'}),
  }

  protected async execute(): Promise<DownResult> {
    const {flags} = await this.parse(SandboxDown)
    return sandboxDown(callctlPaths(), {force: flags.force})
  }

  protected render(r: DownResult): void {
    if (r.how === 'not-running') this.print('No sandbox is running.')
    else if (r.boxes.length <= 1 && !r.proxy) {
      if (r.how === 'gone') this.print(`Sandbox Asterisk (pid ${r.pid}) had already stopped.`)
      else this.print(`Sandbox Asterisk (pid ${r.pid}) ${r.how}.`)
    } else {
      for (const b of r.boxes) this.print(`${b.name} (pid ${b.pid}) ${b.how === 'gone' ? 'had already stopped' : b.how}.`)
      if (r.proxy) this.print(`proxy (pid ${r.proxy.pid}) ${r.proxy.how === 'gone' ? 'had already stopped' : r.proxy.how}.`)
    }
  }
}
