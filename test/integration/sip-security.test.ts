import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {freePort} from '../../src/engine/util/net.js'
import {runAll, runCli, startEngineCli} from '../support/cli.js'
import {cliEngineEnv, sandboxCreds} from '../support/harness.js'
import {AriHttp} from '../../src/engine/ari/index.js'
import {routeCarrierTo} from '../support/sip/engine-phones.js'
import {killAllSipAgents, registerSipp, startCaller} from '../support/sip/sipp.js'
import {until} from '../support/wait.js'

// Issue 14 part 4 on the real sandbox, through the real binary: an address that keeps
// failing to register is blocked (its right password is refused too, others are not),
// `callctl sip blocked` lists and clears it; an agent cannot dial a premium-rate or an
// international number the rules do not allow.

const ATTACKER = '127.0.0.9'
const HOSTILE_DID = '7000401'
/** A From display name an attacker controls: a spreadsheet formula, a bidi override, a zero-width space. */
const HOSTILE_NAME = '=1+2 张三\u202e\u200bx'
const PHONE = 'sec7001'

describe('security of a real SIP box (real binary, real Asterisk, SIPp)', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-sipsec-'))
  const app = `sec${Math.random().toString(36).slice(2, 7)}`
  const sb = inject('sandbox')
  const sip = sb.sip
  let env: Record<string, string | undefined>
  let engine: Awaited<ReturnType<typeof startEngineCli>> | undefined
  let password = ''

  const register = (localIp: string, pw: string) => registerSipp({sip, user: PHONE, password: pw, expires: 60, localIp, timeoutMs: 8_000})
  const blocked = async () => JSON.parse((await runCli(['sip', 'blocked', '--json'], env)).stdout) as {blocks: {address: string; failures: number; accounts: string[]}[]}
  const events = async (type: string) =>
    (await runCli(['events', '--since', '10m', '--json', '--type', type], env)).stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as {type: string; data: Record<string, unknown>})

  beforeAll(async () => {
    env = {
      ...cliEngineEnv({home, app, apiPort: await freePort()}),
      // This file tests the real policy, not the tests' "any".
      CALLCTL_OUTBOUND_ALLOW: undefined,
      CALLCTL_DIAL_STRING: 'PJSIP/{number}@carrier',
      CALLCTL_SIP_SECURITY_LOG: join(sb.root, sb.instanceDir, 'log', 'security.log'),
    }
    writeFileSync(join(home, 'config.yaml'), 'defaultCountry: CN\nsip:\n  blockAfter: 4\n  blockSeconds: 120\n  neverBlock: [127.0.0.1]\n')
    await runAll([['agent', 'add', 'sa1', '--endpoint', 'Local/1-1-1-sa1@callctl-sim-agent'], ['queue', 'add', 'secq', '--did', HOSTILE_DID]], env)
    const added = await runCli(['phone', 'add', PHONE, '--json'], env)
    expect(added.code, added.stderr).toBe(0)
    password = (JSON.parse(added.stdout) as {password: string}).password
    engine = await startEngineCli(env)
  })

  afterAll(async () => {
    await killAllSipAgents()
    if (engine?.child.exitCode === null) {
      engine.child.kill('SIGTERM')
      await new Promise((r) => engine!.child.once('exit', r))
    }
    await runCli(['sip', 'blocked', '--clear-all'], env)
    await runCli(['phone', 'remove', PHONE], env)
    rmSync(home, {recursive: true, force: true})
  })

  it('guessing passwords gets an address blocked; its right password is then refused, others are not; clearing lets it in', async () => {
    // The phone registers from the attacker's address with its real password: nothing is blocked yet.
    expect((await register(ATTACKER, password)).allSucceeded).toBe(true)
    // Guesses until the engine blocks the address (each attempt is several failures in Asterisk's log).
    const started = Date.now()
    await until('127.0.0.9 blocked', async () => {
      const r = await register(ATTACKER, 'wrong-guess')
      expect(r.allSucceeded).toBe(false)
      return (await blocked()).blocks.some((b) => b.address === ATTACKER)
    }, 30_000)
    const block = (await blocked()).blocks.find((b) => b.address === ATTACKER)!
    expect(block.failures).toBeGreaterThanOrEqual(4)
    expect(block.accounts).toContain(PHONE)
    console.log(`blocked ${ATTACKER} ${Date.now() - started} ms after the first wrong guess`)

    // Blocked means every request: the right password from there is refused (403) ...
    const refused = await register(ATTACKER, password)
    expect(refused.allSucceeded).toBe(false)
    // ... while the same phone from another address registers.
    expect((await register('127.0.0.1', password)).allSucceeded).toBe(true)

    const cleared = await runCli(['sip', 'blocked', '--clear', ATTACKER, '--json'], env)
    expect(cleared.code, cleared.stderr).toBe(0)
    expect(JSON.parse(cleared.stdout)).toMatchObject({cleared: [ATTACKER], asterisk: 'applied'})
    expect((await register(ATTACKER, password)).allSucceeded).toBe(true)

    expect((await events('sip.blocked')).map((e) => e.data.address)).toEqual([ATTACKER])
    expect((await events('sip.unblocked')).map((e) => e.data)).toEqual([{address: ATTACKER, by: 'admin'}])
    expect((await events('sip.auth_failed')).some((e) => e.data.address === ATTACKER && e.data.account === PHONE)).toBe(true)
    const again = await runCli(['sip', 'blocked', '--clear', ATTACKER], env)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('is not blocked')
  })

  it("a caller name from a SIP From header is hostile text: no bidi or invisible characters in the terminal, no formula in the CSV", async () => {
    const restore = await routeCarrierTo(new AriHttp(sandboxCreds()), app)
    try {
      const caller = await startCaller({sip, calls: {did: HOSTILE_DID, from: '13900001111', name: HOSTILE_NAME}, holdMs: 6_000})
      const shown = await until('the caller waits in secq', async () => {
        const r = await runCli(['calls'], env)
        return r.stdout.includes('13900001111') ? r.stdout : undefined
      }, 15_000)
      expect(shown).toContain('=1+2 张三')
      expect(shown).not.toMatch(/[\u202e\u200b]/)
      const json = JSON.parse((await runCli(['calls', '--json'], env)).stdout) as {calls: {caller: {name: string}}[]}
      // The API keeps what Asterisk said, escaped in JSON: a script sees the real bytes, not a terminal.
      expect(json.calls[0]!.caller.name).toBe(HOSTILE_NAME)
      await caller.done
      caller.cleanup()
      const csv = join(home, 'calls.csv')
      const rep = await runCli(['report', 'calls', '--from', 'today', '--to', 'now', '--out', csv], env)
      expect(rep.code, rep.stderr).toBe(0)
      const row = readFileSync(csv, 'utf8').split('\n').find((l) => l.includes('13900001111'))!
      // A file keeps what the caller ID said but terminal controls (the override; 8ec9332: one
      // rule for every CSV target, `report calls | cut` had reversed a terminal's text); the
      // formula guard still changes the cell.
      expect(row).not.toMatch(/(^|,)"?=/)
      expect(row).not.toMatch(/\u202e/)
      expect(row).toContain(`'=1+2 张三\u200bx`)
    } finally {
      await restore()
    }
  })

  it('an agent cannot call a premium-rate or an international number the rules do not allow', async () => {
    for (const [number, why] of [
      ['+449098790000', 'premium-rate'],
      ['+447400123456', 'international'],
    ] as const) {
      const r = await runCli(['call', 'dial', number, '--agent', 'sa1'], env)
      expect(r.code, r.stdout + r.stderr).toBe(1)
      expect(r.stderr).toContain(`Calling ${number} is not allowed`)
      expect(r.stderr).toContain(why)
    }
    const refused = await events('call.outbound_refused')
    expect(refused.map((e) => e.data.number)).toEqual(['+449098790000', '+447400123456'])
    // Nothing was dialled: the agent was not even rung.
    expect(await events('agent.ringing')).toEqual([])
  })
})
