import {Args} from '@oclif/core'
import {killBox, type KillBoxResult} from '../../engine/sandbox/sandbox.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'

export default class SandboxKillBox extends CallctlCommand<KillBoxResult> {
  static summary = "Kill one sandbox box's Asterisk with SIGKILL, as a crash (box-loss tests and benches)"
  static description = 'Its calls end without a BYE, its phones stay registered nowhere else until they re-register; the proxy stops sending it calls within about 3 s. Never refuses, even under a connected engine. Bring it back with: sandbox start-box NAME.'
  static examples = ['<%= config.bin %> sandbox kill-box box2']
  static args = {name: Args.string({description: 'the box (box1, box2, …; see sandbox status)', required: true})}

  protected async execute(): Promise<KillBoxResult> {
    const {args} = await this.parse(SandboxKillBox)
    return killBox(callctlPaths(), args.name)
  }

  protected render(r: KillBoxResult): void {
    this.print(r.killed ? `${r.name} (pid ${r.pid}) killed.` : `${r.name} (pid ${r.pid}) was not running.`)
  }
}
