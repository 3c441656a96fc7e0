import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {freePort} from '../../src/engine/util/net.js'
import {runAll, runCli, startEngineCli} from '../support/cli.js'
import {cliEngineEnv} from '../support/harness.js'
import {killAllSipAgents, startSipp, type Sipp} from '../support/sip/sipp.js'
import {until} from '../support/wait.js'

// Issue 14 part 1: the carrier carries outbound calls (outbound.dialString:
// PJSIP/{number}@carrier). Click-to-call from the real binary: the agent's (simulated)
// phone first, then the customer through the carrier, answered by SIPp standing where
// the carrier is (its address and port), with the number dialled in the request URI.

describe('outbound calls over the carrier (real binary, real Asterisk, SIPp as the carrier)', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-sipout-'))
  const app = `out${Math.random().toString(36).slice(2, 7)}`
  const sip = inject('sandbox').sip
  let env: Record<string, string | undefined>
  let engine: Awaited<ReturnType<typeof startEngineCli>> | undefined
  let carrier: Sipp | undefined

  const carrierMessages = () => (carrier && existsSync(join(carrier.dir, 'messages.log')) ? readFileSync(join(carrier.dir, 'messages.log'), 'utf8') : '')

  beforeAll(async () => {
    env = {...cliEngineEnv({home, app, apiPort: await freePort()}), CALLCTL_DIAL_STRING: 'PJSIP/{number}@carrier', CALLCTL_OUTBOUND_ALLOW: 'national'}
    await runAll([['agent', 'add', 'oa1', '--endpoint', 'Local/0-20-20-oa1@callctl-sim-agent'], ['agent', 'login', 'oa1']], env)
    engine = await startEngineCli(env)
    // The carrier: a UAS on the carrier's address and port that answers what Asterisk sends it.
    carrier = await startSipp({scenario: 'agent-uas', remote: {host: sip.host, port: sip.port}, localIp: sip.carrier.host, localPort: sip.carrier.port, vars: {ring_ms: 200, talk_ms: 0}, traceMessages: true, keepDir: false})
  })

  afterAll(async () => {
    await killAllSipAgents()
    carrier?.cleanup()
    if (engine?.child.exitCode === null) {
      engine.child.kill('SIGTERM')
      await new Promise((r) => engine!.child.once('exit', r))
    }
    rmSync(home, {recursive: true, force: true})
  })

  it('click-to-call reaches the customer through the carrier, with the number in the request URI, and ends cleanly', async () => {
    const r = await runCli(['call', 'dial', '13812345678', '--agent', 'oa1', '--json'], env)
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0)
    const {call_id: callId} = JSON.parse(r.stdout) as {call_id: string}
    await until('the customer answered through the carrier', async () => {
      const calls = JSON.parse((await runCli(['calls', '--json'], env)).stdout) as {calls: {id: string; state: string}[]}
      return calls.calls.find((c) => c.id === callId && c.state === 'connected')
    }, 20_000)
    expect(carrierMessages()).toMatch(/INVITE sip:13812345678@127\.0\.0\.1:\d+ SIP\/2\.0/)
    const hung = await runCli(['call', 'hangup', callId], env)
    expect(hung.code, hung.stderr).toBe(0)
    await until('the call ended', async () => {
      const out = (await runCli(['events', '--since', '5m', '--json', '--type', 'call.ended'], env)).stdout
      return out.includes(callId)
    }, 15_000)
    // The carrier saw the BYE: the call ended on its side too.
    await until('the carrier got the BYE', () => /BYE sip:/.test(carrierMessages()), 10_000)
  })

  it('agent add --sip with an id no SIP user name can be (a.b) refuses before saving anything, instead of leaving the agent on a phone that does not exist', async () => {
    const r = await runCli(['agent', 'add', 'a.b', '--sip'], env)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Invalid phone id "a.b"')
    const agents = JSON.parse((await runCli(['agent', 'list', '--json'], env)).stdout) as {agents: {id: string}[]}
    expect(agents.agents.map((a) => a.id)).not.toContain('a.b')
    // phone show reads the store only: it does not claim Asterisk has the phone.
    const added = await runCli(['phone', 'add', 'shw1', '--json'], env)
    expect(added.code, added.stderr).toBe(0)
    expect(JSON.parse((await runCli(['phone', 'show', 'shw1', '--json'], env)).stdout)).toMatchObject({asterisk: 'not asked'})
    await runCli(['phone', 'remove', 'shw1'], env)
  })
})
