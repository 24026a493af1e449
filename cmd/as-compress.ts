#!/usr/bin/env node
// as-compress: zstd filter for the middle of a pipeline, compatible with
// asbackup -z zstd (asb-format.md §3). Compress by default, -d to decompress.
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { baseParser, fileArg, makeLog, openInput, openOutput, pipeToOutput, run } from './common.js'
import { UsageError } from '../lib/errors.js'
import { createZstdCompress, createZstdDecompress } from '../lib/compress/zstd.js'
import { minorGc, primeAllocator } from '../lib/compress/reclaim.js'
import { ZSTD_DEFAULT_LEVEL, ZSTD_DEFAULT_WORKERS, ZSTD_MAX_LEVEL, ZSTD_MAX_WORKERS, ZSTD_MIN_LEVEL } from '../lib/compress/constants.js'

const NAME = 'as-compress'

export async function main (argv: string[]): Promise<number> {
  const args = await baseParser(NAME, argv, '$0 [-d] [--level N] [--workers N] [FILE|-]\n\n' +
    'zstd-compress FILE (default stdin) to stdout, or decompress it with -d. Output is standard zstd frames, ' +
    'readable by asrestore -z zstd and zstd -d; -d reads any number of concatenated frames.')
    .option('decompress', { alias: 'd', type: 'boolean', default: false, describe: 'Decompress' })
    .option('compress', { alias: 'z', type: 'string', describe: 'Algorithm; only zstd (accepted as in asbackup -z zstd)' })
    .option('level', { alias: 'l', type: 'number', describe: `Compression level ${ZSTD_MIN_LEVEL}-${ZSTD_MAX_LEVEL} (default ${ZSTD_DEFAULT_LEVEL}, as asbackup)` })
    .option('compression-level', { type: 'number', hidden: true })
    .option('workers', { type: 'number', describe: 'zstd worker threads when compressing (default 1, as the zstd CLI; 0 = none, as asbackup)' })
    .option('check', { type: 'boolean', default: true, describe: 'Write a content checksum in each frame (--no-check: none, as asbackup)' })
    .option('output', { alias: 'o', type: 'string', describe: 'Write to FILE instead of stdout (removed again on failure)' })
    .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'Write compressed data even to a terminal' })
    .command('$0 [file]', false)
    .parseAsync()
  if (argv.includes('--help') || argv.includes('--version')) return 0
  const log = makeLog(NAME, args.verbose)
  if (args.compress !== undefined && args.compress !== '' && args.compress !== 'zstd') {
    throw new UsageError(`unsupported compression "${args.compress}": only zstd (as asbackup)`)
  }
  const level = args.level ?? args['compression-level']
  if (level !== undefined && args.decompress) throw new UsageError('--level only applies when compressing')
  if (level !== undefined && (!Number.isInteger(level) || level < ZSTD_MIN_LEVEL || level > ZSTD_MAX_LEVEL)) {
    throw new UsageError(`--level must be an integer from ${ZSTD_MIN_LEVEL} to ${ZSTD_MAX_LEVEL}`)
  }
  const workers = args.workers ?? ZSTD_DEFAULT_WORKERS
  if (args.workers !== undefined && args.decompress) throw new UsageError('--workers only applies when compressing')
  if (!Number.isInteger(workers) || workers < 0 || workers > ZSTD_MAX_WORKERS) {
    throw new UsageError(`--workers must be an integer from 0 to ${ZSTD_MAX_WORKERS}`)
  }
  // yargs 18 parses a lone `-` positional as `true`.
  const file = fileArg(args.file)
  const input = openInput(file, { highWaterMark: 1024 * 1024 })
  const reclaim = minorGc()
  primeAllocator(reclaim)
  const stage = args.decompress
    ? createZstdDecompress({ file: input.name, reclaim })
    : createZstdCompress({ level, checksum: args.check, reclaim, workers })
  // Decompressed output is usually .asb text, which a terminal can show.
  const out = openOutput(args.output, { binary: !args.decompress, force: args.force })
  await pipeToOutput(input.stream, stage, out)
  const s = stage.stats
  if (args.decompress) log.verbose(`${s.bytesIn} -> ${s.bytesOut} bytes, ${s.frames} frame(s)`)
  else log.verbose(`${s.bytesIn} -> ${s.bytesOut} bytes (${s.bytesIn > 0 ? (100 * s.bytesOut / s.bytesIn).toFixed(1) : '-'}%)`)
  return 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) run(NAME, main)
