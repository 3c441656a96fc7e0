import {classifyNumber} from '../contacts/phone-number.js'

// Which numbers the center may call (click-to-call, transfers and consultations to a
// number, callbacks): a stolen phone password or a caller ID spoofed to a premium number
// asking for a callback must not be able to run up a bill (toll fraud). Rules, any of
// which allows a number:
//   national       a valid number of the home country (defaultCountry) that is not premium
//   mobile, fixed, tollfree   narrower kinds of those
//   international  a valid number of another country that is not premium
//   premium        premium-rate and personal numbers
//   any            everything
//   +8610*, 400*   a prefix of the number as dialled or in E.164 (* at the end), or a whole number
// The policy is the queue's outboundAllow when it has one, else the config's outbound.allow.

export const OUTBOUND_RULE_HINT = 'Rules: national, mobile, fixed, tollfree, international, premium, any, or a number prefix ending in * such as +86138* or 400*.'
const KINDS = new Set(['national', 'mobile', 'fixed', 'tollfree', 'international', 'premium', 'any'])
// Premium rate (the caller pays the callee's revenue) and personal numbers (UK 070,
// forwarded anywhere at a premium) are the toll-fraud numbers. Shared-cost and universal
// access numbers (China's 400, UK 084) cost a local call: businesses, national.
const PREMIUM = new Set(['PREMIUM_RATE', 'PERSONAL_NUMBER'])
const FIXED = new Set(['FIXED_LINE', 'FIXED_LINE_OR_MOBILE'])
const MOBILE = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE'])

/** Why a rule is not one, or null. */
export function checkOutboundRule(rule: unknown): string | null {
  if (typeof rule !== 'string' || rule === '') return 'must be a rule name or a number prefix'
  if (KINDS.has(rule)) return null
  if (/^\+?[0-9]{1,20}\*?$/.test(rule)) return null
  return `"${rule}" is not a rule`
}

export type OutboundVerdict = {allowed: true} | {allowed: false; why: string}

export function checkOutbound(number: string, rules: readonly string[], defaultCountry: string): OutboundVerdict {
  const dialled = number.replace(/[\s().-]/g, '')
  if (rules.includes('any')) return {allowed: true}
  const c = classifyNumber(dialled, defaultCountry)
  for (const r of rules) {
    if (!KINDS.has(r) && prefixMatches(r, dialled, c?.e164 ?? null)) return {allowed: true}
  }
  if (!c) return {allowed: false, why: `${dialled} is not a valid number and no prefix rule allows it`}
  const premium = c.type !== null && PREMIUM.has(c.type)
  const home = c.country === defaultCountry.toUpperCase()
  if (premium) return rules.includes('premium') ? {allowed: true} : {allowed: false, why: `${c.e164} is a premium-rate or personal number (allow it with the rule premium)`}
  if (!home) return rules.includes('international') ? {allowed: true} : {allowed: false, why: `${c.e164} is international (${c.country ?? 'unknown country'}; allow it with the rule international)`}
  if (rules.includes('national')) return {allowed: true}
  if (rules.includes('mobile') && c.type !== null && MOBILE.has(c.type)) return {allowed: true}
  if (rules.includes('fixed') && c.type !== null && FIXED.has(c.type)) return {allowed: true}
  if (rules.includes('tollfree') && c.type === 'TOLL_FREE') return {allowed: true}
  return {allowed: false, why: `${c.e164} (${(c.type ?? 'unknown kind').toLowerCase().replace(/_/g, ' ')}) is not allowed by ${rules.join(', ') || 'no rule'}`}
}

function prefixMatches(rule: string, dialled: string, e164: string | null): boolean {
  const whole = !rule.endsWith('*')
  const p = whole ? rule : rule.slice(0, -1)
  const hit = (s: string | null) => s !== null && (whole ? s === p : s.startsWith(p))
  return hit(dialled) || hit(e164)
}

/** The default: a real trunk may call national numbers; the sandbox's simulated customers cost nothing. */
export function defaultOutboundRules(dialString: string): string[] {
  return dialString.includes('@callctl-sim-callee') ? ['any'] : ['national']
}

/**
 * The verdict for a call of this engine: the queue's rules when it has some, else the
 * engine's (config outbound.allow); an engine given none allows any (tests, embedding).
 * A refusal is logged (call.outbound_refused) by the caller, who knows who asked.
 */
export function outboundVerdict(o: {allow?: readonly string[]; defaultCountry?: string}, queueRules: readonly string[] | undefined, number: string): OutboundVerdict {
  const rules = queueRules && queueRules.length > 0 ? queueRules : o.allow
  if (!rules) return {allowed: true}
  return checkOutbound(number, rules, o.defaultCountry ?? 'CN')
}
