import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {promisify} from 'node:util'

const exec = promisify(execFile)

/**
 * A tmux server of a test's own (its own socket, so tests in the two lanes never share
 * one): commands, the screen of a session, keys and literal text typed into it, and a wait
 * for the screen to show something (polled every 50 ms; the screen in the failure).
 */
export function tmuxServer(prefix: string, pane: string) {
  const socket = `${prefix}-${randomBytes(3).toString('hex')}`
  const tmux = (...args: string[]) => exec('tmux', ['-L', socket, ...args])
  const screen = async (target = pane) => (await tmux('capture-pane', '-p', '-t', target)).stdout
  const keys = (...k: string[]) => tmux('send-keys', '-t', pane, ...k)
  const type = (text: string) => tmux('send-keys', '-t', pane, '-l', text)
  async function shown(what: string, test: (s: string) => boolean, timeoutMs = 15_000): Promise<string> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const s = await screen()
      if (test(s)) return s
      if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${s}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const kill = () => tmux('kill-server').then(() => undefined, () => undefined)
  return {socket, tmux, screen, keys, type, shown, kill}
}
