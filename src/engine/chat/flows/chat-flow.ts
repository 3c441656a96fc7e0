import type {Calendar} from '../../ivr/hours.js'

// A conversation flow (会话服务流): what the bot says and asks before a person takes the
// conversation. One node type per step, each checked at load time (parse-chat-flow.ts) and
// run by one handler in flow-runner.ts.

export const CHAT_NODE_TYPES = ['message', 'menu', 'hours', 'kb', 'queue', 'close'] as const
export type ChatNodeType = (typeof CHAT_NODE_TYPES)[number]

export interface MenuChoice {
  /** What a button sends back (its payload). */
  key: string
  label: string
  /** Words that pick this choice when typed (matched in NFKC, case folded). */
  keywords: string[]
  next: string
}

export type ChatNode =
  | {type: 'message'; text: string; next: string}
  /** Buttons and keywords; an answer that matches nothing goes to `otherwise` (the text going along, e.g. to a kb node), or repeats the menu. */
  | {type: 'menu'; text: string; choices: MenuChoice[]; otherwise: string | null}
  | {type: 'hours'; calendar: string; open: string; closed: string}
  /** Answers from the knowledge base: the best match scoring at least minScore (the share of the question's words it holds, 0-1; kb-answer.ts), then "was this helpful?". */
  | {type: 'kb'; text: string; minScore: number; tag: string | null; helpful: string; notHelpful: string; noMatch: string}
  | {type: 'queue'; queue: string; skills: string | null; priority: number; text: string | null}
  | {type: 'close'; text: string | null}

export interface ChatFlow {
  name: string
  timezone: string
  start: string
  calendars: Record<string, Calendar>
  nodes: Record<string, ChatNode>
}

/** Where a node can go next. */
export function chatTargets(n: ChatNode): string[] {
  switch (n.type) {
    case 'message':
      return [n.next]
    case 'menu':
      return [...n.choices.map((c) => c.next), ...(n.otherwise ? [n.otherwise] : [])]
    case 'hours':
      return [n.open, n.closed]
    case 'kb':
      return [n.helpful, n.notHelpful, n.noMatch]
    case 'queue':
    case 'close':
      return []
  }
}

/** Nodes that wait for the customer: every loop must pass one, or the bot would talk forever. */
export const WAITS: ReadonlySet<ChatNodeType> = new Set(['menu', 'kb'])
export const ENDS: ReadonlySet<ChatNodeType> = new Set(['queue', 'close'])
