import {parentPort, workerData} from 'node:worker_threads'
import type {Sink} from './report-output.js'
import {CHUNKS_AHEAD, produceReport, toWorkerError, type ReportJob, type WorkerMessage} from './run-report.js'

// The worker side of runReportInWorker: makes the report and hands its text to the
// command's thread, at most CHUNKS_AHEAD chunks ahead of what is written.

const port = parentPort!
let unwritten = 0
let wake: (() => void) | null = null
port.on('message', () => {
  unwritten--
  wake?.()
  wake = null
})

const send = (m: WorkerMessage) => port.postMessage(m)

const toParent: Sink = {
  file: null,
  async write(text: string) {
    send({chunk: text})
    unwritten++
    while (unwritten >= CHUNKS_AHEAD) await new Promise<void>((r) => (wake = r))
  },
  async commit() {},
  abort() {},
}

try {
  const rows = await produceReport(workerData as ReportJob, toParent, (n) => send({progress: n}))
  send({done: rows})
} catch (err) {
  send(toWorkerError(err) as WorkerMessage)
}
