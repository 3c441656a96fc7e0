import type {UserResult, UserView} from '../engine/users/users.js'
import {fields, table} from './render.js'

// How `callctl user ...` shows users to people (--json prints the results as they are).

const when = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z').replace('T', ' '))

export function renderUserList(users: readonly UserView[]): string {
  if (users.length === 0) return 'No users. Add one with: callctl user add alice --role supervisor (the admin token file works meanwhile).'
  return table(users, [
    {header: 'USER', get: (u) => u.name},
    {header: 'ROLE', get: (u) => u.role},
    {header: 'AGENT', get: (u) => u.agent ?? ''},
    {header: 'TOKEN', get: (u) => (u.hasToken ? `issued ${when(u.tokenIssuedAt)}` : 'none (revoked)')},
    {header: 'ADDED', get: (u) => when(u.createdAt)},
  ])
}

export function renderUserResult(r: UserResult): string {
  const u = r.user
  const head = {
    added: `User ${u.name} added.`,
    removed: `User ${u.name} removed; its token no longer works.`,
    'token-issued': `New token for ${u.name}; the old one no longer works.`,
    'token-revoked': `Token of ${u.name} revoked; it has none now (a new one: callctl user token ${u.name}).`,
  }[r.action]
  const lines = [head]
  // One block, so the token's value lines up with the others.
  if (r.action !== 'removed') lines.push(fields({user: u.name, role: u.role, ...(u.agent ? {agent: u.agent} : {}), ...(r.token ? {token: r.token} : {})}))
  if (r.token) lines.push('The token is shown once and kept only as a hash. The user sets it as CALLCTL_TOKEN (or sends it as "token").')
  return lines.join('\n')
}
