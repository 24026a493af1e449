// A .asb needs its header (version and namespace) before anything else, and
// only once. Hand-written or filtered NDJSON may start straight with records;
// concatenated NDJSON files (`cat dir/*.ndjson`) repeat it. This stage passes
// a stream through unchanged when it starts with a header, otherwise puts in
// front the header asbackup would write (version 3.1, the namespace of the
// first record or index, `# first-file`), and drops later header lines that
// agree with the first (same version and namespace); a disagreeing one is an
// error, since one .asb holds one namespace header.
import { Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import { AsbError, ErrorCode } from '../errors.js'
import type { Header, Token, Udf } from '../types.js'
import { nameEquals, nameToString } from '../name.js'

/** UDF lines held back while waiting for a token that names the namespace. */
export const MAX_HELD_UDFS = 1000

export class EnsureHeader extends Transform {
  #started = false
  #header: Header | null = null
  #held: Udf[] = []

  constructor () {
    super({ objectMode: true })
  }

  override _transform (t: Token, _enc: BufferEncoding, cb: TransformCallback): void {
    if (t.kind === 'header') {
      const first = this.#header
      if (first === null) {
        this.#started = true
        this.#header = t
        this.push(t)
        for (const u of this.#held) this.push(u)
        this.#held = []
        cb()
        return
      }
      const same = first.version === t.version &&
        (first.namespace === null ? t.namespace === null : t.namespace !== null && nameEquals(first.namespace, t.namespace))
      if (!same) {
        cb(new AsbError(ErrorCode.INVALID, `a second header line (version ${t.version}, namespace ${t.namespace === null ? 'none' : nameToString(t.namespace)}) disagrees with the first (version ${first.version}, namespace ${first.namespace === null ? 'none' : nameToString(first.namespace)}); one .asb has one header`))
        return
      }
      cb()
      return
    }
    if (this.#started) { cb(null, t); return }
    if (t.kind === 'udf') {
      if (this.#held.length >= MAX_HELD_UDFS) {
        cb(new AsbError(ErrorCode.INVALID, `more than ${MAX_HELD_UDFS} UDF lines before any header, index or record`))
        return
      }
      this.#held.push(t)
      cb()
      return
    }
    const h: Header = { kind: 'header', version: '3.1', namespace: t.namespace, firstFile: true }
    this.#started = true
    this.#header = h
    this.push(h)
    for (const u of this.#held) this.push(u)
    this.#held = []
    cb(null, t)
  }

  override _flush (cb: TransformCallback): void {
    if (!this.#started && this.#held.length > 0) {
      cb(new AsbError(ErrorCode.INVALID, 'no header line, index or record names the namespace; add a {"$meta":"header",...} line'))
      return
    }
    cb()
  }
}

export function ensureHeader (): Transform {
  return new EnsureHeader()
}
