import type Database from 'better-sqlite3'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import type {PromptCatalog} from '../ivr/flow.js'

export interface PromptRecord {
  name: string
  language: string
  /** Path as Asterisk sees it, without the extension (what ARI's sound: takes). */
  file: string
  source: 'upload' | 'tts'
  text: string | null
  durationMs: number | null
  createdAt: number
}

export interface PromptRepository {
  save(p: PromptRecord): Promise<void>
  list(): Promise<PromptRecord[]>
  remove(name: string, language?: string): Promise<number>
}

export class SqlitePromptRepository implements PromptRepository {
  constructor(private readonly db: Database.Database) {}

  async save(p: PromptRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO prompts (name, language, file, source, text, duration_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(name, language) DO UPDATE SET file = excluded.file, source = excluded.source, text = excluded.text, duration_ms = excluded.duration_ms, created_at = excluded.created_at`,
      )
      .run(p.name, p.language, p.file, p.source, p.text, p.durationMs, p.createdAt)
  }

  async list(): Promise<PromptRecord[]> {
    return (this.db.prepare('SELECT name, language, file, source, text, duration_ms, created_at FROM prompts ORDER BY name, language').all() as Record<string, unknown>[]).map(toPrompt)
  }

  async remove(name: string, language?: string): Promise<number> {
    return language
      ? this.db.prepare('DELETE FROM prompts WHERE name = ? AND language = ?').run(name, language).changes
      : this.db.prepare('DELETE FROM prompts WHERE name = ?').run(name).changes
  }
}

export function toPrompt(r: Record<string, unknown>): PromptRecord {
  return {
    name: r.name as string,
    language: r.language as string,
    file: r.file as string,
    source: r.source as 'upload' | 'tts',
    text: (r.text as string | null) ?? null,
    durationMs: r.duration_ms === null || r.duration_ms === undefined ? null : Number(r.duration_ms),
    createdAt: Number(r.created_at),
  }
}

/**
 * Prompt names in flows: ours by name (in the caller's language, else the flow's, else
 * any), Asterisk's as sound:NAME. Resolves them to ARI media and says whether they exist.
 */
export class PromptBook implements PromptCatalog {
  private readonly byName = new Map<string, Map<string, PromptRecord>>()
  private readonly sounds: Set<string> | null

  constructor(prompts: PromptRecord[], soundsDir: string | null) {
    for (const p of prompts) {
      let m = this.byName.get(p.name)
      if (!m) this.byName.set(p.name, (m = new Map()))
      m.set(p.language, p)
    }
    this.sounds = soundsDir && existsSync(soundsDir) ? listSounds(soundsDir) : null
  }

  has(prompt: string, _language: string): boolean {
    if (prompt.startsWith('sound:')) return this.sounds === null || this.sounds.has(prompt.slice(6))
    return this.byName.has(prompt)
  }

  /** Whether Asterisk's sound names could be checked (a sandbox root is present). */
  get checksSounds(): boolean {
    return this.sounds !== null
  }

  media(prompt: string, language: string, fallbackLanguage: string): string {
    if (/^(sound|digits|number):/.test(prompt)) return prompt
    const m = this.byName.get(prompt)
    const p = m?.get(language) ?? m?.get(fallbackLanguage) ?? (m ? [...m.values()][0] : undefined)
    return p ? `sound:${p.file}` : `sound:${prompt}`
  }
}

function listSounds(dir: string): Set<string> {
  const out = new Set<string>()
  const walk = (d: string, prefix: string, depth: number) => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      if (e.isDirectory() || e.isSymbolicLink()) {
        if (depth < 3) {
          try {
            walk(join(d, e.name), depth === 0 ? '' : `${prefix}${e.name}/`, depth + 1)
          } catch {
            // a link into the chroot's /etc/alternatives, or a file link: nothing to list
          }
        }
      } else out.add(prefix + e.name.replace(/\.[^.]+$/, ''))
    }
  }
  walk(dir, '', 0)
  return out
}
