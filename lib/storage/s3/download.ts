// Read one S3 object as a byte stream: parallel ranged GETs, reassembled in order.
//
//   HeadObject (size, ETag)
//   ranges [0..c) [c..2c) ...  ──GET x ≤ concurrency──▶ window of chunk buffers ──in order──▶ stream
//
// The window only advances when the consumer reads (Readable.from pulls the
// generator on demand), so memory is bounded by concurrency x chunk size.
// Every GET carries If-Match: ETag, so an object replaced mid-download fails
// instead of splicing two versions. A body broken mid-way resumes with a new
// GET from the last byte received; attempts that made progress do not count
// against the retry limit.
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { AsbError, ErrorCode } from '../../errors.js'
import { linkedAbort } from './abort.js'
import type { TransferOptions } from './abort.js'
import { MIN_PART_SIZE } from './part-size.js'
import { backoffMs, DEFAULT_RETRY, describeError, isRetryable, withRetry } from './retry.js'
import type { RetryOptions } from './retry.js'
import { formatS3Url } from './url.js'
import type { S3Location } from './url.js'

export interface DownloadOptions extends S3Location, TransferOptions {
  /** Bytes per ranged GET (default 5 MiB). */
  chunkSize?: number
  /** Ranged GETs at once (default 32, as asbackup's --s3-max-async-downloads). */
  concurrency?: number
  onEvent?: (event: DownloadEvent) => void
}

export type DownloadEvent =
  | { type: 'head', size: number, etag: string }
  | { type: 'retry', what: string, attempt: number, delayMs: number, error: string }
  | { type: 'resume', offset: number, error: string }

export interface ObjectInfo { size: number, etag: string }

/** Inclusive byte ranges covering `size` bytes; a 1-byte tail joins the previous range. */
export function chunkRanges (size: number, chunk: number): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let start = 0; start < size; start += chunk) {
    let end = Math.min(size, start + chunk) - 1
    if (size - end - 1 === 1) end = size - 1
    out.push([start, end])
    if (end === size - 1) break
  }
  return out
}

/** A broken body: the connection ended before the range was complete. */
class ShortBodyError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE'
}

/** Readable of the object's bytes. `info` resolves once HeadObject answered. */
export function createDownloadStream (opts: DownloadOptions): Readable & { info: Promise<ObjectInfo> } {
  const { client, bucket, key } = opts
  const url = formatS3Url(opts)
  const chunkSize = Math.max(1, opts.chunkSize ?? MIN_PART_SIZE)
  const concurrency = Math.max(1, opts.concurrency ?? 32)
  const emit = opts.onEvent ?? (() => {})
  const { ac, dispose } = linkedAbort(opts.signal)
  const retry = (what: string): RetryOptions => ({
    ...opts.retry,
    signal: ac.signal,
    onRetry: (err, attempt, delayMs) => { emit({ type: 'retry', what, attempt, delayMs, error: describeError(err) }) }
  })
  const wrap = (err: unknown, what: string): unknown => {
    if (ac.signal.aborted && ac.signal.reason instanceof AsbError) return ac.signal.reason
    if (err instanceof AsbError) return err
    const name = (err as { name?: string }).name
    if (name === 'PreconditionFailed') return new AsbError(ErrorCode.STORAGE, `${url}: the object changed during the download (ETag no longer matches)`, { cause: err })
    if (name === 'NotFound' || name === 'NoSuchKey') return new AsbError(ErrorCode.STORAGE, `${url}: no such object`, { cause: err })
    return new AsbError(ErrorCode.STORAGE, `${url}: ${what}: ${describeError(err)}`, { cause: err })
  }

  let resolveInfo!: (i: ObjectInfo) => void
  let rejectInfo!: (e: unknown) => void
  const info = new Promise<ObjectInfo>((resolve, reject) => { resolveInfo = resolve; rejectInfo = reject })
  info.catch(() => {})

  /** Fetch bytes [start, end], resuming broken bodies. `ranged` false: plain GET of the whole object. */
  const fetchRange = async (start: number, end: number, etag: string, ranged: boolean): Promise<Buffer[]> => {
    const len = end - start + 1
    // The socket's own buffers, kept as they come: no copy into a chunk-sized buffer.
    const pieces: Buffer[] = []
    let got = 0
    let failures = 0
    const maxAttempts = opts.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts
    while (got < len) {
      const before = got
      try {
        const useRange = ranged || got > 0
        const out = await client.send(new GetObjectCommand({
          Bucket: bucket, Key: key, IfMatch: etag === '' ? undefined : etag,
          ...(useRange ? { Range: `bytes=${start + got}-${end}` } : {})
        }), { abortSignal: ac.signal })
        if (useRange && !String(out.ContentRange ?? '').startsWith(`bytes ${start + got}-`)) {
          throw new AsbError(ErrorCode.STORAGE, `${url}: asked for bytes ${start + got}-${end}, the server answered Content-Range '${out.ContentRange ?? ''}'`)
        }
        const body = out.Body as Readable | undefined
        if (body === undefined) throw new ShortBodyError('no body')
        for await (const c of body as AsyncIterable<Buffer>) {
          if (got + c.length > len) {
            body.destroy()
            throw new AsbError(ErrorCode.STORAGE, `${url}: the server sent more than the ${len} bytes asked for at offset ${start}`)
          }
          pieces.push(c)
          got += c.length
        }
        if (got < len) throw new ShortBodyError(`body ended after ${got - before} of ${len - before} bytes`)
      } catch (err) {
        if (ac.signal.aborted || err instanceof AsbError) throw err
        if (got > before) failures = 0
        failures++
        if (!isRetryable(err) || failures >= maxAttempts) throw err
        if (got > before) emit({ type: 'resume', offset: start + got, error: describeError(err) })
        const delay = backoffMs(failures, opts.retry?.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs, opts.retry?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs)
        emit({ type: 'retry', what: `bytes ${start + got}-${end}`, attempt: failures, delayMs: delay, error: describeError(err) })
        await sleep(delay, undefined, { signal: ac.signal })
      }
    }
    return pieces
  }

  async function * generate (): AsyncGenerator<Buffer> {
    const window: Array<Promise<Buffer[]>> = []
    try {
      const head = await withRetry(async () => await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: ac.signal }), retry('HeadObject'))
        .catch((err: unknown) => { throw wrap(err, 'HeadObject') })
      const size = Number(head.ContentLength ?? 0)
      const etag = head.ETag ?? ''
      resolveInfo({ size, etag })
      emit({ type: 'head', size, etag })
      const ranges = size <= chunkSize ? (size === 0 ? [] : [[0, size - 1] as [number, number]]) : chunkRanges(size, chunkSize)
      const ranged = ranges.length > 1
      let next = 0
      const fill = (): void => {
        while (window.length < concurrency && next < ranges.length) {
          const [s, e] = ranges[next++]
          const p = fetchRange(s, e, etag, ranged).catch((err: unknown) => { throw wrap(err, `GET bytes ${s}-${e}`) })
          p.catch(() => {}) // observed when its turn comes
          window.push(p)
        }
      }
      fill()
      while (window.length > 0) {
        const pieces = await window.shift()!
        fill()
        yield * pieces
      }
    } catch (err) {
      rejectInfo(err)
      throw wrap(err, 'download')
    } finally {
      ac.abort()
      dispose()
      await Promise.allSettled(window)
    }
  }

  const stream = Readable.from(generate(), { objectMode: false, highWaterMark: chunkSize }) as Readable & { info: Promise<ObjectInfo> }
  stream.info = info
  return stream
}
