import {sandboxStatus, type StatusResult} from '../../engine/sandbox/sandbox.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'
import {fields} from '../../ui/render.js'
import {sipFields} from '../../ui/sip-fields.js'

export default class SandboxStatus extends CallctlCommand<StatusResult> {
  static summary = 'Show whether the sandbox Asterisk runs, its ARI URL, user and password file'
  static examples = ['<%= config.bin %> sandbox status', '<%= config.bin %> sandbox status --json']

  protected async execute(): Promise<StatusResult> {
    await this.parse(SandboxStatus)
    const s = await sandboxStatus(callctlPaths())
    if (!s.running) process.exitCode = 3
    return s
  }

  protected render(s: StatusResult): void {
    this.print(
      fields({
        running: s.running ? 'yes' : 'no',
        pid: s.pid,
        ari: s.ariUrl,
        user: s.ariUser,
        'password file': s.passwordFile,
        app: s.app,
        asterisk: s.asteriskVersion,
        channels: s.channels,
        ...sipFields(s.sip ?? undefined),
        root: `${s.root}${s.rootReady ? '' : ' (not built yet)'}`,
      }),
    )
  }
}
