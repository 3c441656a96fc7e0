import type {ChildProcess} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {inject} from 'vitest'
import {sandboxStateFile} from '../../src/engine/sandbox/state.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {exited} from './cli.js'

/**
 * A fresh CALLCTL_HOME whose sandbox is this lane's (its state copied): an engine started
 * there takes its ARI settings from the sandbox, and `callctl simulate` places its callers
 * through the sandbox's dialplan, as in a user's own home.
 */
export function homeOnSuiteSandbox(prefix: string): string {
  const home = mkdtempSync(join(tmpdir(), prefix))
  const paths = callctlPaths({CALLCTL_HOME: home})
  mkdirSync(paths.sandboxDir, {recursive: true})
  copyFileSync(sandboxStateFile(callctlPaths({CALLCTL_HOME: inject('sandbox').home})), sandboxStateFile(paths))
  return home
}

/** Stops an engine started by the CLI, if it still runs (SIGTERM, then waits for it). */
export async function stopEngineCli(engine: {child: ChildProcess} | undefined): Promise<void> {
  if (!engine || engine.child.exitCode !== null || engine.child.signalCode !== null) return
  engine.child.kill('SIGTERM')
  await exited(engine.child)
}
