import {userInfo} from 'node:os'

/** Who runs this command, for the audit trail (self-declared: the API token is shared). */
export function whoAmI(): string {
  try {
    return process.env.CALLCTL_USER || userInfo().username
  } catch {
    return 'unknown'
  }
}
