// Interning of short names (namespace, set, bin names) while decoding: the
// same few names repeat in every record, and building a JS string per
// occurrence is one of the costliest steps of the decoder (bench/asb/codec.bench.ts).
import { nameFromBytes } from '../name.js'
import type { Name } from '../types.js'

const SLOTS = 1024
const MAX_CACHED = 64

export class NameCache {
  readonly #keys: Array<Buffer | undefined> = new Array<Buffer | undefined>(SLOTS).fill(undefined)
  readonly #vals: Name[] = new Array<Name>(SLOTS).fill('')

  /** The Name for src[s..e): a cached string when seen before, else built with nameFromBytes. */
  get (src: Buffer, s: number, e: number): Name {
    let h = 0
    for (let k = s; k < e; k++) h = (Math.imul(h, 31) + src[k]!) | 0
    return this.lookup(src, s, e, h)
  }

  /** Like get(), with `h` already computed as `h = h * 31 + byte` (int32) over the bytes, from 0. */
  lookup (src: Buffer, s: number, e: number, h: number): Name {
    const n = e - s
    if (n > MAX_CACHED) return nameFromBytes(src, s, e)
    h ^= n
    const slot = (h ^ (h >>> 10)) & (SLOTS - 1)
    const key = this.#keys[slot]
    if (key !== undefined && key.length === n) {
      let k = 0
      while (k < n && key[k] === src[s + k]) k++
      if (k === n) return this.#vals[slot]!
    }
    const name = nameFromBytes(src, s, e)
    // Buffer names (invalid UTF-8) are never shared between tokens.
    if (typeof name === 'string') {
      this.#keys[slot] = Buffer.from(src.subarray(s, e))
      this.#vals[slot] = name
    }
    return name
  }
}
