import {useInput, useStdin} from 'ink'
import {useEffect, useRef} from 'react'
import type {KeyPress} from './dashboard/keys.js'
import {isChunk, keysOf} from './key-chunk.js'
import {isAltChord, PASTE_END, PASTE_START} from './key-input.js'

export interface UseKeysOptions {
  /**
   * Whether the screen is in a text field now (a note, a reply, a prompt). There an Alt key
   * does nothing, pasted text is typed, and a chunk that leaves the field ends there: what
   * was read with the text is never a key of the screen (x hangs up on the desk).
   */
  inText?: () => boolean
}

/**
 * The full screens' one key reader (the dashboard, the desk): Ink's input made into single
 * keys. key-input.ts has read every sequence whole, so each of Ink's events is one thing:
 * - Alt and a character (ESC x): nothing in a text field; elsewhere Esc, then the key (an Esc
 *   and a "/" typed quickly arrive so, and no screen has Alt keys);
 * - a bracketed paste: its text (controls already removed) typed into a text field as it
 *   is; outside one it is dropped, never taken as keys;
 * - a chunk of keys typed faster than read: each key (key-chunk.ts).
 * Inactive without a raw-mode terminal.
 */
export function useKeys(onKey: (input: string, key: KeyPress) => void, o: UseKeysOptions = {}): void {
  const {isRawModeSupported, internal_eventEmitter: events} = useStdin()
  const inText = useRef(o.inText)
  inText.current = o.inText
  const event = useRef('')
  const pasting = useRef(false)
  // Before useInput: its listener must hear Ink's event first (Ink hands useInput the key's
  // name, this the event as read).
  useEffect(() => {
    const hear = (raw: string) => void (event.current = raw)
    events.on('input', hear)
    return () => void events.off('input', hear)
  }, [events])
  useInput(
    (input, key: KeyPress) => {
      const raw = event.current
      event.current = ''
      const typing = inText.current?.() ?? false
      if (raw === PASTE_START || raw === PASTE_END) return void (pasting.current = raw === PASTE_START)
      if (pasting.current) return typing && raw !== '' ? onKey(raw, {}) : undefined
      if (isAltChord(raw)) {
        if (typing) return
        onKey('', {escape: true})
        return onKey(input, key)
      }
      if (!isChunk(input, key)) return onKey(input, key)
      for (const k of keysOf(input)) {
        if (typing && !inText.current!()) return
        onKey(...k)
      }
    },
    {isActive: isRawModeSupported === true},
  )
}
