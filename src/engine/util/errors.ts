/**
 * A mistake the user can fix: printed as one line plus a suggestion, no stack trace.
 * Everything else that escapes a command is a bug and keeps its stack.
 */
export class UserError extends Error {
  readonly suggestion: string | undefined
  readonly exitCode: number
  readonly code: string

  constructor(message: string, opts: {suggestion?: string; exitCode?: number; code?: string} = {}) {
    super(message)
    this.name = 'UserError'
    this.suggestion = opts.suggestion
    this.exitCode = opts.exitCode ?? 1
    this.code = opts.code ?? 'user_error'
  }
}

/** The reader of standard output closed it (\`| head\`) before the command had written all. */
export class ClosedOutput extends Error {
  readonly code = 'EPIPE'
  constructor() {
    super('standard output was closed')
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
