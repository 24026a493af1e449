// Every key under a prefix, across all ListObjectsV2 pages (1,000 keys each).
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import type { S3Client } from '@aws-sdk/client-s3'
import { AsbError, ErrorCode } from '../../errors.js'
import { describeError, withRetry } from './retry.js'
import type { RetryOptions } from './retry.js'

export interface ListOptions {
  client: S3Client
  bucket: string
  /** Key prefix ('' = whole bucket). */
  prefix: string
  /** Keys per page asked for (default 1000, S3's maximum). */
  pageSize?: number
  signal?: AbortSignal
  retry?: Omit<RetryOptions, 'signal'>
}

export interface ListedObject { key: string, size: number, etag: string, lastModified?: Date }

/** Yields objects in S3's (UTF-8 binary) key order, page by page. */
export async function * listObjects (opts: ListOptions): AsyncGenerator<ListedObject> {
  let token: string | undefined
  let page = 0
  do {
    page++
    const out = await withRetry(async () => await opts.client.send(new ListObjectsV2Command({
      Bucket: opts.bucket, Prefix: opts.prefix === '' ? undefined : opts.prefix,
      ContinuationToken: token, MaxKeys: opts.pageSize
    }), { abortSignal: opts.signal }), { ...opts.retry, signal: opts.signal }).catch((err: unknown) => {
      throw new AsbError(ErrorCode.STORAGE, `s3://${opts.bucket}/${opts.prefix}: listing page ${page}: ${describeError(err)}`, { cause: err })
    })
    for (const o of out.Contents ?? []) {
      if (o.Key === undefined) continue
      yield { key: o.Key, size: Number(o.Size ?? 0), etag: o.ETag ?? '', ...(o.LastModified !== undefined ? { lastModified: o.LastModified } : {}) }
    }
    token = out.IsTruncated === true ? out.NextContinuationToken : undefined
    if (out.IsTruncated === true && token === undefined) {
      throw new AsbError(ErrorCode.STORAGE, `s3://${opts.bucket}/${opts.prefix}: listing page ${page} is truncated but has no continuation token`)
    }
  } while (token !== undefined)
}
