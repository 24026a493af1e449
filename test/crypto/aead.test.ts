import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createDecipheriv, createHmac, generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto'
import { ASB_FIXTURES } from '../helpers.js'
import { drive, through, throughCatch } from '../compress/helpers.js'
import { keyFromPem } from '../../lib/crypto/key.js'
import { createDecryptStream, createEncryptStream } from '../../lib/crypto/stream.js'

const key = keyFromPem(readFileSync(join(ASB_FIXTURES, 'key.pem')), 'key.pem')
const K = Buffer.from('c0c6645bcc28f2f64fa631eb9b60571c8f4e4fd5e6e979f46d224b7bada25955', 'hex')
const HEADER = 68
const CHUNK_LOG = 10 // 1 KiB chunks keep the tamper tests small
const CHUNK = 1 << CHUNK_LOG
const REC = CHUNK + 16

const encrypt = async (data: Buffer, chunkLog = CHUNK_LOG): Promise<Buffer> =>
  await through(data, [createEncryptStream({ mode: 'aes256-gcm', key, aead: { chunkLog } })], 777)
const decrypt = async (data: Buffer, piece = 1000): Promise<{ out: Buffer, err: Error | undefined }> =>
  await throughCatch(data, [createDecryptStream({ mode: 'aes256', key, file: 'f' })], piece)

/** The format as documented in lib/crypto/aead.ts, decrypted with node:crypto directly. */
function referenceDecrypt (file: Buffer): Buffer {
  const h = file.subarray(0, HEADER)
  if (h.subarray(0, 8).toString('latin1') !== 'ASBAEAD\n' || h[8] !== 1 || h[9] !== 1) throw new Error('header')
  const fp = createHmac('sha256', K).update('asb aead v1 key fingerprint').digest().subarray(0, 16)
  if (!fp.equals(h.subarray(12, 28))) throw new Error('fingerprint')
  const fileKey = Buffer.from(hkdfSync('sha256', K, h.subarray(28, 60), 'asb aead v1 aes-256-gcm file key', 32))
  const rec = (1 << h[10]!) + 16
  const out: Buffer[] = []
  let i = 0
  for (let off = HEADER; off < file.length; off += rec, i++) {
    const r = file.subarray(off, Math.min(file.length, off + rec))
    const last = off + rec >= file.length
    const nonce = Buffer.alloc(12)
    h.copy(nonce, 0, 60, 67)
    nonce.writeUInt32BE(i, 7)
    nonce[11] = last ? 1 : 0
    const d = createDecipheriv('aes-256-gcm', fileKey, nonce)
    d.setAAD(h)
    d.setAuthTag(r.subarray(r.length - 16))
    out.push(d.update(r.subarray(0, r.length - 16)))
    d.final()
  }
  return Buffer.concat(out)
}

t.test('round trips at every size around the chunk edges, in any piece size', async (t) => {
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5]) {
    const data = randomBytes(size)
    const enc = await encrypt(data)
    const chunks = Math.max(1, Math.ceil(size / CHUNK))
    t.equal(enc.length, HEADER + size + 16 * chunks, `${size}: header + data + one tag per chunk`)
    t.ok(referenceDecrypt(enc).equals(data), `${size}: the independent decryption agrees`)
    for (const piece of [1, 100, 5000]) {
      const { out, err } = await decrypt(enc, piece)
      t.equal(err, undefined)
      t.ok(out.equals(data), `${size} in ${piece}-byte pieces`)
    }
  }
  const big = randomBytes(1_000_000)
  const enc = await encrypt(big, 16)
  t.ok(referenceDecrypt(enc).equals(big), 'default 64 KiB chunks')
  t.ok((await decrypt(enc, 65536)).out.equals(big))
})

t.test('the header is self-describing and holds no key material', async (t) => {
  const enc = await encrypt(Buffer.from('hello'))
  t.equal(enc.subarray(0, 8).toString('latin1'), 'ASBAEAD\n')
  t.equal(enc[8], 1, 'format version')
  t.equal(enc[9], 1, 'AES-256-GCM')
  t.equal(enc[10], CHUNK_LOG)
  t.notOk(enc.includes(K.subarray(0, 8)), 'K does not appear')
  const enc2 = await encrypt(Buffer.from('hello'))
  t.notOk(enc.subarray(28, 67).equals(enc2.subarray(28, 67)), 'fresh salt and nonce prefix per file')
  t.ok(enc.subarray(12, 28).equals(enc2.subarray(12, 28)), 'same key, same fingerprint')
})

