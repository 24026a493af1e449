// Encrypt / decrypt Transforms over the two formats:
//
//   createEncryptStream  mode aes128|aes256 -> asbackup AES-CTR (ctr.ts)
//                        mode aes256-gcm    -> our authenticated format (aead.ts)
//
//   createDecryptStream  first 68 bytes --> starts with "ASBAEAD\n"? --> aead.ts (any -y)
//                                      \-> looks like .asb/zstd/PEM?  --> refuse: say what it is
//                                      \-> asbackup CTR: decrypt the first plaintext bytes;
//                                          .asb/zstd/NDJSON? go on. Otherwise try the other
//                                          key size (wrong -y?) and refuse: a wrong key.
//
// asbackup's CTR files carry no magic and no MAC (§4.1), so those checks are
// heuristics on what our pipelines carry; `force` turns the refusals into
// warnings. All checks happen before the first output byte.
import { Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import { AsbError, ErrorCode, formatPosition } from '../errors.js'
import { describeData } from '../compress/sniff.js'
import type { DataKind } from '../compress/sniff.js'
import { STREAM_HIGH_WATER_MARK } from '../compress/constants.js'
import { Reclaimer } from '../compress/reclaim.js'
import { AEAD_HEADER_SIZE, AEAD_MAGIC, CTR_HEADER_SIZE } from './constants.js'
import { AeadDecryptCore, AeadEncryptCore } from './aead.js'
import type { AeadEncryptOptions } from './aead.js'
import { CtrDecryptCore, CtrEncryptCore } from './ctr.js'
import type { CipherCore, CtrBits, CtrEncryptOptions, Emit } from './ctr.js'
import { ctrKey } from './key.js'
import type { KeyMaterial } from './key.js'

export const ENCRYPT_MODES = ['aes128', 'aes256', 'aes256-gcm'] as const
export type EncryptMode = typeof ENCRYPT_MODES[number]

export interface EncryptOptions {
  mode: EncryptMode
  key: KeyMaterial
  /** Test hooks: fixed IV0 (CTR) or salt/nonce prefix/chunk size (GCM). */
  ctr?: CtrEncryptOptions
  aead?: AeadEncryptOptions
  /** Called every few MiB to free garbage buffers (lib/compress/reclaim.ts). */
  reclaim?: () => void
}

export interface DecryptOptions {
  /** The -y given; an authenticated file is recognised whatever it says. */
  mode: EncryptMode
  key: KeyMaterial
  /** File name for error lines. */
  file?: string
  /** Decrypt even when the input or the plaintext looks wrong (warn instead). */
  force?: boolean
  /** Where warnings go (one line each, no prefix). */
  onWarning?: (message: string) => void
  /** Told which format was found: 'ctr' or 'aead'. */
  onFormat?: (format: 'ctr' | 'aead') => void
  /** Called every few MiB to free garbage buffers (lib/compress/reclaim.ts). */
  reclaim?: () => void
}

/** What a decrypted stream is expected to start with in our pipelines. */
const PLAINTEXT_KINDS: ReadonlySet<DataKind> = new Set<DataKind>(['asb', 'zstd', 'ndjson', 'empty'])
/** Input we refuse to "decrypt": recognisable by 4+ fixed bytes (false positive <= 2^-32). */
const NOT_ENCRYPTED_KINDS: ReadonlySet<DataKind> = new Set<DataKind>(['asb', 'zstd', 'pem', 'gzip', 'xz', 'bzip2', 'lz4'])
/** Bytes collected before the decryptor decides anything. */
const SNIFF_BYTES = AEAD_HEADER_SIZE

/**
 * Input chunks smaller than COALESCE_DIRECT are gathered into blocks of
 * COALESCE_BLOCK bytes before the cipher sees them: a pipe hands us 64 KiB
 * at a time, and every cipher.update() and push() has a fixed cost. The
 * cores consume their input synchronously, so one block buffer is reused.
 */
const COALESCE_BLOCK = 1024 * 1024
const COALESCE_DIRECT = 256 * 1024
/** Emitted output is pushed once this much has gathered, and after each input chunk. */
const OUT_PUSH_MIN = 1024 * 1024

class CoreTransform extends Transform {
  protected core: CipherCore | null
  /** Output of the current feed()/finish(), pushed as one Buffer (see #flushOut). */
  #outParts: Buffer[] = []
  #outLen = 0
  readonly #emit: Emit = (b) => {
    this.#outParts.push(b)
    this.#outLen += b.length
    if (this.#outLen >= OUT_PUSH_MIN) this.#flushOut()
  }
  readonly #reclaim: Reclaimer
  #block: Buffer | null = null
  #blockLen = 0

  constructor (core: CipherCore | null, reclaim?: () => void) {
    super({ readableHighWaterMark: STREAM_HIGH_WATER_MARK, writableHighWaterMark: STREAM_HIGH_WATER_MARK })
    this.core = core
    this.#reclaim = new Reclaimer(reclaim)
  }

  protected feed (chunk: Buffer): void {
    this.core!.update(chunk, this.#emit)
  }

  protected finish (): void {
    this.core!.final(this.#emit)
  }

  /**
   * Push what the core emitted, joined: the GCM cores emit each 64 KiB chunk
   * and its 16-byte tag separately, and every push() is one write()
   * downstream (a system call, or a thread-pool round trip).
   */
  #flushOut (): void {
    const n = this.#outParts.length
    if (n === 0) return
    const out = n === 1 ? this.#outParts[0]! : Buffer.concat(this.#outParts, this.#outLen)
    this.#outParts = []
    this.#outLen = 0
    this.push(out)
  }

  /** feed() through the block buffer (only once a core is there: see DecryptTransform). */
  #gather (chunk: Buffer): void {
    let i = 0
    while (i < chunk.length) {
      if (this.#blockLen === 0 && chunk.length - i >= COALESCE_DIRECT) {
        this.feed(i === 0 ? chunk : chunk.subarray(i))
        return
      }
      this.#block ??= Buffer.allocUnsafe(COALESCE_BLOCK)
      const n = chunk.copy(this.#block, this.#blockLen, i)
      this.#blockLen += n
      i += n
      if (this.#blockLen === COALESCE_BLOCK) this.#drainBlock()
    }
  }

  #drainBlock (): void {
    if (this.#blockLen === 0) return
    const len = this.#blockLen
    this.#blockLen = 0
    this.feed(this.#block!.subarray(0, len))
  }

  /** Run one step, push what the cores emitted (before an error too: GCM emits only verified chunks), then call back. */
  #step (work: () => void, cb: TransformCallback): void {
    let error: Error | null = null
    try {
      work()
    } catch (err) {
      error = err as Error
    }
    this.#flushOut()
    cb(error)
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#reclaim.count(chunk.length)
    this.#step(() => {
      if (this.core === null) this.feed(chunk)
      else this.#gather(chunk)
    }, cb)
  }

  override _flush (cb: TransformCallback): void {
    this.#step(() => {
      this.#drainBlock()
      this.finish()
    }, cb)
  }
}

