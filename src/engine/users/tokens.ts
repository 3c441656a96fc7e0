import {createHash, randomBytes} from 'node:crypto'

// A user's API token: 32 random bytes (256 bits), shown once when issued and kept only as
// its SHA-256. A fast hash is right here and a slow one (scrypt, argon2) would be wrong:
// slow hashes exist to make guessing a low-entropy password from its hash expensive, but a
// 256-bit random token cannot be guessed however fast each try is, and the engine looks
// the hash up on every request, where a deliberately slow hash would cost tens of
// milliseconds of CPU per request. A password chosen by a person would need the slow one.

const PREFIX = 'cct_'

/** A new token: cct_ and 43 base64url characters (256 bits). */
export function newToken(): string {
  return PREFIX + randomBytes(32).toString('base64url')
}

/** Whether a string has the shape of a token newToken() makes. */
export function isUserToken(s: string): boolean {
  return /^cct_[A-Za-z0-9_-]{43}$/.test(s)
}

/** What the store keeps of a token (hex SHA-256): enough to recognise it, not to use it. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}
