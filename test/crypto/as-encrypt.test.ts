import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateKeyPairSync } from 'node:crypto'
import { ASB_FIXTURES, bin, runBin } from '../helpers.js'
import { asbRecordSet, runProgram, runUntilReaderLeaves } from '../compress/helpers.js'

const KEY = join(ASB_FIXTURES, 'key.pem')
const golden = readFileSync(join(ASB_FIXTURES, 'golden.asb'))
const pkcs1 = readFileSync(join(ASB_FIXTURES, 'key_pkcs1.pem'), 'latin1')
const pkcs1Body = pkcs1.split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join('')
const K = 'c0c6645bcc28f2f64fa631eb9b60571c8f4e4fd5e6e979f46d224b7bada25955'

t.test('decrypts and decompresses every golden encrypted file in a pipeline', async (t) => {
  const cases: Array<[string, string, string[], Buffer]> = [
    ['golden_aes128.asb', 'aes128', [], golden],
    ['golden_zstd_aes256.asb', 'aes256', ['zstd'], golden],
    ['golden_v391_zstd_aes128.asb', 'aes128', ['zstd'], readFileSync(join(ASB_FIXTURES, 'golden_v391.asb'))]
  ]
  for (const [file, mode, extra, expected] of cases) {
    const r = await runBin('as-encrypt', ['-d', '-y', mode, '--encryption-key-file', KEY, join(ASB_FIXTURES, file)])
    t.equal(r.code, 0, `${file}: ${r.stderr}`)
    t.equal(r.stderr, '')
    const plain = extra.length > 0 ? (await runBin('as-compress', ['-d'], { input: r.stdout })).stdout : r.stdout
    t.same(asbRecordSet(plain), asbRecordSet(expected), file)
  }
})

t.test('compress -> encrypt and back, with a key file or an env variable', async (t) => {
  const env = { ...process.env, ASB_TEST_KEY: pkcs1Body }
  const z = await runBin('as-compress', [], { input: golden })
  for (const mode of ['aes128', 'aes256', 'aes256-gcm']) {
    const enc = await runBin('as-encrypt', ['-y', mode, '--encryption-key-file', KEY, '-'], { input: z.stdout })
    t.equal(enc.code, 0, enc.stderr)
    // The env variable holds the PKCS#1 body: the same K as the file.
    const dec = await runBin('as-encrypt', ['-d', '-y', mode, '--encryption-key-env', 'ASB_TEST_KEY'], { input: enc.stdout, env })
    t.equal(dec.code, 0, dec.stderr)
    t.ok(dec.stdout.equals(z.stdout), `${mode}: round trip`)
  }
  // asrestore reads our CTR files: check with openssl and the §4.1 rules.
  const enc = await runBin('as-encrypt', ['-y', 'aes256', '--encryption-key-file', KEY], { input: golden })
  const dir = t.testdir({})
  writeFileSync(join(dir, 'hdr'), enc.stdout.subarray(0, 16))
  const iv = await runProgram('openssl', ['enc', '-d', '-aes-256-ecb', '-nopad', '-K', K, '-in', join(dir, 'hdr')])
  const iv1 = (BigInt('0x' + iv.stdout.toString('hex')) + 1n) % (1n << 128n)
  writeFileSync(join(dir, 'body'), enc.stdout.subarray(16))
  const plain = await runProgram('openssl', ['enc', '-d', '-aes-256-ctr', '-K', K, '-iv', iv1.toString(16).padStart(32, '0'), '-in', join(dir, 'body')])
  t.ok(plain.stdout.equals(golden), 'openssl decrypts our aes256 file')
})

t.test('usage errors exit 2 and say what is missing', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['-y', 'aes256'], /^as-encrypt: -y aes256 needs a key: --encryption-key-file PEM or --encryption-key-env VAR\n/],
    [['--encryption-key-file', KEY], /^as-encrypt: a key needs a mode: add -y aes128, -y aes256 or -y aes256-gcm\n/],
    [[], /missing -y aes128\|aes256\|aes256-gcm and a key/],
    [['-y', 'aes256', '--encryption-key-file', KEY, '--encryption-key-env', 'X'], /either --encryption-key-file or --encryption-key-env, not both/],
    [['-y', 'aes512', '--encryption-key-file', KEY], /Invalid values/],
    [['-y', 'aes128', '--encryption-key-env', 'ASB_SURELY_UNSET_VAR'], /environment variable ASB_SURELY_UNSET_VAR is not set or empty/]
  ]
  for (const [args, re] of cases) {
    const r = await runBin('as-encrypt', args, { input: golden })
    t.equal(r.code, 2, args.join(' '))
    t.match(r.stderr, re)
    t.equal(r.stdout.length, 0)
  }
})

