import {readFileSync} from 'node:fs'
import {UserError} from '../../util/errors.js'
import type {KnowledgeBase} from '../../kb/knowledge-base.js'
import type {ChatFlow} from './chat-flow.js'
import {continueFlow, startFlow, type CustomerInput, type FlowDeps, type FlowEnd, type FlowPosition, type FlowStep, type KbAnswer} from './flow-runner.js'
import {bestKbAnswer} from './kb-answer.js'
import {parseChatFlow} from './parse-chat-flow.js'

// A conversation flow run offline (callctl chat test): the same runner the engine uses,
// fed lines as a customer would type them, with the store's knowledge base and a clock
// that may be fixed (business hours).

/** Reads and checks a flow file; a missing file is the user's to fix. */
export function loadChatFlowFile(file: string): ChatFlow {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UserError(`Cannot read the chat flow ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {suggestion: 'Check the path (chat.flow in the config).', exitCode: 2, code: 'invalid_flow'})
  }
  return parseChatFlow(text, file)
}

export interface FlowTurn {
  /** What the customer sent (null: the conversation's start). */
  input: CustomerInput | null
  said: FlowStep['said']
  nodes: string[]
  kb: FlowStep['kbAnswered']
  feedback: FlowStep['kbFeedback']
  end: FlowEnd | null
}

export class FlowSession {
  private at: FlowPosition | null = null
  private ended: FlowEnd | null = null
  readonly turns: FlowTurn[] = []

  constructor(
    readonly flow: ChatFlow,
    private readonly deps: FlowDeps,
  ) {}

  get end(): FlowEnd | null {
    return this.ended
  }

  async start(): Promise<FlowTurn> {
    return this.turn(null, await startFlow(this.flow, this.deps))
  }

  /** One line as typed: `[key]` presses the button `key`, anything else is text. */
  async say(line: string): Promise<FlowTurn> {
    if (this.ended) throw new UserError('The flow has ended: no more input is read', {exitCode: 1, code: 'flow_ended'})
    const button = /^\[(.+)\]$/.exec(line.trim())
    const input: CustomerInput = button ? {payload: button[1]!} : {text: line}
    const step = this.at ? await continueFlow(this.flow, this.at, input, this.deps) : await startFlow(this.flow, this.deps)
    return this.turn(input, step)
  }

  private turn(input: CustomerInput | null, step: FlowStep): FlowTurn {
    this.at = step.at
    this.ended = step.end
    const t: FlowTurn = {input, said: step.said, nodes: step.visited.map((v) => v.node), kb: step.kbAnswered, feedback: step.kbFeedback, end: step.end}
    this.turns.push(t)
    return t
  }
}

/** The runner's dependencies offline: a fixed or real clock, the store's knowledge base. */
export function offlineDeps(o: {at?: number; kb?: KnowledgeBase | null}): FlowDeps {
  return {
    now: () => new Date(o.at ?? Date.now()),
    searchKb: async (question, tag): Promise<KbAnswer | null> => (o.kb ? bestKbAnswer(o.kb, question, tag) : null),
  }
}
