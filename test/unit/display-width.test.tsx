import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import {fit} from '../../src/ui/dashboard/cells.js'
import {Table} from '../../src/ui/dashboard/table.js'
import {table} from '../../src/ui/render.js'

// What a terminal draws (and what Ink lays out with): each of these takes two columns,
// a letter with combining marks one. The old hand-written tables said 5 or 6 for the
// family, 1 for the heart, 2 for an "a" with a combining arrow above.
const FAMILY = '👨‍👩‍👧'
const FLAG = '🇨🇳'
const HEART = '❤️'
const ACCENTED = 'e\u0301' // é written as e + combining acute
const ARROWED = 'a\u20d7' // a + combining right arrow above (outside U+0300-036F)

const strip = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '')

describe('CLI tables (render.ts) measure like the terminal', () => {
  it('pads emoji, flags, CJK and combining marks so the next column lines up', () => {
    const rows = [FAMILY, FLAG, HEART, '客服', `caf${ACCENTED}`, `${ARROWED}${ARROWED}`].map((name, i) => ({name, n: i}))
    const out = strip(table(rows, [{header: 'NAME', get: (r) => r.name}, {header: 'N', get: (r) => r.n}])).split('\n')
    expect(out).toEqual([
      'NAME  N',
      `${FAMILY}    0`,
      `${FLAG}    1`,
      `${HEART}    2`,
      '客服  3',
      `caf${ACCENTED}  4`,
      `${ARROWED}${ARROWED}    5`,
    ])
  })
})

describe('dashboard cells (cells.ts fit) cut between graphemes', () => {
  it('keeps a ZWJ family, a flag, an emoji heart and accents whole when cutting', () => {
    expect(fit(FAMILY + FAMILY, 3)).toBe(`${FAMILY}…`)
    expect(fit(FLAG + FLAG, 3)).toBe(`${FLAG}…`)
    expect(fit(`${HEART}${HEART}`, 3)).toBe(`${HEART}…`)
    expect(fit(`${ARROWED}${ARROWED}${ARROWED}`, 2)).toBe(`${ARROWED}…`)
    expect(fit('客服中心', 4)).toBe('客… ')
  })
  it('pads to exactly the column width', () => {
    expect(fit(HEART, 4)).toBe(`${HEART}  `)
    expect(fit(FAMILY, 4, 'right')).toBe(`  ${FAMILY}`)
    expect(fit(`caf${ACCENTED}`, 5)).toBe(`caf${ACCENTED} `)
  })
  it('lines the columns up in an Ink-rendered dashboard table', () => {
    const rows = [FAMILY, FLAG, HEART, '客服', `caf${ACCENTED}`, `${ARROWED}${ARROWED}${ARROWED}${ARROWED}${ARROWED}${ARROWED}`]
    const {lastFrame, unmount} = render(
      <Table columns={[{header: 'NAME', width: 5, cell: (r: string) => r}, {header: 'X', width: 1, cell: () => 'x'}]} rows={rows} width={20} height={10} selected={null} />,
    )
    const lines = strip(lastFrame() ?? '').split('\n')
    unmount()
    expect(lines).toEqual(['NAME  X', `${FAMILY}    x`, `${FLAG}    x`, `${HEART}    x`, '客服  x', `caf${ACCENTED}  x`, `${ARROWED}${ARROWED}${ARROWED}${ARROWED}… x`])
  })
})
