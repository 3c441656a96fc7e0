import {Flags} from '@oclif/core'
import {loadEngineConfig} from '../../engine/config/engine-config.js'
import {startEngine, type RunningEngine} from '../../engine/run.js'
import type {EngineConfig} from '../../engine/config/engine-config.js'
import {isUserError} from '../../engine/util/errors.js'
import type {Logger} from '../../engine/util/log.js'
import {maskDatabase} from '../../engine/store/database-url.js'
import {createLogger} from '../../engine/util/log.js'
import {HELP_PATH} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'

interface StartResult {
  stoppedBy: string
  liveCallsAtStop: number
}

/**
 * Starts again after stepping down, for as long as it takes: the database may be what went
 * away (a restart, a network cut), and a standby that exits on it is no standby.
 */
async function standByAgain(config: EngineConfig, log: Logger, abort: AbortSignal): Promise<RunningEngine> {
  let said = ''
  for (;;) {
    try {
      return await startEngine(config, log, {abort})
    } catch (err) {
      if (abort.aborted || !isUserError(err)) throw err
      if (err.message !== said) log.warn(`cannot stand by yet (${err.message}); trying again every 2 s`)
      said = err.message
      await new Promise((r) => setTimeout(r, 2_000))
    }
  }
}

/** A stop that takes longer than this (a hung Asterisk or disk) ends the process anyway. */
const STOP_DEADLINE_MS = 15_000

export default class EngineStart extends CallctlCommand<StartResult> {
  static summary = 'Run the call engine in the foreground: answer, queue, route and bridge calls over ARI'
  static description = `Settings come from the YAML config (--config, default ${HELP_PATH.config}) and CALLCTL_* environment
variables; with no ARI URL configured it uses the running sandbox. One engine per Stasis app and callctl home: a
second one refuses before it connects to Asterisk. On a PostgreSQL store (database: postgres://…) several engines
share the work instead: one leads, the others stand by and take over within seconds if it dies or freezes. While Asterisk is away the engine keeps running and reconnects
by itself. SIGINT/SIGTERM stop it within 15 s: it stops taking calls (they stay in Asterisk for the next engine),
writes every buffered event and closes the store last; a second signal ends it at once.`
  static examples = ['<%= config.bin %> engine start', 'CALLCTL_ARI_URL=http://pbx:8088 CALLCTL_ARI_PASSWORD_FILE=/etc/callctl/ari <%= config.bin %> engine start']
  static flags = {
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
    'log-json': Flags.boolean({description: 'log as JSON lines on stderr'}),
  }

  protected async execute(): Promise<StartResult> {
    const {flags} = await this.parse(EngineStart)
    const config = loadEngineConfig({file: flags.config})
    const log = createLogger({level: config.logLevel, json: flags['log-json']})
    log.info(`starting engine`, {ari: config.ari.url, user: config.ari.user, app: config.ari.app, database: maskDatabase(config.database), config: config.ariSource})
    // A signal while still connecting (Asterisk away at start) stops the start too.
    let signalled: ((s: string) => void) | null = null
    const signal = new Promise<string>((resolve) => (signalled = resolve))
    const onSignal = (name: string) => {
      if (signalled) {
        const fire = signalled
        signalled = null
        fire(name)
        return
      }
      log.warn(`${name} again: exiting without finishing the stop`)
      process.exit(130)
    }
    process.on('SIGINT', () => onSignal('SIGINT'))
    process.on('SIGTERM', () => onSignal('SIGTERM'))
    const abort = new AbortController()
    const started = startEngine(config, log, {abort: abort.signal})
    const first = await Promise.race([started.then(() => null), signal])
    if (first !== null) {
      // Stopped while still waiting for Asterisk: the start unwinds (lock, API, store).
      log.info(`stopping (${first}) before the engine was serving`)
      abort.abort()
      // Past connecting already (recovering calls): it finishes starting, then stops.
      const late = await started.catch(() => null)
      await late?.stop()
      return {stoppedBy: first, liveCallsAtStop: late?.engine.liveCalls ?? 0}
    }
    let running = await started
    log.info('engine running; Ctrl-C stops it')
    let by: string
    for (;;) {
      const next = await Promise.race([signal, running.storeLost.then((loss) => ({loss})), running.leadershipLost.then((lost) => ({lost}))])
      if (typeof next === 'string') {
        by = next
        break
      }
      if ('loss' in next) {
        // The database file went away under the engine: its content is saved back on the
        // way out, and a new engine on it re-adopts the calls (they stayed in Asterisk).
        log.warn(`restarting the engine: its database file was ${next.loss}`)
        await running.stop()
        running = await startEngine(config, log)
        continue
      }
      // Another engine leads now (this one was frozen, cut off, or its lease connection
      // killed): stop acting, leave the calls to the leader, and stand by again.
      log.warn(`stepping down (${next.lost}); standing by again`)
      await running.stop({stepDown: true})
      const again = new AbortController()
      const restarted = standByAgain(config, log, again.signal)
      const r = await Promise.race([restarted, signal])
      if (typeof r === 'string') {
        log.info(`stopping (${r}) while standing by`)
        again.abort()
        await (await restarted.catch(() => null))?.stop()
        return {stoppedBy: r, liveCallsAtStop: 0}
      }
      running = r
    }
    const live = running.engine.liveCalls
    log.info(`stopping (${by})`, {liveCalls: live})
    const deadline = setTimeout(() => {
      log.error(`the stop did not finish within ${STOP_DEADLINE_MS / 1000} s; exiting anyway`)
      process.exit(1)
    }, STOP_DEADLINE_MS)
    deadline.unref()
    await running.stop()
    clearTimeout(deadline)
    // Nothing of the engine's may keep the process alive after a stop (a socket or
    // timer of a library): what is left has a second to finish, then the process ends.
    setTimeout(() => process.exit(0), 1000).unref()
    return {stoppedBy: by, liveCallsAtStop: live}
  }

  protected render(r: StartResult): void {
    this.print(`Engine stopped by ${r.stoppedBy}${r.liveCallsAtStop ? ` (${r.liveCallsAtStop} live calls left in Asterisk for the next engine)` : ''}.`)
  }
}
