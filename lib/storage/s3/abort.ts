// One AbortController per transfer, linked to the caller's signal: the caller
// (SIGINT/SIGTERM) or our own first fatal error aborts every request in flight.
import { setMaxListeners } from 'node:events'
import type { S3Client } from '@aws-sdk/client-s3'
import type { RetryOptions } from './retry.js'

/** What uploads and downloads share. */
export interface TransferOptions {
  client: S3Client
  /** Aborts the transfer (requests in flight are cancelled). */
  signal?: AbortSignal
  retry?: Omit<RetryOptions, 'signal'>
}

export function linkedAbort (outer: AbortSignal | undefined): { ac: AbortController, dispose: () => void } {
  const ac = new AbortController()
  setMaxListeners(0, ac.signal) // one listener per in-flight request
  const onOuterAbort = (): void => { ac.abort(outer?.reason) }
  if (outer?.aborted === true) onOuterAbort()
  outer?.addEventListener('abort', onOuterAbort, { once: true })
  return { ac, dispose: () => { outer?.removeEventListener('abort', onOuterAbort) } }
}
