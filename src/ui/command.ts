import {Command, type Interfaces} from '@oclif/core'
import {sqliteFailure} from '../engine/store/sqlite-errors.js'
import {ClosedOutput, isUserError} from '../engine/util/errors.js'
import {jsonText} from '../engine/util/json-text.js'
import {safeText} from '../engine/util/text.js'
import {toJsonContract} from './json-contract.js'
import {isParseError, usageError} from './usage-error.js'

/**
 * Every callctl command: `execute` returns a typed result, `--json` prints it in the one
 * JSON contract of docs/json.md (json-contract.ts), otherwise `render` prints it for
 * people. A UserError becomes one line plus a hint and its exit code; anything else is
 * a bug and keeps its stack trace.
 */
export abstract class CallctlCommand<T> extends Command {
  static enableJsonFlag = true
  /**
   * The result is a document in a format of its own (JSON Schema), printed as it is: the
   * one JSON contract of docs/json.md would rename its keywords (additionalProperties).
   */
  static ownJsonFormat = false

  protected abstract execute(): Promise<T>
  protected abstract render(result: T): void

  /** Commands whose result is a stream of records print one JSON object per line with --json. */
  protected jsonLines(_result: T): readonly unknown[] | undefined {
    return undefined
  }

  async run(): Promise<T> {
    const result = await this.execute()
    if (!this.jsonEnabled()) {
      this.render(result)
      return result
    }
    const lines = this.jsonLines(result)
    if (!lines) return result
    for (const l of lines) process.stdout.write(jsonText(toJsonContract(l)) + '\n')
    return undefined as T
  }

  /** What oclif prints for --json: the result in the one contract (snake_case, seconds, ISO times). */
  protected override toSuccessJson(result: unknown): unknown {
    return (this.constructor as typeof CallctlCommand).ownJsonFormat ? result : toJsonContract(result)
  }

  /** oclif prints the --json result here: through jsonText, so caller text stays inert (no raw C1 or bidi). */
  protected override logJson(json: unknown): void {
    // console.log, as oclif's own logJson writes (a closed pipe is not an error there).
    console.log(jsonText(json, 2))
  }

  /** A missing or extra argument, an unknown flag, a bad value: one line with the usage, not the whole help. */
  protected override async parse<F extends {[name: string]: any}, B extends {[name: string]: any}, A extends {[name: string]: any}>(options?: Interfaces.Input<F, B, A>, argv?: string[]): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv)
    } catch (err) {
      throw isParseError(err) ? usageError(err, this) : err
    }
  }

  protected print(text: string): void {
    this.log(text)
  }

  protected override async catch(thrown: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // A write the disk refused (read-only, full, locked past the wait, I/O error) reaches
    // here as a bare SqliteError. It is mapped once, here, not in the store: the engine
    // must keep the raw error to buffer its events and retry (a runtime condition there,
    // not the end of a command), and the ticket, user and KB stores write through the
    // same connection outside SqliteStore's methods, so only this boundary sees them all.
    const err = sqliteFailure(thrown) ?? thrown
    if (isUserError(err)) {
      if (this.jsonEnabled()) {
        process.stdout.write(jsonText({error: {code: err.code, message: err.message, suggestion: err.suggestion ?? null}}) + '\n')
      } else {
        process.stderr.write(`Error: ${safeText(err.message, 2000)}\n`)
        if (err.suggestion) process.stderr.write(`  Try: ${safeText(err.suggestion, 2000)}\n`)
      }
      this.exit(err.exitCode)
    }
    // `| head` has what it wanted: end quietly, as a pipe's writer does (128 + SIGPIPE).
    if (err instanceof ClosedOutput) this.exit(141)
    // oclif's own other errors (exit, --help) keep oclif's handling.
    if (err.oclif) throw err
    process.stderr.write(`callctl bug: ${err.stack ?? err.message}\n`)
    this.exit(70)
  }
}
