#!/usr/bin/env node
// as-put-s3: stream stdin (or FILE) into one S3 object with multipart upload.
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { baseParser, fileArg, makeLog, openInput, run } from './common.js'
import { UsageError } from '../lib/errors.js'
import {
  abortOnSignals, createS3Client, formatS3Url, minPartSizeBytes, parseS3Url, parseSize, positiveInt,
  progressTargets, resolveChecksum, S3_CLIENT_OPTIONS, s3ClientOptionsFrom, TransferProgress, uploadStream
} from '../lib/storage/s3/index.js'

const NAME = 'as-put-s3'

export async function main (argv: string[]): Promise<number> {
  const args = await baseParser(NAME, argv, `$0 [options] s3://BUCKET/KEY [FILE|-]\n\nStream FILE (default stdin) into one S3 object.`)
    .options(S3_CLIENT_OPTIONS)
    .option('s3-min-part-size', { type: 'number', default: 5, describe: 'Smallest multipart part, MiB (5..5120); grows for unknown sizes' })
    .option('s3-max-async-uploads', { type: 'number', default: 16, describe: 'Parts uploaded at once' })
    .option('remove-files', { alias: 'r', type: 'boolean', default: false, describe: 'Replace an existing object (otherwise an error, as asbackup)' })
    .option('expected-size', { type: 'string', describe: 'Input size in bytes (K/M/G/T suffixes): part size computed once from it' })
    .command('$0 <url> [file]', false)
    .parseAsync()
  if (argv.includes('--help') || argv.includes('--version')) return 0
  const log = makeLog(NAME, args.verbose)
  const loc = parseS3Url(String(args.url))
  const file = fileArg(args.file)
  const minPartSize = minPartSizeBytes(args['s3-min-part-size'])
  const concurrency = positiveInt('s3-max-async-uploads', args['s3-max-async-uploads'], 1, 1000)
  const expectedSize = args['expected-size'] === undefined ? undefined : parseSize('expected-size', args['expected-size'])
  const clientOpts = s3ClientOptionsFrom(args, (l) => { log.error(l) }, concurrency)
  // No instance metadata service behind a custom endpoint: don't let the credential chain wait on it.
  if (clientOpts.endpoint !== undefined) process.env.AWS_EC2_METADATA_DISABLED ??= 'true'
  // The SDK's "upgrade to node 22" notice is not ours to print on a pipeline's stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const client = createS3Client(clientOpts)
  const input = openInput(file)
  const { signal, dispose } = abortOnSignals(process)
  const show = progressTargets(args.progress, process.stderr.isTTY === true)
  const progress = new TransferProgress({
    ...(show.tty ? { tty: process.stderr } : {}), ...(show.json ? { json: process.stderr } : {}),
    ...(expectedSize !== undefined ? { total: expectedSize } : {})
  })
  const say = (msg: string): void => { if (args.verbose) { progress.clearLine(); log.verbose(msg) } }
  try {
    const res = await uploadStream(input.stream, {
      client, ...loc, minPartSize, concurrency, signal, sourceName: input.name, replace: args['remove-files'],
      ...(expectedSize !== undefined ? { expectedSize } : {}),
      crc32: resolveChecksum(clientOpts) === 'when_supported',
      retry: { maxAttempts: args['s3-retry-attempts'] },
      onEvent: (e) => {
        const { type, ...rest } = e
        progress.event({ event: type, ...rest })
        if (e.type === 'create') say(`multipart upload ${e.uploadId} started`)
        else if (e.type === 'part') { progress.add(e.size); say(`part ${e.partNumber} (${e.size} bytes) ETag ${e.etag}`) }
        else if (e.type === 'retry') say(`${e.what}: ${e.error}; retry ${e.attempt} in ${e.delayMs} ms`)
        else if (e.type === 'abort') say(`multipart upload ${e.uploadId} aborted`)
        else say(`HeadObject ${e.what}: access denied`)
      }
    })
    progress.finish({ url: formatS3Url(loc), ...res })
    // The summary event carries the same facts for --progress json.
    if (!show.json) log.error(`${formatS3Url(loc)}: ${res.size} bytes${res.parts > 0 ? ` in ${res.parts} parts` : ''}, ETag ${res.etag}${res.verified ? '' : ' (size not verified: HeadObject denied)'}`)
    return 0
  } finally {
    progress.finish()
    dispose()
    client.destroy()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) run(NAME, main)
