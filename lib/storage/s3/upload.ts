// Stream a Readable into one S3 object with our own multipart upload.
//
// Why not @aws-sdk/lib-storage's Upload: its part size is fixed (an unknown-
// size stream fails at part 10,001 instead of growing its parts), its retries
// are the SDK's per request with no say over which errors or how long, and we
// need one abort path shared by fatal errors and signals that also cancels the
// in-flight parts before AbortMultipartUpload (so no part lands after the abort).
//
//   source ──read──▶ [part buffer] ──full──▶ UploadPart x ≤ concurrency ──▶ Complete ──▶ HeadObject
//      ▲                                           │
//      └──── not read while all slots are busy ◀───┘   (backpressure to stdin)
//
// Memory: at most `concurrency` parts in flight plus the one being filled
// (fewer in flight once unknown-size parts have grown: part-size.ts partsInFlight).
// Input shorter than one part goes up with a single PutObject.
import { addAbortSignal } from 'node:stream'
import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand,
  HeadObjectCommand, PutObjectCommand, UploadPartCommand
} from '@aws-sdk/client-s3'
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3'
import { AsbError, ErrorCode } from '../../errors.js'
import { linkedAbort } from './abort.js'
import type { TransferOptions } from './abort.js'
import { MAX_PARTS, MIN_PART_SIZE, partSizer, partsInFlight } from './part-size.js'
import { describeError, httpStatus, withRetry } from './retry.js'
import type { RetryOptions } from './retry.js'
import { formatS3Url } from './url.js'
import type { S3Location } from './url.js'

export interface UploadOptions extends S3Location, TransferOptions {
  /** Smallest part in bytes (default 5 MiB); parts grow from here for unknown sizes. */
  minPartSize?: number
  /** Unknown size: parts between doublings (default 900; smaller only makes sense in tests). */
  partsPerStep?: number
  /** Input size in bytes if known: the part size is computed once from it. */
  expectedSize?: number
  /** Parts uploaded at once (default 16, as asbackup's --s3-max-async-uploads). */
  concurrency?: number
  /**
   * Add CRC32 checksums (the 'when_supported' mode). Either way each body is
   * covered by the SHA-256 payload hash in its SigV4 signature, which S3 checks.
   */
  crc32?: boolean
  /**
   * Replace an existing object. Default false: like asbackup without -r, an
   * existing object is an error, checked with HeadObject before reading input.
   */
  replace?: boolean
  /** Name of the input in error messages (default 'input'). */
  sourceName?: string
  /** Content-Type of the object (default application/octet-stream). */
  contentType?: string
  /** Progress hooks (for -v). */
  onEvent?: (event: UploadEvent) => void
}

export type UploadEvent =
  | { type: 'create', uploadId: string }
  | { type: 'part', partNumber: number, size: number, etag: string }
  | { type: 'retry', what: string, attempt: number, delayMs: number, error: string }
  | { type: 'abort', uploadId: string }
  /** HeadObject was refused (403: write-only credentials); what it would have checked was not. */
  | { type: 'unchecked', what: string }

export interface UploadResult {
  bytes: number
  /** Object size HeadObject reports after completion (verified == bytes), or bytes when HEAD is forbidden. */
  size: number
  etag: string
  /** False when HeadObject was forbidden, so the stored size could not be checked. */
  verified: boolean
  /** 0 for a single PutObject. */
  parts: number
}

