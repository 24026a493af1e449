import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes } from 'node:crypto'
import { ASB_FIXTURES } from '../helpers.js'
import { asbRecordSet, runProgram, through, throughCatch } from '../compress/helpers.js'
import { keyFromPem } from '../../lib/crypto/key.js'
import { createDecryptStream, createEncryptStream } from '../../lib/crypto/stream.js'
import type { EncryptMode } from '../../lib/crypto/stream.js'
import { ctrAdd } from '../../lib/crypto/ctr.js'
import { createZstdCompress, createZstdDecompress } from '../../lib/compress/zstd.js'

const F = (name: string): Buffer => readFileSync(join(ASB_FIXTURES, name))
const K = Buffer.from('c0c6645bcc28f2f64fa631eb9b60571c8f4e4fd5e6e979f46d224b7bada25955', 'hex')
const key = keyFromPem(F('key.pem'), 'key.pem')
const golden = F('golden.asb')

/**
 * asb-format.md §4.1 written out independently of lib/crypto: IV0 =
 * AES-ECB-decrypt(header); keystream block i = AES-ECB(IV0 + 1 + i) with a
 * 128-bit big-endian counter (BigInt here), XORed into the data.
 */
function referenceDecrypt (file: Buffer, aesKey: Buffer): Buffer {
  const bits = aesKey.length * 8
  const d = createDecipheriv(`aes-${bits}-ecb`, aesKey, null)
  d.setAutoPadding(false)
  const iv0 = BigInt('0x' + Buffer.concat([d.update(file.subarray(0, 16)), d.final()]).toString('hex'))
  const body = file.subarray(16)
  const counters = Buffer.alloc(Math.ceil(body.length / 16) * 16)
  for (let i = 0; i * 16 < body.length; i++) {
    const c = (iv0 + 1n + BigInt(i)) % (1n << 128n)
    Buffer.from(c.toString(16).padStart(32, '0'), 'hex').copy(counters, i * 16)
  }
  const e = createCipheriv(`aes-${bits}-ecb`, aesKey, null)
  e.setAutoPadding(false)
  const ks = Buffer.concat([e.update(counters), e.final()])
  const out = Buffer.alloc(body.length)
  for (let i = 0; i < body.length; i++) out[i] = body[i]! ^ ks[i]!
  return out
}

const decrypt = async (data: Buffer, mode: EncryptMode, piece?: number): Promise<Buffer> =>
  await through(data, [createDecryptStream({ mode, key, file: 'in' })], piece)

t.test('every golden encrypted file decrypts to the reference bytes and the golden records', async (t) => {
  const aes128 = F('golden_aes128.asb')
  t.equal(aes128.length, golden.length + 16, '16 bytes longer than plain')
  const plain128 = await decrypt(aes128, 'aes128')
  t.ok(plain128.equals(referenceDecrypt(aes128, K.subarray(0, 16))), 'aes128 = reference decryption')
  t.same(asbRecordSet(plain128), asbRecordSet(golden), 'aes128: the records of golden.asb')

  const z256 = F('golden_zstd_aes256.asb')
  const plain256 = await through(z256, [createDecryptStream({ mode: 'aes256', key }), createZstdDecompress()], 1000)
  const cli = await runProgram('zstd', ['-dc'], referenceDecrypt(z256, K))
  t.equal(cli.code, 0)
  t.ok(plain256.equals(cli.stdout), 'zstd+aes256 = reference decryption, then zstd -d')
  t.same(asbRecordSet(plain256), asbRecordSet(golden), 'zstd+aes256: the records of golden.asb')

  const v391 = F('golden_v391_zstd_aes128.asb')
  const plainV391 = await through(v391, [createDecryptStream({ mode: 'aes128', key }), createZstdDecompress()], 7)
  t.same(asbRecordSet(plainV391), asbRecordSet(F('golden_v391.asb')), 'asbackup 3.9.1 zstd+aes128: the records of golden_v391.asb')
})

