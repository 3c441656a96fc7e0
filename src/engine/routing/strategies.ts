import type {Strategy} from '../model.js'

/**
 * What the strategies read of an agent. Declared here rather than importing the ACD's
 * AgentRuntime, so the ACD imports its strategies and not the other way round.
 */
export interface StrategyAgent {
  idleSince: number
  callsToday: number
  talkMsToday: number
}

export interface Candidate<A extends StrategyAgent = StrategyAgent> {
  agent: A
  /** The agent's penalty in this queue: lower tiers are tried first. */
  penalty: number
  /** The order the agent joined the queue: linear and round-robin follow it. */
  order: number
  /** Skill fit for this caller: higher is better. */
  score: number
}

/**
 * The agents to ring for one caller. All strategies but weighted-random first keep the
 * lowest penalty tier, then the best skill score in it, then break ties their own way.
 * ring-all rings everyone left; the others ring one agent.
 */
export function chooseAgents<A extends StrategyAgent>(strategy: Strategy, candidates: Candidate<A>[], ctx: {rrLast: number; random: () => number}): A[] {
  if (candidates.length === 0) return []
  if (strategy === 'weighted-random') return [weightedByPenalty(candidates, ctx.random).agent]
  let tier = lowest(candidates, (c) => c.penalty)
  tier = highest(tier, (c) => c.score)
  switch (strategy) {
    case 'ring-all':
      return tier.map((c) => c.agent)
    case 'linear':
      return [min(tier, (c) => c.order).agent]
    case 'round-robin': {
      // The next agent after the last one served, in queue order, wrapping around.
      const after = tier.filter((c) => c.order > ctx.rrLast)
      return [min(after.length > 0 ? after : tier, (c) => c.order).agent]
    }
    case 'longest-idle':
      return [min(tier, (c) => c.agent.idleSince, (c) => c.order).agent]
    case 'fewest-calls':
      return [min(tier, (c) => c.agent.callsToday, (c) => c.agent.idleSince).agent]
    case 'least-talk':
      return [min(tier, (c) => c.agent.talkMsToday, (c) => c.agent.idleSince).agent]
    case 'random':
      return [tier[Math.floor(ctx.random() * tier.length) % tier.length]!.agent]
  }
}

function lowest<C extends Candidate>(cs: C[], key: (c: C) => number): C[] {
  let best = Infinity
  for (const c of cs) best = Math.min(best, key(c))
  return cs.filter((c) => key(c) === best)
}

function highest<C extends Candidate>(cs: C[], key: (c: C) => number): C[] {
  let best = -Infinity
  for (const c of cs) best = Math.max(best, key(c))
  return cs.filter((c) => key(c) === best)
}

function min<C extends Candidate>(cs: C[], key: (c: C) => number, tie: (c: C) => number = (c) => c.order): C {
  let best = cs[0]!
  for (const c of cs) {
    const k = key(c)
    const b = key(best)
    if (k < b || (k === b && tie(c) < tie(best))) best = c
  }
  return best
}

/** Chance proportional to 1 / (1 + penalty): penalty 0 twice as likely as penalty 1. */
function weightedByPenalty<C extends Candidate>(cs: C[], random: () => number): C {
  const weights = cs.map((c) => 1 / (1 + Math.max(0, c.penalty)))
  const total = weights.reduce((a, b) => a + b, 0)
  let r = random() * total
  for (let i = 0; i < cs.length; i++) {
    r -= weights[i]!
    if (r < 0) return cs[i]!
  }
  return cs[cs.length - 1]!
}
