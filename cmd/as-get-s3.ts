#!/usr/bin/env node
// as-get-s3: write an S3 object to stdout (or FILE) with parallel ranged GETs,
// or list the keys under a prefix with --list.
import { realpathSync, unlinkSync } from 'node:fs'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import { pathToFileURL } from 'node:url'
import { baseParser, fileArg, makeLog, openOutput, run } from './common.js'
import { UsageError } from '../lib/errors.js'
import {
  abortOnSignals, createDownloadStream, createS3Client, formatS3Url, listObjects, MiB, parseS3Url,
  positiveInt, progressTargets, S3_CLIENT_OPTIONS, s3ClientOptionsFrom, TransferProgress
} from '../lib/storage/s3/index.js'

const NAME = 'as-get-s3'

export async function main (argv: string[]): Promise<number> {
  const args = await baseParser(NAME, argv, `$0 [options] s3://BUCKET/KEY [FILE|-]\n$0 --list s3://BUCKET/PREFIX\n\nWrite an S3 object to FILE (default stdout), or list keys.`)
    .options(S3_CLIENT_OPTIONS)
    .option('s3-max-async-downloads', { type: 'number', default: 32, describe: 'Ranged GETs at once' })
    .option('s3-chunk-size', { type: 'number', default: 5, describe: 'Bytes per ranged GET, MiB (1..5120)' })
    .option('list', { alias: 'l', type: 'boolean', default: false, describe: 'Print s3://BUCKET/KEY of every object under the prefix, one per line' })
    .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'Write binary data even to a terminal' })
    .command('$0 <url> [file]', false)
    .parseAsync()
  if (argv.includes('--help') || argv.includes('--version')) return 0
  const log = makeLog(NAME, args.verbose)
  const concurrency = positiveInt('s3-max-async-downloads', args['s3-max-async-downloads'], 1, 1000)
  const chunkSize = positiveInt('s3-chunk-size', args['s3-chunk-size'], 1, 5120) * MiB
  const loc = parseS3Url(String(args.url), { allowEmptyKey: args.list })
  const file = fileArg(args.file)
  if (args.list && file !== undefined) throw new UsageError('--list writes to stdout; no FILE')
  const clientOpts = s3ClientOptionsFrom(args, (l) => { log.error(l) }, concurrency)
  if (clientOpts.endpoint !== undefined) process.env.AWS_EC2_METADATA_DISABLED ??= 'true'
  // The SDK's "upgrade to node 22" notice is not ours to print on a pipeline's stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const client = createS3Client(clientOpts)
  const { signal, dispose } = abortOnSignals(process)
  const retry = { maxAttempts: args['s3-retry-attempts'] }
  try {
    if (args.list) {
      let n = 0
      for await (const o of listObjects({ client, bucket: loc.bucket, prefix: loc.key, signal, retry })) {
        n++
        if (!process.stdout.write(`${formatS3Url({ bucket: loc.bucket, key: o.key })}\n`)) await once(process.stdout, 'drain')
      }
      log.verbose(`${n} keys`)
      return 0
    }
    const out = openOutput(file, { binary: true, force: args.force })
    const show = progressTargets(args.progress, process.stderr.isTTY === true)
    const progress = new TransferProgress({ ...(show.tty ? { tty: process.stderr } : {}), ...(show.json ? { json: process.stderr } : {}) })
    const say = (msg: string): void => { if (args.verbose) { progress.clearLine(); log.verbose(msg) } }
    const download = createDownloadStream({
      client, ...loc, chunkSize, concurrency, signal, retry,
      onEvent: (e) => {
        const { type, ...rest } = e
        progress.event({ event: type, ...rest })
        if (e.type === 'head') { progress.total = e.size; say(`${formatS3Url(loc)}: ${e.size} bytes, ETag ${e.etag}`) }
        else if (e.type === 'resume') say(`body broken (${e.error}); resuming at byte ${e.offset}`)
        else say(`${e.what}: ${e.error}; retry ${e.attempt} in ${e.delayMs} ms`)
      }
    })
    if (show.tty || show.json) download.on('data', (c: Buffer) => { progress.add(c.length) })
    try {
      await pipeline(download, out.stream)
    } catch (err) {
      // Never leave a truncated file that looks like a complete backup.
      if (out.name !== 'stdout') try { unlinkSync(out.name) } catch {}
      throw err
    } finally {
      progress.finish()
    }
    const info = await download.info
    progress.event({ event: 'summary', url: formatS3Url(loc), bytes: info.size, etag: info.etag })
    say(`${formatS3Url(loc)}: wrote ${info.size} bytes`)
    return 0
  } finally {
    dispose()
    client.destroy()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) run(NAME, main)
