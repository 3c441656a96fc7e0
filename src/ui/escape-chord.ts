// Ink's key parser keeps the Esc of an "Esc + key" chunk only when the key is a letter or a
// digit (then it says meta). Esc and a "/" or a Tab typed quickly, or sent together over a
// slow link, arrive as one chunk ("\x1b/") that Ink hands on as a bare "/": the Esc is lost,
// and a desk in reply mode types the "/" into the customer's reply. This hook reads the raw
// chunk first and tells the key handler that an Esc came with the key.
import {useStdin} from 'ink'
import {useEffect, useRef} from 'react'

/** An Esc read together with one more key (not the start of an escape sequence such as an arrow). */
export const isEscapeChord = (raw: string): boolean => /^\u001b[^\u001b[O]$/u.test(raw)

/**
 * Call before `useInput` in the same component (its listener must hear a chunk first). The
 * returned function answers, once per chunk, whether the key now handled came after an Esc.
 */
export function useEscapeChord(): () => boolean {
  const {internal_eventEmitter: events} = useStdin()
  const chord = useRef(false)
  useEffect(() => {
    const hear = (raw: string) => {
      chord.current = isEscapeChord(raw)
    }
    events.on('input', hear)
    return () => void events.off('input', hear)
  }, [events])
  return () => {
    const was = chord.current
    chord.current = false
    return was
  }
}