function bitsOf (mode: EncryptMode): CtrBits {
  return mode === 'aes128' ? 128 : 256
}

export function createEncryptStream (opts: EncryptOptions): Transform {
  const core = opts.mode === 'aes256-gcm'
    ? new AeadEncryptCore(opts.key, opts.aead)
    : new CtrEncryptCore(bitsOf(opts.mode), ctrKey(opts.key, bitsOf(opts.mode)), opts.ctr)
  return new CoreTransform(core, opts.reclaim)
}

/** Decrypts the first plaintext bytes of a CTR file with the given key size. */
function peekCtr (bits: CtrBits, key: KeyMaterial, head: Buffer): Buffer {
  const core = new CtrDecryptCore(bits, ctrKey(key, bits), head.subarray(0, CTR_HEADER_SIZE))
  const out: Buffer[] = []
  core.update(head.subarray(CTR_HEADER_SIZE, CTR_HEADER_SIZE + 16), (b) => out.push(b))
  return Buffer.concat(out)
}

/** True when `head` starts with the authenticated magic (or is a prefix of it). */
function startsWithMagic (head: Buffer): boolean {
  const n = Math.min(head.length, AEAD_MAGIC.length)
  return n > 0 && head.subarray(0, n).equals(AEAD_MAGIC.subarray(0, n))
}

class DecryptTransform extends CoreTransform {
  readonly #opts: DecryptOptions
  #head: Buffer[] = []
  #headLen = 0

