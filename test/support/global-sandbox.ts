import {mkdtempSync, rmSync} from 'node:fs'
import {freePort} from '../../src/engine/util/net.js'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {TestProject} from 'vitest/node'
import {sandboxDown, sandboxUp} from '../../src/engine/sandbox/sandbox.js'
import type {SandboxSip} from '../../src/engine/sandbox/state.js'
import {createLogger} from '../../src/engine/util/log.js'
import {callctlPaths} from '../../src/engine/util/paths.js'


declare module 'vitest' {
  export interface ProvidedContext {
    sandbox: {
      home: string
      ariUrl: string
      ariUser: string
      passwordFile: string
      root: string
      instanceDir: string
      /** Where phones register and where the carrier must send from (test/support/sip). */
      sip: SandboxSip
    }
  }
}

/**
 * Brings up the real sandbox Asterisk once for the integration suite (building the
 * Debian root if it is not cached yet) in a CALLCTL_HOME of its own, on a free port, so
 * a developer's running demo, and other test runs at the same time, are left alone.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const home = mkdtempSync(join(tmpdir(), 'callctl-test-'))
  const paths = callctlPaths({...process.env, CALLCTL_HOME: home})
  // The second integration lane (vitest.config.ts) gets a sandbox of its own: a fixed port moves up by 10 for it.
  const port = process.env.CALLCTL_TEST_PORT ? Number(process.env.CALLCTL_TEST_PORT) + (project.name === 'integration' ? 0 : 10) : await freePort()
  const up = await sandboxUp(paths, {port, log: createLogger({level: 'warn'})})
  project.provide('sandbox', {
    home,
    ariUrl: up.state.ariUrl,
    ariUser: up.state.ariUser,
    passwordFile: up.state.passwordFile,
    root: up.state.root,
    instanceDir: up.state.instanceDir,
    sip: sipOf(up.state.sip),
  })
  return async () => {
    await sandboxDown(paths, {force: true})
    // The instance directory inside the shared root (config, logs, recordings) and the home.
    rmSync(join(up.state.root, up.state.instanceDir), {recursive: true, force: true})
    rmSync(home, {recursive: true, force: true})
  }
}

function sipOf(sip: SandboxSip | undefined): SandboxSip {
  // sandboxUp always configures SIP; a state without it is a sandbox from before SIP.
  if (!sip) throw new Error('the sandbox state has no sip section: rebuild it (sandbox down, then up)')
  return sip
}
