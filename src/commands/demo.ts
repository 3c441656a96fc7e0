import {appendFileSync} from 'node:fs'
import {join} from 'node:path'
import {Flags} from '@oclif/core'
import {pauseAs, unpauseAs} from '../engine/admin/presence-as.js'
import {connectToEngine} from '../engine/api/connect.js'
import {DEMO_DID, startDemo} from '../engine/demo.js'
import {UserError} from '../engine/util/errors.js'
import {createLogger} from '../engine/util/log.js'
import {callctlPaths, HELP_PATH} from '../engine/util/paths.js'
import type {SandboxSip} from '../engine/sandbox/state.js'
import {CallctlCommand} from '../ui/command.js'
import {buildBoard} from '../ui/dashboard/board.js'
import {summaryLine} from '../ui/dashboard/plain.js'
import {loadLiveDashboard} from '../ui/dashboard/load.js'
import {loadThresholds} from '../ui/dashboard/thresholds.js'
import {whoAmI} from '../ui/who.js'

interface DemoResult {
  calls: number
  connected: number
  abandoned: number
  /** Chats that reached a queue, answered by an agent, and given up by the customer before an answer. */
  chats: number
  chatsAnswered: number
  chatsAbandoned: number
  /** The chat widget's page, or null when no chat server ran. */
  chatUrl: string | null
  seconds: number
  sandbox: 'started' | 'reused' | 'none'
}

const SUMMARY_EVERY_MS = 5000

export default class Demo extends CallctlCommand<DemoResult> {
  static summary = 'Everything at once: sandbox Asterisk, engine, IVR, web chat, simulated agents, callers and chat customers, and the live dashboard'
  static description = `Starts a sandbox Asterisk (unless one is configured: CALLCTL_ARI_URL or ari.url), the engine, three queues (sales, support, billing) with simulated agents, the demo IVR flow on DID ${DEMO_DID} (examples/flows/demo.yaml), contacts with VIP callers, and simulated callers who choose a queue by key, some of them impatient.

Chats too: the engine serves the web chat widget (http://127.0.0.1:8090/chat/, or a free port when 8090 is taken; the URL is printed) with the conversation flow of examples/flows/chat.yaml, open all day. Simulated customers write through the widget's own WebSocket (a few a minute, some give up before an answer), and the same simulated agents who take calls accept the chats, answer and close them, under one capacity rule (a call counts as 2 of 3 slots). Open the URL in a browser to chat with a simulated agent yourself.

It shows the live dashboard (callctl dashboard --help; m/w/b ring a simulated supervisor phone on the sandbox) and writes the engine's log to ${HELP_PATH.home}/demo.log. q or Ctrl-C stops everything it started, the sandbox included; --duration stops by itself. Without a terminal it prints a summary line every 5 s instead.`
  static examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --duration 60 --rate 1', '<%= config.bin %> demo --duration 30 > demo.txt']
  static flags = {
    duration: Flags.integer({description: 'seconds to run (0: until q or Ctrl-C)', default: 0, min: 0}),
    rate: Flags.string({description: 'new callers per second', default: '0.5'}),
    agents: Flags.integer({description: 'simulated agents in sales (support gets one more, billing one fewer)', default: 3, min: 1, max: 200}),
    chats: Flags.integer({description: 'new simulated chat customers a minute (0: none; the agents still answer yours)', default: 4, min: 0, max: 600}),
    from: Flags.string({description: "your phone's dial string for m/w/b (default: a simulated supervisor phone on the sandbox)"}),
  }

