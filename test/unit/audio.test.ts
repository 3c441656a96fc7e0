import {describe, expect, it} from 'vitest'
import {encodeWav, goertzelPower, mono, parseWav, rms, slice, tones, toneShare} from '../support/audio.js'

// The WAV reader and tone detector the recording tests rely on, checked on synthetic audio.

/** A RIFF file from raw chunks, for headers encodeWav does not write. */
function riff(chunks: [string, Buffer][]): Buffer {
  const parts = chunks.flatMap(([id, body]) => {
    const h = Buffer.alloc(8)
    h.write(id, 0, 'ascii')
    h.writeUInt32LE(body.length, 4)
    return body.length % 2 ? [h, body, Buffer.alloc(1)] : [h, body]
  })
  const body = Buffer.concat([Buffer.from('WAVE'), ...parts])
  const head = Buffer.alloc(8)
  head.write('RIFF', 0, 'ascii')
  head.writeUInt32LE(body.length, 4)
  return Buffer.concat([head, body])
}

function fmtChunk(format: number, channels: number, rate: number, bits: number, extra?: Buffer): Buffer {
  const b = Buffer.alloc(16)
  b.writeUInt16LE(format, 0)
  b.writeUInt16LE(channels, 2)
  b.writeUInt32LE(rate, 4)
  b.writeUInt32LE((rate * channels * bits) / 8, 8)
  b.writeUInt16LE((channels * bits) / 8, 12)
  b.writeUInt16LE(bits, 14)
  return extra ? Buffer.concat([b, extra]) : b
}

describe('parseWav', () => {
  it('reads 8 kHz 16-bit mono (what Asterisk records) with its duration and samples', () => {
    const samples = tones([[440, 0.5]], 8000, 1500)
    const w = parseWav(encodeWav([samples], 8000))
    expect(w).toMatchObject({sampleRate: 8000, channels: 1, bitsPerSample: 16, encoding: 'pcm', durationMs: 1500})
    expect(w.channelData[0]!.length).toBe(12_000)
    for (const i of [0, 7, 1234, 11_999]) expect(w.channelData[0]![i]).toBeCloseTo(samples[i]!, 4)
  })

  it('reads 8-bit unsigned, 24-bit and 32-bit integer samples', () => {
    const samples = tones([[1000, 0.8]], 16_000, 250)
    for (const bits of [8, 24, 32] as const) {
      const w = parseWav(encodeWav([samples], 16_000, bits))
      expect(w.bitsPerSample).toBe(bits)
      expect(w.durationMs).toBe(250)
      const tolerance = bits === 8 ? 0.01 : 1e-5
      for (const i of [3, 100, 3999]) expect(Math.abs(w.channelData[0]![i]! - samples[i]!)).toBeLessThan(tolerance)
    }
  })

  it('keeps stereo channels apart and mono() averages them', () => {
    const left = tones([[440, 0.6]], 44_100, 100)
    const right = new Float32Array(left.length).fill(0.2)
    const w = parseWav(encodeWav([left, right], 44_100))
    expect(w.channels).toBe(2)
    expect(w.durationMs).toBe(100)
    expect(w.channelData[1]![10]).toBeCloseTo(0.2, 4)
    expect(mono(w)[10]).toBeCloseTo((left[10]! + 0.2) / 2, 4)
  })

  it('reads IEEE float and WAVE_FORMAT_EXTENSIBLE files', () => {
    const data = Buffer.alloc(8 * 4)
    for (let i = 0; i < 8; i++) data.writeFloatLE(i / 10, i * 4)
    const f = parseWav(riff([['fmt ', fmtChunk(3, 1, 8000, 32)], ['data', data]]))
    expect(f.encoding).toBe('float')
    expect(f.channelData[0]![5]).toBeCloseTo(0.5, 6)

    // cbSize, valid bits, channel mask, then the sub-format GUID starting with 0x0001 (PCM).
    const ext = Buffer.alloc(24)
    ext.writeUInt16LE(22, 0)
    ext.writeUInt16LE(16, 2)
    ext.writeUInt16LE(1, 8)
    const pcm = Buffer.alloc(4)
    pcm.writeInt16LE(16384, 0)
    pcm.writeInt16LE(-32768, 2)
    const e = parseWav(riff([['fmt ', fmtChunk(0xfffe, 1, 8000, 16, ext)], ['data', pcm]]))
    expect(Array.from(e.channelData[0]!)).toEqual([0.5, -1])
  })

  it('skips other chunks (odd sizes padded) and clamps a data size left open by a streaming writer', () => {
    const pcm = encodeWav([tones([[440, 0.5]], 8000, 500)], 8000).subarray(44)
    const file = riff([['fmt ', fmtChunk(1, 1, 8000, 16)], ['LIST', Buffer.from('odd')], ['data', pcm]])
    expect(parseWav(file).durationMs).toBe(500)
    file.writeUInt32LE(0xffffffff, file.length - pcm.length - 4)
    expect(parseWav(file).durationMs).toBe(500)
  })

  it('rejects what it cannot read', () => {
    expect(() => parseWav(Buffer.from('ID3\u0003 not a wav at all'))).toThrow(/not a RIFF\/WAVE/)
    expect(() => parseWav(riff([['fmt ', fmtChunk(6, 1, 8000, 8)], ['data', Buffer.alloc(4)]]))).toThrow(/unsupported WAV format 6/)
    expect(() => parseWav(riff([['fmt ', fmtChunk(1, 1, 8000, 16)]]))).toThrow(/no data chunk/)
    expect(() => parseWav(riff([['data', Buffer.alloc(4)]]))).toThrow(/data chunk before fmt/)
  })
})

describe('loudness and tones', () => {
  it('rms: silence is 0, a full-scale sine about 0.707', () => {
    expect(rms(new Float32Array(800))).toBe(0)
    expect(rms(tones([[1000, 1]], 8000, 1000))).toBeCloseTo(Math.SQRT1_2, 3)
    expect(rms(new Float32Array(0))).toBe(0)
  })

  it('goertzelPower gives A²/2 at the tone and next to nothing elsewhere, even off a DFT bin', () => {
    const s = tones([[437, 0.5]], 8000, 333)
    expect(goertzelPower(s, 8000, 437)).toBeCloseTo(0.125, 3)
    expect(goertzelPower(s, 8000, 1000)).toBeLessThan(1e-4)
    expect(goertzelPower(new Float32Array(0), 8000, 437)).toBe(0)
  })

  it('tells which tones a mix carries and where each one is', () => {
    const rate = 8000
    const mix = new Float32Array([...tones([[440, 0.3]], rate, 1000), ...tones([[440, 0.3], [1000, 0.3]], rate, 1000)])
    expect(toneShare(slice(mix, rate, 0, 1000), rate, 440)).toBeGreaterThan(0.95)
    expect(toneShare(slice(mix, rate, 0, 1000), rate, 1000)).toBeLessThan(0.01)
    const both = slice(mix, rate, 1000)
    expect(both.length).toBe(8000)
    expect(toneShare(both, rate, 440)).toBeCloseTo(0.5, 1)
    expect(toneShare(both, rate, 1000)).toBeCloseTo(0.5, 1)
    expect(toneShare(both, rate, 700)).toBeLessThan(0.01)
    expect(toneShare(new Float32Array(100), rate, 440)).toBe(0)
  })
})
