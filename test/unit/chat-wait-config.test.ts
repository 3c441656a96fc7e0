import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {DEFAULT_LEAVE_MESSAGE, leaveMessageTexts} from '../../src/engine/config/chat-config.js'
import {loadEngineConfig} from '../../src/engine/config/engine-config.js'

// chat: maxWait, onMaxWait, onNoAgents, offHours, leaveMessage, queues, uploadsRetention:
// defaults, per queue over them (the leave-a-message texts too), and each mistake at its
// line and column.

function withConfig(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-chatwait-'))
  const file = join(dir, 'config.yaml')
  writeFileSync(file, text)
  return () => loadEngineConfig({file, env: {CALLCTL_HOME: dir, CALLCTL_ARI_PASSWORD: 'pw'}})
}

describe('chat wait limits in the config', () => {
  it('by default a chat waits without limit, the flow closes off-hours, and uploads are kept 90 days', () => {
    const c = withConfig('defaultQueue: support\n')().chat
    expect(c.wait).toEqual({maxWaitMs: 0, onMaxWait: {kind: 'close', message: expect.any(String)}, onNoAgents: null})
    expect(c.waitByQueue).toEqual({})
    expect(c.offHours).toBe('close')
    expect(c.uploadsRetentionMs).toBe(90 * 86_400_000)
  })

  it('reads the rules and each queue over them', () => {
    const c = withConfig(
      'chat:\n  maxWait: 5m\n  onMaxWait: {overflow: sales}\n  onNoAgents: leaveMessage\n  offHours: leaveMessage\n  leaveMessage: {ask: Leave one, thanks: Thanks}\n  queues:\n    vip: {maxWait: 1m, onMaxWait: {close: Sorry}}\n    sales: {onNoAgents: wait}\n  uploadsRetention: 30d\n',
    )().chat
    expect(c.wait).toEqual({maxWaitMs: 300_000, onMaxWait: {kind: 'overflow', queue: 'sales'}, onNoAgents: {kind: 'leaveMessage'}})
    expect(c.waitByQueue.vip).toEqual({maxWaitMs: 60_000, onMaxWait: {kind: 'close', message: 'Sorry'}, onNoAgents: {kind: 'leaveMessage'}})
    expect(c.waitByQueue.sales).toEqual({maxWaitMs: 300_000, onMaxWait: {kind: 'overflow', queue: 'sales'}, onNoAgents: null})
    expect(c).toMatchObject({offHours: 'leaveMessage', leaveMessage: {ask: 'Leave one', thanks: 'Thanks'}, uploadsRetentionMs: 30 * 86_400_000})
    expect(withConfig('chat:\n  uploadsRetention: 0\n')().chat.uploadsRetentionMs).toBe(0)
  })

  it("a queue's own leave-a-message texts, each one it does not give falling back to the global one", () => {
    const c = withConfig('chat:\n  leaveMessage: {ask: Leave one, thanks: Thanks}\n  queues:\n    billing: {leaveMessage: {ask: Billing is closed, thanks: Billing thanks you}}\n    vip: {maxWait: 1m, onMaxWait: leaveMessage, leaveMessage: {ask: VIP ask}}\n')().chat
    expect(c.leaveMessageByQueue).toEqual({billing: {ask: 'Billing is closed', thanks: 'Billing thanks you'}, vip: {ask: 'VIP ask'}})
    expect(leaveMessageTexts(c, 'billing')).toEqual({ask: 'Billing is closed', thanks: 'Billing thanks you'})
    expect(leaveMessageTexts(c, 'vip')).toEqual({ask: 'VIP ask', thanks: 'Thanks'})
    expect(leaveMessageTexts(c, 'sales')).toEqual({ask: 'Leave one', thanks: 'Thanks'})
    expect(leaveMessageTexts(c, null)).toEqual({ask: 'Leave one', thanks: 'Thanks'})
    // A queue's leaveMessage alone sets no wait rule of its own beyond the defaults.
    expect(c.waitByQueue.billing).toEqual(c.wait)
    const d = withConfig('chat:\n  queues:\n    billing: {leaveMessage: {thanks: Merci}}\n')().chat
    expect(leaveMessageTexts(d, 'billing')).toEqual({ask: DEFAULT_LEAVE_MESSAGE.ask, thanks: 'Merci'})
    expect(leaveMessageTexts(d, 'constructor')).toEqual(DEFAULT_LEAVE_MESSAGE)
  })

  it('points at each mistake with its line and column', () => {
    expect(withConfig('chat:\n  maxWait: soon\n  onMaxWait: close\n')).toThrow(/config\.yaml:2:12: chat\.maxWait must be a duration from 0s to 86400s, got "soon"/)
    expect(withConfig('chat:\n  maxWait: 5m\n')).toThrow(/config\.yaml:2:12: chat\.maxWait needs onMaxWait/)
    expect(withConfig('chat:\n  maxWait: 5m\n  onMaxWait: voicemail\n')).toThrow(/config\.yaml:3:14: chat\.onMaxWait must be \{overflow: QUEUE\}, leaveMessage or close, got "voicemail"/)
    expect(withConfig('chat:\n  onMaxWait: {overflow: sales, close: bye}\n')).toThrow(/config\.yaml:2:14: chat\.onMaxWait must be one action/)
    expect(withConfig('chat:\n  onNoAgents: {overflow: 42}\n')).toThrow(/config\.yaml:2:26: chat\.onNoAgents\.overflow must be a queue name/)
    expect(withConfig('chat:\n  offHours: voicemail\n')).toThrow(/config\.yaml:2:13: chat\.offHours must be close or leaveMessage/)
    expect(withConfig('chat:\n  leaveMessage: {ask: ""}\n')).toThrow(/config\.yaml:2:23: chat\.leaveMessage\.ask must be text/)
    expect(withConfig('chat:\n  leaveMessage: {note: x}\n')).toThrow(/config\.yaml:2:\d+: unknown setting "chat\.leaveMessage\.note"/)
    expect(withConfig('chat:\n  queues:\n    vip: {onMaxWait: {overflow: vip}}\n')).toThrow(/config\.yaml:3:33: chat\.queues\.vip\.onMaxWait overflows to the queue itself/)
    expect(withConfig('chat:\n  queues:\n    vip: {colour: red}\n')).toThrow(/config\.yaml:3:\d+: unknown setting "chat\.queues\.vip\.colour"/)
    expect(withConfig('chat:\n  queues:\n    billing: {leaveMessage: {ask: "  "}}\n')).toThrow(/config\.yaml:3:35: chat\.queues\.billing\.leaveMessage\.ask must be text of at most 1000 characters/)
    expect(withConfig('chat:\n  queues:\n    billing:\n      leaveMessage: {thank: x}\n')).toThrow(/config\.yaml:4:\d+: unknown setting "chat\.queues\.billing\.leaveMessage\.thank"/)
    expect(withConfig('chat:\n  queues:\n    billing: {leaveMessage: Leave one}\n')).toThrow(/config\.yaml:3:29: chat\.queues\.billing\.leaveMessage must be a mapping/)
    expect(withConfig('chat:\n  uploadsRetention: 2h\n')).toThrow(/config\.yaml:2:21: chat\.uploadsRetention must be a duration from 1d to 3650d, or 0/)
  })
})
