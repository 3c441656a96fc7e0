import {readFileSync} from 'node:fs'
import {ConfigError} from '../config/yaml-errors.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import type {Flow, PromptCatalog} from './flow.js'
import type {DeployedFlow, FlowRepository} from './flow-store.js'
import {checkFlow} from './parse-flow.js'

export interface ValidationReport {
  file: string
  valid: boolean
  flow: string | null
  nodes: number
  errors: {line: number; column: number; message: string; suggestion: string | null}[]
  /** What could not be checked (e.g. Asterisk sounds without a sandbox root). */
  notes: string[]
}

export function readFlowFile(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw new UserError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {exitCode: 2})
  }
}

/** Checks a flow file, including that its queues exist in the store. */
export async function validateFlowFile(file: string, catalog: PromptCatalog & {checksSounds?: boolean}, store?: Store): Promise<{report: ValidationReport; flow: Flow | null}> {
  const {flow, errors} = checkFlow(readFlowFile(file), file, catalog)
  const all: ConfigError[] = [...errors]
  const notes: string[] = []
  if (flow && store) {
    const queues = new Set((await store.listQueues()).map((q) => q.name))
    for (const [id, n] of Object.entries(flow.nodes)) {
      if (n.type === 'queue' && !queues.has(n.queue)) {
        all.push(new ConfigError(file, 0, 0, `node "${id}" sends calls to queue "${n.queue}", which does not exist (queues: ${[...queues].join(', ') || 'none'})`, `Create it: callctl queue add ${n.queue}`))
      }
    }
  }
  if (catalog.checksSounds === false) notes.push('Asterisk sound names were not checked: no sandbox root to list them from')
  return {
    flow: all.length === 0 ? flow : null,
    report: {
      file,
      valid: all.length === 0,
      flow: flow?.name ?? null,
      nodes: flow ? Object.keys(flow.nodes).length : 0,
      errors: all.map((e) => ({line: e.line, column: e.column, message: e.detail, suggestion: e.suggestion ?? null})),
      notes,
    },
  }
}

/** Deploys a valid flow for a DID ('*' = every number without its own flow). New calls use it at once. */
export async function deployFlow(file: string, did: string, flows: FlowRepository, catalog: PromptCatalog, store: Store, now: number): Promise<DeployedFlow> {
  if (did !== '*' && !/^[0-9A-Za-z+*#]{1,32}$/.test(did)) throw new UserError(`Invalid --did "${did}"`, {suggestion: 'A dialled number (digits, letters, + * #) or * for the default flow.', exitCode: 2})
  const {report, flow} = await validateFlowFile(file, catalog, store)
  if (!flow) {
    const first = report.errors[0]!
    throw new UserError(`${file}${first.line ? `:${first.line}:${first.column}` : ''}: ${first.message}${report.errors.length > 1 ? ` (and ${report.errors.length - 1} more: run callctl ivr validate ${file})` : ''}`, {
      suggestion: first.suggestion ?? undefined,
      exitCode: 2,
      code: 'invalid_flow',
    })
  }
  return flows.deploy(did, flow.name, readFlowFile(file), now)
}
