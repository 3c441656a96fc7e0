import {sandboxStatus, type StatusResult} from '../../engine/sandbox/sandbox.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'
import {fields, table} from '../../ui/render.js'
import {sipFields} from '../../ui/sip-fields.js'

export default class SandboxStatus extends CallctlCommand<StatusResult> {
  static summary = 'Show whether the sandbox Asterisk runs, its ARI URL, user and password file'
  static description = 'The first fields are box 1\'s; with several boxes (sandbox up --boxes N) each box has a line, and the proxy (--proxy) its addresses.'
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
    if (s.boxes.length > 1 || s.proxy) {
      this.print('')
      this.print(
        table(s.boxes, [
          {header: 'BOX', get: (b) => b.name},
          {header: 'RUNNING', get: (b) => (b.running ? 'yes' : 'no')},
          {header: 'PID', get: (b) => b.pid, align: 'right'},
          {header: 'ARI', get: (b) => b.ariUrl},
          {header: 'SIP', get: (b) => `${b.sip.host}:${b.sip.port}`},
          {header: 'RTP', get: (b) => `${b.rtp.start}-${b.rtp.end}`},
          ...(s.proxy ? [{header: 'IN PROXY', get: (b: StatusResult['boxes'][number]) => b.proxyState ?? '-'}] : []),
        ]),
      )
    }
    if (s.proxy) {
      const p = s.proxy
      this.print('')
      this.print(
        fields({
          proxy: `${p.running ? 'running' : 'not running'} (pid ${p.pid})`,
          'phones register at': `${p.host}:${p.port} (udp, tcp), every ${p.registrationS} s at most`,
          'carrier sends to': `${p.host}:${p.carrierPort} from ${p.carrier.host}:${p.carrier.port} (udp)`,
          'proxy config': p.config,
          'proxy log': p.log,
        }),
      )
    }
  }
}