t.test('runtime errors: one line, exit 1, no key material', async (t) => {
  const dir = t.testdir({})
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const encPem = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string
  writeFileSync(join(dir, 'enc.pem'), encPem)
  const otherPem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  writeFileSync(join(dir, 'other.pem'), otherPem)
  const gcm = (await runBin('as-encrypt', ['-y', 'aes256-gcm', '--encryption-key-file', KEY], { input: golden })).stdout
  const tampered = Buffer.from(gcm)
  tampered[100] = tampered[100]! ^ 1
  const cases: Array<[string[], Buffer, RegExp]> = [
    [['-y', 'aes256', '--encryption-key-file', join(dir, 'enc.pem')], golden, /enc\.pem: the PEM private key is encrypted \(passphrase-protected\)/],
    [['-y', 'aes256', '--encryption-key-file', join(dir, 'missing.pem')], golden, /cannot read key file .*missing\.pem: ENOENT/],
    [['-d', '-y', 'aes256', '--encryption-key-file', KEY], golden, /^as-encrypt: stdin: byte 0: this is not encrypted: it looks like a plain \.asb backup \(starts with "Version 3\.1"\)\n$/],
    [['-d', '-y', 'aes128', '--encryption-key-file', KEY, join(ASB_FIXTURES, 'golden_zstd.asb')], Buffer.alloc(0), /this is not encrypted: it looks like zstd-compressed data.*as-compress -d/],
    [['-d', '-y', 'aes256', '--encryption-key-file', KEY, join(ASB_FIXTURES, 'golden_aes128.asb')], Buffer.alloc(0), /wrong mode: this file was encrypted with -y aes128, not -y aes256/],
    [['-d', '-y', 'aes128', '--encryption-key-file', join(dir, 'other.pem'), join(ASB_FIXTURES, 'golden_aes128.asb')], Buffer.alloc(0), /wrong key: with .*other\.pem \(-y aes128\)/],
    [['-d', '-y', 'aes256-gcm', '--encryption-key-file', join(dir, 'other.pem')], gcm, /^as-encrypt: stdin: byte 12: wrong key: .*nothing was decrypted\n$/],
    [['-d', '-y', 'aes256-gcm', '--encryption-key-file', KEY], tampered, /^as-encrypt: stdin: byte 68: authentication failed for chunk 1 .*no data past the previous chunk was written\n$/],
    [['-d', '-y', 'aes256-gcm', '--encryption-key-file', KEY], gcm.subarray(0, gcm.length - 1), /authentication failed for chunk 1/]
  ]
  for (const [args, input, re] of cases) {
    const r = await runBin('as-encrypt', args, { input })
    t.equal(r.code, 1, args.join(' '))
    t.match(r.stderr, re)
    t.equal(r.stderr.split('\n').length, 2, 'one line')
    t.equal(r.stdout.length, 0, 'nothing on stdout')
    for (const secret of [K, K.slice(0, 32), pkcs1Body.slice(0, 40), 'pw']) {
      t.notOk(r.stderr.includes(secret), 'no key material on stderr')
    }
  }
  const forced = await runBin('as-encrypt', ['-d', '-f', '-y', 'aes256', '--encryption-key-file', KEY, join(ASB_FIXTURES, 'golden_aes128.asb')])
  t.equal(forced.code, 0)
  t.match(forced.stderr, /^as-encrypt: .*golden_aes128\.asb: warning: wrong mode: .*decrypting anyway \(--force\)\n$/)
})

t.test('refuses binary output to a terminal; a reader that goes away ends quietly', async (t) => {
  if (existsSync('/usr/bin/script')) {
    const dir = t.testdir({})
    const cmd = `${process.execPath} ${bin('as-encrypt')} -y aes256 --encryption-key-file ${KEY} ${join(ASB_FIXTURES, 'golden.asb')}`
    const r = await runProgram('script', ['-qec', cmd, join(dir, 'log')])
    t.equal(r.code, 2)
    t.match(r.stdout.toString(), /as-encrypt: refusing to write binary data to a terminal/)
  }
  const big = readFileSync(join(ASB_FIXTURES, 'golden_big.asb'))
  const result = await runUntilReaderLeaves(bin('as-encrypt'), ['-y', 'aes256-gcm', '--encryption-key-file', KEY], Buffer.concat([big, big]))
  t.equal(result.code, 0)
  t.equal(result.stderr, '')
})
