// Caller IDs arrive as whatever the trunk sends ("013812345678", "8613812345678",
// "+86 138 1234 5678") and contact files hold whatever people typed. Both must meet
// on one key, E.164, or a VIP calling from their mobile is not recognised.

interface NumberingPlan {
  /** Country calling code. */
  cc: string
  /** National trunk prefix, dialled before the area code inside the country but never part of E.164. */
  trunk?: string
  /** International prefixes other than the common "00", longest first. */
  idd?: readonly string[]
  /** Length range of the national significant number (after the calling code). */
  nsn: readonly [number, number]
  pattern?: RegExp
}

const NANP: NumberingPlan = {cc: '1', trunk: '1', idd: ['011'], nsn: [10, 10], pattern: /^[2-9]\d{2}[2-9]\d{6}$/}

const PLANS: Readonly<Record<string, NumberingPlan>> = {
  // Mobiles (1[3-9]) are dialled without the trunk 0; Beijing's area code is 10.
  CN: {cc: '86', trunk: '0', nsn: [10, 11], pattern: /^(?:1[3-9]\d{9}|10\d{8}|[2-9]\d{9,10})$/},
  US: NANP,
  CA: NANP,
  GB: {cc: '44', trunk: '0', nsn: [9, 10]},
  DE: {cc: '49', trunk: '0', nsn: [6, 13]},
  FR: {cc: '33', trunk: '0', nsn: [9, 9]},
  // Italian landline numbers keep their leading 0 in E.164: Italy has no trunk prefix.
  IT: {cc: '39', nsn: [6, 11]},
  ES: {cc: '34', nsn: [9, 9]},
  NL: {cc: '31', trunk: '0', nsn: [9, 9]},
  CH: {cc: '41', trunk: '0', nsn: [9, 9]},
  SE: {cc: '46', trunk: '0', nsn: [7, 13]},
  RU: {cc: '7', trunk: '8', idd: ['810'], nsn: [10, 10]},
  JP: {cc: '81', trunk: '0', idd: ['010'], nsn: [9, 10]},
  KR: {cc: '82', trunk: '0', idd: ['00700', '001', '002'], nsn: [8, 10]},
  HK: {cc: '852', idd: ['001'], nsn: [8, 8]},
  MO: {cc: '853', nsn: [8, 8]},
  TW: {cc: '886', trunk: '0', idd: ['002'], nsn: [8, 9]},
  SG: {cc: '65', idd: ['000', '001'], nsn: [8, 8]},
  MY: {cc: '60', trunk: '0', nsn: [9, 10]},
  TH: {cc: '66', trunk: '0', idd: ['001'], nsn: [8, 9]},
  VN: {cc: '84', trunk: '0', nsn: [9, 10]},
  PH: {cc: '63', trunk: '0', nsn: [8, 10]},
  ID: {cc: '62', trunk: '0', nsn: [8, 12]},
  IN: {cc: '91', trunk: '0', nsn: [10, 10]},
  AU: {cc: '61', trunk: '0', idd: ['0011'], nsn: [9, 9]},
  NZ: {cc: '64', trunk: '0', nsn: [8, 10]},
  BR: {cc: '55', trunk: '0', nsn: [10, 11]},
  MX: {cc: '52', nsn: [10, 10]},
  AE: {cc: '971', trunk: '0', nsn: [8, 9]},
}

const BY_CALLING_CODE = new Map<string, NumberingPlan>(Object.values(PLANS).map((p) => [p.cc, p]))

export const SUPPORTED_COUNTRIES: readonly string[] = Object.keys(PLANS)

export function isSupportedCountry(code: string): boolean {
  return Object.hasOwn(PLANS, code.toUpperCase())
}

const E164_MAX_DIGITS = 15
// Shortest real international numbers (small island states) have 7 digits with the code.
const E164_MIN_DIGITS = 7
// Anything longer is not a phone number, however it is formatted.
const MAX_INPUT = 64
// NFKC has already turned full-width digits, brackets and spaces into ASCII.
const ALLOWED = /^\+?[0-9 ().\-/\u2010-\u2015]+$/

/**
 * The E.164 form (+8613812345678) of a number written nationally for `defaultCountry`
 * (ISO 3166 alpha-2) or internationally (+, 00 or the country's own exit code);
 * null when it cannot be a valid number.
 */
export function normaliseNumber(raw: unknown, defaultCountry: string): string | null {
  if (typeof raw !== 'string' || raw.length > MAX_INPUT) return null
  let s = raw.normalize('NFKC').trim().replace(/^tel:/i, '')
  // "+44 (0)20 …": the bracketed trunk digit is only dialled from inside the country.
  s = s.replace(/\(0\)/, '')
  if (!ALLOWED.test(s)) return null
  const international = s.startsWith('+')
  const digits = s.replace(/\D/g, '')
  if (digits.length === 0 || digits.length > E164_MAX_DIGITS + 5) return null
  if (international) return fromInternational(digits)
  const plan = PLANS[defaultCountry.toUpperCase()]
  const exit = [...(plan?.idd ?? []), '00'].find((p) => digits.startsWith(p))
  if (exit) return fromInternational(digits.slice(exit.length))
  return plan ? fromNational(digits, plan) : null
}

function fromInternational(digits: string): string | null {
  if (!/^[1-9]/.test(digits) || digits.length > E164_MAX_DIGITS || digits.length < E164_MIN_DIGITS) return null
  for (const len of [1, 2, 3]) {
    const plan = BY_CALLING_CODE.get(digits.slice(0, len))
    if (!plan) continue
    let nsn = digits.slice(len)
    // "+86 010 …": people keep the trunk prefix after the country code.
    if (plan.trunk && nsn.startsWith(plan.trunk) && !validNsn(plan, nsn)) nsn = nsn.slice(plan.trunk.length)
    return validNsn(plan, nsn) ? `+${plan.cc}${nsn}` : null
  }
  // A calling code outside our table: only the E.164 length rules can be checked.
  return `+${digits}`
}

function fromNational(digits: string, plan: NumberingPlan): string | null {
  const candidates = [
    plan.trunk && digits.startsWith(plan.trunk) ? digits.slice(plan.trunk.length) : null,
    digits,
    // Trunks often deliver the country code without "+" (8613812345678).
    digits.startsWith(plan.cc) ? digits.slice(plan.cc.length) : null,
  ]
  const nsn = candidates.find((c) => c !== null && validNsn(plan, c))
  return nsn ? `+${plan.cc}${nsn}` : null
}

function validNsn(plan: NumberingPlan, nsn: string): boolean {
  if (nsn.length < plan.nsn[0] || nsn.length > plan.nsn[1]) return false
  if (plan.cc.length + nsn.length > E164_MAX_DIGITS) return false
  // The trunk 0 is never the first digit of a national significant number.
  if (plan.trunk === '0' && nsn.startsWith('0')) return false
  return plan.pattern ? plan.pattern.test(nsn) : true
}
