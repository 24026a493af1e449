// One as-ttl-audit run: read the configurations it needs, fold the input
// (live scan or decoded backup) into the distribution, derive the findings.
import type { Cluster } from '../client/cluster.js'
import { UsageError } from '../errors.js'
import type { Token } from '../types.js'
import { backupDistribution, scanDistribution, type LiveScanOptions } from './audit.js'
import { readNamespaceConfig, type NamespaceConfig } from './config.js'
import type { Distribution } from './distribution.js'
import { audit, RestoreCounter } from './findings.js'
import type { AuditReport } from './report.js'

export interface RunAuditOptions {
  /** Needed for a live namespace and for `target`. */
  cluster: Cluster | null
  /** A live namespace to scan (metadata only)... */
  namespace?: string
  /** ...or a decoded backup. */
  tokens?: AsyncIterable<Token>
  /** --target-namespace: check a restore of the input into it. */
  target?: string
  /** Only these sets (default all). */
  sets?: string[]
  /** Seconds since the citrusleaf epoch to evaluate at. */
  now: number
  /** Seconds a restore adds to each expiring record's TTL (default 0). */
  extraTtl?: number
  /** Scan timeouts and progress for a live namespace. */
  scan?: Omit<LiveScanOptions, 'namespace' | 'sets'>
}

export async function runAudit (o: RunAuditOptions): Promise<AuditReport> {
  const cluster = o.cluster
  const readConfig = async (name: string): Promise<NamespaceConfig> => {
    if (cluster === null) throw new UsageError(`a cluster is needed to read the configuration of namespace ${name}`)
    if (!cluster.namespaces.includes(name)) throw new UsageError(`namespace ${name} not found in the cluster`)
    return await readNamespaceConfig(async cmd => await cluster.infoAll(cmd), name)
  }
  const target = o.target !== undefined ? await readConfig(o.target) : null
  const extraTtl = o.extraTtl ?? 0
  let distribution: Distribution
  let restore: RestoreCounter | null
  let config: NamespaceConfig | null = null
  let namespace: string | null
  let source: 'live' | 'backup'
  if (o.namespace !== undefined) {
    source = 'live'
    config = await readConfig(o.namespace)
    namespace = o.namespace
    restore = target !== null ? new RestoreCounter(o.now, extraTtl) : null
    distribution = await scanDistribution(cluster!, { ...o.scan, namespace: o.namespace, sets: o.sets }, o.now, restore ?? undefined)
  } else if (o.tokens !== undefined) {
    source = 'backup'
    const b = await backupDistribution(o.tokens, o.now, extraTtl, o.sets)
    distribution = b.distribution
    restore = b.restore
    namespace = b.namespace
  } else {
    throw new UsageError('nothing to audit: give a namespace or a backup')
  }
  return {
    source,
    namespace,
    distribution,
    config,
    target,
    restore,
    findings: audit({ distribution, config, target, restore, source })
  }
}
