import {join} from 'node:path'
import type {SandboxState} from '../sandbox/state.js'
import {DEFAULT_GUARD, type GuardSettings} from '../sip/sip-guard.js'
import {errorAt, type LocatedDoc} from './yaml-errors.js'
import {checkOutboundRule, OUTBOUND_RULE_HINT} from '../calls/outbound-policy.js'

// The config's sip: section (the security of a real SIP box) and outbound.allow (which
// numbers the center may call), validated with file:line:column like the rest.

export const SIP_KEYS = ['securityLog', 'blockAfter', 'blockWindowSeconds', 'blockSeconds', 'neverBlock'] as const

export interface RawSip {
  securityLog?: string | null
  blockAfter?: number
  blockWindowSeconds?: number
  blockSeconds?: number
  neverBlock?: string[]
}

export function validateSipSettings(d: LocatedDoc, r: Record<string, unknown>, checkKeys: (d: LocatedDoc, path: string[], o: Record<string, unknown>, keys: readonly string[]) => void): void {
  const o = r.outbound as Record<string, unknown> | undefined
  if (o && o.allow !== undefined) {
    if (!Array.isArray(o.allow)) throw errorAt(d, ['outbound', 'allow'], 'outbound.allow must be a list of rules', OUTBOUND_RULE_HINT)
    o.allow.forEach((rule, i) => {
      const problem = checkOutboundRule(rule)
      if (problem) throw errorAt(d, ['outbound', 'allow', i], `outbound.allow[${i}] ${problem}`, OUTBOUND_RULE_HINT)
    })
  }
  if (r.sip === undefined || r.sip === null) return
  if (typeof r.sip !== 'object' || Array.isArray(r.sip)) throw errorAt(d, ['sip'], 'sip must be a mapping', `Accepted keys: ${SIP_KEYS.join(', ')}.`)
  const s = r.sip as Record<string, unknown>
  checkKeys(d, ['sip'], s, SIP_KEYS)
  if (s.securityLog !== undefined && s.securityLog !== null && typeof s.securityLog !== 'string') throw errorAt(d, ['sip', 'securityLog'], 'sip.securityLog must be a file path', 'Example: securityLog: /var/log/asterisk/security.log')
  const ints: [keyof RawSip, number, number][] = [
    ['blockAfter', 1, 1000],
    ['blockWindowSeconds', 1, 86_400],
    ['blockSeconds', 1, 30 * 86_400],
  ]
  for (const [k, min, max] of ints) {
    const v = s[k]
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < min || (v as number) > max)) throw errorAt(d, ['sip', k], `sip.${k} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`)
  }
  if (s.neverBlock !== undefined) {
    if (!Array.isArray(s.neverBlock)) throw errorAt(d, ['sip', 'neverBlock'], 'sip.neverBlock must be a list of addresses', 'Example: neverBlock: [203.0.113.10]')
    s.neverBlock.forEach((a, i) => {
      if (typeof a !== 'string' || !/^[0-9a-fA-F.:]+$/.test(a)) throw errorAt(d, ['sip', 'neverBlock', i], `sip.neverBlock[${i}] must be an IP address, got ${JSON.stringify(a)}`)
    })
  }
}

/**
 * The guard's settings: the security log defaults to the sandbox's (its file is on this
 * machine) when the engine runs against the sandbox; the carrier's address is never
 * blocked there (on loopback it is every phone's address too).
 */
export function sipSettings(raw: RawSip | undefined, sandbox: SandboxState | undefined, env: NodeJS.ProcessEnv): GuardSettings {
  const sandboxLog = sandbox?.sip ? join(sandbox.root, sandbox.instanceDir, 'log', 'security.log') : null
  const log = env.CALLCTL_SIP_SECURITY_LOG ?? (raw?.securityLog === undefined ? sandboxLog : raw.securityLog)
  return {
    securityLog: log || null,
    blockAfter: raw?.blockAfter ?? DEFAULT_GUARD.blockAfter,
    windowS: raw?.blockWindowSeconds ?? DEFAULT_GUARD.windowS,
    blockForS: raw?.blockSeconds ?? DEFAULT_GUARD.blockForS,
    neverBlock: raw?.neverBlock ?? (sandbox?.sip ? [sandbox.sip.carrier.host] : []),
  }
}
