// Flags of the benchmark scripts (plain `node dist/bench/X.js --flag value`, not oclif).
// A bad value is the user's mistake: one line and exit 2, not a stack trace.

/** Says what is wrong with a flag and ends the benchmark (flags are read before anything starts). */
export function refuse(message: string): never {
  process.stderr.write(`Error: ${message}\n`)
  process.exit(2)
}

/** The value after `name`, if given. */
export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

/** A number flag, checked against its bounds (min defaults to 0). */
export function numberFlag(args: string[], name: string, fallback: number, o: {integer?: boolean; min?: number; max?: number} = {}): number {
  const raw = flag(args, name)
  const v = raw === undefined ? fallback : Number(raw)
  if (!Number.isFinite(v) || (o.integer && !Number.isInteger(v)) || v < (o.min ?? 0) || v > (o.max ?? Infinity)) {
    refuse(`${name} needs ${o.integer ? 'a whole number' : 'a number'}${o.min !== undefined ? ` >= ${o.min}` : ''}${o.max !== undefined ? ` <= ${o.max}` : ''}, got "${raw}"`)
  }
  return v
}

/** A comma-separated list of positive numbers (--rates 5,10,20), sorted; `fallback` when absent. */
export function numberListFlag(args: string[], name: string, fallback: string): number[] {
  return (flag(args, name) ?? fallback)
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => {
      const v = Number(s)
      if (!Number.isFinite(v) || v <= 0) refuse(`${name}: "${s}" is not a positive number (example: ${name} ${fallback})`)
      return v
    })
    .sort((a, b) => a - b)
}
