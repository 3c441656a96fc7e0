import {chmodSync, mkdirSync, renameSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {repositoriesOf} from '../store/repositories.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import type {Paths} from '../util/paths.js'
import {convertForAsterisk, synthesize, wavDurationMs} from './audio.js'
import {promptLocation} from './locations.js'
import type {PromptRecord} from './prompt-store.js'

const NAME = /^[A-Za-z0-9_-]{1,64}$/
const LANG = /^[a-z]{2,3}(-[A-Za-z]{2,4})?$/

function check(name: string, language: string): void {
  if (!NAME.test(name)) throw new UserError(`Invalid prompt name "${name}"`, {suggestion: 'Use letters, digits, "_" and "-" (it becomes a file name).', exitCode: 2})
  if (!LANG.test(language)) throw new UserError(`Invalid language "${language}"`, {suggestion: 'Use a code such as en, zh or yue.', exitCode: 2})
}

/**
 * Where a prompt's file goes: the name and language are checked above, so the path is
 * never built from anything a caller or a file controls. Written to a temporary name
 * and renamed, so Asterisk never plays half a file.
 */
async function store(store: Store, paths: Paths, name: string, language: string, source: PromptRecord['source'], text: string | null, produce: (out: string) => Promise<void>): Promise<PromptRecord> {
  const loc = promptLocation(paths)
  const dir = join(loc.hostDir, language)
  mkdirSync(dir, {recursive: true})
  const final = join(dir, `${name}.wav`)
  const tmp = join(dir, `.${name}.${process.pid}.wav`)
  try {
    await produce(tmp)
    chmodSync(tmp, 0o644)
    renameSync(tmp, final)
  } finally {
    rmSync(tmp, {force: true})
  }
  const record: PromptRecord = {name, language, file: `${loc.asteriskDir}/${language}/${name}`, source, text, durationMs: wavDurationMs(final), createdAt: Date.now()}
  await repositoriesOf(store).prompts.save(record)
  return record
}

export function addPrompt(s: Store, paths: Paths, name: string, file: string, language: string): Promise<PromptRecord> {
  check(name, language)
  return store(s, paths, name, language, 'upload', null, (out) => convertForAsterisk(file, out))
}

export function ttsPrompt(s: Store, paths: Paths, name: string, text: string, language: string): Promise<PromptRecord> {
  check(name, language)
  if (!text.trim() || text.length > 2000) throw new UserError('The text must be 1 to 2000 characters', {exitCode: 2})
  const raw = join(tmpdir(), `callctl-tts-${process.pid}-${Date.now()}.wav`)
  return store(s, paths, name, language, 'tts', text, async (out) => {
    try {
      await synthesize(text, language, out, raw)
    } finally {
      rmSync(raw, {force: true})
    }
  })
}
