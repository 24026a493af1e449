// A walker over the structure of a zstd stream (RFC 8878 §3.1): frame magic,
// frame header, 3-byte block headers, block bodies, optional checksum,
// skippable frames. It never decompresses; it only knows where each unit
// starts and ends, so that the decompressor can
//   - feed libzstd one unit at a time and name the byte offset of the unit
//     a libzstd error belongs to,
//   - say precisely where truncated input stops ("inside block 7 of frame 2"),
//   - say what non-zstd input looks like instead of "Unknown frame descriptor".
//
//   stream  = frame*                       (asbackup: one frame per flush, §3)
//   frame   = magic(4) FHD(1) [WD(1)] [DID(0-4)] [FCS(0-8)] block+ [checksum(4)]
//   block   = header(3: last bit, type 2 bits, size 21 bits) body
//   skippable frame = magic 0x184D2A5? (4) size(4) body(size)
import { AsbError, ErrorCode, formatPosition } from '../errors.js'
import { ZSTD_SKIPPABLE_MASK, ZSTD_SKIPPABLE_MIN } from './constants.js'
import { describeData } from './sniff.js'

const enum State { Magic, FrameHeader, BlockHeader, BlockBody, Checksum, SkipSize, SkipBody }

const ZSTD_MAGIC_LE = 0xfd2fb528
const DID_SIZES = [0, 1, 2, 4]
const FCS_SIZES = [0, 2, 4, 8]

/** Where the unit being walked lies, for error messages. */
export interface Unit {
  /** 'frame header' | 'block' | 'checksum' | 'skippable frame' | 'frame magic' */
  kind: string
  /** Absolute byte offset where the unit starts. */
  start: number
  /** 1-based frame number. */
  frame: number
  /** 1-based block number within the frame (0 outside blocks). */
  block: number
}

export class ZstdFrameWalker {
  /** Absolute offset of the next byte to walk. */
  offset = 0
  /** Frames completed so far. */
  framesDone = 0
  /** The unit the last walked byte belonged to. */
  readonly unit: Unit = { kind: 'frame magic', start: 0, frame: 1, block: 0 }
  /** The first bytes of the stream (filled by the caller), to describe non-zstd input. */
  head: Buffer = Buffer.alloc(0)
  readonly #file: string | undefined
  #state = State.Magic
  readonly #hdr = Buffer.alloc(18)
  #hdrLen = 0
  #need = 4
  #remaining = 0
  #checksum = false
  #lastBlock = false
  #frame = 0
  #block = 0

  constructor (file?: string) {
    this.#file = file
  }

  /** True between frames: the stream may end here. */
  get atBoundary (): boolean {
    return this.#state === State.Magic && this.#hdrLen === 0
  }

  error (offset: number, reason: string): AsbError {
    return new AsbError(ErrorCode.COMPRESS, `${formatPosition({ file: this.#file, offset })}: ${reason}`)
  }

