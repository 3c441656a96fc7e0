// The roles a callctl user has, and who a request comes from once its token is checked.
// Kept apart from the API so the store and the CLI name roles without importing the server.

export const ROLES = ['admin', 'supervisor', 'agent'] as const
export type Role = (typeof ROLES)[number]

export function isRole(x: unknown): x is Role {
  return typeof x === 'string' && (ROLES as readonly string[]).includes(x)
}

/** Who a request comes from, as its token says (never as its params say). */
export interface Principal {
  user: string
  role: Role
  /** The agent a user of the agent role acts as (null for the others). */
  agent: string | null
}

/** The user of the 0600 admin token file on the engine's host (secrets/api-token): the local admin convenience. */
export const LOCAL_ADMIN: Principal = {user: 'admin', role: 'admin', agent: null}
