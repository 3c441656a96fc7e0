import {describe, expect, it} from 'vitest'
import {table} from '../../src/ui/render.js'
import {displayWidth} from '../../src/ui/text-width.js'

// CLI tables on a terminal fit its width (the misuse report's `ticket list` at 80 columns:
// one long contact number pushed every row past the screen, and the subject wrapped onto the
// next line split mid-number); piped, rows stay whole.
const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '')

const tickets = [
  {id: 'T-000001', status: 'open', priority: 'urgent', due: 'in 3h 49m', contact: '+8613800138000', subject: '包裹在上海滞留三天了，客户要求退款并投诉快递员态度'},
  {id: 'T-000005', status: 'open', priority: 'high', due: 'in 23h 59m', contact: '-', subject: '=1+1'},
]
const columns = [
  {header: 'ID', get: (t: (typeof tickets)[number]) => t.id, keep: true},
  {header: 'STATUS', get: (t: (typeof tickets)[number]) => t.status},
  {header: 'PRIORITY', get: (t: (typeof tickets)[number]) => t.priority},
  {header: 'DUE', get: (t: (typeof tickets)[number]) => t.due},
  {header: 'CONTACT', get: (t: (typeof tickets)[number]) => t.contact},
  {header: 'SUBJECT', get: (t: (typeof tickets)[number]) => t.subject},
]

describe('table() on a terminal', () => {
  it('fits 80 columns: the widest column gives way, cut with … on a character boundary', () => {
    const lines = plain(table(tickets, columns, {width: 80})).split('\n')
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(80)
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['ID', 'STATUS', 'PRIORITY', 'DUE', 'CONTACT', 'SUBJECT'])
    // The subject was cut, not the short columns: each row is whole on one line.
    expect(lines[1]).toMatch(/^T-000001  open    urgent    in 3h 49m   \+8613800138000  包裹在上海.*…$/)
    expect(lines[2]).toMatch(/^T-000005  open    high      in 23h 59m  -\s+=1\+1$/)
  })

  it('at 40 columns cuts the widest ones down to their headers and never a kept id', () => {
    const rows = [{id: 'call-mxdjokz0-af9c598afa', name: '王芳王芳王芳王芳王芳', endpoint: 'Local/1-5-20-sim01@callctl-sim-agent'}]
    const cols = [
      {header: 'CALL', get: (r: (typeof rows)[number]) => r.id, keep: true},
      {header: 'NAME', get: (r: (typeof rows)[number]) => r.name},
      {header: 'ENDPOINT', get: (r: (typeof rows)[number]) => r.endpoint},
    ]
    const [head, row] = plain(table(rows, cols, {width: 40})).split('\n')
    expect(row).toContain('call-mxdjokz0-af9c598afa')
    // 24 + 2 + NAME (4, its header) + 2 + ENDPOINT (8): the narrowest it can go, past 40.
    expect(head).toBe('CALL                      NAME  ENDPOINT')
    expect(row).toBe('call-mxdjokz0-af9c598afa  王…   Local/1…')
  })

  it('without a width (a pipe, a file, --out) rows are whole', () => {
    const lines = plain(table(tickets, columns, {})).split('\n')
    expect(lines[1]).toContain('包裹在上海滞留三天了，客户要求退款并投诉快递员态度')
    expect(displayWidth(lines[1]!)).toBeGreaterThan(80)
  })

  it('leaves out optional columns, last first, only when the row cannot fit with every column at its header (calls at 80 columns)', () => {
    const rows = [{id: 'call-mxdtza82-90a2e99b42', number: '+15554300002', name: 'Sim 76a05c 2', queue: '客服', agent: 'hx01', state: 'connected', waited: '0:01', talk: '0:58', keys: '-', tier: 'VIP'}]
    type Row = (typeof rows)[number]
    const cols = [
      {header: 'CALL', get: (r: Row) => r.id, keep: true},
      ...(['CALLER', 'NAME', 'QUEUE', 'AGENT', 'STATE', 'WAITED', 'TALK'] as const).map((h) => ({header: h, get: (r: Row) => ({CALLER: r.number, NAME: r.name, QUEUE: r.queue, AGENT: r.agent, STATE: r.state, WAITED: r.waited, TALK: r.talk})[h]})),
      {header: 'KEYS', get: (r: Row) => r.keys, optional: true},
      {header: 'TIER', get: (r: Row) => r.tier, optional: true},
    ]
    const at80 = plain(table(rows, cols, {width: 80})).split('\n')
    for (const l of at80) expect(displayWidth(l)).toBeLessThanOrEqual(80)
    expect(at80[0]!.split(/\s{2,}/).at(-1)).toBe('KEYS')
    expect(at80[1]).toMatch(/^call-mxdtza82-90a2e99b42  /)
    // Room for them all: nothing left out.
    expect(plain(table(rows, cols, {width: 100})).split('\n')[0]!.split(/\s{2,}/).at(-1)).toBe('TIER')
    // Piped: every column, whole.
    expect(plain(table(rows, cols, {})).split('\n')[1]).toContain('VIP')
  })
})
