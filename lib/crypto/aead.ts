// Our authenticated format, `-y aes256-gcm` (asbackup has nothing like it).
// A STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015; the same
// shape as Tink's AES-GCM-HKDF streaming AEAD):
//
//   header (68 bytes, also the AAD of every chunk)
//     0  magic "ASBAEAD\n"          8   format version (1)
//     9  algorithm (1 = AES-256-GCM) 10  log2 chunk size (16 = 64 KiB)
//     11 reserved (0)                12  key fingerprint (16, HMAC of K)
//     28 salt (32, random)           60  nonce prefix (7, random)
//     67 reserved (0)
//   chunk i = AES-256-GCM(fileKey, nonce_i, aad = header)(plaintext_i) || tag (16)
//     fileKey = HKDF-SHA256(K, salt, "asb aead v1 aes-256-gcm file key")
//     nonce_i = prefix (7) || i as uint32 BE (4) || last ? 1 : 0 (1)
//     every chunk holds exactly chunkSize plaintext bytes except the last,
//     which holds 0..chunkSize and is always present.
//
// So a flipped bit fails its chunk's tag; a reordered, dropped or duplicated
// chunk fails on the counter; a cut at a chunk edge fails on the last flag; a
// wrong key is caught by the fingerprint before anything is written. The
// decryptor emits a chunk's plaintext only after its tag verified.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { AsbError, ErrorCode, formatPosition } from '../errors.js'
import {
  AEAD_ALG_AES256_GCM, AEAD_CHUNK_LOG, AEAD_CHUNK_LOG_MAX, AEAD_CHUNK_LOG_MIN, AEAD_FILE_KEY_INFO,
  AEAD_FINGERPRINT_SIZE, AEAD_HEADER_SIZE, AEAD_MAGIC, AEAD_MAX_CHUNKS, AEAD_NONCE_PREFIX_SIZE,
  AEAD_SALT_SIZE, AEAD_TAG_SIZE, AEAD_VERSION
} from './constants.js'
import { keyFingerprint } from './key.js'
import type { KeyMaterial } from './key.js'
import type { CipherCore, Emit } from './ctr.js'

const ALG = 'aes-256-gcm'

function fileKey (key: KeyMaterial, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key.digest, salt, AEAD_FILE_KEY_INFO, 32))
}

function nonce (prefix: Buffer, counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12)
  prefix.copy(n, 0)
  n.writeUInt32BE(counter, AEAD_NONCE_PREFIX_SIZE)
  n[11] = last ? 1 : 0
  return n
}

/**
 * Cuts a stream into records of `size` bytes. A full record is handed on
 * only once more input shows it is not the last one; the last (0..size
 * bytes) stays for take(). Whole records are handed on straight from the
 * input without a copy; `onFull` must not keep the buffer it gets.
 */
class Chunker {
  readonly #size: number
  readonly #buf: Buffer
  #len = 0

  constructor (size: number) {
    this.#size = size
    this.#buf = Buffer.allocUnsafe(size)
  }

