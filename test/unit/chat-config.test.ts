import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadEngineConfig} from '../../src/engine/config/engine-config.js'

// The config's chat: section: defaults, per-agent limits, and every mistake at its line and column.

function withConfig(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-chatcfg-'))
  const file = join(dir, 'config.yaml')
  writeFileSync(file, text)
  return () => loadEngineConfig({file, env: {CALLCTL_HOME: dir, CALLCTL_ARI_PASSWORD: 'pw'}})
}

describe('chat settings', () => {
  it('has defaults: call-blocks-chats, 3 per channel and 4 in all, no auto-accept, 30 s to accept, 10 min of silence', () => {
    const c = withConfig('defaultQueue: support\n')().chat
    expect(c).toMatchObject({queue: 'support', capacity: {mode: 'call-blocks-chats'}, limits: {web: 3, wechat: 3, webhook: 3, total: 4}, autoAccept: false, acceptTimeoutMs: 30_000, silenceCloseMs: 600_000, rating: true})
    expect(c.flows).toEqual({web: null, wechat: null, webhook: null})
  })

  it('reads the capacity rule, limits per agent over the defaults, timers and flows per channel', () => {
    const c = withConfig(
      'chat:\n  queue: sales\n  flow: /f/all.yaml\n  flows: {wechat: /f/wx.yaml}\n  capacity: {mode: call-counts-as, slots: 2}\n  limits: {web: 5, total: 6}\n  agents: {alice: {wechat: 1}}\n  autoAccept: true\n  acceptTimeout: 45s\n  silence: {closeAfter: 15m, message: Bye}\n  positionEvery: 2m\n  rating: false\n',
    )().chat
    expect(c.capacity).toEqual({mode: 'call-counts-as', slots: 2})
    expect(c.limits).toEqual({web: 5, wechat: 3, webhook: 3, total: 6})
    expect(c.agentLimits.alice).toEqual({web: 5, wechat: 1, webhook: 3, total: 6})
    expect(c.flows).toEqual({web: '/f/all.yaml', wechat: '/f/wx.yaml', webhook: '/f/all.yaml'})
    expect(c).toMatchObject({queue: 'sales', autoAccept: true, acceptTimeoutMs: 45_000, silenceCloseMs: 900_000, silenceMessage: 'Bye', positionEveryMs: 120_000, rating: false})
  })

  it('points at each mistake with its line and column', () => {
    expect(withConfig('chat:\n  capacity: {mode: calls-first}\n')).toThrow(/config\.yaml:2:20: chat\.capacity\.mode must be call-blocks-chats or call-counts-as, got "calls-first"/)
    expect(withConfig('chat:\n  capacity: {mode: call-counts-as, slots: 0}\n')).toThrow(/config\.yaml:2:43: chat\.capacity\.slots must be a whole number from 1 to 20/)
    expect(withConfig('chat:\n  limits: {web: -1}\n')).toThrow(/config\.yaml:2:17: chat\.limits\.web must be a whole number from 0 to 100/)
    expect(withConfig('chat:\n  limits: {sms: 2}\n')).toThrow(/config\.yaml:2:\d+: unknown setting "chat\.limits\.sms"/)
    expect(withConfig('chat:\n  acceptTimeout: 1s\n')).toThrow(/config\.yaml:2:18: chat\.acceptTimeout must be a duration from 5s to 3600s/)
    expect(withConfig('chat:\n  autoAccept: yes please\n')).toThrow(/config\.yaml:2:15: chat\.autoAccept must be true or false/)
    expect(withConfig('chat:\n  colour: red\n')).toThrow(/config\.yaml:2:3: unknown setting "chat\.colour"/)
  })
})
