import {Composer, CST, LineCounter, Parser, YAMLParseError, isMap, isScalar, isSeq, visit, type Document, type Node} from 'yaml'
import {UserError} from '../util/errors.js'

/** A config problem pinned to file:line:column. */
export class ConfigError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
    suggestion?: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`, {suggestion, exitCode: 2, code: 'invalid_config'})
    this.name = 'ConfigError'
  }
}

export interface LocatedDoc {
  file: string
  doc: Document.Parsed
  lines: LineCounter
}

/**
 * Limits on what a config, flow or queue file may be. The yaml library composes nested
 * collections recursively, so a file nested a few hundred levels deep overflows the stack
 * (exit 70) before any check of ours runs; no real file comes near either limit.
 */
export const YAML_LIMITS = {maxBytes: 1024 * 1024, maxDepth: 64}

/** Parse YAML text, turning syntax errors into ConfigErrors with their position. Data files (the KB) may pass a larger maxBytes. */
export function parseYaml(text: string, file: string, limits: {maxBytes: number} = YAML_LIMITS): LocatedDoc {
  checkSize(text, file, limits.maxBytes)
  // What yaml's parseDocument does, with the depth checked between the (stack-safe) CST
  // parse and the (recursive) composer, so the text is parsed once.
  const lines = new LineCounter()
  const tokens = [...new Parser(lines.addNewLine).parse(text)]
  checkDepth(tokens, file, lines)
  let doc: Document.Parsed | null = null
  for (const d of new Composer({uniqueKeys: true}).compose(tokens, true, text.length)) {
    if (!doc) doc = d
    else {
      doc.errors.push(new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'))
      break
    }
  }
  if (!doc) throw new ConfigError(file, 1, 1, 'invalid YAML')
  const first = doc.errors[0]
  if (first) {
    const pos = lines.linePos(first.pos[0])
    throw new ConfigError(file, pos.line, pos.col, first.message.split('\n')[0] ?? 'invalid YAML', 'Check indentation and quoting near that line.')
  }
  const located = {file, doc, lines}
  toJS(located)
  return located
}

/**
 * The document as plain data. An alias without its anchor, or aliases that expand too
 * far (a "billion laughs" file), are reported at the alias instead of thrown.
 */
export function toJS(d: LocatedDoc): unknown {
  try {
    return d.doc.toJS({maxAliasCount: 50})
  } catch (err) {
    let at = 0
    visit(d.doc, {
      Alias(_, node) {
        at = node.range?.[0] ?? 0
        return visit.BREAK
      },
    })
    const pos = d.lines.linePos(at)
    throw new ConfigError(d.file, pos.line, pos.col, err instanceof Error ? err.message.split('\n')[0]! : 'invalid YAML', 'Define an anchor (&name) before using it (*name), and do not nest aliases deeply.')
  }
}

/** Position of the node at `path` (or of its nearest existing parent). */
export function positionOf(d: LocatedDoc, path: readonly (string | number)[], preferKey = false): {line: number; column: number} {
  let node: unknown = d.doc.contents
  let best: Node | null = isNode(node) ? node : null
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key))
      if (!pair) break
      if (preferKey && key === path[path.length - 1] && isNode(pair.key)) {
        best = pair.key
        break
      }
      node = pair.value
      if (isNode(node)) best = node
      else if (isNode(pair.key)) best = pair.key
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key]
      if (isNode(node)) best = node
    } else break
  }
  const offset = best?.range?.[0] ?? 0
  const pos = d.lines.linePos(offset)
  return {line: pos.line, column: pos.col}
}

export function errorAt(d: LocatedDoc, path: readonly (string | number)[], detail: string, suggestion?: string, preferKey = false): ConfigError {
  const {line, column} = positionOf(d, path, preferKey)
  return new ConfigError(d.file, line, column, detail, suggestion)
}

/** Records one problem at a path of the document (a checker collects them all). */
export type Fail = (path: readonly (string | number)[], msg: string, suggestion?: string, onKey?: boolean) => void

/**
 * The start of a checker that reports every problem of a file, not the first: the
 * document and its plain value, the list problems go to and the function that adds one.
 * A file that does not parse is its one problem (`root` undefined).
 */
export function collectProblems(text: string, file: string): {errors: ConfigError[]; fail: Fail; d: LocatedDoc; root: unknown} | {errors: ConfigError[]; root: undefined} {
  let d: LocatedDoc
  try {
    d = parseYaml(text, file)
  } catch (err) {
    if (err instanceof ConfigError) return {errors: [err], root: undefined}
    throw err
  }
  const errors: ConfigError[] = []
  const fail: Fail = (path, msg, suggestion, onKey = false) => void errors.push(errorAt(d, path, msg, suggestion, onKey))
  return {errors, fail, d, root: toJS(d)}
}

function isNode(n: unknown): n is Node {
  return typeof n === 'object' && n !== null && 'range' in n
}

/** Refuses a file too big before parsing it. */
function checkSize(text: string, file: string, maxBytes: number): void {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return
  // Position of the first character past the limit (counting characters is close enough for a message).
  const lines = new LineCounter()
  lines.addNewLine(0)
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1)
  const pos = lines.linePos(Math.min(text.length - 1, maxBytes))
  throw new ConfigError(file, pos.line, pos.col, `file is larger than ${maxBytes / 1024} KiB`, 'Split it into smaller files; no flow, queue file or config needs to be this big.')
}

/**
 * Refuses a file nested too deep, before composing it. The CST parser keeps its own
 * stack (it survives any depth), and this walk is iterative, so the check cannot
 * overflow where the composer would.
 */
function checkDepth(tokens: readonly CST.Token[], file: string, lines: LineCounter): void {
  const stack: {token: CST.Token; depth: number}[] = tokens.map((token) => ({token, depth: 0}))
  while (stack.length > 0) {
    const {token, depth} = stack.pop()!
    if (token.type === 'document') {
      if (token.value) stack.push({token: token.value, depth})
      continue
    }
    if (!CST.isCollection(token)) continue
    if (depth + 1 > YAML_LIMITS.maxDepth) {
      const pos = lines.linePos(token.offset)
      throw new ConfigError(file, pos.line, pos.col, `nested deeper than ${YAML_LIMITS.maxDepth} levels`, 'Flatten the structure; no setting nests this deep.')
    }
    for (const item of token.items) {
      if (item.key) stack.push({token: item.key, depth: depth + 1})
      if (item.value) stack.push({token: item.value, depth: depth + 1})
    }
  }
}
