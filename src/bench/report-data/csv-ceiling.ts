import {closeSync, openSync, writeSync} from 'node:fs'
import {CALL_COLUMNS} from '../../engine/reports/calls-report.js'
import {writeReport, type Cell, type Sink} from '../../engine/reports/report-output.js'

// The output side alone: rows shaped like `report calls` rows, made in memory and written
// through the same path (csvSafe, csv-stringify, buffered writes) to /dev/null. Its rows/s
// is the most any report can reach on this machine, whatever the database does.

const n = Number(process.argv[2] ?? 1_000_000)

function* rows(): Generator<Cell[]> {
  for (let i = 0; i < n; i++) {
    yield [`call-mvyhslpu-${String(i).padStart(10, '0')}`, '2026-11-02T00:00:00Z', '2026-11-02T00:00:26Z', '2026-11-02T00:02:49Z', 'inbound', '+8613819119443', 'Maria Garcia', '4008001000', 'menu:3', 'q2', 'q2', 0, 1, 19.8, '', 'a099', 143.3, 0, 8.1, '', 'completed', 'caller', `/var/spool/asterisk/recording/call-${i}.wav`, 4]
  }
}

const fd = openSync('/dev/null', 'w')
const sink: Sink = {file: null, write: async (t) => void writeSync(fd, t), commit: async () => {}, abort: () => {}}
const written = await writeReport({kind: 'table', type: 'calls', columns: CALL_COLUMNS, meta: {}, rows: rows()}, sink, {format: 'csv', bom: false})
closeSync(fd)
process.stdout.write(`${written}\n`)
