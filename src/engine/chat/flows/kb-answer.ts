import {MAX_QUERY_LENGTH, MAX_QUERY_TERMS, queryTerms, type KnowledgeBase} from '../../kb/knowledge-base.js'
import {UserError} from '../../util/errors.js'
import type {KbAnswer} from './flow-runner.js'

// The knowledge base's best answer to a customer's question. The search finds entries
// holding every word asked, which a question typed in full rarely matches, and its bm25
// score means nothing across searches (one entry in a small base scores 0.000002). So each
// word is looked up alone and an entry scores the share of the question's words it holds,
// from 0 to 1: a flow's minScore reads the same in any knowledge base.

/** Entries looked at per word: enough for any real knowledge base's overlap. */
const PER_TERM = 50

export async function bestKbAnswer(kb: KnowledgeBase, question: string, tag: string | null): Promise<KbAnswer | null> {
  let terms: string[]
  try {
    terms = queryTerms([...question].slice(0, MAX_QUERY_LENGTH).join('')).slice(0, MAX_QUERY_TERMS)
  } catch (err) {
    if (err instanceof UserError) return null
    throw err
  }
  if (terms.length === 0) return null
  const tally = new Map<number, {words: number; rank: number}>()
  for (const term of terms) {
    const hits = await kb.search(term, {limit: PER_TERM, ...(tag ? {tag} : {})}).catch((err: unknown) => {
      if (err instanceof UserError) return []
      throw err
    })
    hits.forEach((h, i) => {
      const t = tally.get(h.id) ?? {words: 0, rank: 0}
      t.words++
      t.rank += i
      tally.set(h.id, t)
    })
  }
  let best: [number, {words: number; rank: number}] | undefined
  for (const entry of tally) if (!best || entry[1].words > best[1].words || (entry[1].words === best[1].words && entry[1].rank < best[1].rank)) best = entry
  if (!best) return null
  const e = await kb.get(best[0])
  return e ? {id: e.id, question: e.question, answer: e.answer, score: best[1].words / terms.length} : null
}
