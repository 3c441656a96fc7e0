import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {AriHttp} from '../../engine/ari/index.js'
import {sandboxDown, sandboxUp} from '../../engine/sandbox/sandbox.js'
import type {SandboxState} from '../../engine/sandbox/state.js'
import {createLogger} from '../../engine/util/log.js'
import {freePort} from '../../engine/util/net.js'
import {callctlPaths} from '../../engine/util/paths.js'

// The bench's own sandbox Asterisk: its own CALLCTL_HOME and port, so a demo or a test run
// on the same machine is left alone (and leaves no calls or load in ours). Channel Event
// Logging is on in this instance only (the other sandboxes leave it off).

export interface BenchSandbox {
  home: string
  state: SandboxState
  rest: AriHttp
  /** Asterisk's log directory as seen from the host. */
  logDir: string
  celFile: string
  queueLogFile: string
  down(): Promise<void>
}

export async function benchSandbox(): Promise<BenchSandbox> {
  const home = mkdtempSync(join(tmpdir(), 'callctl-bench-load-'))
  const paths = callctlPaths({...process.env, CALLCTL_HOME: home})
  let up
  try {
    up = await sandboxUp(paths, {port: await freePort(), cel: true, log: createLogger({level: 'warn'})})
  } catch (err) {
    rmSync(home, {recursive: true, force: true})
    throw err
  }
  const state = up.state
  const instance = join(state.root, state.instanceDir)
  const logDir = join(instance, 'log')
  return {
    home,
    state,
    rest: new AriHttp({url: state.ariUrl, user: state.ariUser, password: readFileSync(state.passwordFile, 'utf8').trim()}),
    logDir,
    celFile: join(logDir, 'cel.csv'),
    queueLogFile: join(logDir, 'queue_log'),
    async down() {
      await sandboxDown(paths, {force: true})
      rmSync(instance, {recursive: true, force: true})
      rmSync(home, {recursive: true, force: true})
    },
  }
}