  push (chunk: Buffer, onFull: (record: Buffer) => void): void {
    let i = 0
    while (i < chunk.length) {
      if (this.#len === this.#size) {
        onFull(this.#buf)
        this.#len = 0
      }
      if (this.#len === 0 && chunk.length - i > this.#size) {
        onFull(chunk.subarray(i, i + this.#size))
        i += this.#size
        continue
      }
      const n = Math.min(chunk.length - i, this.#size - this.#len)
      chunk.copy(this.#buf, this.#len, i, i + n)
      this.#len += n
      i += n
    }
  }

  /** The held-back last record. */
  take (): Buffer {
    const last = this.#buf.subarray(0, this.#len)
    this.#len = 0
    return last
  }
}

export interface AeadEncryptOptions {
  /** log2 of the plaintext chunk size; default 16 (64 KiB). */
  chunkLog?: number
  /** Fixed salt / nonce prefix (tests only); default random. */
  salt?: Buffer
  noncePrefix?: Buffer
}

export class AeadEncryptCore implements CipherCore {
  readonly #header: Buffer
  readonly #key: Buffer
  readonly #prefix: Buffer
  readonly #chunks: Chunker
  #counter = 0
  #headerSent = false

  constructor (key: KeyMaterial, opts: AeadEncryptOptions = {}) {
    const chunkLog = opts.chunkLog ?? AEAD_CHUNK_LOG
    if (!Number.isInteger(chunkLog) || chunkLog < AEAD_CHUNK_LOG_MIN || chunkLog > AEAD_CHUNK_LOG_MAX) {
      throw new RangeError(`chunkLog must be ${AEAD_CHUNK_LOG_MIN}..${AEAD_CHUNK_LOG_MAX}`)
    }
    const salt = opts.salt ?? randomBytes(AEAD_SALT_SIZE)
    this.#prefix = opts.noncePrefix ?? randomBytes(AEAD_NONCE_PREFIX_SIZE)
    const h = Buffer.alloc(AEAD_HEADER_SIZE)
    AEAD_MAGIC.copy(h, 0)
    h[8] = AEAD_VERSION
    h[9] = AEAD_ALG_AES256_GCM
    h[10] = chunkLog
    keyFingerprint(key).copy(h, 12)
    salt.copy(h, 28)
    this.#prefix.copy(h, 60)
    this.#header = h
    this.#key = fileKey(key, salt)
    this.#chunks = new Chunker(2 ** chunkLog)
  }

  #seal (plain: Buffer, last: boolean, emit: Emit): void {
    if (this.#counter >= AEAD_MAX_CHUNKS) {
      throw new AsbError(ErrorCode.CRYPTO, 'input too large for one authenticated stream (2^32 chunks)')
    }
    const c = createCipheriv(ALG, this.#key, nonce(this.#prefix, this.#counter++, last))
    c.setAAD(this.#header)
    const ct = c.update(plain)
    c.final()
    if (ct.length > 0) emit(ct)
    emit(c.getAuthTag())
  }

  update (chunk: Buffer, emit: Emit): void {
    if (!this.#headerSent) { emit(this.#header); this.#headerSent = true }
    this.#chunks.push(chunk, (plain) => { this.#seal(plain, false, emit) })
  }

  final (emit: Emit): void {
    if (!this.#headerSent) { emit(this.#header); this.#headerSent = true }
    this.#seal(this.#chunks.take(), true, emit)
  }
}

/** Parsed, checked header; throws a one-line AsbError on anything unexpected. */
function readHeader (h: Buffer, key: KeyMaterial, file: string | undefined): { chunkLog: number, salt: Buffer, prefix: Buffer } {
  const at = (offset: number, what: string): AsbError =>
    new AsbError(ErrorCode.CRYPTO, `${formatPosition({ file, offset })}: ${what}`)
  if (!h.subarray(0, 8).equals(AEAD_MAGIC)) throw at(0, 'not an as-encrypt authenticated file (no ASBAEAD magic)')
  if (h[8] !== AEAD_VERSION) {
    throw at(8, `authenticated format version ${h[8]} is not supported (this as-encrypt reads version ${AEAD_VERSION}); ` +
      'it was probably written by a newer as-encrypt')
  }
  if (h[9] !== AEAD_ALG_AES256_GCM) throw at(9, `unknown algorithm id ${h[9]} in the authenticated header`)
  const chunkLog = h[10]!
  if (chunkLog < AEAD_CHUNK_LOG_MIN || chunkLog > AEAD_CHUNK_LOG_MAX || h[11] !== 0 || h[67] !== 0) {
    throw at(10, 'corrupt authenticated header (bad chunk size or reserved bytes)')
  }
  const stored = h.subarray(12, 12 + AEAD_FINGERPRINT_SIZE)
  const ours = keyFingerprint(key)
  if (!timingSafeEqual(stored, ours)) {
    throw at(12, `wrong key: the file was encrypted with the key whose fingerprint is ${stored.toString('hex').slice(0, 16)}, ` +
      `but ${key.source} has fingerprint ${ours.toString('hex').slice(0, 16)}; nothing was decrypted`)
  }
  return { chunkLog, salt: Buffer.from(h.subarray(28, 28 + AEAD_SALT_SIZE)), prefix: Buffer.from(h.subarray(60, 67)) }
}

/** Decrypts our format given its complete header (the caller sniffed it). */
export class AeadDecryptCore implements CipherCore {
  readonly #header: Buffer
  readonly #key: Buffer
  readonly #prefix: Buffer
  readonly #recSize: number
  readonly #file: string | undefined
  readonly #records: Chunker
  #counter = 0

  constructor (key: KeyMaterial, header: Buffer, file?: string) {
    const { chunkLog, salt, prefix } = readHeader(header, key, file)
    this.#header = Buffer.from(header)
    this.#key = fileKey(key, salt)
    this.#prefix = prefix
    this.#recSize = 2 ** chunkLog + AEAD_TAG_SIZE
    this.#file = file
    this.#records = new Chunker(this.#recSize)
  }

  #chunkStart (i: number): number {
    return AEAD_HEADER_SIZE + i * this.#recSize
  }

  #try (rec: Buffer, counter: number, last: boolean): Buffer | undefined {
    const d = createDecipheriv(ALG, this.#key, nonce(this.#prefix, counter, last))
    d.setAAD(this.#header)
    d.setAuthTag(rec.subarray(rec.length - AEAD_TAG_SIZE))
    const pt = d.update(rec.subarray(0, rec.length - AEAD_TAG_SIZE))
    try {
      d.final()
    } catch {
      return undefined
    }
    return pt
  }

  #error (offset: number, what: string): AsbError {
    return new AsbError(ErrorCode.CRYPTO, `${formatPosition({ file: this.#file, offset })}: ${what}; ` +
      'no data past the previous chunk was written')
  }

  #open (rec: Buffer, last: boolean, emit: Emit): void {
    const i = this.#counter
    const start = this.#chunkStart(i)
    const pt = this.#try(rec, i, last)
    if (pt === undefined) {
      // Say what went wrong when we can tell.
      if (last && this.#try(rec, i, false) !== undefined) {
        throw this.#error(start + rec.length, `truncated: the data ends after chunk ${i + 1}, which is not the final chunk`)
      }
      if (!last && this.#try(rec, i, true) !== undefined) {
        throw this.#error(start + rec.length, `unexpected data after the final chunk (chunk ${i + 1})`)
      }
      throw this.#error(start, `authentication failed for chunk ${i + 1} (bytes ${start}..${start + rec.length - 1}): ` +
        'the data was modified, corrupted, reordered, duplicated or truncated')
    }
    this.#counter++
    if (pt.length > 0) emit(pt)
  }

  update (chunk: Buffer, emit: Emit): void {
    this.#records.push(chunk, (rec) => { this.#open(rec, false, emit) })
  }

  final (emit: Emit): void {
    const rec = this.#records.take()
    if (rec.length < AEAD_TAG_SIZE) {
      const end = this.#chunkStart(this.#counter) + rec.length
      throw this.#error(end, this.#counter === 0 && rec.length === 0
        ? 'truncated: the authenticated header is not followed by any chunk'
        : `truncated: the data ends inside chunk ${this.#counter + 1}`)
    }
    this.#open(rec, true, emit)
  }
}
