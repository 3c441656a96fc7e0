import {isOpen} from '../../ivr/hours.js'
import type {ChatFlow, ChatNode, MenuChoice} from './chat-flow.js'

// Runs a conversation flow: from where it waits, with what the customer sent, to where it
// waits next (or hands over to a queue, or closes), saying what the nodes say on the way.
// No I/O but the knowledge-base search it is given; the chat core records what it returns,
// and `callctl chat test` runs the same code in a terminal.

/** Where the flow waits for the customer. */
export interface FlowPosition {
  node: string
  awaiting: 'choice' | 'question' | 'feedback'
  /** The knowledge-base entry answered, while asking whether it helped. */
  entry?: number
}

export interface Said {
  kind: 'text' | 'buttons'
  text: string
  buttons?: {key: string; label: string}[]
}

export type FlowEnd = {kind: 'queue'; queue: string; skills: string | null; priority: number} | {kind: 'close'; reason: 'bot' | 'off-hours'}

export interface FlowStep {
  said: Said[]
  /** Where it waits now; null when it ended. */
  at: FlowPosition | null
  end: FlowEnd | null
  /** Nodes entered, in order. */
  visited: {node: string; kind: ChatNode['type']}[]
  kbAnswered: {entry: number; score: number; question: string}[]
  kbFeedback: {entry: number; helpful: boolean}[]
}

export interface CustomerInput {
  text?: string
  /** A button's key. */
  payload?: string
}

export interface KbAnswer {
  id: number
  question: string
  answer: string
  score: number
}

export interface FlowDeps {
  now: () => Date
  /** The best knowledge-base match for the question (with a tag, among those entries), or null. */
  searchKb(question: string, tag: string | null): Promise<KbAnswer | null>
}

const FEEDBACK_BUTTONS = [
  {key: 'yes', label: 'Yes'},
  {key: 'no', label: 'No'},
]
const YES = new Set(['yes', 'y', 'yeah', 'ok', 'thanks', 'thank you', '是', '是的', '有用', '有帮助', '好', '谢谢'])
const NO = new Set(['no', 'n', 'nope', 'not really', '否', '不', '没有', '没用', '没有帮助', '不是'])
/** Nodes passed in one step at most: the validator refuses loops that never wait, this is the backstop. */
const MAX_STEPS = 100

export function startFlow(flow: ChatFlow, deps: FlowDeps): Promise<FlowStep> {
  return run(flow, flow.start, null, deps, newStep())
}

export async function continueFlow(flow: ChatFlow, at: FlowPosition, input: CustomerInput, deps: FlowDeps): Promise<FlowStep> {
  const step = newStep()
  const node = flow.nodes[at.node]
  // The flow changed under a waiting conversation (a restart with a new file): start over.
  if (!node) return run(flow, flow.start, null, deps, step)
  const text = (input.text ?? '').trim()
  if (node.type === 'menu') {
    const choice = pick(node.choices, input)
    if (choice) return run(flow, choice.next, null, deps, step)
    if (node.otherwise) return run(flow, node.otherwise, text || null, deps, step)
    step.said.push({kind: 'text', text: 'Please choose one of these:'}, menuSaid(node))
    step.at = at
    return step
  }
  if (node.type === 'kb') {
    if (at.awaiting === 'feedback' && at.entry !== undefined) {
      const answer = input.payload ?? fold(text)
      const helpful = answer === 'yes' || YES.has(answer) ? true : answer === 'no' || NO.has(answer) ? false : null
      if (helpful !== null) {
        step.kbFeedback.push({entry: at.entry, helpful})
        return run(flow, helpful ? node.helpful : node.notHelpful, null, deps, step)
      }
    }
    // A question (or, asked for feedback, a new question instead of yes or no).
    if (!text) {
      step.said.push({kind: 'text', text: node.text})
      step.at = {node: at.node, awaiting: 'question'}
      return step
    }
    return answerFromKb(flow, at.node, node, text, deps, step)
  }
  // Only menu and kb nodes wait; anything else resumes where the flow starts over.
  return run(flow, flow.start, null, deps, step)
}

async function run(flow: ChatFlow, from: string, carried: string | null, deps: FlowDeps, step: FlowStep): Promise<FlowStep> {
  let id = from
  let offHours = false
  for (let i = 0; i < MAX_STEPS; i++) {
    const node = flow.nodes[id]
    if (!node) break
    step.visited.push({node: id, kind: node.type})
    switch (node.type) {
      case 'message':
        step.said.push({kind: 'text', text: node.text})
        id = node.next
        continue
      case 'hours': {
        const cal = flow.calendars[node.calendar]
        const open = cal ? isOpen(cal, deps.now()) : true
        if (!open) offHours = true
        id = open ? node.open : node.closed
        continue
      }
      case 'menu':
        step.said.push(menuSaid(node))
        step.at = {node: id, awaiting: 'choice'}
        return step
      case 'kb':
        if (carried) return answerFromKb(flow, id, node, carried, deps, step)
        step.said.push({kind: 'text', text: node.text})
        step.at = {node: id, awaiting: 'question'}
        return step
      case 'queue':
        if (node.text) step.said.push({kind: 'text', text: node.text})
        step.end = {kind: 'queue', queue: node.queue, skills: node.skills, priority: node.priority}
        return step
      case 'close':
        if (node.text) step.said.push({kind: 'text', text: node.text})
        step.end = {kind: 'close', reason: offHours ? 'off-hours' : 'bot'}
        return step
    }
  }
  step.end = {kind: 'close', reason: 'bot'}
  return step
}

async function answerFromKb(flow: ChatFlow, id: string, node: Extract<ChatNode, {type: 'kb'}>, question: string, deps: FlowDeps, step: FlowStep): Promise<FlowStep> {
  const hit = await deps.searchKb(question.slice(0, 200), node.tag)
  if (!hit || hit.score < node.minScore) return run(flow, node.noMatch, null, deps, step)
  step.kbAnswered.push({entry: hit.id, score: hit.score, question: hit.question})
  step.said.push({kind: 'text', text: hit.answer}, {kind: 'buttons', text: 'Was this helpful?', buttons: FEEDBACK_BUTTONS})
  step.at = {node: id, awaiting: 'feedback', entry: hit.id}
  return step
}

function menuSaid(node: Extract<ChatNode, {type: 'menu'}>): Said {
  return {kind: 'buttons', text: node.text, buttons: node.choices.map((c) => ({key: c.key, label: c.label}))}
}

/** The choice a button press or typed answer means: its key, its number, its label, or one of its keywords in the text. */
export function pick(choices: readonly MenuChoice[], input: CustomerInput): MenuChoice | null {
  if (input.payload !== undefined) {
    const byKey = choices.find((c) => c.key === input.payload)
    if (byKey) return byKey
  }
  const t = fold(input.text ?? '')
  if (!t) return null
  const exact = choices.find((c, i) => fold(c.key) === t || fold(c.label) === t || String(i + 1) === t)
  if (exact) return exact
  return choices.find((c) => c.keywords.some((k) => t.includes(fold(k)))) ?? null
}

/** Text compared in NFKC, case folded, outer spaces and final punctuation dropped. */
function fold(s: string): string {
  return s.normalize('NFKC').toLowerCase().trim().replace(/[.!?。！？]+$/u, '')
}

function newStep(): FlowStep {
  return {said: [], at: null, end: null, visited: [], kbAnswered: [], kbFeedback: []}
}