t.test('files we encrypt decrypt with the reference implementation and with openssl enc', async (t) => {
  const dir = t.testdir({})
  for (const mode of ['aes128', 'aes256'] as const) {
    const aesKey = mode === 'aes128' ? K.subarray(0, 16) : K
    for (const size of [0, 1, 15, 16, 17, 100_000]) {
      const data = randomBytes(size)
      const enc = await through(data, [createEncryptStream({ mode, key })], 4096)
      t.equal(enc.length, size + 16, `${mode} ${size}: 16 bytes longer`)
      t.ok(referenceDecrypt(enc, aesKey).equals(data), `${mode} ${size}: reference decrypts`)
    }
    // openssl enc -d over file[16:], counter IV0+1 computed here.
    const data = golden
    const enc = await through(data, [createEncryptStream({ mode, key })])
    const d = createDecipheriv(`aes-${mode.slice(3)}-ecb`, aesKey, null)
    d.setAutoPadding(false)
    const iv0 = Buffer.concat([d.update(enc.subarray(0, 16)), d.final()])
    t.ok(Math.abs(iv0.readUInt32BE(0) - Date.now() / 1000) < 60, 'IV0 starts with the time, as asbackup')
    writeFileSync(join(dir, 'body'), enc.subarray(16))
    const ossl = await runProgram('openssl', ['enc', '-d', `-aes-${mode.slice(3)}-ctr`, '-K', aesKey.toString('hex'),
      '-iv', ctrAdd(iv0, 1).toString('hex'), '-in', join(dir, 'body')])
    t.equal(ossl.code, 0, ossl.stderr)
    t.ok(ossl.stdout.equals(data), `${mode}: openssl enc decrypts our file`)
  }
})

t.test('the counter is 128-bit big-endian and wraps, whatever the IV', async (t) => {
  const ivs = ['ffffffffffffffffffffffffffffffff', '0000000000000000fffffffffffffffe', '00000000000000000000000000000000']
  for (const hex of ivs) {
    const iv0 = Buffer.from(hex, 'hex')
    const data = randomBytes(200)
    const enc = await through(data, [createEncryptStream({ mode: 'aes256', key, ctr: { iv0 } })], 33)
    t.ok(referenceDecrypt(enc, K).equals(data), `IV0 ${hex}`)
    // Random bytes are not .asb: --force, or the wrong-key check refuses them.
    const back = await through(enc, [createDecryptStream({ mode: 'aes256', key, force: true })], 5)
    t.ok(back.equals(data), `IV0 ${hex}: round trip in 5-byte pieces`)
  }
  t.equal(ctrAdd(Buffer.alloc(16, 0xff), 1).toString('hex'), '0'.repeat(32))
  t.equal(ctrAdd(Buffer.from('00ffffffffffffffffffffffffffffff', 'hex'), 1).toString('hex'), '01' + '0'.repeat(30))
})

t.test('round trip through compress then encrypt, and back', async (t) => {
  const big = F('golden_big.asb')
  const enc = await through(big, [createZstdCompress(), createEncryptStream({ mode: 'aes128', key })])
  const back = await through(enc, [createDecryptStream({ mode: 'aes128', key }), createZstdDecompress()])
  t.ok(back.equals(big))
})

t.test('flags that do not match the file are named before any output', async (t) => {
  const cases: Array<[string, Buffer, EncryptMode, RegExp]> = [
    ['aes128 file with -y aes256', F('golden_aes128.asb'), 'aes256',
      /^in: byte 0: wrong mode: this file was encrypted with -y aes128, not -y aes256 \(with aes128 it decrypts to a plain \.asb backup/],
    ['aes256 zstd file with -y aes128', F('golden_zstd_aes256.asb'), 'aes128', /wrong mode: this file was encrypted with -y aes256.*zstd-compressed data/],
    ['plain .asb', golden, 'aes256', /^in: byte 0: this is not encrypted: it looks like a plain \.asb backup \(starts with "Version 3\.1"\)$/],
    ['zstd', F('golden_zstd.asb'), 'aes128', /this is not encrypted: it looks like zstd-compressed data .*as-compress -d/],
    ['CTR file with -y aes256-gcm', F('golden_aes128.asb'), 'aes256-gcm', /not an as-encrypt authenticated file .*use -y aes128 or -y aes256/],
    ['empty', Buffer.alloc(0), 'aes128', /^in: byte 0: input is empty/],
    ['short', randomBytes(9), 'aes128', /^in: byte 9: truncated: an asbackup encrypted file starts with a 16-byte header/]
  ]
  for (const [name, data, mode, re] of cases) {
    const { out, err } = await throughCatch(data, [createDecryptStream({ mode, key, file: 'in' })])
    t.match(err?.message, re, name)
    t.equal(out.length, 0, `${name}: no output`)
  }
  const other = keyFromPem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 'other.pem')
  const { out, err } = await throughCatch(F('golden_aes128.asb'), [createDecryptStream({ mode: 'aes128', key: other, file: 'in' })])
  t.match(err?.message, /^in: byte 0: wrong key: with other\.pem \(-y aes128\) the data decrypts to neither/)
  t.equal(out.length, 0)
})

t.test('force decrypts anyway and warns', async (t) => {
  const warnings: string[] = []
  const out = await through(F('golden_aes128.asb'), [createDecryptStream({ mode: 'aes256', key, file: 'in', force: true, onWarning: (m) => warnings.push(m) })])
  t.equal(out.length, golden.length)
  t.match(warnings, [/^in: warning: wrong mode: .*decrypting anyway \(--force\)$/])
})