t.test('tampering fails at the damaged chunk and nothing past the last good chunk is written', async (t) => {
  const data = randomBytes(5 * CHUNK + 100) // 6 chunks
  const enc = await encrypt(data)
  const chunkAt = (i: number): Buffer => enc.subarray(HEADER + i * REC, HEADER + (i + 1) * REC)
  const head = enc.subarray(0, HEADER)
  const swap = Buffer.concat([head, chunkAt(0), chunkAt(2), chunkAt(1), chunkAt(3), chunkAt(4), chunkAt(5)])
  const drop = Buffer.concat([head, chunkAt(0), chunkAt(1), chunkAt(3), chunkAt(4), chunkAt(5)])
  const dup = Buffer.concat([head, chunkAt(0), chunkAt(1), chunkAt(1), chunkAt(2), chunkAt(3), chunkAt(4), chunkAt(5)])
  const flip = (at: number): Buffer => { const b = Buffer.from(enc); b[at] = b[at]! ^ 1; return b }
  const cases: Array<[string, Buffer, number, RegExp]> = [
    ['bit flipped in chunk 3', flip(HEADER + 2 * REC + 17), 2 * CHUNK, /^f: byte 2148: authentication failed for chunk 3 \(bytes 2148\.\.3187\)/],
    ['bit flipped in a tag', flip(HEADER + REC - 1), 0, /authentication failed for chunk 1/],
    ['bit flipped in the last chunk', flip(enc.length - 20), 5 * CHUNK, /chunk 6/],
    ['chunks 2 and 3 swapped', swap, CHUNK, /authentication failed for chunk 2/],
    ['chunk 3 dropped', drop, 2 * CHUNK, /authentication failed for chunk 3/],
    ['chunk 2 duplicated', dup, 2 * CHUNK, /authentication failed for chunk 3/],
    ['final chunk dropped', enc.subarray(0, HEADER + 5 * REC), 4 * CHUNK, /truncated: the data ends after chunk 5, which is not the final chunk/],
    ['tail cut mid-chunk', enc.subarray(0, enc.length - 30), 5 * CHUNK, /chunk 6/],
    ['tail cut inside a tag', enc.subarray(0, HEADER + 10), 0, /truncated: the data ends inside chunk 1/],
    ['data appended', Buffer.concat([enc, chunkAt(0)]), 5 * CHUNK, /authentication failed|after the final chunk/],
    ['header only', enc.subarray(0, HEADER), 0, /not followed by any chunk/],
    ['header cut', enc.subarray(0, 40), 0, /^f: byte 40: truncated: the authenticated header is incomplete/],
    ['salt changed', flip(30), 0, /authentication failed for chunk 1/],
    ['nonce prefix changed', flip(61), 0, /authentication failed for chunk 1/],
    ['chunk size changed', (() => { const b = Buffer.from(enc); b[10] = 11; return b })(), 0, /authentication failed|truncated/],
    ['version changed', (() => { const b = Buffer.from(enc); b[8] = 2; return b })(), 0, /^f: byte 8: authenticated format version 2 is not supported/],
    ['fingerprint changed', flip(20), 0, /^f: byte 12: wrong key/]
  ]
  for (const [name, bad, good, re] of cases) {
    for (const piece of [REC, 999, 1, 5000, 1 << 20]) {
      const { out, err } = await drive(createDecryptStream({ mode: 'aes256', key, file: 'f' }), bad, piece)
      t.match(err?.message, re, `${name}: ${err?.message}`)
      t.equal(out.length, good, `${name}: exactly the ${good / CHUNK} verified chunk(s) before the damage came out`)
      t.ok(data.subarray(0, out.length).equals(out), `${name}: and they are right`)
    }
  }
})

t.test('a wrong key is named from the fingerprint before any output', async (t) => {
  const enc = await encrypt(randomBytes(3000))
  const other = keyFromPem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 'other.pem')
  const { out, err } = await throughCatch(enc, [createDecryptStream({ mode: 'aes256-gcm', key: other, file: 'f' })])
  t.match(err?.message, /^f: byte 12: wrong key: the file was encrypted with the key whose fingerprint is [0-9a-f]{16}, but other\.pem has fingerprint [0-9a-f]{16}; nothing was decrypted$/)
  t.equal(out.length, 0)
})

t.test('decryption recognises the format whatever -y says', async (t) => {
  const data = randomBytes(5000)
  const enc = await encrypt(data)
  for (const mode of ['aes128', 'aes256', 'aes256-gcm'] as const) {
    const formats: string[] = []
    const out = await through(enc, [createDecryptStream({ mode, key, onFormat: (f) => formats.push(f) })])
    t.ok(out.equals(data), mode)
    t.same(formats, ['aead'])
  }
})
