// RecordWriter over lib/client's Writer (our wire protocol: values go out as
// the exact particle bytes the stream carries).
import type { Cluster } from '../client/cluster.js'
import { createWriter } from '../client/writer.js'
import type { ExistsPolicy as ClientExists, WriteResult } from '../client/writer.js'
import type { WritePolicy } from './policy.js'
import { CLIENT_ERROR, CLIENT_RETRY } from './retry.js'
import type { RecordWriter, WriteItem } from './writer.js'

export interface ClientWriterOptions {
  policy: WritePolicy
  /** Per-request timeout, ms (--total-timeout, or --timeout when that is 0). */
  timeoutMs: number
  /** Single-record requests in flight at once. */
  maxInFlight: number
}

const EXISTS: { [k in WritePolicy['exists']]: ClientExists } = {
  ignore: 'update',
  create: 'create-only',
  'create-or-replace': 'create-or-replace'
}

/** Client-side failures become CLIENT_RETRY (may not have reached the server) or CLIENT_ERROR. */
export function resultCode (r: WriteResult): number {
  if (r.error !== undefined) return r.retryable ? CLIENT_RETRY : CLIENT_ERROR
  return r.resultCode
}

export function createClientWriter (cluster: Cluster, opts: ClientWriterOptions): RecordWriter {
  const w = createWriter(cluster, {
    exists: EXISTS[opts.policy.exists],
    generation: opts.policy.gen,
    // the key goes with the record whenever the backup carried it (+ k)
    sendKey: true,
    timeoutMs: opts.timeoutMs,
    maxInFlight: opts.maxInFlight
  })
  return {
    async writeBatch (items: WriteItem[]): Promise<number[]> {
      const res = await w.batchWrite(items.map((it) => ({ record: it.record, ttl: it.ttl })))
      return res.map(resultCode)
    },
    async writeOne (item: WriteItem): Promise<number> {
      return resultCode(await w.put(item.record, item.ttl))
    }
  }
}
