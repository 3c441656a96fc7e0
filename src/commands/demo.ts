import {Flags} from '@oclif/core'
import chalk from 'chalk'
import {startDemo} from '../engine/demo.js'
import type {NewEvent} from '../engine/store/events.js'
import {createLogger} from '../engine/util/log.js'
import {callctlPaths} from '../engine/util/paths.js'
import {safeText} from '../engine/util/text.js'
import {CallctlCommand} from '../ui/command.js'

interface DemoResult {
  calls: number
  connected: number
  abandoned: number
  seconds: number
}

export default class Demo extends CallctlCommand<DemoResult> {
  static summary = 'Everything at once: sandbox Asterisk, engine, simulated agents and callers, live call log'
  static description = 'Uses the sandbox unless CALLCTL_ARI_URL points at an Asterisk. Ctrl-C stops everything it started.'
  static examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --duration 60 --rate 1']
  static flags = {
    duration: Flags.integer({description: 'seconds to run (0: until Ctrl-C)', default: 0, min: 0}),
    rate: Flags.string({description: 'new callers per second', default: '0.7'}),
    agents: Flags.integer({description: 'simulated agents per queue', default: 3, min: 1, max: 200}),
  }

  protected async execute(): Promise<DemoResult> {
    const {flags} = await this.parse(Demo)
    const log = createLogger({level: 'warn'})
    const started = Date.now()
    const tally = {calls: 0, connected: 0, abandoned: 0}
    const quiet = this.jsonEnabled()
    const demo = await startDemo({
      paths: callctlPaths(),
      log,
      duration: flags.duration,
      rate: Number(flags.rate) || 0.7,
      agentsPerQueue: flags.agents,
      onEvent: (e) => {
        if (e.type === 'call.started') tally.calls++
        if (e.type === 'call.connected') tally.connected++
        if (e.type === 'queue.abandoned') tally.abandoned++
        const line = quiet ? '' : describe(e)
        if (line) this.print(line)
      },
    })
    if (!quiet) this.print(chalk.bold(`Demo running${demo.startedSandbox ? ' on a fresh sandbox Asterisk' : ''}: queues support (DID 100) and sales (DID 200). Ctrl-C stops.`))
    await Promise.race([demo.done, new Promise<void>((r) => process.once('SIGINT', () => r()))])
    await demo.stop()
    return {...tally, seconds: Math.round((Date.now() - started) / 1000)}
  }

  protected render(r: DemoResult): void {
    this.print(`Demo stopped after ${r.seconds} s: ${r.calls} calls, ${r.connected} connected, ${r.abandoned} abandoned.`)
  }
}

const SHOWN: Partial<Record<NewEvent['type'], (e: NewEvent) => string>> = {
  'call.started': (e) => `${chalk.dim('call')}      ${safeText(e.data?.name, 30)} <${safeText(e.data?.number, 20)}> dialled ${safeText(e.data?.did)}`,
  'queue.entered': (e) => `${chalk.dim('queued')}    in ${e.queue} at position ${String(e.data?.position)}`,
  'call.connected': (e) => `${chalk.green('connected')} to ${e.agent} after ${((Number(e.data?.waitMs) || 0) / 1000).toFixed(1)} s`,
  'call.completed': (e) => `${chalk.cyan('completed')} ${e.agent}, talked ${((Number(e.data?.talkMs) || 0) / 1000).toFixed(1)} s (${String(e.data?.by)} hung up)`,
  'queue.abandoned': (e) => `${chalk.red('abandoned')} after ${((Number(e.data?.waitMs) || 0) / 1000).toFixed(1)} s in ${e.queue}`,
  'agent.ring_noanswer': (e) => `${chalk.yellow('no answer')} from ${e.agent}`,
}

function describe(e: NewEvent): string {
  const f = SHOWN[e.type]
  const time = new Date(e.ts).toISOString().slice(11, 19)
  return f ? `${chalk.dim(time)} ${chalk.dim((e.callId ?? '').slice(-6))} ${f(e)}` : ''
}
