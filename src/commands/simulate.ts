import {Flags, type Interfaces} from '@oclif/core'
import {runConfiguredSimulation} from '../engine/sim/configured-simulation.js'
import type {SimulationSummary} from '../engine/sim/run-simulation.js'
import {parseRange} from '../engine/util/duration.js'
import {UserError} from '../engine/util/errors.js'
import {CallctlCommand} from '../ui/command.js'
import {fields} from '../ui/render.js'

export default class Simulate extends CallctlCommand<SimulationSummary> {
  static summary = 'Simulated traffic: create simulated agents and place simulated callers into the inbound context'
  static description = `Callers and agents are Local channels into the sandbox dialplan, so the engine treats them like real
ones. Needs a running engine (callctl engine start). Waits for the callers to finish, then reports what happened.`
  static examples = [
    '<%= config.bin %> simulate --callers 20 --rate 2 --agents 5 --talk 5-20 --patience 10-60',
    '<%= config.bin %> simulate --callers 5 --agents 2 --queue sales --dtmf 1 --json',
  ]
  static flags = {
    callers: Flags.integer({description: 'number of callers', default: 10, min: 1, max: 100_000}),
    rate: Flags.string({description: 'callers per second', default: '1'}),
    agents: Flags.integer({description: 'number of simulated agents', default: 3, min: 0, max: 10_000}),
    talk: Flags.string({description: 'agent talk time range, seconds', default: '5-20'}),
    patience: Flags.string({description: 'caller patience range, seconds (hang up if not answered)', default: '10-60'}),
    ring: Flags.string({description: 'seconds an agent phone rings before answering (999: never)', default: '1'}),
    dtmf: Flags.string({description: 'digits each caller presses after answer'}),
    queue: Flags.string({description: 'queue to dial (created if missing)', default: 'support'}),
    did: Flags.string({description: 'dial this number instead of the queue name'}),
    'agent-prefix': Flags.string({description: 'simulated agent ids start with this', default: 'sim'}),
    vip: Flags.string({description: 'share of callers marked VIP (priority 10), 0-1', default: '0'}),
    'no-wait': Flags.boolean({description: 'return once every caller is placed'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<SimulationSummary> {
    const {flags} = await this.parse(Simulate)
    const rate = Number(flags.rate)
    if (!Number.isFinite(rate) || rate <= 0 || rate > 1000) throw new UserError(`Invalid --rate "${flags.rate}"`, {suggestion: 'Use callers per second, e.g. 0.5 or 2 (at most 1000).', exitCode: 2})
    if (flags.dtmf && !/^[0-9*#A-Dw]+$/.test(flags.dtmf)) throw new UserError(`Invalid --dtmf "${flags.dtmf}"`, {suggestion: 'Use digits 0-9, *, #, A-D and w for a half-second pause.', exitCode: 2})
    // Ctrl-C or SIGTERM stops the run: its callers still live are ended as system-ended (not
    // left to give up later as abandons), the summary so far is printed, and the exit code
    // says the signal (130, 143). A second Ctrl-C exits at once.
    const stop = new AbortController()
    let stoppedBy: NodeJS.Signals | null = null
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppedBy) process.exit(signal === 'SIGTERM' ? 143 : 130)
      stoppedBy = signal
      process.stderr.write(`Stopping: ending this run's calls still live (system-ended, not abandons)… ${signal === 'SIGINT' ? 'Ctrl-C again exits at once.' : ''}\n`)
      stop.abort()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      const summary = await this.simulate(flags, rate, stop.signal)
      if (stoppedBy) process.exitCode = stoppedBy === 'SIGTERM' ? 143 : 130
      return summary
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }

  private simulate(flags: Interfaces.InferredFlags<typeof Simulate.flags>, rate: number, signal: AbortSignal): Promise<SimulationSummary> {
    return runConfiguredSimulation(flags.config, {
      signal,
      callers: flags.callers,
      rate,
      agents: flags.agents,
      talk: parseRange(flags.talk, '--talk'),
      patience: parseRange(flags.patience, '--patience'),
      ring: parseRange(flags.ring, '--ring'),
      dtmf: flags.dtmf,
      queue: flags.queue,
      did: flags.did,
      agentPrefix: flags['agent-prefix'],
      vipShare: Math.min(1, Math.max(0, Number(flags.vip) || 0)),
      wait: !flags['no-wait'],
    })
  }

  protected render(s: SimulationSummary): void {
    // Not waited for: no outcome to show (a table of zeros read as calls that failed).
    if (!s.waited) {
      this.print(`Placed ${s.originated} simulated caller${s.originated === 1 ? '' : 's'} (run ${s.run}) for queue ${s.queue}${s.failedToOriginate ? `; ${s.failedToOriginate} could not be placed` : ''}; not waiting for them (--no-wait).`)
      this.print('Follow them with: callctl calls (live), and afterwards callctl report calls --from 10m --to now')
      if (s.leftLoggedIn.length > 0) {
        const [first] = s.leftLoggedIn
        const more = s.leftLoggedIn.length > 1 ? ` (and the other ${s.leftLoggedIn.length - 1}: ${s.leftLoggedIn.slice(1, 6).join(', ')}${s.leftLoggedIn.length > 6 ? ', …' : ''})` : ''
        this.print(`Its simulated agents stay logged in to take them, and would answer real callers of ${s.queue} too: log them out when done (callctl agent logout ${first}${more}).`)
      }
      return
    }
    if (s.stopped) this.print(`Stopped before its callers finished: ${s.systemEnded} call${s.systemEnded === 1 ? '' : 's'} still live ended as system-ended (not abandons).`)
    this.print(
      fields({
        run: s.run,
        queue: s.queue,
        agents: s.agents.length,
        placed: s.originated,
        'failed to place': s.failedToOriginate,
        connected: s.connected,
        abandoned: s.abandoned,
        other: s.other,
        'not seen by engine': s.unseen,
        'average wait': s.averageWaitMs === null ? '-' : `${(s.averageWaitMs / 1000).toFixed(1)} s`,
      }),
    )
    if (s.unseen > 0) this.print('Some calls never reached the engine: is `callctl engine start` running?')
  }
}
