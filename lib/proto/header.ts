// Proto header: the 8 bytes in front of every Aerospike message, both
// directions (wire-protocol.md §1): u8 version (2), u8 type, u48 BE body size.
// ProtoFramer cuts a byte stream into whole messages without copying more
// than the message that straddles a chunk boundary.
import { Transform, type TransformCallback } from 'node:stream'
import { AsbError, ErrorCode } from '../errors.js'

export const PROTO_VERSION = 2
export const PROTO_HEADER_SIZE = 8

export const ProtoType = {
  INFO: 1,
  ADMIN: 2,
  MSG: 3,
  COMPRESSED: 4
} as const

/**
 * Largest body the framer accepts. The server closes a connection on anything
 * above 128 MiB (PROTO_SIZE_MAX, wire-protocol.md §1); we do the same.
 */
export const PROTO_SIZE_MAX = 128 * 1024 * 1024

/** An 8-byte proto header. */
export function encodeProtoHeader (type: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(PROTO_HEADER_SIZE)
  writeProtoHeader(buf, 0, type, size)
  return buf
}

/** Writes a proto header into `buf` at `off`. */
export function writeProtoHeader (buf: Buffer, off: number, type: number, size: number): void {
  buf[off] = PROTO_VERSION
  buf[off + 1] = type
  buf.writeUIntBE(size, off + 2, 6)
}

export interface ProtoHeader {
  version: number
  type: number
  size: number
}

export function readProtoHeader (buf: Buffer, off = 0): ProtoHeader {
  if (buf.length - off < PROTO_HEADER_SIZE) {
    throw new AsbError(ErrorCode.PROTOCOL, `proto header truncated: ${buf.length - off} of 8 bytes`)
  }
  return { version: buf[off]!, type: buf[off + 1]!, size: buf.readUIntBE(off + 2, 6) }
}

/** One whole protocol message as the framer emits it. */
export interface ProtoMessage {
  type: number
  /**
   * The body, without the 8-byte proto header. When the message arrived in
   * one chunk this is a subarray of that chunk (no copy); otherwise a new
   * Buffer. Copy it if you keep it longer than the chunk.
   */
  body: Buffer
}

export interface ProtoFramerOptions {
  /** Reject bodies larger than this (default PROTO_SIZE_MAX). */
  maxSize?: number
  /** Accepted proto types (default 1..4). */
  types?: ReadonlySet<number>
}

const DEFAULT_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4])

/**
 * Incremental splitter usable without streams: feed chunks, get whole
 * messages. Keeps at most one partial message.
 */
export class ProtoSplitter {
  readonly #maxSize: number
  readonly #types: ReadonlySet<number>
  #chunks: Buffer[] = []
  #buffered = 0
  #need = -1
  #type = 0

  constructor (opts: ProtoFramerOptions = {}) {
    this.#maxSize = opts.maxSize ?? PROTO_SIZE_MAX
    this.#types = opts.types ?? DEFAULT_TYPES
  }

  /** Bytes held for an incomplete message. */
  get buffered (): number { return this.#buffered }

  /** Feeds a chunk; calls `emit` for each complete message, in order. */
  push (chunk: Buffer, emit: (m: ProtoMessage) => void): void {
    let off = 0
    const len = chunk.length
    while (off < len) {
      if (this.#need < 0) {
        // waiting for a header
        if (this.#buffered === 0 && len - off >= PROTO_HEADER_SIZE) {
          this.#startBody(chunk, off)
          off += PROTO_HEADER_SIZE
        } else {
          const take = Math.min(PROTO_HEADER_SIZE - this.#buffered, len - off)
          this.#chunks.push(chunk.subarray(off, off + take))
          this.#buffered += take
          off += take
          if (this.#buffered < PROTO_HEADER_SIZE) return
          const hdr = Buffer.concat(this.#chunks, PROTO_HEADER_SIZE)
          this.#chunks = []
          this.#buffered = 0
          this.#startBody(hdr, 0)
        }
        if (this.#need === 0) {
          this.#need = -1
          emit({ type: this.#type, body: Buffer.alloc(0) })
        }
        continue
      }
      // collecting a body of #need bytes
      if (this.#buffered === 0 && len - off >= this.#need) {
        const body = chunk.subarray(off, off + this.#need)
        off += this.#need
        this.#need = -1
        emit({ type: this.#type, body })
        continue
      }
      const take = Math.min(this.#need - this.#buffered, len - off)
      this.#chunks.push(chunk.subarray(off, off + take))
      this.#buffered += take
      off += take
      if (this.#buffered === this.#need) {
        const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#need)
        this.#chunks = []
        this.#buffered = 0
        this.#need = -1
        emit({ type: this.#type, body })
      }
    }
  }

  /** True when no partial message is pending. */
  get idle (): boolean { return this.#need < 0 && this.#buffered === 0 }

  #startBody (buf: Buffer, off: number): void {
    const version = buf[off]!
    const type = buf[off + 1]!
    const size = buf.readUIntBE(off + 2, 6)
    // version 0 is tolerated for security messages (service.c process_readable)
    if (version !== PROTO_VERSION && !(version === 0 && type === ProtoType.ADMIN)) {
      throw new AsbError(ErrorCode.PROTOCOL, `bad proto version ${version} (expected 2)`)
    }
    if (!this.#types.has(type)) throw new AsbError(ErrorCode.PROTOCOL, `unexpected proto type ${type}`)
    if (size > this.#maxSize) {
      throw new AsbError(ErrorCode.PROTOCOL, `proto message of ${size} bytes exceeds the ${this.#maxSize}-byte limit`)
    }
    this.#type = type
    this.#need = size
  }
}

/**
 * Transform: bytes in, `ProtoMessage` objects out (readable side in object
 * mode). Errors on a bad header or an oversized message, and on a stream
 * that ends in the middle of a message.
 */
export class ProtoFramer extends Transform {
  readonly #splitter: ProtoSplitter

  constructor (opts: ProtoFramerOptions = {}) {
    super({ readableObjectMode: true, readableHighWaterMark: 16 })
    this.#splitter = new ProtoSplitter(opts)
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.#splitter.push(chunk, (m) => { this.push(m) })
      cb()
    } catch (err) {
      cb(err as Error)
    }
  }

  override _flush (cb: TransformCallback): void {
    if (!this.#splitter.idle) {
      cb(new AsbError(ErrorCode.PROTOCOL, `stream ended inside a proto message (${this.#splitter.buffered} bytes pending)`))
      return
    }
    cb()
  }
}

export function createProtoFramer (opts: ProtoFramerOptions = {}): ProtoFramer {
  return new ProtoFramer(opts)
}
