import {parentPort, workerData} from 'node:worker_threads'
import type {Sink} from './report-output.js'
import {produceReport, toWorkerError, type ReportJob, type WorkerMessage} from './run-report.js'

// The worker side of runReportInWorker: makes the report and hands its text to the
// command's thread, waiting for each chunk to be written before making more.

const port = parentPort!
const acks: (() => void)[] = []
port.on('message', () => acks.shift()?.())

const send = (m: WorkerMessage) => port.postMessage(m)

const toParent: Sink = {
  file: null,
  async write(text: string) {
    const written = new Promise<void>((r) => acks.push(r))
    send({chunk: text})
    await written
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
