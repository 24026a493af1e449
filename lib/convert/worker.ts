// A lib/convert worker: converts one chunk per message, in order.
import { parentPort } from 'node:worker_threads'
import { convertChunk } from './chunk.js'
import type { JobMessage } from './wire.js'

parentPort!.on('message', (m: JobMessage) => {
  const result = convertChunk(m)
  const transfer: ArrayBuffer[] = [m.bytes.buffer as ArrayBuffer]
  if (result.out !== null && result.out.buffer !== m.bytes.buffer) transfer.push(result.out.buffer as ArrayBuffer)
  parentPort!.postMessage(result, transfer)
})