export async function uploadStream (source: Readable, opts: UploadOptions): Promise<UploadResult> {
  const { client, bucket, key } = opts
  const url = formatS3Url(opts)
  const concurrency = Math.max(1, opts.concurrency ?? 16)
  const sizeOf = partSizer(opts.minPartSize ?? MIN_PART_SIZE, opts.expectedSize, opts.partsPerStep)
  const emit = opts.onEvent ?? (() => {})
  // Our controller: aborted by the caller's signal or by our first fatal error.
  const { ac, dispose } = linkedAbort(opts.signal)
  addAbortSignal(ac.signal, source)
  const retry = (what: string): RetryOptions => ({
    ...opts.retry,
    signal: ac.signal,
    onRetry: (err, attempt, delayMs) => {
      opts.retry?.onRetry?.(err, attempt, delayMs)
      emit({ type: 'retry', what, attempt, delayMs, error: describeError(err) })
    }
  })
  const send = { abortSignal: ac.signal }
  const checksum = opts.crc32 === true ? { ChecksumAlgorithm: 'CRC32' as const } : {}

  let uploadId: string | undefined
  const parts: CompletedPart[] = []
  const inflight = new Set<Promise<void>>()
  let failure: unknown
  let partNumber = 0
  let total = 0
  let etag: string | undefined

  // Full part buffers come back here once their part is stored: no fresh 5 MiB
  // allocation (page faults, GC of external memory) per part.
  const pool: Buffer[] = []
  const alloc = (size: number): Buffer => {
    const i = pool.findIndex((b) => b.length === size)
    if (i >= 0) return pool.splice(i, 1)[0]
    pool.length = 0 // parts grew: the smaller buffers will not fit again
    return Buffer.allocUnsafe(size)
  }

  const putPart = async (n: number, body: Buffer): Promise<void> => {
    const out = await withRetry(async () => await client.send(new UploadPartCommand({
      Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body,
      ContentLength: body.length, ...checksum
    }), send), retry(`part ${n}`))
    if (out.ETag === undefined) throw new AsbError(ErrorCode.STORAGE, `${url}: part ${n}: no ETag in the UploadPart answer`)
    parts[n - 1] = { PartNumber: n, ETag: out.ETag, ...(out.ChecksumCRC32 !== undefined ? { ChecksumCRC32: out.ChecksumCRC32 } : {}) }
    emit({ type: 'part', partNumber: n, size: body.length, etag: out.ETag })
    if (body.byteOffset === 0 && body.length === body.buffer.byteLength) pool.push(body)
  }

  const dispatch = async (body: Buffer): Promise<void> => {
    if (uploadId === undefined) {
      const out = await withRetry(async () => await client.send(new CreateMultipartUploadCommand({
        Bucket: bucket, Key: key, ContentType: opts.contentType ?? 'application/octet-stream', ...checksum
      }), send), retry('CreateMultipartUpload')).catch((err: unknown) => { throw wrap(err, 'CreateMultipartUpload') })
      if (out.UploadId === undefined) throw new AsbError(ErrorCode.STORAGE, `${url}: no UploadId in the CreateMultipartUpload answer`)
      uploadId = out.UploadId
      emit({ type: 'create', uploadId })
    }
    const slots = partsInFlight(concurrency, sizeOf(1), body.length)
    while (inflight.size >= slots) await Promise.race(inflight)
    if (failure !== undefined) throw failure
    const n = ++partNumber
    if (n > MAX_PARTS) {
      throw new AsbError(ErrorCode.STORAGE, `${url}: input exceeds ${MAX_PARTS} parts of this size; raise --expected-size or --s3-min-part-size`)
    }
    const p: Promise<void> = putPart(n, body).catch((err: unknown) => {
      // The first failure wins; once aborted (signal or an earlier part), that reason is the story.
      if (failure === undefined) failure = ac.signal.aborted ? ac.signal.reason : wrap(err, `part ${n}`)
      ac.abort(failure)
    }).finally(() => { inflight.delete(p) })
    inflight.add(p)
  }

  const wrap = (err: unknown, what: string): unknown => {
    if (err instanceof AsbError) return err
    return new AsbError(ErrorCode.STORAGE, `${url}: ${what}: ${describeError(err)}`, { cause: err })
  }

  /** HeadObject, or undefined for 404; 403 (no s3:GetObject / s3:ListBucket) is 'forbidden'. */
  const head = async (what: string): Promise<{ ContentLength?: number, ETag?: string } | undefined | 'forbidden'> => {
    try {
      return await withRetry(async () => await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), send), retry('HeadObject'))
    } catch (err) {
      const status = httpStatus(err)
      if (status === 404) return undefined
      if (status === 403) { emit({ type: 'unchecked', what }); return 'forbidden' }
      throw wrap(err, `HeadObject ${what}`)
    }
  }

  try {
    // A 403 counts as "cannot tell": write-only backup credentials must still work.
    if (opts.replace !== true) {
      const existing = await head('for an existing object')
      if (existing !== undefined && existing !== 'forbidden') {
        throw new AsbError(ErrorCode.STORAGE, `${url}: the object already exists; use -r to replace it`)
      }
    }
    let buf = alloc(sizeOf(1))
    let fill = 0
    for await (const chunk of readSource(source, opts.sourceName ?? 'input')) {
      let off = 0
      while (off < chunk.length) {
        const n = Math.min(chunk.length - off, buf.length - fill)
        chunk.copy(buf, fill, off, off + n)
        fill += n
        off += n
        total += n
        if (fill === buf.length) {
          await dispatch(buf)
          buf = alloc(sizeOf(partNumber + 1))
          fill = 0
        }
      }
    }
    if (failure !== undefined) throw failure
    if (uploadId === undefined) {
      // Everything fit in the first part: one PutObject, no multipart state to clean up.
      const body = buf.subarray(0, fill)
      etag = (await withRetry(async () => await client.send(new PutObjectCommand({
        Bucket: bucket, Key: key, Body: body, ContentLength: fill,
        ContentType: opts.contentType ?? 'application/octet-stream'
      }), send), retry('PutObject')).catch((err: unknown) => { throw wrap(err, 'PutObject') })).ETag
    } else {
      if (fill > 0) await dispatch(buf.subarray(0, fill))
      await Promise.all(inflight)
      if (failure !== undefined) throw failure
      const done = parts.slice()
      await withRetry(async (attempt) => {
        try {
          etag = (await client.send(new CompleteMultipartUploadCommand({
            Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: done }
          }), send)).ETag
        } catch (err) {
          // A retried Complete whose first try landed (answer lost) finds no upload: fine if the object is there.
          if (attempt > 1 && (err as { name?: string }).name === 'NoSuchUpload') return
          throw err
        }
      }, retry('CompleteMultipartUpload')).catch((err: unknown) => { throw wrap(err, 'CompleteMultipartUpload') })
    }
    // Verify what S3 stored: a store that kept an aws-chunked body verbatim, or lost a part, shows here.
    const stored = await head('after the upload (stored size not verified)')
    if (stored === undefined) throw new AsbError(ErrorCode.STORAGE, `${url}: the object is missing after the upload`)
    const partCount = uploadId === undefined ? 0 : partNumber
    if (stored === 'forbidden') return { bytes: total, size: total, etag: etag ?? '', parts: partCount, verified: false }
    const size = Number(stored.ContentLength ?? -1)
    if (size !== total) {
      throw new AsbError(ErrorCode.STORAGE, `${url}: stored object is ${size} bytes but ${total} were sent`)
    }
    return { bytes: total, size, etag: stored.ETag ?? etag ?? '', parts: partCount, verified: true }
  } catch (err) {
    const reason: unknown = ac.signal.aborted ? ac.signal.reason : err
    ac.abort(reason)
    await Promise.allSettled([...inflight])
    let cleanup = ''
    if (uploadId !== undefined) cleanup = await abortUpload(client, bucket, key, uploadId, opts.retry, emit)
    const e = reason instanceof AsbError ? reason : wrap(reason, 'upload')
    if (cleanup !== '' && e instanceof AsbError) {
      throw new AsbError(e.code, `${e.message}; ${cleanup}`, { cause: e.cause, exitCode: e.exitCode })
    }
    throw e
  } finally {
    dispose()
  }
}

/** AbortMultipartUpload with retries. Returns '' or a line saying the upload may be left behind. */
async function abortUpload (client: S3Client, Bucket: string, Key: string, UploadId: string,
  retry: Omit<RetryOptions, 'signal'> | undefined, emit: (e: UploadEvent) => void): Promise<string> {
  try {
    await withRetry(async () => await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })), { ...retry, maxAttempts: Math.min(retry?.maxAttempts ?? 5, 5) })
    emit({ type: 'abort', uploadId: UploadId })
    return ''
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchUpload') return ''
    return `could not abort multipart upload ${UploadId} (${describeError(err)}); its parts may be billed until removed`
  }
}

/** The source's chunks; its own read errors become one IO error naming it. */
async function * readSource (source: Readable, name: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) yield chunk
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError' || err instanceof AsbError) throw err
    throw new AsbError(ErrorCode.IO, `${name}: ${(err as Error).message}`, { cause: err })
  }
}
