import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve, sep} from 'node:path'
import {describe, expect, it} from 'vitest'

// The layering the code relies on, checked from the source text so it cannot drift back
// (issue 14): commands and the UI reach Asterisk only through engine services, the engine
// runs headless (no oclif, no ink/react), and the call phases import one way, so a phase
// can be read and changed without following a circle of modules back to itself.

const ROOT = resolve(import.meta.dirname, '..', '..')
const SRC = join(ROOT, 'src')

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p))
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p)
  }
  return out
}

// `import x from '…'`, `import type {a, b} from '…'` (over several lines too), `export * from '…'`,
// `import '…'` and `import('…')`. Type-only imports count: a module graph that is one way
// for the compiler is one way for the reader.
const STATIC = /^[ \t]*(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,?\s*)?(?:\*\s*(?:as\s+[\w$]+\s*)?)?(?:\{[^}]*\}\s*)?from\s*['"]([^'"]+)['"]/gm
const BARE = /^[ \t]*import\s*['"]([^'"]+)['"]/gm
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(STATIC), ...text.matchAll(BARE), ...text.matchAll(DYNAMIC)].map((m) => m[1]!)
}

/** The file a relative specifier names ('./core.js' → core.ts), or null for a package. */
function resolveImport(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null
  const base = resolve(dirname(from), spec).replace(/\.js$/, '')
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) if (existsSync(candidate)) return candidate
  return resolve(dirname(from), spec)
}

const rel = (p: string) => relative(ROOT, p).split(sep).join('/')
const under = (p: string, dir: string) => p === dir || p.startsWith(dir + sep)

describe('import structure', () => {
  it('the import parser sees imports spread over lines, type-only ones and re-exports', () => {
    const engine = importsOf(join(SRC, 'engine', 'calls', 'engine.ts'))
    expect(engine).toContain('./core.js')
    expect(engine).toContain('./engine-types.js')
    expect(importsOf(join(SRC, 'engine', 'ari', 'index.ts'))).toContain('./port.js')
  })

  it('commands and the UI never import the ARI layer (they call engine services)', () => {
    const ari = join(SRC, 'engine', 'ari')
    const offenders: string[] = []
    for (const file of [...sourceFiles(join(SRC, 'commands')), ...sourceFiles(join(SRC, 'ui'))]) {
      for (const spec of importsOf(file)) {
        const target = resolveImport(file, spec)
        if (target && under(target, ari)) offenders.push(`${rel(file)} imports ${spec}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('the engine never imports oclif, ink or react (it runs headless)', () => {
    const ui = /^(@oclif\/|oclif$|ink$|ink-|ink\/|react$|react\/|react-)/
    const offenders: string[] = []
    for (const file of sourceFiles(join(SRC, 'engine'))) {
      for (const spec of importsOf(file)) if (ui.test(spec)) offenders.push(`${rel(file)} imports ${spec}`)
    }
    expect(offenders).toEqual([])
  })

  it('src/engine/calls has no import cycle', () => {
    const dir = join(SRC, 'engine', 'calls')
    const files = readdirSync(dir)
      .filter((n) => n.endsWith('.ts'))
      .map((n) => join(dir, n))
    const edges = new Map<string, string[]>()
    for (const file of files) {
      const targets = importsOf(file)
        .map((spec) => resolveImport(file, spec))
        .filter((t): t is string => t !== null && files.includes(t))
      edges.set(file, [...new Set(targets)])
    }
    expect([...edges.values()].flat().length).toBeGreaterThan(10) // the parser found the graph

    const cycles: string[] = []
    const done = new Set<string>()
    const path: string[] = []
    const visit = (file: string): void => {
      const at = path.indexOf(file)
      if (at >= 0) return void cycles.push([...path.slice(at), file].map((f) => rel(f).replace('src/engine/calls/', '')).join(' → '))
      if (done.has(file)) return
      path.push(file)
      for (const next of edges.get(file)!) visit(next)
      path.pop()
      done.add(file)
    }
    for (const file of files) visit(file)
    expect(cycles).toEqual([])
  })
})
