// The one adapter between the scan runner and the data-plane client
// (lib/client/scan.ts): a ScanRequest becomes a PartitionScan stream, which
// routes each partition to its master, retries unavailable partitions from
// their last digest and honours backpressure.
import { createPartitionScan } from '../client/scan.js'
import type { Cluster } from '../client/cluster.js'
import type { ScanSource } from './run.js'

/** Records a job's scan stream buffers ahead of the sink. */
export const SCAN_HIGH_WATER_MARK = 64

export interface ClientSourceOptions {
  socketTimeoutMs: number
  totalTimeoutMs: number
  maxRetries: number
  retryDelayMs: number
  /** Node jobs one partition scan runs at once (default: one per node). */
  nodeParallel?: number
}

export function clientScanSource (cluster: Cluster, o: ClientSourceOptions): ScanSource {
  return (req, signal) => {
    const scan = createPartitionScan(cluster, {
      namespace: req.namespace,
      set: req.set,
      partitions: req.partitions.map(p => ({ id: p.id, digest: p.after ?? null })),
      maxRecords: req.maxRecords,
      recordsPerSecond: req.recordsPerSecond,
      bins: req.binNames ?? undefined,
      noBins: req.noBins,
      filterExpression: req.filterExp ?? undefined,
      socketTimeoutMs: o.socketTimeoutMs,
      totalTimeoutMs: o.totalTimeoutMs,
      maxRetries: o.maxRetries,
      retryDelayMs: o.retryDelayMs,
      parallel: o.nodeParallel ?? Math.max(1, cluster.nodes.length),
      // records buffered per job: the sink batches 64 KiB anyway, and big
      // records (up to 8 MiB) times a deep buffer would be most of the RSS
      highWaterMark: SCAN_HIGH_WATER_MARK
    })
    const stop = (): void => { scan.destroy() }
    if (signal.aborted) stop()
    else signal.addEventListener('abort', stop, { once: true })
    scan.once('close', () => signal.removeEventListener('abort', stop))
    return scan
  }
}
