import {Flags} from '@oclif/core'
import {loadEngineConfig} from '../../engine/config/engine-config.js'
import {startEngine} from '../../engine/run.js'
import {createLogger} from '../../engine/util/log.js'
import {CallctlCommand} from '../../ui/command.js'

interface StartResult {
  stoppedBy: string
  liveCallsAtStop: number
}

export default class EngineStart extends CallctlCommand<StartResult> {
  static summary = 'Run the call engine in the foreground: answer, queue, route and bridge calls over ARI'
  static description = `Settings come from the YAML config (--config, default ~/.callctl/config.yaml) and CALLCTL_* environment
variables; with no ARI URL configured it uses the running sandbox. Stops cleanly on SIGINT/SIGTERM.`
  static examples = ['<%= config.bin %> engine start', 'CALLCTL_ARI_URL=http://pbx:8088 CALLCTL_ARI_PASSWORD_FILE=/etc/callctl/ari <%= config.bin %> engine start']
  static flags = {
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
    'log-json': Flags.boolean({description: 'log as JSON lines on stderr'}),
  }

  protected async execute(): Promise<StartResult> {
    const {flags} = await this.parse(EngineStart)
    const config = loadEngineConfig({file: flags.config})
    const log = createLogger({level: config.logLevel, json: flags['log-json']})
    log.info(`starting engine`, {ari: config.ari.url, user: config.ari.user, app: config.ari.app, database: config.database, config: config.ariSource})
    const running = await startEngine(config, log)
    log.info('engine running; Ctrl-C stops it')
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'))
      process.once('SIGTERM', () => resolve('SIGTERM'))
    })
    const live = running.engine.liveCalls
    log.info(`stopping (${signal})`, {liveCalls: live})
    await running.stop()
    return {stoppedBy: signal, liveCallsAtStop: live}
  }

  protected render(r: StartResult): void {
    this.print(`Engine stopped by ${r.stoppedBy}.`)
  }
}
