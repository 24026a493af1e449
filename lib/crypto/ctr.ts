// asbackup's AES-CTR layout (asb-format.md §4.1, io_proxy.c _gen_iv,
// _ctr128_add_to, _consumer_buffer_encrypt; backup-go io/encryption):
//
//   file = AES-ECB_K(IV0) (16 bytes) || AES-CTR_K(counter = IV0 + 1, ...)(data)
//
// IV0 = 4 bytes big-endian time(NULL) || 12 random bytes. The counter is the
// whole 16-byte block as a 128-bit big-endian integer, which is what OpenSSL's
// EVP aes-*-ctr does. No MAC: a wrong key yields garbage, which is why the
// decryptor looks at the first plaintext bytes (see stream.ts).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { Cipher, Decipher } from 'node:crypto'
import { CTR_HEADER_SIZE } from './constants.js'

export type CtrBits = 128 | 256

/** Receives output bytes. */
export type Emit = (out: Buffer) => void

/** A synchronous cipher stage; stream.ts wraps it into a Transform. */
export interface CipherCore {
  update: (chunk: Buffer, emit: Emit) => void
  final: (emit: Emit) => void
}

function ecb (bits: CtrBits, key: Buffer, decrypt: boolean, block: Buffer): Buffer {
  const alg = `aes-${bits}-ecb`
  const c = decrypt ? createDecipheriv(alg, key, null) : createCipheriv(alg, key, null)
  c.setAutoPadding(false)
  return Buffer.concat([c.update(block), c.final()])
}

/** (iv + n) mod 2^128, big-endian, as _ctr128_add_to. */
export function ctrAdd (iv: Buffer, n: number): Buffer {
  const out = Buffer.from(iv)
  let carry = n
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const v = out[i]! + carry
    out[i] = v & 0xff
    carry = Math.floor(v / 256)
  }
  return out
}

/** A fresh IV0 the way asbackup makes it: big-endian seconds, then random. */
export function makeIv0 (nowMs = Date.now()): Buffer {
  const iv = randomBytes(16)
  iv.writeUInt32BE(Math.floor(nowMs / 1000) >>> 0, 0)
  return iv
}

export interface CtrEncryptOptions {
  /** IV0 to use (tests only); default makeIv0(). */
  iv0?: Buffer
}

/** Encrypts to asbackup's layout. `key` is 16 or 32 bytes (ctrKey()). */
export class CtrEncryptCore implements CipherCore {
  readonly #cipher: Cipher
  #header: Buffer | null

  constructor (bits: CtrBits, key: Buffer, opts: CtrEncryptOptions = {}) {
    const iv0 = opts.iv0 ?? makeIv0()
    this.#header = ecb(bits, key, false, iv0)
    this.#cipher = createCipheriv(`aes-${bits}-ctr`, key, ctrAdd(iv0, 1))
  }

  #emitHeader (emit: Emit): void {
    if (this.#header !== null) { emit(this.#header); this.#header = null }
  }

  update (chunk: Buffer, emit: Emit): void {
    this.#emitHeader(emit)
    if (chunk.length > 0) emit(this.#cipher.update(chunk))
  }

  final (emit: Emit): void {
    this.#emitHeader(emit)
    const tail = this.#cipher.final()
    if (tail.length > 0) emit(tail)
  }
}

/**
 * Decrypts asbackup's layout given the complete 16-byte header (the caller
 * collects it, to look at it first).
 */
export class CtrDecryptCore implements CipherCore {
  readonly #decipher: Decipher

  constructor (bits: CtrBits, key: Buffer, header: Buffer) {
    if (header.length !== CTR_HEADER_SIZE) throw new RangeError('CTR header must be 16 bytes')
    const iv0 = ecb(bits, key, true, header)
    this.#decipher = createDecipheriv(`aes-${bits}-ctr`, key, ctrAdd(iv0, 1))
  }

  update (chunk: Buffer, emit: Emit): void {
    if (chunk.length > 0) emit(this.#decipher.update(chunk))
  }

  final (emit: Emit): void {
    const tail = this.#decipher.final()
    if (tail.length > 0) emit(tail)
  }
}
