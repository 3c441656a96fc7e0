import {describe, expect, it} from 'vitest'
import {checkOutbound, checkOutboundRule, defaultOutboundRules, outboundVerdict} from '../../src/engine/calls/outbound-policy.js'

// Issue 14 part 4: a stolen phone password, or a caller ID spoofed to a premium number
// asking for a callback, must not make toll-fraud calls.

describe('outbound policy', () => {
  it('national allows home-country mobiles, fixed lines and toll-free; refuses premium and international', () => {
    const national = ['national']
    expect(checkOutbound('13812345678', national, 'CN')).toEqual({allowed: true})
    expect(checkOutbound('+86 10 6552 9988', national, 'CN')).toEqual({allowed: true})
    expect(checkOutbound('4008123123', national, 'CN').allowed).toBe(true)
    const uk = checkOutbound('+447400123456', national, 'CN')
    expect(uk.allowed).toBe(false)
    expect(!uk.allowed && uk.why).toMatch(/is international \(G[BG]; allow it with the rule international\)/)
    // A UK premium-rate number (09xx) is premium wherever it is called from.
    const premium = checkOutbound('+449098790000', ['national', 'international'], 'CN')
    expect(!premium.allowed && premium.why).toMatch(/premium-rate/)
    expect(checkOutbound('09098790000', ['national'], 'GB').allowed).toBe(false)
    expect(checkOutbound('09098790000', ['national', 'premium'], 'GB').allowed).toBe(true)
  })

  it('narrow kinds, prefixes, whole numbers and any', () => {
    expect(checkOutbound('13812345678', ['mobile'], 'CN').allowed).toBe(true)
    expect(checkOutbound('+86 10 6552 9988', ['mobile'], 'CN').allowed).toBe(false)
    expect(checkOutbound('+447400123456', ['+44*'], 'CN').allowed).toBe(true)
    expect(checkOutbound('+447400123456', ['+447400123456'], 'CN').allowed).toBe(true)
    expect(checkOutbound('+447400123457', ['+447400123456'], 'CN').allowed).toBe(false)
    // Short and invalid numbers need a rule that names them.
    expect(checkOutbound('10086', ['national'], 'CN').allowed).toBe(false)
    expect(checkOutbound('10086', ['10086'], 'CN').allowed).toBe(true)
    expect(checkOutbound('+15550100002', ['any'], 'CN').allowed).toBe(true)
  })

  it("a queue's own rules replace the engine's; an engine with none allows any", () => {
    expect(outboundVerdict({allow: ['national'], defaultCountry: 'CN'}, ['international'], '+447400123456').allowed).toBe(true)
    expect(outboundVerdict({allow: ['national'], defaultCountry: 'CN'}, [], '+447400123456').allowed).toBe(false)
    expect(outboundVerdict({}, undefined, '+447400123456').allowed).toBe(true)
  })

  it('validates rules and defaults by trunk', () => {
    expect(checkOutboundRule('national')).toBeNull()
    expect(checkOutboundRule('+86138*')).toBeNull()
    expect(checkOutboundRule('premium-ish')).toMatch(/not a rule/)
    expect(checkOutboundRule('8*6')).toMatch(/not a rule/)
    expect(defaultOutboundRules('PJSIP/{number}@carrier')).toEqual(['national'])
    expect(defaultOutboundRules('Local/{number}@callctl-sim-callee')).toEqual(['any'])
  })
})
