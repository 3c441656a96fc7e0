import {render} from 'ink'
import type {ReactElement} from 'react'
import {guardKeyInput} from './key-input.js'

// The alternate screen, as full-screen programs (top, less) use: the shell's screen
// comes back untouched on exit. With it, bracketed paste: the terminal marks pasted text,
// so a paste is only ever text (typed into a field, or dropped; use-keys.ts), never keys.
const ENTER_ALT = '\u001b[?1049h\u001b[H\u001b[?2004h'
const LEAVE_ALT = '\u001b[?2004l\u001b[?1049l'
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

export interface FullScreenOptions {
  /** What feeds the screen: started once it is up, stopped when it closes. */
  feed: {start(): void; stop(): void}
  maxFps: number
  /** Closes the screen from outside (the demo's --duration). */
  until?: Promise<unknown>
  /** Runs before the screen closes (the desk saves a note being typed). */
  beforeClose?: () => Promise<void>
}

/** Runs an Ink screen (the dashboard, the desk) on the alternate screen until it quits, a signal, or `until`. */
export async function runFullScreen(screen: (quit: () => void) => ReactElement, o: FullScreenOptions): Promise<'quit' | 'stopped'> {
  const stdout = process.stdout
  let quit!: (how: 'quit' | 'stopped') => void
  const done = new Promise<'quit' | 'stopped'>((r) => (quit = r))
  const restore = () => stdout.write(LEAVE_ALT)
  stdout.write(ENTER_ALT)
  process.once('exit', restore)
  const onSignal = () => quit('stopped')
  // In raw mode Ctrl-C arrives as a key; these come from elsewhere (kill, a closed terminal).
  for (const sig of SIGNALS) process.once(sig, onSignal)
  o.feed.start()
  // Sequences are read whole before Ink sees them (key-input.ts): a colour code crashed Ink's
  // key parser, a pasted hyperlink ran as keys.
  guardKeyInput(process.stdin)
  const app = render(screen(() => quit('quit')), {
    stdout,
    exitOnCtrlC: false,
    // Ink's incremental mode left the first frame's top line on screen (tmux, Ink 6.8).
    incrementalRendering: false,
    maxFps: o.maxFps,
  })
  void o.until?.then(() => quit('stopped'))
  try {
    return await done
  } finally {
    await o.beforeClose?.()
    app.unmount()
    app.cleanup()
    o.feed.stop()
    for (const sig of SIGNALS) process.off(sig, onSignal)
    process.off('exit', restore)
    restore()
  }
}
