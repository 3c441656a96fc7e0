import {mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {TestProject} from 'vitest/node'
import {sandboxDown, sandboxUp} from '../../src/engine/sandbox/sandbox.js'
import {createLogger} from '../../src/engine/util/log.js'
import {callctlPaths} from '../../src/engine/util/paths.js'

export const TEST_PORT = Number(process.env.CALLCTL_TEST_PORT || 18088)

declare module 'vitest' {
  export interface ProvidedContext {
    sandbox: {home: string; ariUrl: string; ariUser: string; passwordFile: string; root: string; instanceDir: string}
  }
}

/**
 * Brings up the real sandbox Asterisk once for the integration suite (building the
 * Debian root if it is not cached yet) in a CALLCTL_HOME of its own, on its own port,
 * so a developer's running demo is left alone.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const home = join(tmpdir(), 'callctl-test-home')
  mkdirSync(home, {recursive: true})
  const paths = callctlPaths({...process.env, CALLCTL_HOME: home})
  const up = await sandboxUp(paths, {port: TEST_PORT, log: createLogger({level: 'warn'})})
  project.provide('sandbox', {
    home,
    ariUrl: up.state.ariUrl,
    ariUser: up.state.ariUser,
    passwordFile: up.state.passwordFile,
    root: up.state.root,
    instanceDir: up.state.instanceDir,
  })
  return async () => {
    await sandboxDown(paths)
  }
}
