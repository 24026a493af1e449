// One conversion (as-encode's job) without streams:
//
//   bytes --> .asb decoder | NDJSON lines --> [header gate] --> .asb encoder | NDJSON lines | counts
//
// write() chunks, end() at the end, take() the output produced so far. The
// same object runs on the main thread and in lib/convert's workers; a worker's
// converter starts mid-stream (at a record start for .asb, a line start for
// NDJSON) from the ResumeState of the converter that read the stream's head.
import { AsbDecoder } from '../asb/decode.js'
import { AsbEncoder } from '../asb/encode.js'
import { NdjsonLines } from '../ndjson/decode.js'
import { tokenToJson } from '../ndjson/encode.js'
import { HeaderGate } from '../ndjson/header.js'
import { utf8Write } from '../ndjson/buf.js'
import type { Format } from '../format.js'
import type { Header, Token } from '../types.js'

export interface ConvertSpec {
  from: Format
  /** Output format; null: decode and count only (as-encode --validate). */
  to: Format | null
  /** .asb output: raw bytes instead of base64. */
  compact?: boolean
  /** NDJSON output: relaxed (lossy) JSON. */
  relaxed?: boolean
  /** Name used in error positions. */
  file?: string
}

/** What a converter starting mid-stream needs from the stream's head. */
export interface ResumeState {
  /** The .asb version line's version (.asb input). */
  version: string
  /** The header in force: the gate's (NDJSON to .asb) or the one the encoder wrote (.asb to .asb). */
  header: Header | null
}

export interface Counts { records: number, indexes: number, udfs: number }

export function addCounts (into: Counts, c: Counts): void {
  into.records += c.records
  into.indexes += c.indexes
  into.udfs += c.udfs
}

/** Where a converter's first byte sits in the whole stream. */
export interface StartAt {
  /** Absolute byte offset (default 0). */
  offset?: number
  /** Line number (default 1). */
  line?: number
  /** Set when starting mid-stream. */
  resume?: ResumeState
}

const LF = 10
const NDJSON_OUT_INITIAL = 256 * 1024

export class Converter {
  readonly counts: Counts = { records: 0, indexes: 0, udfs: 0 }
  readonly #asb: AsbDecoder | null
  readonly #nd: NdjsonLines | null
  readonly #gate: HeaderGate | null
  readonly #encoder: AsbEncoder | null
  readonly #ndjsonOut: boolean
  readonly #relaxed: boolean
  /** The header token that reached the .asb encoder, if any. */
  #header: Header | null = null
  #out: Buffer = Buffer.alloc(0)
  #o = 0
  readonly #emit: (t: Token) => void

  constructor (spec: ConvertSpec, at: StartAt = {}) {
    const offset = at.offset ?? 0
    const line = at.line ?? 1
    const resume = at.resume
    if (spec.from === 'asb') {
      this.#asb = new AsbDecoder({ file: spec.file, offset, line, resume: resume === undefined ? undefined : { version: resume.version } })
      this.#nd = null
    } else {
      this.#asb = null
      this.#nd = new NdjsonLines({ file: spec.file, offset, linesBefore: line - 1 })
    }
    this.#gate = spec.from === 'ndjson' && spec.to === 'asb' ? new HeaderGate(resume?.header ?? null) : null
    this.#encoder = spec.to === 'asb' ? new AsbEncoder({ compact: spec.compact }) : null
    this.#ndjsonOut = spec.to === 'ndjson'
    this.#relaxed = spec.relaxed === true
    if (this.#encoder !== null && resume?.header != null) {
      // the encoder's state that depends on the header (3.0 escaping)
      this.#encoder.append(resume.header)
      this.#encoder.take()
      this.#header = resume.header
    }
    const sink = this.#encoder !== null
      ? (t: Token): void => { if (t.kind === 'header') this.#header = t; this.#encoder!.append(t) }
      : this.#ndjsonOut ? (t: Token): void => { this.#line(t) } : null
    const counted = (t: Token): void => {
      if (t.kind === 'record') this.counts.records++
      else if (t.kind === 'sindex') this.counts.indexes++
      else if (t.kind === 'udf') this.counts.udfs++
      if (sink !== null) sink(t)
    }
    const gate = this.#gate
    this.#emit = gate !== null ? (t: Token): void => { gate.accept(t, counted) } : counted
  }

  #line (t: Token): void {
    const s = tokenToJson(t, { relaxed: this.#relaxed })
    const need = s.length * 3 + 1
    if (this.#o + need > this.#out.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(NDJSON_OUT_INITIAL, 2 * this.#out.length, this.#o + need))
      this.#out.copy(grown, 0, 0, this.#o)
      this.#out = grown
    }
    this.#o += utf8Write(this.#out, s, this.#o)
    this.#out[this.#o++] = LF
  }

  /** Feeds a chunk. Throws ParseError / AsbError on bad input. */
  write (chunk: Buffer): void {
    if (this.#ndjsonOut && this.#o === 0 && this.#out.length < chunk.length) {
      // NDJSON is about 1.1x the .asb: one buffer, no regrowth copies
      this.#out = Buffer.allocUnsafeSlow(Math.max(NDJSON_OUT_INITIAL, Math.ceil(chunk.length * 1.25)))
    }
    if (this.#asb !== null) this.#asb.write(chunk, this.#emit)
    else this.#nd!.write(chunk, this.#emit)
  }

  /** The end of input: throws if it stops inside a unit. */
  end (): void {
    if (this.#asb !== null) this.#asb.end(this.#emit)
    else this.#nd!.end(this.#emit)
    this.#gate?.end()
  }

  /** The output produced since the last take(), or null (none, or counting only). */
  take (): Buffer | null {
    if (this.#encoder !== null) return this.#encoder.length > 0 ? this.#encoder.take() : null
    if (this.#o === 0) return null
    const out = this.#out.subarray(0, this.#o)
    this.#out = Buffer.alloc(0)
    this.#o = 0
    return out
  }

  /** True when all input so far is consumed and the next byte starts a record/line. */
  get atBoundary (): boolean {
    return this.#asb !== null ? this.#asb.atBoundary : this.#nd!.atBoundary
  }

  /** Line number of the next byte (meaningful at a boundary). */
  get line (): number {
    return this.#asb !== null ? this.#asb.line : this.#nd!.lines + 1
  }

  /**
   * What a converter starting here needs, or null while the head is not yet
   * through (call at a boundary).
   */
  resumeState (): ResumeState | null {
    if (!this.atBoundary) return null
    if (this.#gate !== null) {
      const h = this.#gate.header
      return h === null ? null : { version: '', header: h }
    }
    return { version: this.#asb?.version ?? '', header: this.#header }
  }
}
