import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {UserError} from '../util/errors.js'

// Asterisk plays 8 kHz, 16-bit mono WAV without transcoding; everything is converted to it.

function run(cmd: string, args: string[], input?: string): Promise<{code: number; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new UserError(`${cmd} is not installed`, {suggestion: `Install it: apt-get install -y ${cmd === 'sox' ? 'sox libsox-fmt-mp3' : cmd}`, exitCode: 2, code: 'missing_tool'}))
      else reject(err)
    })
    child.on('close', (code) => resolve({code: code ?? 1, stderr}))
    if (input !== undefined) child.stdin!.end(input)
  })
}

/** Converts any audio sox reads (wav, mp3, …) to 8 kHz mono 16-bit WAV. */
export async function convertForAsterisk(input: string, output: string): Promise<void> {
  const r = await run('sox', [input, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', output])
  if (r.code !== 0) {
    throw new UserError(`Cannot convert ${input}: ${r.stderr.trim().split('\n').at(-1) ?? 'sox failed'}`, {suggestion: 'Give a WAV or MP3 file (MP3 needs libsox-fmt-mp3).', exitCode: 2})
  }
}

const VOICES: Record<string, string> = {en: 'en-us', zh: 'cmn', yue: 'yue'}

/** Speaks text with espeak-ng into an 8 kHz WAV. The text goes in on stdin, never on a command line. */
export async function synthesize(text: string, language: string, output: string, tmpWav: string): Promise<void> {
  const voice = VOICES[language]
  if (!voice) throw new UserError(`No voice for language "${language}"`, {suggestion: `Languages: ${Object.keys(VOICES).join(', ')}`, exitCode: 2})
  const r = await run('espeak-ng', ['-v', voice, '-s', '150', '-w', tmpWav, '--stdin'], text)
  if (r.code !== 0) throw new UserError(`espeak-ng failed: ${r.stderr.trim()}`, {exitCode: 1})
  await convertForAsterisk(tmpWav, output)
}

/** Length of a PCM WAV file in milliseconds, from its header. */
export function wavDurationMs(file: string): number {
  const b = readFileSync(file)
  let off = 12
  let byteRate = 0
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4)
    const size = b.readUInt32LE(off + 4)
    if (id === 'fmt ') byteRate = b.readUInt32LE(off + 16)
    if (id === 'data') return byteRate ? Math.round((Math.min(size, b.length - off - 8) / byteRate) * 1000) : 0
    off += 8 + size + (size % 2)
  }
  return 0
}
