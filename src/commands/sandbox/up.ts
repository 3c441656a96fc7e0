import {Flags} from '@oclif/core'
import {sandboxUp, type UpResult} from '../../engine/sandbox/sandbox.js'
import {boxesOf} from '../../engine/sandbox/state.js'
import {createLogger} from '../../engine/util/log.js'
import {callctlPaths, HELP_PATH} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'
import {fields} from '../../ui/render.js'
import {sipFields} from '../../ui/sip-fields.js'

export default class SandboxUp extends CallctlCommand<UpResult> {
  static summary = 'Start a sandbox Asterisk 22 (Debian sid root under chroot), building the root on first use'
  static description = `The root is built once with debootstrap (about a minute) and cached in ${HELP_PATH.asteriskRoot}.
The Asterisk config comes from the repo's asterisk/conf; ARI listens on 127.0.0.1 only, with a generated password
kept in a 0600 file. Must run as root.

Without --port, --sip-port, --boxes and --proxy the sandbox comes back as this home's sandbox was last (after a
sandbox down too): its ports, boxes and proxy, where the engine and the phones expect them; else one box on 8088
and 5060.

--boxes N starts N Asterisk boxes from the same root (HTTP ports every 10th from --port: 8088, 8098, ..., never
the engine API's 8089 or the chat server's 8090; SIP ports in one block from --sip-port, see sandbox status); --proxy puts Kamailio (Debian's kamailio package) in front of them: phones register
and call at its address, the carrier sends calls to its carrier port, and it spreads both over the boxes.`
  static examples = [
    '<%= config.bin %> sandbox up',
    '<%= config.bin %> sandbox up --port 18088 --json',
    '<%= config.bin %> sandbox up --rebuild',
    '<%= config.bin %> sandbox up --boxes 2 --proxy',
  ]
  static flags = {
    port: Flags.integer({description: 'HTTP/ARI port on 127.0.0.1 (default: the one this home\'s sandbox had last, else 8088); more boxes take every 10th port after it', min: 1, max: 65535}),
    'sip-port': Flags.integer({description: 'SIP port on 127.0.0.1, UDP and TCP; the carrier is the next port (default: the one it had last, else 5060)', min: 1, max: 65534}),
    rebuild: Flags.boolean({description: 'build a fresh Debian root even if one is cached (refused while a sandbox of any home runs from it)'}),
    app: Flags.string({description: 'Stasis app name the inbound dialplan hands calls to', default: 'callctl'}),
    force: Flags.boolean({description: 'restart a running sandbox (new --port, --rebuild) even while an engine is connected'}),
    boxes: Flags.integer({description: 'how many Asterisk boxes (1-4; default: as the sandbox has or had last, else 1)', min: 1, max: 4}),
    proxy: Flags.boolean({description: 'Kamailio in front of the boxes (default: as the sandbox has or had last)', allowNo: true}),
  }

  protected async execute(): Promise<UpResult> {
    const {flags} = await this.parse(SandboxUp)
    return sandboxUp(callctlPaths(), {
      port: flags.port,
      sipPort: flags['sip-port'],
      rebuild: flags.rebuild,
      app: flags.app,
      force: flags.force,
      boxes: flags.boxes,
      proxy: flags.proxy,
      log: createLogger(),
    })
  }

  protected render(r: UpResult): void {
    const boxes = boxesOf(r.state)
    const what = boxes.length > 1 ? `${boxes.length} sandbox Asterisk boxes` : 'Sandbox Asterisk'
    if (r.alreadyRunning) this.print(`${what} ${boxes.length > 1 ? 'are' : 'is'} already running.`)
    else if (r.restarted.length) this.print(`${what}: ${r.restarted.join(' and ')} started again in ${r.startSeconds.toFixed(1)} s.`)
    else this.print(`${what} started in ${r.startSeconds.toFixed(1)} s${r.rootBuilt ? ` (root built in ${r.rootBuildSeconds.toFixed(0)} s)` : ''}.`)
    this.print(fields({pid: r.state.pid, ari: r.state.ariUrl, user: r.state.ariUser, 'password file': r.state.passwordFile, app: r.state.app, ...sipFields(r.state.sip)}))
    if (boxes.length > 1 || r.state.proxy) {
      for (const b of boxes.slice(1)) this.print(fields({[b.name]: `pid ${b.pid}, ari ${b.ariUrl}, sip ${b.sip.host}:${b.sip.port}`}))
      const p = r.state.proxy
      if (p) this.print(fields({proxy: `pid ${p.pid}: phones register at ${p.host}:${p.port}, the carrier sends to ${p.host}:${p.carrierPort} from ${p.carrier.host}:${p.carrier.port}`}))
    }
  }
}
