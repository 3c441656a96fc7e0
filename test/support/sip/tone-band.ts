// How much of what a phone heard is one party's tone, for audio that crossed real RTP.
//
// test/support/audio.ts's toneShare reads the power at exactly one frequency, which suits
// Asterisk-internal audio (Local channels, one clock). A real phone's tone is generated
// on its own clock, and a mixing bridge with three parties drops or repeats a 20 ms frame
// now and then to keep up: the tone is all there, but its phase jumps, so its power leaks
// into the bins around the exact frequency (measured: 440 Hz at 0.03 "exactly" and 0.3
// within ±60 Hz, other tones 0.00 there). The band around the frequency is what counts.
import {goertzelPower, rms} from '../audio.js'

/**
 * Share (0..1) of the signal's power within ±halfWidth Hz of `freq`: the DFT bins of the
 * window in that band, each a Goertzel power (2|X_k|²/N², mean-square scale), summed.
 */
export function bandShare(samples: Float32Array, sampleRate: number, freq: number, halfWidth = 60): number {
  const total = rms(samples) ** 2
  if (total === 0) return 0
  const step = sampleRate / samples.length
  let power = 0
  for (let k = Math.ceil((freq - halfWidth) / step); k * step <= freq + halfWidth; k++) if (k > 0) power += goertzelPower(samples, sampleRate, k * step)
  return Math.min(1, power / total)
}
