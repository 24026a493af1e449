// Token -> output bytes for the two formats as-scan writes. Both are the
// project's own codecs, so `as-scan --format asb` is byte-identical to
// `as-scan | as-encode`.
import { AsbEncoder } from '../asb/encode.js'
import { tokenToJson } from '../ndjson/encode.js'
import type { Token } from '../types.js'
import type { TokenEncoder } from './run.js'

export function createTokenEncoder (format: 'ndjson' | 'asb', opts: { compact?: boolean } = {}): TokenEncoder {
  if (format === 'asb') {
    const enc = new AsbEncoder({ compact: opts.compact === true })
    return (t: Token) => enc.encode(t)
  }
  return (t: Token) => Buffer.from(tokenToJson(t) + '\n', 'utf8')
}