  constructor (opts: DecryptOptions) {
    super(null, opts.reclaim)
    this.#opts = opts
  }

  #fail (offset: number, what: string): AsbError {
    return new AsbError(ErrorCode.CRYPTO, `${formatPosition({ file: this.#opts.file, offset })}: ${what}`)
  }

  #refuseOrWarn (what: string): void {
    if (this.#opts.force !== true) throw this.#fail(0, what)
    this.#opts.onWarning?.(`${this.#opts.file ?? 'input'}: warning: ${what}; decrypting anyway (--force)`)
  }

  /** Pick the format from the first bytes, build the core, feed it `head`. */
  #decide (head: Buffer): void {
    const { mode, key } = this.#opts
    if (startsWithMagic(head)) {
      if (head.length < AEAD_HEADER_SIZE) throw this.#fail(head.length, 'truncated: the authenticated header is incomplete')
      this.#opts.onFormat?.('aead')
      this.core = new AeadDecryptCore(key, head.subarray(0, AEAD_HEADER_SIZE), this.#opts.file)
      super.feed(head.subarray(AEAD_HEADER_SIZE))
      return
    }
    const seen = describeData(head.subarray(0, 16))
    if (seen.kind === 'empty') throw this.#fail(0, 'input is empty; expected encrypted data')
    if (mode === 'aes256-gcm') {
      throw this.#fail(0, `not an as-encrypt authenticated file (no "ASBAEAD" magic): this looks like ${seen.description}` +
        (seen.kind === 'unknown' ? '; if it is an asbackup file, use -y aes128 or -y aes256' : ''))
    }
    if (NOT_ENCRYPTED_KINDS.has(seen.kind)) {
      const hint = seen.kind === 'zstd' ? ' (decompress it with as-compress -d)' : ''
      this.#refuseOrWarn(`this is not encrypted: it looks like ${seen.description}${hint}`)
    }
    if (head.length < CTR_HEADER_SIZE) {
      throw this.#fail(head.length, `truncated: an asbackup encrypted file starts with a ${CTR_HEADER_SIZE}-byte header, ` +
        `only ${head.length} byte(s) here`)
    }
    this.#opts.onFormat?.('ctr')
    this.#checkPlaintext(head)
    const bits = bitsOf(mode)
    this.core = new CtrDecryptCore(bits, ctrKey(key, bits), head.subarray(0, CTR_HEADER_SIZE))
    super.feed(head.subarray(CTR_HEADER_SIZE))
  }

  /** The CTR format cannot tell a wrong key: look at what comes out. */
  #checkPlaintext (head: Buffer): void {
    const { mode, key } = this.#opts
    if (head.length < CTR_HEADER_SIZE + 8) return // too little to judge
    const bits = bitsOf(mode)
    if (PLAINTEXT_KINDS.has(describeData(peekCtr(bits, key, head)).kind)) return
    const other: CtrBits = bits === 128 ? 256 : 128
    const alt = describeData(peekCtr(other, key, head))
    if (PLAINTEXT_KINDS.has(alt.kind)) {
      this.#refuseOrWarn(`wrong mode: this file was encrypted with -y aes${other}, not -y aes${bits} ` +
        `(with aes${other} it decrypts to ${alt.description})`)
      return
    }
    this.#refuseOrWarn(`wrong key: with ${key.source} (-y ${mode}) the data decrypts to neither .asb text, zstd nor ` +
      'NDJSON; asbackup\'s AES-CTR format has no check, so this is the best sign of a wrong key (or of a file ' +
      'that is not encrypted)')
  }

  protected override feed (chunk: Buffer): void {
    if (this.core !== null) { super.feed(chunk); return }
    this.#head.push(chunk)
    this.#headLen += chunk.length
    if (this.#headLen < SNIFF_BYTES) return
    const head = Buffer.concat(this.#head)
    this.#head = []
    this.#decide(head)
  }

  protected override finish (): void {
    if (this.core === null) {
      const head = Buffer.concat(this.#head)
      this.#head = []
      this.#decide(head)
    }
    super.finish()
  }
}

export function createDecryptStream (opts: DecryptOptions): Transform {
  return new DecryptTransform(opts)
}