  #enter (kind: string, start: number): void {
    this.unit.kind = kind
    this.unit.start = start
    this.unit.frame = this.#frame
    this.unit.block = kind === 'block' ? this.#block : 0
  }

  /**
   * Walk buf from `start`; return how many bytes belong to the current unit
   * (at least 1, up to the end of the unit or of buf). Throws on structure
   * errors the walker can see by itself (bad magic, reserved bits).
   */
  step (buf: Buffer, start: number): number {
    const avail = buf.length - start
    if (this.#state === State.BlockBody || this.#state === State.SkipBody) {
      const n = Math.min(avail, this.#remaining)
      this.#remaining -= n
      this.offset += n
      if (this.#remaining === 0) this.#afterBody()
      return n
    }
    // Header-like states: collect #need bytes into #hdr.
    if (this.#hdrLen === 0) this.#startHeader()
    const n = Math.min(avail, this.#need - this.#hdrLen)
    buf.copy(this.#hdr, this.#hdrLen, start, start + n)
    this.#hdrLen += n
    this.offset += n
    if (this.#state === State.FrameHeader && this.#hdrLen === 1 && this.#need === 1) {
      this.#need = this.#frameHeaderSize(this.#hdr[0]!)
    }
    if (this.#hdrLen === this.#need) this.#headerDone()
    return n
  }

  #startHeader (): void {
    const at = this.offset
    switch (this.#state) {
      case State.Magic: this.#frame++; this.#block = 0; this.#enter('frame magic', at); break
      case State.FrameHeader: this.#enter('frame header', at); break
      case State.BlockHeader: this.#block++; this.#enter('block', at); break
      case State.Checksum: this.#enter('checksum', at); break
      case State.SkipSize: break
      default: break
    }
  }

  #frameHeaderSize (fhd: number): number {
    if ((fhd & 0x08) !== 0) {
      throw this.error(this.offset - 1, `corrupt zstd frame header in frame ${this.#frame} (reserved bit set)`)
    }
    const singleSegment = (fhd & 0x20) !== 0
    const fcsFlag = fhd >> 6
    const fcs = fcsFlag === 0 ? (singleSegment ? 1 : 0) : FCS_SIZES[fcsFlag]!
    this.#checksum = (fhd & 0x04) !== 0
    return 1 + (singleSegment ? 0 : 1) + DID_SIZES[fhd & 3]! + fcs
  }

  #headerDone (): void {
    const h = this.#hdr
    const at = this.offset - this.#hdrLen
    this.#hdrLen = 0
    switch (this.#state) {
      case State.Magic: {
        const magic = h.readUInt32LE(0)
        if (magic === ZSTD_MAGIC_LE) {
          this.#state = State.FrameHeader
          this.#need = 1
          return
        }
        if (((magic & ZSTD_SKIPPABLE_MASK) >>> 0) === ZSTD_SKIPPABLE_MIN) {
          this.#enter('skippable frame', at)
          this.#state = State.SkipSize
          this.#need = 4
          return
        }
        const head = Buffer.from(h.subarray(0, 4))
        if (at === 0) {
          const sniffed = this.head.length >= 4 ? this.head : head
          throw this.error(0, `not zstd data: this looks like ${describeData(sniffed).description}`)
        }
        throw this.error(at, `expected a zstd frame after frame ${this.framesDone} (magic 28 b5 2f fd), ` +
          `found bytes ${[...head].map((b) => b.toString(16).padStart(2, '0')).join(' ')} (trailing garbage or a damaged frame)`)
      }
      case State.FrameHeader:
        this.#state = State.BlockHeader
        this.#need = 3
        return
      case State.BlockHeader: {
        const v = h[0]! | (h[1]! << 8) | (h[2]! << 16)
        this.#lastBlock = (v & 1) === 1
        const type = (v >> 1) & 3
        const size = v >>> 3
        if (type === 3) {
          throw this.error(at, `corrupt zstd data: block ${this.#block} of frame ${this.#frame} has the reserved block type`)
        }
        this.#remaining = type === 1 ? 1 : size
        this.#state = State.BlockBody
        if (this.#remaining === 0) this.#afterBody()
        return
      }
      case State.Checksum:
        this.#frameDone()
        return
      case State.SkipSize:
        this.#remaining = h.readUInt32LE(0)
        this.#state = State.SkipBody
        if (this.#remaining === 0) this.#afterBody()
        return
      default:
        return
    }
  }

  #afterBody (): void {
    if (this.#state === State.SkipBody) {
      this.#frameDone()
      return
    }
    if (!this.#lastBlock) {
      this.#state = State.BlockHeader
      this.#need = 3
    } else if (this.#checksum) {
      this.#state = State.Checksum
      this.#need = 4
    } else {
      this.#frameDone()
    }
  }

  #frameDone (): void {
    this.framesDone++
    this.#state = State.Magic
    this.#need = 4
  }

  /** Describe where a stream that ends here was cut, or undefined when it may end here. */
  truncation (): string | undefined {
    if (this.atBoundary) return undefined
    const u = this.unit
    const missing = this.#state === State.BlockBody || this.#state === State.SkipBody
      ? this.#remaining
      : this.#need - this.#hdrLen
    const where = u.kind === 'block'
      ? `block ${u.block} of frame ${u.frame} (block starts at byte ${u.start})`
      : `the ${u.kind} of frame ${u.frame} (starts at byte ${u.start})`
    return `truncated zstd data: input ends inside ${where}; at least ${missing} more byte(s) expected`
  }
}
