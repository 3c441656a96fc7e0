import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {addAgent, addQueue, loginAgent} from '../../engine/admin/admin.js'
import type {QueueSettings} from '../../engine/model.js'
import {SqliteStore} from '../../engine/store/sqlite-store.js'
import {freePort} from '../../engine/util/net.js'

// The engine under load runs as the built CLI (`callctl engine start`) in a process of its
// own: its CPU time is then its own in /proc, and it is the engine as deployed.

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url))

export interface EngineChild {
  pid: number
  /** Log lines at level error (and warn) so far. */
  errors: string[]
  warnings: string[]
  stop(): Promise<void>
}

/** A store with the queue and its agents, all logged in. */
export async function prepareEngineStore(file: string, queue: string, settings: Partial<QueueSettings>, agents: {id: string; endpoint: string}[]): Promise<void> {
  const store = new SqliteStore(file)
  try {
    await addQueue(store, queue, settings as Record<string, unknown>)
    for (const a of agents) {
      await addAgent(store, {id: a.id, endpoint: a.endpoint, queues: [queue]})
      await loginAgent(store, a.id)
    }
  } finally {
    await store.close()
  }
}

/** `env`: more variables for the engine (bench:load --sip asks it to count its REST requests). */
export async function startEngineChild(o: {home: string; db: string; app: string; env?: Record<string, string>}): Promise<EngineChild> {
  const env = {
    ...process.env,
    CALLCTL_HOME: o.home,
    CALLCTL_DB: o.db,
    CALLCTL_ARI_APP: o.app,
    CALLCTL_API_PORT: String(await freePort()),
    CALLCTL_LOG_LEVEL: 'info',
    // Nothing beyond the routing both paths share: no queue_log writer, no CRM look-up.
    CALLCTL_QUEUE_LOG: '',
    CALLCTL_CRM_URL: '',
    ...o.env,
  }
  // CALLCTL_BENCH_ENGINE_PROFILE=DIR: the engine writes a V8 CPU profile there (where its time goes).
  const profile = process.env.CALLCTL_BENCH_ENGINE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CALLCTL_BENCH_ENGINE_PROFILE}`] : []
  const child = spawn(process.execPath, [...profile, BIN, 'engine', 'start', '--log-json'], {env, stdio: ['ignore', 'ignore', 'pipe']})
  const errors: string[] = []
  const warnings: string[] = []
  let tail: string[] = []
  let partial = ''
  let onReady: (() => void) | undefined
  child.stderr!.on('data', (b: Buffer) => {
    const lines = (partial + b.toString()).split('\n')
    partial = lines.pop()!
    for (const line of lines) {
      tail = [...tail.slice(-9), line]
      let level = ''
      let msg = line
      try {
        const j = JSON.parse(line) as {level?: string; msg?: string}
        level = j.level ?? ''
        msg = j.msg ?? line
      } catch {
        level = 'error' // not a log line: a crash trace
      }
      if (level === 'error') errors.push(line)
      else if (level === 'warn') warnings.push(line)
      if (msg.startsWith('engine running')) onReady?.()
    }
  })
  // If the bench exits first (an error, Ctrl-C), the engine goes with it.
  const orphan = () => void child.kill('SIGKILL')
  process.once('exit', orphan)
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.off('exit', orphan)
      resolve(code)
    }),
  )
  const ready = new Promise<void>((resolve) => (onReady = resolve))
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref())
  const first = await Promise.race([ready.then(() => 'ready' as const), exited.then(() => 'exited' as const), timeout])
  if (first !== 'ready') {
    child.kill('SIGKILL')
    throw new Error(`the engine did not start (${first}): ${tail.join(' | ')}`)
  }
  return {
    pid: child.pid!,
    errors,
    warnings,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(t)
    },
  }
}
