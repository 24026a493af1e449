#!/usr/bin/env node
// as-ttl-audit: the retention side of a namespace. Reads a live namespace
// (metadata-only scan) or a backup (.asb or NDJSON on stdin / FILE), shows
// when its records expire, per set, and what the namespace configuration
// (nsup, default-ttl, eviction, stop-writes, per-set limits) and a restore
// (--target-namespace, --at, --extra-ttl) would do with them.
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { baseParser, makeLog, openInput, readPasswordFromTty, run } from './common.js'
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../lib/errors.js'
import { Cluster } from '../lib/client/cluster.js'
import { connectionFrom } from '../lib/estimate/connection.js'
import { addConnectionOptions, addScanTimeoutOptions } from './connection.js'
import { parseSetList, parseIntOption } from '../lib/scan/parse.js'
import { createDecodeFn } from '../lib/restore/decode.js'
import { clepochNow } from '../lib/restore/ttl.js'
import { failed, SEVERITIES, type Severity } from '../lib/ttl-audit/findings.js'
import { reportJson, reportText } from '../lib/ttl-audit/report.js'
import { runAudit } from '../lib/ttl-audit/run.js'

const NAME = 'as-ttl-audit'
const str = { type: 'string' } as const
const bool = { type: 'boolean', default: undefined } as const

function parser (argv: string[]) {
  const y = baseParser(NAME, argv, '$0 -n NAMESPACE [-s SETS] [options]        (live namespace)\n' +
    '$0 [FILE|-] [--target-namespace NS] [options]   (backup, .asb or NDJSON)\n\n' +
    'When do the records expire, and what do nsup, eviction, stop-writes and a restore do with them. ' +
    'Exit 0 when no finding reaches --fail-on (default error), 1 when one does, 2 on usage errors.')
    .parserConfiguration({ 'camel-case-expansion': false, 'boolean-negation': false })
    .strict(false).strictOptions(true)
  return addScanTimeoutOptions(addConnectionOptions(y))
    .option('namespace', { ...str, alias: 'n', describe: 'Audit this live namespace (metadata-only scan)' })
    .option('set', { ...str, alias: 's', describe: 'Only these sets, comma separated' })
    .option('target-namespace', { ...str, describe: 'Check a restore of the input into this namespace (its config is read from the cluster)' })
    .option('at', { ...str, describe: 'Evaluate at this time: ISO 8601, or Unix seconds (default now)' })
    .option('extra-ttl', { ...str, describe: 'Seconds a restore adds to each TTL (as as-restore --extra-ttl)' })
    .option('fail-on', { ...str, describe: 'Exit 1 when a finding is at this severity or above: info, warning, error (default error)' })
    .option('json', { ...bool, describe: 'One JSON document on stdout instead of the table' })
}

/** --at: ISO 8601 or Unix seconds -> seconds since the citrusleaf epoch. */
export function parseAt (s: string): number {
  if (/^\d+$/.test(s)) return clepochNow(Number(s) * 1000)
  const ms = Date.parse(s)
  if (!/^\d{4}-\d{2}-\d{2}/.test(s) || Number.isNaN(ms)) throw new UsageError(`Invalid --at ${s} (expected ISO 8601 like 2026-11-21T12:00:00Z, or Unix seconds)`)
  return clepochNow(ms)
}

export async function main (argv: string[]): Promise<number> {
  const args = await parser(argv).parseAsync()
  if (argv.includes('--help') || argv.includes('--version')) return EXIT_OK
  const a = args as unknown as { [k: string]: unknown }
  const log = makeLog(NAME, args.verbose)
  const s = (k: string): string | undefined => typeof a[k] === 'string' ? a[k] as string : undefined
  const failOn = (s('fail-on') ?? 'error').toLowerCase()
  if (!(SEVERITIES as string[]).includes(failOn)) throw new UsageError(`Invalid --fail-on ${s('fail-on') ?? ''} (expected info, warning or error)`)
  const now = s('at') !== undefined ? parseAt(s('at')!) : clepochNow(Date.now())
  const extraTtl = s('extra-ttl') === undefined ? 0 : parseIntOption(s('extra-ttl')!, 'extra-ttl', 0, 2147483647)
  const sets = s('set') !== undefined ? parseSetList(s('set')!) : []
  const rest = (a._ as Array<string | number> | undefined) ?? []
  if (rest.length > 1) throw new UsageError(`Unexpected trailing argument ${String(rest[1])}`)
  const file = rest.length === 0 ? undefined : String(rest[0])
  const ns = s('namespace')
  const target = s('target-namespace')
  let mode: 'live' | 'backup'
  if (file !== undefined) {
    if (ns !== undefined) throw new UsageError('give either -n NAMESPACE (live) or a backup FILE, not both; use --target-namespace to compare a backup with a namespace')
    mode = 'backup'
  } else if (ns !== undefined) mode = 'live'
  else if (process.stdin.isTTY !== true) mode = 'backup'
  else throw new UsageError('nothing to audit: give -n NAMESPACE for a live namespace, or a backup on stdin / as FILE')

  const needCluster = mode === 'live' || target !== undefined
  const conn = needCluster ? connectionFrom(a, process.env, readPasswordFromTty) : null
  const cluster = conn !== null ? await Cluster.connect(conn.cluster) : null
  try {
    let tokens
    if (mode === 'backup') {
      const input = openInput(file, { highWaterMark: 1 << 20 })
      tokens = createDecodeFn({})(input.stream, input.name)
    }
    const report = await runAudit({
      cluster,
      namespace: mode === 'live' ? ns : undefined,
      tokens,
      target,
      sets,
      now,
      extraTtl,
      scan: conn === null
        ? undefined
        : { socketTimeoutMs: conn.socketTimeoutMs, totalTimeoutMs: conn.totalTimeoutMs, maxRetries: conn.maxRetries, retryDelayMs: conn.retryDelayMs, onProgress: n => log.verbose(`${n} records scanned`) }
    })
    process.stdout.write(a.json === true ? JSON.stringify(reportJson(report), null, 2) + '\n' : reportText(report))
    return failed(report.findings, failOn as Severity) ? EXIT_FAILURE : EXIT_OK
  } finally {
    cluster?.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) run(NAME, main)
