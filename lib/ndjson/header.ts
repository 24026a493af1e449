// A .asb needs its header (version and namespace) before anything else, and
// only once. Hand-written or filtered NDJSON may start straight with records;
// concatenated NDJSON files (`cat dir/*.ndjson`) repeat it. This stage passes
// a stream through unchanged when it starts with a header, otherwise puts in
// front the header asbackup would write (version 3.1, the namespace of the
// first record or index, `# first-file`), and drops later header lines that
// agree with the first (same version and namespace); a disagreeing one is an
// error, since one .asb holds one namespace header.
import type { Transform } from 'node:stream'
import { pushTransform } from '../push-transform.js'
import { AsbError, ErrorCode } from '../errors.js'
import type { Header, Token, Udf } from '../types.js'
import { nameEquals, nameToString } from '../name.js'

/** UDF lines held back while waiting for a token that names the namespace. */
export const MAX_HELD_UDFS = 1000

/**
 * The rule above without the stream: accept() each token in order, end() at
 * the end. A gate built with a header behaves as one that has already passed
 * it (lib/convert hands the established header to its workers).
 */
export class HeaderGate {
  #started: boolean
  #header: Header | null
  #held: Udf[] = []

  constructor (header: Header | null = null) {
    this.#header = header
    this.#started = header !== null
  }

  /** The header in force, once the stream has one (given or made). */
  get header (): Header | null { return this.#header }

  accept (t: Token, emit: (t: Token) => void): void {
    if (t.kind === 'header') {
      const first = this.#header
      if (first === null) {
        this.#started = true
        this.#header = t
        emit(t)
        this.#release(emit)
        return
      }
      const same = first.version === t.version &&
        (first.namespace === null ? t.namespace === null : t.namespace !== null && nameEquals(first.namespace, t.namespace))
      if (!same) {
        throw new AsbError(ErrorCode.INVALID, `a second header line (version ${t.version}, namespace ${t.namespace === null ? 'none' : nameToString(t.namespace)}) disagrees with the first (version ${first.version}, namespace ${first.namespace === null ? 'none' : nameToString(first.namespace)}); one .asb has one header`)
      }
      return
    }
    if (this.#started) { emit(t); return }
    if (t.kind === 'udf') {
      if (this.#held.length >= MAX_HELD_UDFS) {
        throw new AsbError(ErrorCode.INVALID, `more than ${MAX_HELD_UDFS} UDF lines before any header, index or record`)
      }
      this.#held.push(t)
      return
    }
    const h: Header = { kind: 'header', version: '3.1', namespace: t.namespace, firstFile: true }
    this.#started = true
    this.#header = h
    emit(h)
    this.#release(emit)
    emit(t)
  }

  #release (emit: (t: Token) => void): void {
    const held = this.#held
    this.#held = []
    for (const u of held) emit(u)
  }

  end (): void {
    if (!this.#started && this.#held.length > 0) {
      throw new AsbError(ErrorCode.INVALID, 'no header line, index or record names the namespace; add a {"$meta":"header",...} line')
    }
  }
}

export function ensureHeader (): Transform {
  const gate = new HeaderGate()
  return pushTransform<Token, Token>({
    write: (t, push) => { gate.accept(t, push) },
    end: () => { gate.end() }
  }, { objectMode: true })
}
