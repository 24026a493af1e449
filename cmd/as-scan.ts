#!/usr/bin/env node
// as-scan: back up a namespace (or sets of it) to stdout or -o FILE as typed
// NDJSON (default) or .asb 3.1, with asbackup's selection options and a
// resumable JSON state.
//
//   cluster --info--> header, sindexes, UDFs ─┐
//   cluster --partition scans (-w jobs)-------┴─> encode ─> batches ─> out
//                                                   └─ committed state ─> --state-file
import { realpathSync, truncateSync, statSync, createWriteStream, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Writable } from 'node:stream'
import { baseParser, makeLog, readPasswordFromTty, reportError, run } from './common.js'
import { AsbError, ErrorCode, EXIT_FAILURE, EXIT_OK, UsageError, isBrokenPipe } from '../lib/errors.js'
import { buildScanConfig, fingerprint, type RawScanArgs } from '../lib/scan/options.js'
import { checkFingerprint, loadState, saveState, type ScanState } from '../lib/scan/state.js'
import { runSession } from '../lib/scan/session.js'
import { resolveSecret, tlsOptionsFromArgs } from '../lib/client/tls.js'
import { addConnectionOptions, addScanTimeoutOptions } from './connection.js'

const NAME = 'as-scan'

const str = { type: 'string' } as const
const bool = { type: 'boolean', default: undefined } as const

function parser (argv: string[]) {
  const y = baseParser(NAME, argv, '$0 -n NAMESPACE [options] [> out.ndjson]\n\nScan a namespace into typed NDJSON (default) or .asb 3.1 on stdout.')
    .parserConfiguration({ 'camel-case-expansion': false, 'boolean-negation': false })
    .strict(false).strictOptions(true)
  return addScanTimeoutOptions(addConnectionOptions(y, 'Password; no value = prompt; env:VAR, file:PATH'))
    .option('namespace', { ...str, alias: 'n', describe: 'Namespace (required)' })
    .option('set', { ...str, alias: 's', describe: 'Set(s), comma separated; quote names holding commas' })
    .option('bin-list', { ...str, alias: 'B', describe: 'Only these bins, comma separated' })
    .option('no-bins', { ...bool, alias: 'x', describe: 'Metadata only, no bins' })
    .option('no-records', { ...bool, alias: 'R', describe: 'Header, indexes and UDFs only' })
    .option('no-indexes', { ...bool, alias: 'I', describe: 'No secondary index definitions' })
    .option('no-udfs', { ...bool, alias: 'u', describe: 'No UDF modules' })
    .option('max-records', { ...str, alias: 'M', describe: 'At most this many records (0 = all)' })
    .option('modified-after', { ...str, alias: 'a', describe: 'Last update >= YYYY-MM-DD[_HH:MM:SS] or HH:MM:SS (local time)' })
    .option('modified-before', { ...str, alias: 'b', describe: 'Last update < YYYY-MM-DD[_HH:MM:SS] or HH:MM:SS (local time)' })
    .option('no-ttl-only', { ...bool, describe: 'Only records that never expire' })
    .option('partition-list', { ...str, alias: 'X', describe: 'begin[-count] and base64 digest items, comma separated' })
    .option('after-digest', { ...str, alias: 'D', describe: 'Records after this base64 digest, then later partitions' })
    .option('node-list', { ...str, alias: 'l', describe: 'Partitions mastered by these nodes: ip:port[,ip:port]' })
    .option('filter-exp', { ...str, alias: 'f', describe: 'Base64 of a packed filter expression' })
    .option('prefer-racks', { ...str, describe: 'Rack ids to prefer, comma separated' })
    .option('parallel', { ...str, alias: 'w', describe: 'Concurrent scan jobs, 1..100 (1; 16 with -l)' })
    .option('records-per-second', { ...str, alias: 'L', describe: 'Server-side rate limit (0 = none)' })
    .option('nice', { ...str, alias: 'N', describe: 'Output bandwidth limit, MiB/s' })
    .option('output-file', { ...str, alias: 'o', describe: 'Write to FILE (- = stdout)' })
    .option('format', { ...str, describe: 'ndjson (default) or asb' })
    .option('compact', { ...bool, alias: 'C', describe: '.asb: raw bytes for blobs instead of base64' })
    .option('state-file', { ...str, describe: 'Keep a resumable state in FILE' })
    .option('continue', { ...str, alias: 'c', describe: 'Resume from the state FILE (same options)' })
    .option('progress', { ...str, describe: 'auto (terminal only), tty, json, none' })
    .option('machine', { ...str, alias: 'm', describe: 'Append asbackup PROGRESS:/REMAINING:/SUMMARY: lines to FILE' })
}



