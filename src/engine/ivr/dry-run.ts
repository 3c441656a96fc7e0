import type {Flow} from './flow.js'
import {runFlow, type CallerContact, type IvrOutcome} from './interpreter.js'

export interface DryRunStep {
  node: string
  kind: string
  prompts?: string[]
  keys?: string
  result?: 'choice' | 'collected' | 'invalid' | 'timeout'
}

export interface DryRunResult {
  flow: string
  at: string
  steps: DryRunStep[]
  keyTrail: string[]
  outcome: IvrOutcome
  /** Inputs given but never asked for. */
  unusedInputs: string[]
}

/**
 * Walks a flow without Asterisk: each input answers one question (a menu or a collect);
 * "" or "-" is silence (timeout). Prompts are listed, not played.
 */
export async function dryRun(flow: Flow, o: {inputs: string[]; at: Date; caller?: {number: string; name: string}; did?: string; contact?: CallerContact | null}): Promise<DryRunResult> {
  const inputs = [...o.inputs]
  const steps: DryRunStep[] = []
  const keyTrail: string[] = []
  const outcome = await runFlow(
    flow,
    {
      async play(prompts) {
        const last = steps.at(-1)
        if (last) last.prompts = [...(last.prompts ?? []), ...prompts]
      },
      async readDigits({terminator, max}) {
        const next = inputs.shift()
        if (next === undefined || next === '' || next === '-') return {digits: '', timedOut: true}
        // As on a live call, the terminator ends the entry wherever it comes.
        const end = terminator ? next.indexOf(terminator) : -1
        const digits = end >= 0 ? next.slice(0, end) : next
        return {digits: digits.slice(0, max), timedOut: false}
      },
      async lookupContact() {
        return o.contact ?? null
      },
      now: () => o.at,
    },
    {caller: o.caller ?? {number: '', name: ''}, did: o.did ?? '', contact: o.contact ?? null, language: o.contact?.language || flow.language, vars: {}, priority: 0, tags: [], skills: null},
    {
      node: (id, node) => steps.push({node: id, kind: node.type}),
      keys: (id, keys, result) => {
        keyTrail.push(`${id}:${keys}`)
        const s = steps.at(-1)
        if (s && s.node === id) {
          s.keys = s.keys ? `${s.keys},${keys}` : keys
          s.result = result
        }
      },
      timeout: (id) => {
        const s = steps.at(-1)
        if (s && s.node === id && !s.keys) s.result = 'timeout'
      },
    },
  )
  return {flow: flow.name, at: o.at.toISOString(), steps, keyTrail, outcome, unusedInputs: inputs}
}
