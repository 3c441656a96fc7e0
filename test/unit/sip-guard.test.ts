import {appendFileSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {activeBlocks, blockObjectId} from '../../src/engine/sip/blocks.js'
import {parseSecurityLine} from '../../src/engine/sip/security-log.js'
import {SipGuard} from '../../src/engine/sip/sip-guard.js'
import type {NewEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri} from '../support/fake-ari.js'

// Issue 14 part 4: failed registrations are watched through Asterisk's security events,
// and an address with repeated failures is refused for a while. The lines are Asterisk
// 22's res_security_log output, as seen on the sandbox.

const line = (event: string, address: string, account = '1001') =>
  `[2026-12-07 05:05:09.249] SECURITY[13053] res_security_log.c: SecurityEvent="${event}",EventTV="2026-12-07T05:05:09.249+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="${account}",SessionID="ec9fab26cc6938be",LocalAddress="IPV4/UDP/127.0.0.1/37258",RemoteAddress="IPV4/UDP/${address}/25080",Challenge="1796619909/eaa24a17",Response="103baa42",ExpectedResponse="",\n`

describe('SIP guard: failed registrations block an address', () => {
  let dir: string
  let file: string
  let store: SqliteStore
  let ari: FakeAri
  let now: number
  let guard: SipGuard
  const appended: NewEvent[] = []

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'guard-'))
    file = join(dir, 'security.log')
    writeFileSync(file, line('ChallengeResponseFailed', '10.0.0.1')) // history: not counted
    store = new SqliteStore(':memory:')
    ari = new FakeAri()
    now = 1_000_000
    appended.length = 0
    guard = new SipGuard({
      settings: {securityLog: file, blockAfter: 3, windowS: 60, blockForS: 600, neverBlock: ['127.0.0.1']},
      rest: ari,
      store,
      append: (e) => {
        const full = {...e, ts: now, origin: 'test'} as NewEvent
        appended.push(full)
        void store.appendEvents([full])
      },
      log: silentLogger,
      now: () => now,
    })
    await guard.start()
  })
  afterEach(async () => {
    guard.stop()
    await store.close()
    rmSync(dir, {recursive: true, force: true})
  })

  it('parses the failures that count and nothing else', () => {
    expect(parseSecurityLine(line('InvalidAccountID', '203.0.113.7', 'admin'))).toEqual({event: 'InvalidAccountID', address: '203.0.113.7', account: 'admin', service: 'PJSIP'})
    expect(parseSecurityLine(line('SuccessfulAuth', '203.0.113.7'))).toBeNull()
    expect(parseSecurityLine('garbage "with" quotes')).toBeNull()
  })

  it('blocks after blockAfter failures within the window: identify object pushed, sip.blocked with the names tried', async () => {
    appendFileSync(file, line('ChallengeResponseFailed', '127.0.0.9', '1001') + line('InvalidAccountID', '127.0.0.9', 'admin'))
    guard.poll(file)
    expect(appended.map((e) => e.type)).toEqual(['sip.auth_failed'])
    appendFileSync(file, line('ChallengeResponseFailed', '127.0.0.9', '1002'))
    guard.poll(file)
    await new Promise((r) => setImmediate(r))
    expect(appended.map((e) => e.type)).toEqual(['sip.auth_failed', 'sip.blocked'])
    expect(appended[1]!.data).toMatchObject({address: '127.0.0.9', failures: 3, accounts: ['1001', 'admin', '1002'], untilTs: now + 600_000})
    expect(ari.configObjects.get(`res_pjsip/identify/${blockObjectId('127.0.0.9')}`)).toEqual([
      {attribute: 'endpoint', value: 'callctl-blocked'},
      {attribute: 'match', value: '127.0.0.9'},
    ])
    expect((await activeBlocks(store, now)).map((b) => b.address)).toEqual(['127.0.0.9'])
    expect(await activeBlocks(store, now + 600_001)).toEqual([])
  })

  it('failures spread wider than the window, and never-block addresses, do not block', async () => {
    for (let i = 0; i < 5; i++) {
      appendFileSync(file, line('ChallengeResponseFailed', '127.0.0.8') + line('ChallengeResponseFailed', '127.0.0.1'))
      guard.poll(file)
      now += 31_000
    }
    expect(appended.some((e) => e.type === 'sip.blocked')).toBe(false)
  })

  it('a half-written line waits for its end; a truncated (rotated) log is read from its start', async () => {
    const l = line('ChallengeResponseFailed', '127.0.0.7')
    appendFileSync(file, l.slice(0, 40))
    guard.poll(file)
    expect(appended).toEqual([])
    appendFileSync(file, l.slice(40))
    guard.poll(file)
    expect(appended.map((e) => e.data!.address)).toEqual(['127.0.0.7'])
    writeFileSync(file, line('InvalidPassword', '127.0.0.6'))
    guard.poll(file)
    expect(appended.map((e) => e.data!.address)).toEqual(['127.0.0.7', '127.0.0.6'])
  })
})
