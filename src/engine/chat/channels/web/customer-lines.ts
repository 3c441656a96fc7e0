import type {CustomerLine} from './web-protocol.js'

// What each visitor wrote in its current conversation, by the seq the chat core gave it,
// so the widget's history after a reload has the customer's side too (the core's history
// is what was said to the customer). Kept in memory for the visitors seen last: after an
// engine restart a reload shows the agents' side only.

const MAX_VISITORS = 20_000
const MAX_LINES = 500

export class CustomerLines {
  private readonly byVisitor = new Map<string, {conversation: string; lines: CustomerLine[]}>()

  add(visitor: string, line: CustomerLine): void {
    let v = this.byVisitor.get(visitor)
    if (v) this.byVisitor.delete(visitor)
    if (!v || v.conversation !== line.conversation) v = {conversation: line.conversation, lines: []}
    if (!v.lines.some((l) => l.seq === line.seq)) v.lines.push(line)
    if (v.lines.length > MAX_LINES) v.lines.shift()
    // Most recently used last: the oldest visitor goes first when full.
    this.byVisitor.set(visitor, v)
    if (this.byVisitor.size > MAX_VISITORS) this.byVisitor.delete(this.byVisitor.keys().next().value!)
  }

  /** The visitor's lines in `conversation` (the one the core's history is of). */
  of(visitor: string, conversation: string | undefined): CustomerLine[] {
    const v = this.byVisitor.get(visitor)
    return v && v.conversation === conversation ? v.lines : []
  }

  /** The conversation the visitor last wrote in. */
  lastConversation(visitor: string): string | undefined {
    return this.byVisitor.get(visitor)?.conversation
  }
}
