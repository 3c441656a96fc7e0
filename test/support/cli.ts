import {spawn, type ChildProcess} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built callctl binary (npm test builds it first). */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, FORCE_COLOR: '0', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

/** Starts callctl in the background and collects its output as it comes. */
export function startCli(args: string[], env: Record<string, string | undefined> = {}): {child: ChildProcess; output: () => string} {
  const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, FORCE_COLOR: '0', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()))
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()))
  return {child, output: () => out}
}

/** `callctl engine start` in the background, resolved once the engine serves (its API listening). */
export async function startEngineCli(env: Record<string, string | undefined>, timeoutMs = 30_000): Promise<{child: ChildProcess; output: () => string}> {
  const e = startCli(['engine', 'start'], env)
  const deadline = performance.now() + timeoutMs
  while (!e.output().includes('engine API listening')) {
    if (e.child.exitCode !== null) throw new Error(`the engine exited: ${e.output()}`)
    if (performance.now() > deadline) throw new Error(`the engine did not serve within ${timeoutMs} ms: ${e.output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return e
}

/** Runs each command in turn and fails on the first that does not exit 0, with its stderr. */
export async function runAll(commands: string[][], env: Record<string, string | undefined>): Promise<void> {
  for (const args of commands) {
    const r = await runCli(args, env)
    if (r.code !== 0) throw new Error(`callctl ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  }
}

/**
 * The child's exit code once it has exited: at once if it already has, by a signal too (its
 * exit code is then null; waiting for an 'exit' already emitted would never end).
 */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}
