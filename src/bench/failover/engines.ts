import {spawn, type ChildProcess} from 'node:child_process'
import {createWriteStream, type WriteStream} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {holderName} from '../../engine/leadership/lease.js'
import {freePort} from '../../engine/util/net.js'

// The engines of bench:failover: `callctl engine start --log-json` (the built CLI, as
// deployed and as the integration test runs it), each in a process of its own with its own
// API port, sharing the bench's home and PostgreSQL store. Each one's log goes to a file in
// the bench's log directory (kept after the run) and is read line by line for the lines
// that say what it is doing: leading, standing by, serving, stepping down.

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url))

export interface LogLine {
  /** Bench clock (ms) when the line arrived. */
  at: number
  level: string
  msg: string
}

export const LEADING = /^leading app "[^"]+" \(epoch \d+\)/
export const STANDING_BY = /^standing by: /
export const SERVING = /^engine API listening on /
export const STEPPING_DOWN = /^stepping down /

export class EngineProcess {
  readonly lines: LogLine[] = []
  readonly pid: number
  /** What its events carry as origin (calls/core.ts). */
  readonly origin: string
  /** Its name in the leadership row (lease.ts). */
  readonly holder: string
  readonly logFile: string
  private readonly child: ChildProcess
  private readonly log: WriteStream
  private readonly exited: Promise<number | null>
  private partial = ''

  private constructor(
    readonly name: string,
    child: ChildProcess,
    logFile: string,
  ) {
    this.child = child
    this.pid = child.pid!
    this.origin = `engine:${hostname()}:${this.pid}`
    this.holder = holderName(hostname(), this.pid)
    this.logFile = logFile
    this.log = createWriteStream(logFile)
    child.stdout!.on('data', (b: Buffer) => this.log.write(b))
    child.stderr!.on('data', (b: Buffer) => {
      this.log.write(b)
      const parts = (this.partial + b.toString()).split('\n')
      this.partial = parts.pop()!
      const at = Date.now()
      for (const raw of parts) {
        try {
          const j = JSON.parse(raw) as {level?: string; msg?: string}
          this.lines.push({at, level: j.level ?? '', msg: j.msg ?? raw})
        } catch {
          // Not a log line: a crash trace or a warning from node.
          this.lines.push({at, level: 'error', msg: raw})
        }
      }
    })
    // If the bench ends first (an error, Ctrl-C), its engines go with it.
    const orphan = () => void child.kill('SIGKILL')
    process.once('exit', orphan)
    this.exited = new Promise((resolve) =>
      // 'close', not 'exit': the log's last lines may come after the process ended.
      child.once('close', (code) => {
        process.off('exit', orphan)
        this.log.end()
        resolve(code)
      }),
    )
  }

  static async start(name: string, logDir: string, env: Record<string, string>): Promise<EngineProcess> {
    const port = await freePort()
    const child = spawn(process.execPath, [BIN, 'engine', 'start', '--log-json'], {env: {...process.env, ...env, CALLCTL_API_PORT: String(port)}, stdio: ['ignore', 'pipe', 'pipe']})
    return new EngineProcess(name, child, join(logDir, `${name}-pid${child.pid}.log`))
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** The index of the next line: pass it as `from` to look only at what comes after. */
  mark(): number {
    return this.lines.length
  }

  find(re: RegExp, from = 0): LogLine | undefined {
    for (let i = from; i < this.lines.length; i++) if (re.test(this.lines[i]!.msg)) return this.lines[i]
    return undefined
  }

  /** The first line from `from` on matching `re`; null if none came within the time, or the process ended. */
  async waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<LogLine | null> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const line = this.find(re, from)
      if (line) return line
      if (!this.running || Date.now() > deadline) return null
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  errors(): LogLine[] {
    return this.lines.filter((l) => l.level === 'error')
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig)
  }

  async killed(): Promise<void> {
    this.signal('SIGKILL')
    await this.exited
  }

  /** SIGTERM (after a SIGCONT, in case it is frozen), SIGKILL if it is not gone in 20 s. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.exited
    this.child.kill('SIGCONT')
    this.child.kill('SIGTERM')
    const t = setTimeout(() => this.signal('SIGKILL'), 20_000)
    const code = await this.exited
    clearTimeout(t)
    return code
  }
}
