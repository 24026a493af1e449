// s3://BUCKET/KEY parsing. The scheme is matched case-insensitively, like
// asbackup's file_proxy (asb-format.md: "any path starting s3:// (case-insensitive)").
import { UsageError } from '../../errors.js'

export interface S3Location {
  bucket: string
  /** Object key, or key prefix for listings; '' for the bucket root. */
  key: string
}

/** True when `path` names an S3 object (`s3://...`, any case). */
export function isS3Url (path: string): boolean {
  return /^s3:\/\//i.test(path)
}

/**
 * Parse `s3://BUCKET/KEY`. With `allowEmptyKey` (listings) the key may be
 * empty or end in `/`; otherwise a key is required.
 */
export function parseS3Url (url: string, opts: { allowEmptyKey?: boolean } = {}): S3Location {
  if (!isS3Url(url)) throw new UsageError(`expected s3://BUCKET/KEY, got '${url}'`)
  const rest = url.slice(5)
  const slash = rest.indexOf('/')
  const bucket = slash < 0 ? rest : rest.slice(0, slash)
  const key = slash < 0 ? '' : rest.slice(slash + 1)
  if (bucket === '') throw new UsageError(`no bucket in '${url}'`)
  if (key === '' && opts.allowEmptyKey !== true) throw new UsageError(`no key in '${url}' (expected s3://BUCKET/KEY)`)
  return { bucket, key }
}

/** The s3:// URL of an object. */
export function formatS3Url (loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.key}`
}
