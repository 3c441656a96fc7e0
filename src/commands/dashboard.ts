import {join} from 'node:path'
import {Flags} from '@oclif/core'
import {pauseAs, unpauseAs} from '../engine/admin/presence-as.js'
import {connectToEngine} from '../engine/api/connect.js'
import {loadEngineConfig} from '../engine/config/engine-config.js'
import {CallctlCommand} from '../ui/command.js'
import type {Board} from '../ui/dashboard/board.js'
import {plainBoard} from '../ui/dashboard/plain.js'
import {loadLiveDashboard} from '../ui/dashboard/load.js'
import {fetchBoard} from '../ui/dashboard/once.js'
import {loadThresholds, summarizeThresholds} from '../ui/dashboard/thresholds.js'
import {HELP_PATH} from '../engine/util/paths.js'
import {whoAmI} from '../ui/who.js'

export default class Dashboard extends CallctlCommand<Board | null> {
  static summary = 'Live wallboard: queues, agents and calls of the running engine, with keys to supervise and pause'
  static description = `Full screen, refreshed every second and on every engine event. Keys: Tab between panes, arrows to select, / to filter, m/w/b to monitor/whisper/barge the selected agent's call (your phone: --from or supervisor.endpoint), p to pause or unpause an agent, ? for help, q to quit. When the engine goes away it says so and reconnects by itself.

With --once, --json, or when stdout is not a terminal, it prints one snapshot and exits.

Thresholds (warn/alert) colour figures yellow and red. Defaults: ${summarizeThresholds()}. Change them in ${HELP_PATH.home}/dashboard.yaml (or --thresholds FILE), e.g. "thresholds: {serviceLevel: {warn: 85, alert: 70}, aht: off}", or per run with --threshold serviceLevel=85,70.`
  static examples = [
    '<%= config.bin %> dashboard',
    '<%= config.bin %> dashboard --from PJSIP/2001 --threshold longestWait=20,45',
    '<%= config.bin %> dashboard --once',
    '<%= config.bin %> dashboard --once --json | jq .header',
  ]
  static flags = {
    once: Flags.boolean({description: 'print one snapshot and exit'}),
    from: Flags.string({description: "your phone's dial string for m/w/b (default: supervisor.endpoint in the config)"}),
    thresholds: Flags.string({description: `thresholds file (YAML; default: ${HELP_PATH.home}/dashboard.yaml, when present)`}),
    threshold: Flags.string({description: 'NAME=WARN,ALERT or NAME=off (repeatable)', multiple: true}),
    'pause-reason': Flags.string({description: 'reason code p pauses an agent with', default: 'supervisor'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Board | null> {
    const {flags} = await this.parse(Dashboard)
    const config = loadEngineConfig({file: flags.config, requireAri: false})
    const thresholds = loadThresholds({file: flags.thresholds, defaultFile: join(config.paths.home, 'dashboard.yaml'), flags: flags.threshold})
    const connect = () => connectToEngine(config.paths, config.api, {database: config.database, app: config.ari.app})
    if (flags.once || this.jsonEnabled() || !process.stdout.isTTY || !process.stdin.isTTY) return fetchBoard(connect, thresholds)
    const {runDashboard} = await loadLiveDashboard()
    await runDashboard({
      connect,
      thresholds,
      from: flags.from ?? config.supervisor.endpoint,
      by: whoAmI(),
      pauseReason: flags['pause-reason'],
      storeFallback: {
        pause: (agent, reason) => pauseAs(flags.config, agent, reason),
        unpause: (agent) => unpauseAs(flags.config, agent),
      },
    })
    return null
  }

  protected render(board: Board | null): void {
    if (board) this.print(plainBoard(board))
  }
}
