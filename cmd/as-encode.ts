#!/usr/bin/env node
// as-encode: convert between .asb and typed NDJSON, or validate either.
//
//   FILE|stdin --> sniff --> .asb decoder | NDJSON decoder --> Tokens
//     --> [header for .asb output] --> .asb encoder | NDJSON encoder --> stdout
//
// With --validate the tokens are only counted.
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { baseParser, fileArg, makeLog, openInput, openOutput, run } from './common.js'
import { UsageError } from '../lib/errors.js'
import type { Token } from '../lib/types.js'
import { ByteCounter, sniffFormat } from '../lib/format.js'
import type { Format } from '../lib/format.js'
import { createAsbDecoder } from '../lib/asb/decode.js'
import { createAsbEncoder } from '../lib/asb/encode.js'
import { createNdjsonDecoder } from '../lib/ndjson/decode.js'
import { createNdjsonEncoder } from '../lib/ndjson/encode.js'
import { ensureHeader } from '../lib/ndjson/header.js'

const NAME = 'as-encode'

interface Counts { records: number, indexes: number, udfs: number }

function counter (counts: Counts): Writable {
  return new Writable({
    objectMode: true,
    highWaterMark: 256,
    write (t: Token, _enc, cb) {
      if (t.kind === 'record') counts.records++
      else if (t.kind === 'sindex') counts.indexes++
      else if (t.kind === 'udf') counts.udfs++
      cb()
    }
  })
}

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
  const bytes = new ByteCounter()
  const decoder = from === 'asb' ? createAsbDecoder({ file: input.name }) : createNdjsonDecoder({ file: input.name })
  const counts: Counts = { records: 0, indexes: 0, udfs: 0 }
  const summary = (): string =>
    `${plural(counts.records, 'record')}, ${plural(counts.indexes, 'index', 'indexes')}, ${plural(counts.udfs, 'UDF')}, ${plural(bytes.bytes, 'byte')}`

  if (args.validate) {
    await pipeline(sniffed.stream, bytes, decoder, counter(counts))
    log.error(`${input.name}: valid ${from === 'asb' ? '.asb' : 'NDJSON'}: ${summary()}`)
    return 0
  }

  const output = openOutput(undefined, { binary: to === 'asb' })
  const stages: Transform[] = [bytes, decoder]
  if (to === 'asb' && from === 'ndjson') stages.push(ensureHeader())
  if (args.verbose) {
    stages.push(new Transform({
      objectMode: true,
      transform (t: Token, _enc, cb) {
        if (t.kind === 'record') counts.records++
        else if (t.kind === 'sindex') counts.indexes++
        else if (t.kind === 'udf') counts.udfs++
        cb(null, t)
      }
    }))
  }
  stages.push(to === 'asb' ? createAsbEncoder({ compact: args.compact }) : createNdjsonEncoder({ relaxed: args.relaxed }))
  await pipeline([sniffed.stream, ...stages, output.stream])
  log.verbose(`${input.name}: ${from} -> ${to}: ${summary()}`)
  return 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) run(NAME, main)