export async function main (argv: string[]): Promise<number> {
  const args = await parser(argv).parseAsync()
  if (argv.includes('--help') || argv.includes('--version')) return EXIT_OK
  const a = args as unknown as RawScanArgs & { [k: string]: unknown }
  const log = makeLog(NAME, args.verbose)
  const cfg = buildScanConfig(a)
  const s = (k: string): string | undefined => typeof a[k] === 'string' ? a[k] as string : undefined
  const b = (k: string): boolean => a[k] === true

  const progressMode = (s('progress') ?? 'auto').toLowerCase()
  if (!['auto', 'tty', 'json', 'none'].includes(progressMode)) throw new UsageError(`Invalid progress mode ${s('progress') ?? ''} (expected auto, tty, json or none)`)

  // state
  let resume: ScanState | null = null
  const fp = fingerprint(cfg, a)
  if (cfg.continueFrom !== null) {
    resume = loadState(cfg.continueFrom)
    checkFingerprint(cfg.continueFrom, resume.options, fp)
  }
  const statePath = cfg.stateFile ?? cfg.continueFrom

  // output
  const outArg = s('output-file')
  const outputPath = outArg !== undefined && outArg !== '-' ? resolve(outArg) : null
  if (resume !== null && (resume.outputPath ?? null) !== outputPath) {
    throw new UsageError(`--continue ${cfg.continueFrom ?? ''}: the interrupted run wrote to ${resume.outputPath ?? 'stdout'}; give the same -o`)
  }
  if (resume !== null && resume.complete) {
    log.info(`${NAME}: ${cfg.continueFrom ?? ''}: the scan was already complete; nothing to do`)
    return EXIT_OK
  }
  let out: Writable
  if (outputPath !== null) {
    if (resume !== null) {
      if (!existsSync(outputPath)) throw new AsbError(ErrorCode.IO, `cannot resume: ${outputPath} is missing`)
      const size = statSync(outputPath).size
      if (size < resume.outputBytes) throw new AsbError(ErrorCode.IO, `cannot resume: ${outputPath} has ${size} bytes, the state says ${resume.outputBytes} were written`)
      truncateSync(outputPath, resume.outputBytes)
      out = createWriteStream(outputPath, { flags: 'a' })
    } else {
      out = createWriteStream(outputPath)
    }
  } else {
    if (cfg.format === 'asb' && process.stdout.isTTY === true) {
      throw new UsageError('refusing to write .asb data to a terminal; redirect stdout or use -o FILE')
    }
    out = process.stdout
  }

  // credentials
  let password: string | undefined
  if (cfg.user !== null) {
    password = cfg.password === null || cfg.password === '' ? readPasswordFromTty() : resolveSecret(cfg.password, process.env)
  }
  const tls = tlsOptionsFromArgs(a, process.env)

  // signals: the first stops cleanly (state saved), a second one exits at once
  const stop = new AbortController()
  let signals = 0
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++
    if (signals > 1) process.exit(sig === 'SIGINT' ? 130 : 143)
    stop.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const stderrTty = process.stderr.isTTY === true
  const progress = {
    tty: progressMode === 'tty' || (progressMode === 'auto' && stderrTty) ? process.stderr : undefined,
    json: progressMode === 'json' ? process.stderr : undefined,
    machinePath: s('machine')
  }
  const resumeHint = (path: string): string =>
    `to resume, run ${NAME} --continue ${path} with the same options${outputPath !== null ? ` (and -o ${outArg ?? ''})` : ''}`

  try {
    const result = await runSession(cfg, {
      out,
      outputPath,
      statePath,
      resume,
      fingerprint: fp,
      cluster: {
        tls,
        auth: cfg.user !== null || cfg.auth === 'PKI' ? { mode: cfg.auth ?? 'INTERNAL', user: cfg.user ?? undefined, password } : undefined,
        servicesAlternate: b('services-alternate'),
        connectTimeoutMs: cfg.socketTimeout > 0 ? cfg.socketTimeout : undefined
      },
      signal: stop.signal,
      log,
      progress
    })
    await closeOutput(out)
    if (result.interrupted) {
      const path = statePath ?? defaultStatePath(cfg.namespace, outputPath)
      if (statePath === null) saveState(path, result.state)
      log.error(`interrupted; ${resumeHint(path)}`)
      return EXIT_FAILURE
    }
    return EXIT_OK
  } catch (err) {
    if (isBrokenPipe(err)) return EXIT_OK
    const st = (err as { scanState?: ScanState }).scanState
    const code = reportError(NAME, err)
    if (st !== undefined && st.globalsDone) {
      const path = statePath ?? defaultStatePath(cfg.namespace, outputPath)
      try {
        if (statePath === null) saveState(path, st)
        log.error(`the scan stopped early; ${resumeHint(path)}`)
      } catch { /* the first error was reported */ }
    }
    await closeOutput(out).catch(() => {})
    return code
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

function defaultStatePath (ns: string, outputPath: string | null): string {
  return outputPath !== null ? `${outputPath}.state` : resolve(`${ns}.scan.state`)
}

async function closeOutput (out: Writable): Promise<void> {
  if (out === process.stdout) return
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject)
    out.end(() => resolve())
  })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) run(NAME, main)
