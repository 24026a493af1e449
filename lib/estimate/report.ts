// The text, JSON and machine lines of as-estimate. The first lines are
// asbackup's show_estimate messages with the same numbers (asb-format.md §7,
// §10); the last says what the random sample supports.
import type { EstimateResult } from './estimate.js'

/** `ESTIMATE:<N>:<upper record size>` (asbackup -m). */
export function machineLine (r: EstimateResult): string {
  return `ESTIMATE:${r.records}:${r.asbackup.upperRecordSize}\n`
}

function countLine (r: EstimateResult): string {
  if (r.sets.length === 0) return `Namespace ${r.namespace} contains ${r.records} record(s)`
  const many = r.sets.length > 1
  return `Set${many ? 's' : ''} ${r.sets.join(', ')} contain${many ? '' : 's'} ${r.records} record(s)`
}

export function estimateLines (r: EstimateResult): string[] {
  const out: string[] = []
  for (const n of r.nodes) out.push(`${n.node.padEnd(20)}${String(n.objects).padEnd(15)}${String(n.replication)}`)
  if (out.length > 0) out.unshift(`${'Node ID'.padEnd(20)}${'Objects'.padEnd(15)}Replication`)
  out.push(countLine(r))
  out.push(r.sampling === 'random'
    ? `Sampled ${r.samples} record(s) from ${r.partitions} of 4096 partitions picked at random (seed ${r.seed ?? ''})`
    : `Sampled the first ${r.samples} record(s) the cluster returned (asbackup's method: not a random sample)`)
  if (r.compression !== null) {
    out.push(`Estimated overall record size before compression is ${r.asbackup.upperRecordSize} byte(s)`)
    out.push(`Approximate compression ratio is ${formatG(100 * r.asbackup.ratio)}%`)
  } else {
    out.push(`Estimated overall record size is ${r.asbackup.upperRecordSize} byte(s)`)
  }
  out.push(`Estimated total backup file size (for backup-to-file, 99.9% confidence): ${r.asbackup.fileSize} byte(s)`)
  if (r.design !== null) {
    const d = r.design
    out.push(`Sample estimate of the backup file size: ${Math.round(d.bytes)} byte(s), ${formatG(100 * d.confidence)}% interval ${d.lower}..${d.upper} byte(s)` +
      ` (mean record ${d.meanRecordSize.toFixed(1)} B, ${d.partitions} partition(s) sampled)`)
  }
  return out
}

/** printf %g */
function formatG (x: number): string {
  if (!Number.isFinite(x)) return String(x)
  return String(Number(x.toPrecision(6)))
}

export function estimateJson (r: EstimateResult): object {
  return {
    namespace: r.namespace,
    sets: r.sets,
    records: r.records,
    nodes: r.nodes,
    sampling: r.sampling,
    seed: r.seed,
    samples: r.samples,
    partitions: r.partitions,
    headerSize: r.headerSize,
    rawBytes: r.rawBytes,
    storedBytes: r.storedBytes,
    compression: r.compression,
    encryption: r.encryption,
    mean: r.stats.mean,
    variance: r.stats.variance,
    ratio: r.asbackup.ratio,
    upperRecordSize: r.asbackup.upperRecordSize,
    fileSize: r.asbackup.fileSize,
    z: r.asbackup.z,
    estimate: r.design === null
      ? null
      : { bytes: Math.round(r.design.bytes), stderr: r.design.stderr, confidence: r.design.confidence, lower: r.design.lower, upper: r.design.upper, meanRecordSize: r.design.meanRecordSize, recordsFromSample: r.design.recordsFromSample }
  }
}
