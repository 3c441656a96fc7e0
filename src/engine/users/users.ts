import {repositoriesOf} from '../store/repositories.js'
import type {NewEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import {canonicalName, IDENTIFIER_PART, IDENTIFIER_START, nameKey, nameProblem, shownName} from '../util/names.js'
import {isRole, LOCAL_ADMIN, ROLES, type Role} from './roles.js'
import {newToken, tokenHash} from './tokens.js'
import type {UserRecord} from './user-store.js'

// `callctl user add | list | remove | token`: the people who use the engine's API, their
// roles and tokens. Written to the store by the CLI (like agents and queues); the running
// engine reads a token's user on every request (api/authenticate.ts), so a change here
// holds from the engine's next request on.

/** A user as the CLI shows it: never its token's hash. */
export interface UserView {
  name: string
  role: Role
  agent: string | null
  /** Whether the user has a token that works. */
  hasToken: boolean
  tokenIssuedAt: number | null
  createdAt: number
}

export interface UserResult {
  user: UserView
  /** The new token, shown this once (null when none was issued). */
  token: string | null
  /** What the command did. */
  action: 'added' | 'removed' | 'token-issued' | 'token-revoked'
}

const NAME = new RegExp(`^[${IDENTIFIER_START}][${IDENTIFIER_PART}]*$`, 'u')
const NAME_MAX = 64
/** Who the CLI acts as in the audit trail without a token: whoever can write the store is the local admin. */
const BY = LOCAL_ADMIN.user

export function userView(u: UserRecord): UserView {
  return {name: u.name, role: u.role, agent: u.agent, hasToken: u.tokenHash !== null, tokenIssuedAt: u.tokenIssuedAt, createdAt: u.createdAt}
}

/** A user name in its stored form, or a UserError saying what is wrong with it. */
export function checkUserName(raw: string): string {
  const problem = nameProblem(raw, NAME_MAX)
  const name = canonicalName(raw)
  if (problem || !NAME.test(name)) {
    throw new UserError(`Invalid user name "${shownName(raw)}"`, {
      suggestion: `${problem ? `The name ${problem}. ` : ''}Use up to ${NAME_MAX} letters (any script), digits, "_", "." or "-", e.g. alice or 王芳.`,
      exitCode: 2,
      code: 'invalid_name',
    })
  }
  if (nameKey(name).toLowerCase() === LOCAL_ADMIN.user) {
    throw new UserError(`"${name}" is the local admin (the token file secrets/api-token), not a user to add`, {suggestion: 'Choose another name, e.g. alice; give it --role admin.', exitCode: 2, code: 'invalid_name'})
  }
  return name
}

function checkRole(raw: string): Role {
  if (isRole(raw)) return raw
  throw new UserError(`Unknown role "${shownName(raw)}"`, {suggestion: `Roles: ${ROLES.join(', ')}.`, exitCode: 2, code: 'invalid_role'})
}

/** `by`: the admin who adds it (the user of CALLCTL_TOKEN; the local admin without one), as in every user.* event. */
export async function addUser(store: Store, input: {name: string; role: string; agent?: string; by?: string}, now = Date.now()): Promise<UserResult> {
  const name = checkUserName(input.name)
  const role = checkRole(input.role)
  const users = repositoriesOf(store).users
  let agent: string | null = null
  if (role === 'agent') {
    if (input.agent === undefined) throw new UserError(`A user of the agent role acts as one agent: give it with --agent`, {suggestion: `callctl user add ${name} --role agent --agent 1001 (callctl agent list shows the agents)`, exitCode: 2, code: 'missing_agent'})
    const a = await store.getAgent(input.agent)
    if (!a) throw new UserError(`Agent "${shownName(input.agent)}" does not exist`, {suggestion: `Add it first (callctl agent add ${shownName(input.agent)}), or see callctl agent list.`, exitCode: 1, code: 'not_found'})
    agent = a.id
  } else if (input.agent !== undefined) {
    throw new UserError(`--agent is for the agent role; a ${role} acts as no agent`, {suggestion: `Leave out --agent, or use --role agent.`, exitCode: 2, code: 'invalid_flag'})
  }
  const same = (await users.list()).find((u) => nameKey(u.name) === nameKey(name))
  if (same) {
    throw new UserError(`User "${same.name}" already exists (${same.role}${same.agent ? `, agent ${same.agent}` : ''})`, {
      suggestion: `Give it a new token with: callctl user token ${same.name}; or remove it first (callctl user remove ${same.name}) to add it with another role.`,
      exitCode: 1,
      code: 'exists',
    })
  }
  const token = newToken()
  const record: UserRecord = {name, role, agent, tokenHash: tokenHash(token), oldTokenHash: null, tokenIssuedAt: now, createdAt: now, updatedAt: now}
  await users.save(record, event('user.added', name, now, {role, ...(agent ? {agent} : {})}, input.by))
  return {user: userView(record), token, action: 'added'}
}

export async function listUsers(store: Store): Promise<UserView[]> {
  return (await repositoriesOf(store).users.list()).map(userView)
}

export async function removeUser(store: Store, rawName: string, now = Date.now(), by = BY): Promise<UserResult> {
  const users = repositoriesOf(store).users
  const u = await mustUser(users, rawName)
  await users.remove(u.name, event('user.removed', u.name, now, {}, by))
  return {user: {...userView(u), hasToken: false}, token: null, action: 'removed'}
}

/** A new token for the user (the old one stops working at once), or with `revoke` none at all. */
export async function issueToken(store: Store, rawName: string, o: {revoke?: boolean; by?: string} = {}, now = Date.now()): Promise<UserResult> {
  const users = repositoriesOf(store).users
  const u = await mustUser(users, rawName)
  const token = o.revoke ? null : newToken()
  const record: UserRecord = {...u, tokenHash: token ? tokenHash(token) : null, oldTokenHash: u.tokenHash ?? u.oldTokenHash, tokenIssuedAt: token ? now : u.tokenIssuedAt, updatedAt: now}
  await users.save(record, event(token ? 'user.token_issued' : 'user.token_revoked', u.name, now, {}, o.by))
  return {user: userView(record), token, action: token ? 'token-issued' : 'token-revoked'}
}

async function mustUser(users: ReturnType<typeof repositoriesOf>['users'], rawName: string): Promise<UserRecord> {
  const key = nameKey(canonicalName(rawName))
  const u = (await users.get(canonicalName(rawName))) ?? (await users.list()).find((x) => nameKey(x.name) === key)
  if (!u) throw new UserError(`No user "${shownName(rawName)}"`, {suggestion: 'See callctl user list.', exitCode: 1, code: 'not_found'})
  return u
}

/** No agent column: user.* events are about the user, and an agent's own events are its calls and presence. */
function event(type: NewEvent['type'], user: string, ts: number, data: Record<string, unknown>, by = BY): NewEvent {
  return {type, ts, origin: 'cli', data: {user, ...data, by}}
}
