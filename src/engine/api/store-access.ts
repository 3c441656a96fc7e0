import {existsSync, readFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {byField} from '../admin/admin.js'
import {repositoriesOf} from '../store/repositories.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import {shownName} from '../util/names.js'
import type {Paths} from '../util/paths.js'
import {ACCESS_POLICY, LOCAL_ADMIN, refusal, type Ownership, type Principal} from './access-policy.js'
import {Authenticator} from './authenticate.js'
import type {Method, ParamsOf} from './contract.js'

// Who a command that opens the store itself (agent pause, queue add, user token...) acts
// as. Without CALLCTL_TOKEN it is the local admin: whoever can open the store on the
// engine's host can change anything in it. With CALLCTL_TOKEN the command is that token's
// user, as it is when it goes through the engine: the token is checked against the users
// table the engine reads (the same Authenticator), the role against the same access
// policy, and the user is the `by` of what it writes. A user of another role who can read
// the store could unset the token; what this keeps is that a token never acts beyond its
// role by accident and the audit trail names who acted.

/** What a command does with the store: the API method it stands for, or configuration (admins only). */
export type StoreUse = {[M in Method]: {method: M; params: ParamsOf<M>}}[Method] | 'configure' | 'names'

/** Configuration: no API method stands for it; only an admin's token may. */
export const CONFIGURE: StoreUse = 'configure'

// The store has no live calls: a rule about the agent's own calls finds none.
const NO_CALLS: Ownership = {call: () => undefined}

/**
 * The user the command acts as, or a UserError: an unknown or revoked token (exit 2), a
 * role the use is not for (exit 1, worded as the engine's refusal).
 * 'names' is any valid user: only whether a queue or agent exists (a check before a request to the engine).
 */
export async function storeUser(store: Store, paths: Paths, use: StoreUse, env: NodeJS.ProcessEnv = process.env): Promise<Principal> {
  const token = env.CALLCTL_TOKEN?.trim()
  if (!token) return LOCAL_ADMIN
  const auth = new Authenticator(adminToken(paths))
  auth.users = repositoriesOf(store).users
  const result = await auth.authenticate(token)
  if (!result.ok) {
    if (result.reason === 'store') throw new Error(`The users table cannot be read: ${result.error}`)
    if (result.reason === 'revoked') {
      const name = shownName(result.user ?? '')
      throw new UserError(`CALLCTL_TOKEN was revoked or replaced (user ${name})`, {suggestion: `Ask an admin for a new one (callctl user token ${name}), or unset CALLCTL_TOKEN on the engine's host to act as the local admin.`, exitCode: 2, code: 'unauthorized'})
    }
    throw new UserError('CALLCTL_TOKEN is not the token of any user', {suggestion: "Ask an admin for one (callctl user token NAME), or unset CALLCTL_TOKEN on the engine's host to act as the local admin.", exitCode: 2, code: 'unauthorized'})
  }
  const who = result.who
  const refused = await storeRefusal(use, who)
  if (refused !== null) {
    const suggestion = use === 'configure' ? "Run it with an admin's token, or without CALLCTL_TOKEN on the engine's host (the local admin); callctl dashboard and callctl calls go through the engine for every role." : "callctl user list shows each user's role; an admin gives another by removing the user and adding it again."
    throw new UserError(`Forbidden: ${refused} (user ${shownName(who.user)})`, {suggestion, exitCode: 1, code: 'forbidden'})
  }
  return who
}

async function storeRefusal(use: StoreUse, who: Principal): Promise<string | null> {
  if (use === 'names' || who.role === 'admin') return null
  // Listings too (agent list, queue list...): the store has no narrowing, and the engine's views (dashboard, calls) serve every role.
  if (use === 'configure') return `role ${who.role} may not read or change the configuration in the store`
  const refused = await refusal(use.method, use.params, who, NO_CALLS)
  if (refused !== null || who.role !== 'agent') return refused
  // The engine narrows what an agent sees ('narrow', 'handler'); the store has no such cut, so only the agent's own presence goes.
  const access = ACCESS_POLICY[use.method].agent
  return access === 'own agent' || access === 'all' ? null : `role agent may call ${use.method} only through the engine`
}

/** The local admin's token (the engine writes it); a random one when there is none, which no token equals. */
function adminToken(paths: Paths): string {
  return existsSync(paths.apiTokenFile) ? readFileSync(paths.apiTokenFile, 'utf8').trim() || randomBytes(32).toString('hex') : randomBytes(32).toString('hex')
}

/** The `by` of what a command writes as `who`: the token's user; nobody named without a token (the local admin's events stay as they were). */
export function byOf(who: Principal): string | undefined {
  return who === LOCAL_ADMIN ? undefined : who.user
}

/** byOf as an optional field (exactOptionalPropertyTypes): `{by}` for a token's user, `{}` for the local admin. */
export function byFlag(who: Principal): {by?: string} {
  return byField(byOf(who))
}
