import type {QueueSettings} from '../model.js'
import {slOf} from './live-stats.js'
import {describeSl, SL_FORMULA_TEXT, type SlSettings} from './metrics.js'

// A service level figure means nothing without its threshold T and formula, and each
// queue can have its own. CSV columns are named after both (sl_20s_default), one column
// per setting in use, so a queue's figure sits in the column that defines it; --format
// json carries the full definitions.

export function slColumn(sl: SlSettings): string {
  return `sl_${sl.seconds}s_${sl.formula.replace(/-/g, '_')}`
}

/** As --format json prints it, in the one JSON contract (docs/json.md): snake_case, seconds as *_s. */
export interface SlDefinition {
  column: string
  threshold_s: number
  formula: string
  definition: string
  short_abandon_s: number
}

export function slDefinition(sl: SlSettings): SlDefinition {
  return {column: slColumn(sl), threshold_s: sl.seconds, formula: `${sl.formula}: ${SL_FORMULA_TEXT[sl.formula]}`, definition: describeSl(sl), short_abandon_s: sl.shortAbandonSeconds}
}

/** SL settings per queue name; queues no longer configured get the defaults. */
export class SlBook {
  constructor(private readonly settings: ReadonlyMap<string, QueueSettings>) {}

  of(queue: string): SlSettings {
    return slOf(this.settings.get(queue))
  }

  /** The SL columns for these queues, in a stable order (T, then formula). */
  columns(queues: Iterable<string>): string[] {
    const cols = new Map<string, SlSettings>()
    for (const q of queues) cols.set(slColumn(this.of(q)), this.of(q))
    return [...cols.entries()].sort(([, a], [, b]) => a.seconds - b.seconds || a.formula.localeCompare(b.formula)).map(([c]) => c)
  }

  definitions(queues: Iterable<string>): Record<string, SlDefinition> {
    const out: Record<string, SlDefinition> = {}
    for (const q of [...queues].sort()) out[q] = slDefinition(this.of(q))
    return out
  }
}
