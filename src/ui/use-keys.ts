import {useInput, useStdin} from 'ink'
import type {KeyPress} from './dashboard/keys.js'
import {useEscapeChord} from './escape-chord.js'
import {isChunk, keysOf} from './key-chunk.js'

/**
 * The full screens' one key reader (the dashboard, the desk): Ink's input made into single
 * keys. An Esc read together with the next key is Esc, then the key (escape-chord.ts; an
 * Alt-letter reads the same: no screen has Alt keys); a chunk of keys, pasted or typed
 * faster than read, is each key (key-chunk.ts). Inactive without a raw-mode terminal.
 */
export function useKeys(onKey: (input: string, key: KeyPress) => void): void {
  const {isRawModeSupported} = useStdin()
  // Before useInput: its listener must hear the raw chunk first.
  const afterEscape = useEscapeChord()
  useInput(
    (input, key: KeyPress) => {
      if (afterEscape() && !key.escape) {
        onKey('', {escape: true})
        return onKey(input, key)
      }
      if (isChunk(input, key)) return void keysOf(input).forEach((k) => onKey(...k))
      onKey(input, key)
    },
    {isActive: isRawModeSupported === true},
  )
}
