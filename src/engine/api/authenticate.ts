import {timingSafeEqual} from 'node:crypto'
import {LOCAL_ADMIN, type Principal} from '../users/roles.js'
import {isUserToken, tokenHash} from '../users/tokens.js'
import type {UserRecord} from '../users/user-store.js'

// Who a request's token belongs to. The admin token file (secrets/api-token, 0600 on the
// engine's host) is the local admin; any other token is looked up by its hash in the
// users table on every request. No cache stands between a request and the table: `callctl
// user token NAME` writes the table from another process, and the very next request with
// the old token must be refused. The lookup is one indexed read (microseconds in SQLite, a
// round trip on PostgreSQL). Only when the store cannot be read does an answer seen
// before stand in, so an outage of the database does not lock every user out (a token
// changed during such an outage cannot have been written anyway: the change goes through
// the same store).

export type Authentication = {ok: true; who: Principal} | {ok: false; reason: 'missing' | 'unknown' | 'revoked'; user?: string} | {ok: false; reason: 'store'; error: string}

export interface TokenUsers {
  byTokenHash(hash: string): Promise<UserRecord | undefined>
}

const REMEMBERED = 10_000

export class Authenticator {
  private readonly admin: Buffer
  /** Users looked up (null until the store is open: only the admin token works until then). */
  users: TokenUsers | null = null
  /** The last answer per token hash, used only while the store cannot be read. */
  private readonly lastSeen = new Map<string, Principal | null>()

  constructor(adminToken: string) {
    this.admin = Buffer.from(adminToken)
  }

  async authenticate(token: unknown): Promise<Authentication> {
    if (typeof token !== 'string' || token === '') return {ok: false, reason: 'missing'}
    const t = Buffer.from(token)
    if (t.length === this.admin.length && timingSafeEqual(t, this.admin)) return {ok: true, who: LOCAL_ADMIN}
    // Not the shape of a token callctl issues: no query for it (a client sending garbage costs the store nothing).
    if (!this.users || !isUserToken(token)) return {ok: false, reason: 'unknown'}
    const hash = tokenHash(token)
    let user: UserRecord | undefined
    try {
      user = await this.users.byTokenHash(hash)
    } catch (err) {
      const seen = this.lastSeen.get(hash)
      if (seen) return {ok: true, who: seen}
      return {ok: false, reason: 'store', error: String(err)}
    }
    const who = user && user.tokenHash === hash ? principalOf(user) : null
    this.remember(hash, who)
    if (who) return {ok: true, who}
    return user ? {ok: false, reason: 'revoked', user: user.name} : {ok: false, reason: 'unknown'}
  }

  private remember(hash: string, who: Principal | null): void {
    if (who === null) {
      this.lastSeen.delete(hash)
      return
    }
    if (this.lastSeen.size >= REMEMBERED && !this.lastSeen.has(hash)) this.lastSeen.delete(this.lastSeen.keys().next().value!)
    this.lastSeen.set(hash, who)
  }
}

export function principalOf(u: UserRecord): Principal {
  return {user: u.name, role: u.role, agent: u.role === 'agent' ? u.agent : null}
}
