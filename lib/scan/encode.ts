// Token -> output bytes for the two formats as-scan writes. Both are the
// project's own codecs, so `as-scan --format asb` is byte-identical to
// `as-scan | as-encode`.
import { AsbEncoder } from '../asb/encode.js'
import { tokenToJson } from '../ndjson/encode.js'
import type { Token } from '../types.js'
import type { TokenEncoder } from './run.js'

class NdjsonBatch implements TokenEncoder {
  #text = ''
  append (t: Token): void { this.#text += tokenToJson(t) + '\n' }
  /** UTF-16 units: close enough to bytes for cutting batches. */
  get length (): number { return this.#text.length }
  take (): Buffer {
    const b = Buffer.from(this.#text, 'utf8')
    this.#text = ''
    return b
  }
}

export function createTokenEncoder (format: 'ndjson' | 'asb', opts: { compact?: boolean } = {}): TokenEncoder {
  if (format === 'asb') return new AsbEncoder({ compact: opts.compact === true })
  return new NdjsonBatch()
}
