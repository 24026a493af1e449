// Streaming zstd, compatible with asbackup's io_proxy.c (asb-format.md §3):
// standard frames, no checksum, no content size, default window; the reader
// accepts any number of concatenated frames (directory mode, resumed files).
//
//   compress:    bytes --write--> [ZSTD_compressStream2(continue)] --push 128 KiB--> frames
//                       end ----> [ZSTD_compressStream2(end)] -------> last block, frame end
//
//   decompress:  bytes --write--> [ZstdFrameWalker: cut at unit edges]
//                                   --> [ZSTD_decompressStream] --push 512 KiB-->
//                write callback held until the reader drains (backpressure):
//                a 1 KiB RLE block can expand to 128 KiB, so output is pushed
//                one buffer at a time and we stop as soon as push() says so.
//
// We drive the low-level binding (zstd-napi/binding) rather than its
// DecompressStream, which pushes a whole chunk's output regardless of
// backpressure and reports errors without an offset.
import { Duplex, Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import binding from 'zstd-napi/binding.js'
import { AsbError, ErrorCode, formatPosition } from '../errors.js'
import {
  STREAM_HIGH_WATER_MARK, ZSTD_DECOMPRESS_OUT_BUFFER, ZSTD_DEFAULT_LEVEL, ZSTD_MAX_LEVEL, ZSTD_MIN_LEVEL, ZSTD_OUT_BUFFER,
  ZSTD_WINDOW_LOG_MAX
} from './constants.js'
import { ZstdFrameWalker } from './zstd-frames.js'
import { SNIFF_SIZE } from './sniff.js'
import { Reclaimer } from './reclaim.js'

export interface ZstdCompressOptions {
  /** zstd level 1..22; default 3 (asbackup's default, §3). */
  level?: number
  /**
   * Write the 4-byte content checksum (XXH64) at the end of the frame, so
   * that corruption is detected on decompression. Default true, like the zstd
   * CLI; asbackup writes none (§3) and reads both.
   */
  checksum?: boolean
  /** zstd worker threads (ZSTD_c_nbWorkers); 0 or undefined: compress on the calling thread. */
  workers?: number
  /** Called every few MiB to free garbage buffers (see reclaim.ts). */
  reclaim?: () => void
}

export interface ZstdDecompressOptions {
  /** File name for error lines (default: none). */
  file?: string
  /** Largest window accepted, log2 (default 27 = 128 MiB). */
  windowLogMax?: number
  /** Called every few MiB to free garbage buffers (see reclaim.ts). */
  reclaim?: () => void
}

/** Stream statistics, read after the stream ends. */
export interface ZstdStats {
  bytesIn: number
  bytesOut: number
  /** Frames seen (decompression only). */
  frames: number
}

const EMPTY = Buffer.alloc(0)

function zstdMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** A Transform that compresses its input into one zstd frame. */
export class ZstdCompress extends Transform {
  readonly stats: ZstdStats = { bytesIn: 0, bytesOut: 0, frames: 0 }
  readonly #cctx = new binding.CCtx()
  #out = Buffer.allocUnsafe(ZSTD_OUT_BUFFER)
  #pos = 0
  readonly #reclaim: Reclaimer

  constructor (opts: ZstdCompressOptions = {}) {
    super({ readableHighWaterMark: STREAM_HIGH_WATER_MARK, writableHighWaterMark: STREAM_HIGH_WATER_MARK })
    const level = opts.level ?? ZSTD_DEFAULT_LEVEL
    if (!Number.isInteger(level) || level < ZSTD_MIN_LEVEL || level > ZSTD_MAX_LEVEL) {
      throw new AsbError(ErrorCode.USAGE, `zstd level must be an integer from ${ZSTD_MIN_LEVEL} to ${ZSTD_MAX_LEVEL}, got ${level}`)
    }
    this.#cctx.setParameter(binding.CParameter.compressionLevel, level)
    this.#cctx.setParameter(binding.CParameter.checksumFlag, opts.checksum === false ? 0 : 1)
    if (opts.workers !== undefined && opts.workers > 0) this.#cctx.setParameter(binding.CParameter.nbWorkers, opts.workers)
    this.#reclaim = new Reclaimer(opts.reclaim)
  }

  #run (src: Buffer, op: binding.EndDirective): void {
    for (;;) {
      const [ret, produced, consumed] = this.#cctx.compressStream2(this.#out.subarray(this.#pos), src, op)
      this.#pos += produced
      src = src.subarray(consumed)
      if (this.#pos === this.#out.length) this.#emit()
      if (src.length === 0 && (op === binding.EndDirective.continue || ret === 0)) return
    }
  }

  #emit (): void {
    if (this.#pos === 0) return
    const out = this.#pos === this.#out.length ? this.#out : this.#out.subarray(0, this.#pos)
    this.stats.bytesOut += out.length
    this.push(out)
    this.#out = Buffer.allocUnsafe(ZSTD_OUT_BUFFER)
    this.#pos = 0
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.stats.bytesIn += chunk.length
    this.#reclaim.count(chunk.length)
    try {
      this.#run(chunk, binding.EndDirective.continue)
    } catch (err) {
      cb(new AsbError(ErrorCode.COMPRESS, `zstd compression failed: ${zstdMessage(err)}`, { cause: err }))
      return
    }
    cb()
  }

  override _flush (cb: TransformCallback): void {
    try {
      this.#run(EMPTY, binding.EndDirective.end)
      this.#emit()
      this.stats.frames = 1
    } catch (err) {
      cb(new AsbError(ErrorCode.COMPRESS, `zstd compression failed: ${zstdMessage(err)}`, { cause: err }))
      return
    }
    cb()
  }
}

/** What to tell someone who fed non-zstd data to the decompressor. */
function hintFor (message: string): string {
  if (message.includes('plain .asb')) return '; it is not compressed, so leave out as-compress -d'
  if (message.includes('as-encrypt authenticated')) return '; decrypt it first with as-encrypt -d'
  if (message.includes('asbackup AES-CTR')) return '; if it is an encrypted backup, decrypt it first with as-encrypt -d -y aes128|aes256'
  return ''
}

/**
 * A Duplex that decompresses any number of concatenated zstd frames with
 * bounded memory and real backpressure. Errors are AsbErrors (code
 * ASB_ERR_COMPRESS) whose message starts with `FILE: byte N:`.
 */
export class ZstdDecompress extends Duplex {
  readonly stats: ZstdStats = { bytesIn: 0, bytesOut: 0, frames: 0 }
  readonly #dctx = new binding.DCtx()
  readonly #walker: ZstdFrameWalker
  readonly #file: string | undefined
  #out = Buffer.allocUnsafe(ZSTD_DECOMPRESS_OUT_BUFFER)
  #pos = 0
  #src: Buffer = EMPTY
  #srcPos = 0
  #stepEnd = 0
  /** The last call filled the output buffer: libzstd may hold more output. */
  #draining = false
  #cb: ((err?: Error | null) => void) | null = null
  #waiting = false
  #pumping = false
  readonly #reclaim: Reclaimer

  constructor (opts: ZstdDecompressOptions = {}) {
    super({ readableHighWaterMark: STREAM_HIGH_WATER_MARK, writableHighWaterMark: STREAM_HIGH_WATER_MARK })
    this.#file = opts.file
    this.#walker = new ZstdFrameWalker(opts.file)
    this.#dctx.setParameter(binding.DParameter.windowLogMax, opts.windowLogMax ?? ZSTD_WINDOW_LOG_MAX)
    this.#reclaim = new Reclaimer(opts.reclaim)
  }

  override _write (chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#walker.head.length < SNIFF_SIZE && chunk.length > 0) {
      const head = this.#walker.head
      this.#walker.head = Buffer.concat([head, chunk.subarray(0, SNIFF_SIZE - head.length)])
    }
    this.stats.bytesIn += chunk.length
    this.#src = chunk
    this.#srcPos = 0
    this.#stepEnd = 0
    this.#cb = cb
    this.#pump()
  }

  override _read (): void {
    if (this.#waiting) {
      this.#waiting = false
      this.#pump()
    }
  }

  #fail (err: unknown): void {
    const cb = this.#cb
    this.#cb = null
    if (cb !== null) cb(err as Error)
    else this.destroy(err as Error)
  }

  #corrupt (err: unknown): AsbError {
    if (err instanceof AsbError) {
      return new AsbError(err.code, err.message + hintFor(err.message), { cause: err.cause })
    }
    const u = this.#walker.unit
    const where = u.kind === 'block' ? `block ${u.block} of frame ${u.frame}` : `the ${u.kind} of frame ${u.frame}`
    return new AsbError(ErrorCode.COMPRESS,
      `${formatPosition({ file: this.#file, offset: u.start })}: corrupt zstd data in ${where}: ${zstdMessage(err)}`,
      { cause: err })
  }

  /** Hand the filled part of the output buffer downstream; false = stop (backpressure). */
  #emit (): boolean {
    const out = this.#out.subarray(0, this.#pos)
    const rest = this.#out.length - this.#pos
    // Keep using the unfilled tail of the buffer when it is worth it.
    this.#out = rest >= 16 * 1024 ? this.#out.subarray(this.#pos) : Buffer.allocUnsafe(ZSTD_DECOMPRESS_OUT_BUFFER)
    this.#pos = 0
    this.stats.bytesOut += out.length
    this.#reclaim.count(out.length)
    return this.push(out)
  }

  #pump (): void {
    if (this.#pumping) return
    this.#pumping = true
    try {
      for (;;) {
        if (this.#srcPos === this.#stepEnd && !this.#draining) {
          if (this.#srcPos === this.#src.length) {
            // Chunk done: flush what we have so the pipeline keeps moving.
            if (this.#pos > 0 && !this.#emit()) { this.#waiting = true; return }
            const cb = this.#cb
            this.#cb = null
            this.#src = EMPTY
            this.#srcPos = this.#stepEnd = 0
            if (cb === null) return
            cb()
            // The writable side may hand us the next chunk from inside cb().
            if (this.#cb === null) return
            continue
          }
          this.#stepEnd = this.#srcPos + this.#walker.step(this.#src, this.#srcPos)
        }
        const [, produced, consumed] = this.#dctx.decompressStream(
          this.#out.subarray(this.#pos), this.#src.subarray(this.#srcPos, this.#stepEnd))
        this.#srcPos += consumed
        this.#pos += produced
        this.#draining = this.#pos === this.#out.length
        if (this.#draining && !this.#emit()) { this.#waiting = true; return }
      }
    } catch (err) {
      // What was decoded before the damage goes out (as it would have with
      // another chunking); nothing after it.
      if (this.#pos > 0) this.#emit()
      this.#fail(this.#corrupt(err))
    } finally {
      this.#pumping = false
    }
  }

  override _final (cb: (err?: Error | null) => void): void {
    const w = this.#walker
    if (this.stats.bytesIn === 0) {
      cb(new AsbError(ErrorCode.COMPRESS, `${formatPosition({ file: this.#file, offset: 0 })}: input is empty; expected zstd data`))
      return
    }
    const truncated = w.truncation()
    if (truncated !== undefined) {
      cb(new AsbError(ErrorCode.COMPRESS, `${formatPosition({ file: this.#file, offset: w.offset })}: ${truncated}`))
      return
    }
    this.stats.frames = w.framesDone
    if (this.#pos > 0) this.#emit()
    this.push(null)
    cb()
  }
}

export function createZstdCompress (opts: ZstdCompressOptions = {}): ZstdCompress {
  return new ZstdCompress(opts)
}

export function createZstdDecompress (opts: ZstdDecompressOptions = {}): ZstdDecompress {
  return new ZstdDecompress(opts)
}
