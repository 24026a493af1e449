#!/usr/bin/env node
// as-encode: convert between .asb and typed NDJSON, or validate either.
//
//   FILE|stdin --> sniff --> lib/convert (chunks over --threads workers:
//     .asb decoder | NDJSON decoder --> [header for .asb output]
//     --> .asb encoder | NDJSON encoder) --> stdout
//
// With --validate the tokens are only counted.
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { Writable } from 'node:stream'
import { availableParallelism } from 'node:os'
import { pipeline } from 'node:stream/promises'
import { baseParser, fileArg, makeLog, openInput, openOutput, run } from './common.js'
import { UsageError } from '../lib/errors.js'
import { ByteCounter, sniffFormat } from '../lib/format.js'
import type { Format } from '../lib/format.js'
import { createConversion } from '../lib/convert/parallel.js'

const NAME = 'as-encode'

/** Default --threads: one worker per core, up to 4 (past that the main thread's cutting and writing is the limit). */
const DEFAULT_THREADS = Math.min(4, availableParallelism())
const MAX_THREADS = 64

function plural (n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`
}

export async function main (argv: string[]): Promise<number> {
  const args = await baseParser(NAME, argv, `$0 [options] [FILE|-]

Convert a backup stream between .asb (asbackup format 3.1) and typed NDJSON
(as-ndjson(5)), either way; the input format is detected. With --validate,
parse only and report counts on stderr.`)
    .option('from', { choices: ['ndjson', 'asb'] as const, describe: 'Input format (default: detected; .asb starts with "Version ")' })
    .option('to', { choices: ['asb', 'ndjson'] as const, describe: 'Output format (default: the other one)' })
    .option('compact', { alias: 'C', type: 'boolean', default: false, describe: '.asb output: raw bytes (B!, L!, M!...) instead of base64, like asbackup --compact' })
    .option('relaxed', { type: 'boolean', default: false, describe: 'NDJSON output: plain readable JSON (lossy, see as-ndjson(5))' })
    .option('validate', { type: 'boolean', default: false, describe: 'Parse without writing; print counts on stderr; exit 1 at the first error' })
    .option('threads', { type: 'number', default: DEFAULT_THREADS, describe: 'Worker threads for inputs over 1 MiB (1: convert on the main thread only)' })
    .command('$0 [file]', false)
    .parseAsync()
  if (argv.includes('--help') || argv.includes('--version')) return 0
  const log = makeLog(NAME, args.verbose)
  const input = openInput(fileArg(args.file))
  const sniffed = await sniffFormat(input.stream)
  const from: Format = args.from ?? sniffed.format
  const to: Format = args.to ?? (from === 'asb' ? 'ndjson' : 'asb')
  if (!args.validate) {
    if (args.compact && to !== 'asb') throw new UsageError('--compact applies to .asb output only')
    if (args.relaxed && to !== 'ndjson') throw new UsageError('--relaxed applies to NDJSON output only')
  }
  const threads = args.threads
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) throw new UsageError(`--threads must be an integer from 1 to ${MAX_THREADS}, got ${String(threads)}`)
  const bytes = new ByteCounter()
  const { counts, stats, stage } = createConversion({
    from,
    to: args.validate ? null : to,
    compact: args.compact,
    relaxed: args.relaxed,
    file: input.name
  }, { threads })
  const summary = (): string =>
    `${plural(counts.records, 'record')}, ${plural(counts.indexes, 'index', 'indexes')}, ${plural(counts.udfs, 'UDF')}, ${plural(bytes.bytes, 'byte')}`

  if (args.validate) {
    await pipeline(sniffed.stream, bytes, stage, new Writable({ write (_c, _e, cb) { cb() } }))
    log.error(`${input.name}: valid ${from === 'asb' ? '.asb' : 'NDJSON'}: ${summary()}`)
    return 0
  }

  const output = openOutput(undefined, { binary: to === 'asb' })
  await pipeline(sniffed.stream, bytes, stage, output.stream)
  log.verbose(`${input.name}: ${from} -> ${to}: ${summary()}`)
  log.verbose(`chunks: ${stats.workerChunks} on worker threads, ${stats.localChunks} on the main thread (${stats.redone} redone after a cut inside a record)`)
  return 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) run(NAME, main)
