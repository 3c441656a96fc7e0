import {parentPort, workerData} from 'node:worker_threads'
import {DirectWriter, type Sink} from './report-output.js'
import {CHUNKS_AHEAD, produceReport, toWorkerError, type ReportJob, type WorkerMessage} from './run-report.js'

// The worker side of runReportInWorker: makes the report and writes it into the file the
// command opened, or hands its text to the command's thread (stdout), at most
// CHUNKS_AHEAD chunks ahead of what is written.

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
  const job = workerData as ReportJob
  const rows = await produceReport(job, job.direct ? new DirectWriter(job.direct) : toParent, (n) => send({progress: n}))
  send({done: rows})
} catch (err) {
  send(toWorkerError(err) as WorkerMessage)
}