  protected async execute(): Promise<DemoResult> {
    const {flags} = await this.parse(Demo)
    const rate = Number(flags.rate)
    if (!Number.isFinite(rate) || rate <= 0 || rate > 50) throw new UserError(`Invalid --rate "${flags.rate}"`, {suggestion: 'Use callers per second, e.g. 0.5 or 2 (at most 50).', exitCode: 2})
    const paths = callctlPaths()
    const thresholds = loadThresholds({defaultFile: join(paths.home, 'dashboard.yaml')})
    const interactive = !this.jsonEnabled() && process.stdout.isTTY === true && process.stdin.isTTY === true
    const quiet = this.jsonEnabled()
    // The dashboard owns the screen: the engine's log goes to a file meanwhile.
    const logFile = join(paths.home, 'demo.log')
    const log = interactive ? createLogger({level: 'info', write: (line) => appendFileSync(logFile, line + '\n')}) : createLogger({level: 'warn'})
    const started = Date.now()
    const tally = {calls: 0, connected: 0, abandoned: 0, chats: 0, chatsAnswered: 0, chatsAbandoned: 0}
    /** Conversations in a queue not yet accepted: a customer's close of one is a chat abandoned. */
    const waitingChats = new Set<string>()
    const answeredChats = new Set<string>()
    if (!quiet) this.print('Starting the demo: sandbox Asterisk (the first run builds it, about a minute), engine, queues, agents, IVR…')
    const demo = await startDemo({
      paths,
      log,
      duration: flags.duration,
      rate,
      agentsPerQueue: flags.agents,
      chatsPerMinute: flags.chats,
      onEvent: (e) => {
        if (e.type === 'call.started') tally.calls++
        if (e.type === 'call.connected') tally.connected++
        if (e.type === 'queue.abandoned') tally.abandoned++
        if (e.type === 'chat.queued' && e.callId && !waitingChats.has(e.callId) && !answeredChats.has(e.callId)) {
          tally.chats++
          waitingChats.add(e.callId)
        }
        if (e.type === 'chat.accepted' && e.callId && waitingChats.delete(e.callId)) {
          tally.chatsAnswered++
          answeredChats.add(e.callId)
        }
        if (e.type === 'chat.closed' && e.callId && waitingChats.delete(e.callId) && e.data?.reason === 'customer') tally.chatsAbandoned++
      },
    })
    // A real phone can join: said before the dashboard takes the screen, and in the log.
    if (!quiet && demo.sip) this.print(sipInvite(demo.sip))
    if (!quiet && demo.chatUrl) this.print(`Chat: open ${demo.chatUrl} in a browser and write; a simulated agent answers.`)
    let onSignal: (() => void) | undefined
    try {
      if (interactive) {
        const {runDashboard} = await loadLiveDashboard()
        await runDashboard({
          connect: () => connectToEngine(paths, demo.config.api),
          thresholds,
          from: flags.from ?? demo.config.supervisor.endpoint ?? demo.supervisorPhone,
          by: whoAmI(),
          pauseReason: 'supervisor',
          storeFallback: {
            pause: (agent, reason) => pauseAs(undefined, agent, reason),
            unpause: (agent) => unpauseAs(undefined, agent),
          },
          // The chat's URL in the title: the dashboard's header shows it from 100 columns.
          title: demo.chatUrl ? `callctl demo: dial ${DEMO_DID}, chat ${demo.chatUrl}` : `callctl demo (dial ${DEMO_DID}: 1 sales, 2 support, 3 billing)`,
          // ... and on the chat line at any width (the title gives way below 100 columns).
          chatUrl: demo.chatUrl ?? null,
          until: demo.done,
        })
      } else {
        if (!quiet) this.print(`Demo running${demo.startedSandbox ? ' on a fresh sandbox Asterisk' : ''}: callers dial ${DEMO_DID} and choose sales, support or billing${demo.chatUrl ? `; chat at ${demo.chatUrl}` : ''}. Ctrl-C stops.`)
        const timer = setInterval(() => {
          const board = buildBoard(demo.running.engine.snapshot(), {thresholds})
          if (!quiet) this.print(summaryLine(board, undefined, demo.chatUrl ? board.chats : null))
        }, SUMMARY_EVERY_MS)
        await Promise.race([demo.done, new Promise<void>((r) => ((onSignal = r), process.once('SIGINT', r), process.once('SIGTERM', r)))])
        clearInterval(timer)
      }
    } finally {
      // An impatient second Ctrl-C used to kill the demo mid-stop, leaving the sandbox
      // Asterisk and its calls running: it now only says what is happening; a third exits.
      let presses = 0
      const impatient = () => {
        if (++presses === 1) process.stderr.write('Still stopping, a few seconds more; Ctrl-C once more exits at once and leaves the sandbox and its calls running.\n')
        else process.exit(130)
      }
      // Installed before the first handler goes and before "Stopping" is said: with no SIGINT
      // listener for an instant, a Ctrl-C pressed as the line appeared took Node's default
      // action and killed the demo (seen at load average 15, the process preempted between
      // the line and the handler). Kept until the process exits: a press after the stop but
      // before oclif's exit also found no handler once.
      process.on('SIGINT', impatient)
      process.on('SIGTERM', impatient)
      if (onSignal) {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
      if (!quiet) this.print(`Stopping: ending simulated calls and chats, stopping the engine${demo.startedSandbox ? ' and the sandbox' : ''}…`)
      await demo.stop()
    }
    return {...tally, chatUrl: demo.chatUrl, seconds: Math.round((Date.now() - started) / 1000), sandbox: demo.startedSandbox ? 'started' : demo.supervisorPhone ? 'reused' : 'none'}
  }

  protected render(r: DemoResult): void {
    const chats = r.chatUrl ? ` Chats: ${r.chats}, ${r.chatsAnswered} answered, ${r.chatsAbandoned} abandoned by the customer.` : ''
    this.print(`Demo stopped after ${r.seconds} s: ${r.calls} calls, ${r.connected} connected, ${r.abandoned} abandoned.${chats}`)
  }
}

/** How a person joins the demo with a softphone (README: "A real softphone"). */
function sipInvite(sip: SandboxSip): string {
  return [
    `SIP: softphones register to ${sip.host}:${sip.port} (UDP or TCP). In another terminal:`,
    `  callctl agent add me --name "Your Name" --sip --queue sales && callctl agent login me   # prints your SIP password`,
    `  then callers who press 1 ring your phone; a second phone (callctl phone add 2002) can dial ${DEMO_DID}.`,
  ].join('\n')
}
