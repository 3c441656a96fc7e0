import {createRequire} from 'node:module'
import type {CountryCode, parsePhoneNumberFromString as Parse} from 'libphonenumber-js/max'

// Caller IDs arrive as whatever the trunk sends ("013812345678", "8613812345678",
// "+86 138 1234 5678") and contact files hold whatever people typed. Both must meet
// on one key, E.164, or a VIP calling from their mobile is not recognised.
//
// Numbering plans are libphonenumber-js's (Google's metadata for every country, kept up
// to date by its releases) instead of a table of our own: ours knew 30 countries by their
// lengths only, and let through numbers no operator assigns. It takes the "max" metadata:
// with "min", validity is the country's general pattern only, and a Chinese mobile number
// a digit short (1381234567) passes as valid.
//
// Loaded on first use, with require (its CommonJS build): its modules take ~100 ms to load,
// and every command reads the configuration that imports this file; only those that
// normalise a number (contacts, the engine's screen pop) should pay for it.

const require = createRequire(import.meta.url)
let parser: typeof Parse | undefined
let countries: ReadonlySet<string> | undefined

/** Loads the numbering plans now: the engine does, so its first caller's screen pop does not wait for them. */
export function loadNumberingPlans(): void {
  parse()
}

function parse(): typeof Parse {
  return (parser ??= (require('libphonenumber-js/max') as {parsePhoneNumberFromString: typeof Parse}).parsePhoneNumberFromString)
}

/** What an unknown default country is told instead of the list (some 245 codes). */
export const COUNTRY_HINT = 'Use an ISO 3166 alpha-2 country code, e.g. CN, HK, TW, SG, US, GB, DE, JP.'

/** Every ISO 3166 alpha-2 code with a numbering plan may be a default country. */
export function isSupportedCountry(code: string): boolean {
  // The metadata alone (a JSON file, not the parser): config checks use this.
  countries ??= new Set(Object.keys((require('libphonenumber-js/max/metadata') as {countries: Record<string, unknown>}).countries))
  return countries.has(code.toUpperCase())
}

// Anything longer is not a phone number, however it is formatted.
const MAX_INPUT = 64
// NFKC has already turned full-width digits, brackets and spaces into ASCII. The library
// would read digits out of letters and escapes ("138abc45678"); a caller ID with those
// is not a number, so they are refused before it sees them.
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
  // "+0086 …": a calling code never starts with 0 (the library would drop the zeros).
  if (/^\+[\s().\-/\u2010-\u2015]*0/.test(s)) return null
  const country = defaultCountry.toUpperCase()
  const international = s.startsWith('+')
  if (!international && !isSupportedCountry(country)) return null
  const found = valid(s, international ? undefined : (country as CountryCode))
  if (found) return found
  // "+86 010 …": people keep the trunk 0 after the country code; the plan never has it there.
  if (international) {
    const digits = s.replace(/\D/g, '')
    for (let len = 1; len <= 3; len++) {
      if (digits[len] !== '0') continue
      const retry = valid(`+${digits.slice(0, len)}${digits.slice(len + 1)}`, undefined)
      if (retry) return retry
    }
  }
  return null
}

function valid(text: string, country: CountryCode | undefined): string | null {
  const n = parse()(text, country ? {defaultCountry: country} : undefined)
  return n && n.isValid() ? n.number : null
}

/** What kind of number it is, for the outbound policy: its country and type (MOBILE, PREMIUM_RATE, ...); null when not a valid number. */
export function classifyNumber(raw: string, defaultCountry: string): {e164: string; country: string | null; type: string | null} | null {
  const e164 = normaliseNumber(raw, defaultCountry)
  if (!e164) return null
  const n = parse()(e164)
  return n ? {e164, country: n.country ?? null, type: n.getType() ?? null} : null
}
