// One as-scan run, from a checked ScanConfig to the last byte: connect,
// check the server, work out the partitions (node-list, resume state), fetch
// indexes and UDFs, scan, keep the state, report. The binary only parses the
// command line, opens the output and turns signals into `signal`.
import { Cluster, type ClusterOptions } from '../client/cluster.js'
import { AsbError, ErrorCode, UsageError } from '../errors.js'
import type { Header, Token } from '../types.js'
import { clientScanSource } from './client-source.js'
import { createTokenEncoder } from './encode.js'
import { nodeListFilters, perJobLimits, planJobs } from './jobs.js'
import { checkServerVersion, fetchIndexes, fetchObjectCount, fetchUdfs, parseBuild } from './metadata.js'
import type { ScanConfig } from './options.js'
import { MAX_PARTITIONS, type NodeSpec, type PartitionFilter } from './parse.js'
import { Progress, summaryLine, type ProgressOptions } from './progress.js'
import { runScan, type RunScanResult, type ScanSource } from './run.js'
import { saveState, ScanState, type Fingerprint } from './state.js'
import type { Writable } from 'node:stream'

export interface SessionIo {
  out: Writable
  /** -o path (absolute), or null for stdout. */
  outputPath: string | null
  /** Where the state is kept (--state-file / --continue), or null. */
  statePath: string | null
  /** Loaded --continue state (already checked against the fingerprint), or null. */
  resume: ScanState | null
  fingerprint: Fingerprint
  /** Cluster connection options besides the hosts (TLS, auth, ...). */
  cluster: Omit<ClusterOptions, 'hosts' | 'defaultPort'>
  signal?: AbortSignal
  /** Diagnostics (prefixed lines) and verbose lines. */
  log: { error: (m: string) => void, verbose: (m: string) => void, info: (m: string) => void }
  progress?: Omit<ProgressOptions, 'estimate' | 'startRecords' | 'startBytes'>
  saveIntervalMs?: number
  /** Tests: a scan source instead of the wire client. */
  source?: ScanSource
}

export interface SessionResult extends RunScanResult {
  state: ScanState
}

/** Match -l node specs to cluster nodes by address (asbackup get_node_names). */
function nodeNames (cluster: Cluster, specs: NodeSpec[]): Set<string> {
  const names = new Set<string>()
  for (const spec of specs) {
    const node = cluster.nodes.find(n => n.address.host === spec.address && n.address.port === spec.port)
    if (node === undefined) throw new UsageError(`Invalid node list. Node ${spec.address}:${spec.port} is not in the cluster`)
    names.add(node.name)
  }
  if (names.size < specs.length) throw new UsageError('Invalid node list. Potentially duplicate nodes or nodes from different clusters.')
  return names
}

export async function runSession (cfg: ScanConfig, io: SessionIo): Promise<SessionResult> {
  const seeds = cfg.nodeList !== null
    ? cfg.nodeList.map(n => ({ host: n.address, port: n.port, ...(n.tlsName !== undefined ? { tlsName: n.tlsName } : {}) }))
    : cfg.host
  const cluster = await Cluster.connect({ ...io.cluster, hosts: seeds, defaultPort: cfg.port })
  try {
    return await scanWith(cluster, cfg, io)
  } finally {
    cluster.close()
  }
}

async function scanWith (cluster: Cluster, cfg: ScanConfig, io: SessionIo): Promise<SessionResult> {
  const info = async (cmd: string): Promise<string> => (await cluster.info([cmd])).get(cmd) ?? ''
  const ns = cfg.namespace
  if (!cluster.namespaces.includes(ns)) throw new AsbError(ErrorCode.INVALID, `namespace ${ns} not found in the cluster`)
  checkServerVersion(parseBuild(await info('build')), {
    modified: cfg.modifiedAfter > 0n || cfg.modifiedBefore > 0n,
    multiSet: cfg.sets.length > 1,
    noTtlOnly: cfg.noTtlOnly
  })

  // partitions: -X/-D as given; -l from the current map (kept in the state for a resume)
  let filters: PartitionFilter[] = cfg.filters
  if (io.resume !== null) filters = io.resume.filters
  else if (cfg.nodeList !== null) {
    const wanted = nodeNames(cluster, cfg.nodeList)
    const masters = Array.from({ length: MAX_PARTITIONS }, (_, pid) => cluster.masterFor(ns, pid)?.name ?? null)
    filters = nodeListFilters(masters, wanted)
    io.log.verbose(`node list ${[...wanted].join(',')}: ${filters.reduce((s, f) => s + f.count, 0)} partition(s)`)
  }
  const state = io.resume ?? new ScanState(ns, io.fingerprint, filters, io.outputPath)
  const parallel = cfg.parallel ?? (cfg.nodeList !== null ? 16 : 1)
  const plan = cfg.noRecords ? { jobs: [], threads: 1 } : planJobs(filters, parallel)
  const limits = perJobLimits(cfg.maxRecords, cfg.recordsPerSecond, Math.max(1, plan.jobs.length), plan.threads)

  let estimate = 0
  try {
    estimate = await fetchObjectCount(async cmd => await cluster.infoAll(cmd), ns, cfg.sets)
    if (cfg.maxRecords > 0 && estimate > cfg.maxRecords) estimate = cfg.maxRecords
  } catch (err) {
    io.log.verbose(`record count unavailable: ${(err as Error).message}`)
  }

  const globals: Token[] = []
  if (!state.globalsDone) {
    const header: Header = { kind: 'header', version: '3.1', namespace: ns, firstFile: true }
    globals.push(header)
    if (!cfg.noIndexes) {
      const idx = await fetchIndexes(info, ns, cfg.sets)
      for (const s of idx.skipped) io.log.error(`warning: skipped ${s}`)
      if (idx.unwantedSet > 0) io.log.verbose(`Skipped ${idx.unwantedSet} index(es) with unwanted set(s)`)
      globals.push(...idx.indexes)
    }
    if (!cfg.noUdfs) globals.push(...await fetchUdfs(info))
  }

  const progress = new Progress({ ...io.progress, estimate, startRecords: state.counts.records, startBytes: state.counts.bytes })
  const statePath = io.statePath
  const source = io.source ?? clientScanSource(cluster, {
    socketTimeoutMs: cfg.socketTimeout,
    totalTimeoutMs: cfg.totalTimeout,
    maxRetries: cfg.maxRetries,
    retryDelayMs: cfg.retryDelay
  })
  let result: RunScanResult
  try {
    result = await runScan({
      source,
      namespace: ns,
      set: cfg.scanSet,
      binNames: cfg.binList,
      noBins: cfg.noBins,
      filterExp: cfg.filterExp,
      jobs: plan.jobs,
      threads: plan.threads,
      maxRecords: cfg.maxRecords,
      jobMaxRecords: limits.maxRecords,
      jobRecordsPerSecond: limits.recordsPerSecond,
      globals,
      encode: createTokenEncoder(cfg.format, { compact: cfg.compact }),
      out: io.out,
      state,
      saveState: statePath !== null ? () => saveState(statePath, state) : undefined,
      saveIntervalMs: io.saveIntervalMs ?? 1000,
      bandwidth: cfg.bandwidth,
      progress,
      signal: io.signal,
      log: io.log.verbose
    })
  } catch (err) {
    progress.clearLine()
    throw Object.assign(err as object, { scanState: state })
  }
  progress.finish(state.counts, { complete: result.complete })
  io.log.info(summaryLine(state.counts))
  return { ...result, state }
}
