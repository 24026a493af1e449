import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { ASB_FIXTURES } from '../helpers.js'
import { runProgram } from '../compress/helpers.js'
import { ctrKey, keyFingerprint, keyFromBase64, keyFromPem } from '../../lib/crypto/key.js'

// MANIFEST.md: K = sha256(PKCS#1 DER) of the fixtures' RSA key.
const K = 'c0c6645bcc28f2f64fa631eb9b60571c8f4e4fd5e6e979f46d224b7bada25955'
const pkcs8Pem = readFileSync(join(ASB_FIXTURES, 'key.pem'), 'latin1')
const pkcs1Pem = readFileSync(join(ASB_FIXTURES, 'key_pkcs1.pem'), 'latin1')

function pemBody (pem: string): string {
  return pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join('')
}

t.test('the fixture key gives K whether the PEM is PKCS#8 or PKCS#1', async (t) => {
  t.equal(keyFromPem(pkcs8Pem, 'key.pem').digest.toString('hex'), K)
  t.equal(keyFromPem(Buffer.from(pkcs1Pem), 'key_pkcs1.pem').digest.toString('hex'), K)
  const key = keyFromPem(pkcs8Pem, 'key.pem')
  t.equal(ctrKey(key, 128).toString('hex'), K.slice(0, 32), 'AES-128 uses the first 16 bytes')
  t.equal(ctrKey(key, 256).toString('hex'), K)
})

t.test('the env path hashes the base64-decoded bytes as-is, like asbackup', async (t) => {
  t.equal(keyFromBase64(pemBody(pkcs1Pem), '$K').digest.toString('hex'), K, 'PKCS#1 body gives K')
  const pkcs8Der = Buffer.from(pemBody(pkcs8Pem), 'base64')
  t.equal(keyFromBase64(pemBody(pkcs8Pem), '$K').digest.toString('hex'),
    createHash('sha256').update(pkcs8Der).digest('hex'), 'a PKCS#8 body is hashed as PKCS#8 (a different key, as in C)')
  t.equal(keyFromBase64(`  ${pemBody(pkcs1Pem).replace(/(.{64})/g, '$1\n')}\n`, '$K').digest.toString('hex'), K, 'whitespace ignored')
  t.equal(keyFromBase64(pkcs8Pem, '$K').digest.toString('hex'), K, 'PEM text in the variable is read like a key file')
  t.throws(() => keyFromBase64('not base64!!', '$K'), /^\$K: the key is not valid base64/)
  t.throws(() => keyFromBase64('   ', '$K'), /^\$K: the key is empty/)
})

t.test('EC keys hash their SEC1 DER and Ed25519 keys their PKCS#8 DER, as openssl i2d_PrivateKey', async (t) => {
  const dir = t.testdir({})
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  writeFileSync(join(dir, 'ec.pem'), ec)
  // Independent path: the openssl CLI writes the traditional (SEC1) DER.
  const sec1 = await runProgram('openssl', ['ec', '-in', join(dir, 'ec.pem'), '-outform', 'DER'])
  t.equal(sec1.code, 0, sec1.stderr)
  t.equal(keyFromPem(ec, 'ec.pem').digest.toString('hex'), createHash('sha256').update(sec1.stdout).digest('hex'))
  const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  writeFileSync(join(dir, 'ed.pem'), ed)
  const p8 = await runProgram('openssl', ['pkey', '-in', join(dir, 'ed.pem'), '-outform', 'DER'])
  t.equal(p8.code, 0, p8.stderr)
  t.equal(keyFromPem(ed, 'ed.pem').digest.toString('hex'), createHash('sha256').update(p8.stdout).digest('hex'))
  // And an RSA key through `openssl rsa -traditional`.
  const rsa = await runProgram('openssl', ['rsa', '-in', join(ASB_FIXTURES, 'key.pem'), '-outform', 'DER', '-traditional'])
  t.equal(createHash('sha256').update(rsa.stdout).digest('hex'), K)
})

t.test('refusals are one clear line that never contains key material', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const encrypted = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string
  const encryptedTraditional = privateKey.export({ format: 'pem', type: 'pkcs1', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string
  const cases: Array<[string, string, RegExp]> = [
    ['encrypted PKCS#8', encrypted, /^k\.pem: the PEM private key is encrypted \(passphrase-protected\)/],
    ['encrypted PKCS#1', encryptedTraditional, /is encrypted/],
    ['public key', publicKey.export({ format: 'pem', type: 'spki' }) as string, /holds a public key or certificate/],
    ['not PEM', 'hello\n', /not a PEM private key/],
    ['broken PEM', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /cannot read the PEM private key/],
    ['DSA', generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, /dsa keys are not supported/]
  ]
  for (const [name, pem, re] of cases) {
    try {
      keyFromPem(pem, 'k.pem')
      t.fail(`${name} accepted`)
    } catch (err) {
      const msg = (err as Error).message
      t.match(msg, re, name)
      t.notMatch(msg, /\n/, `${name}: one line`)
      t.notOk(msg.includes(pemBody(pem).slice(0, 12)), `${name}: no key bytes in the message`)
    }
  }
})

t.test('the fingerprint identifies K without revealing it', async (t) => {
  const key = keyFromPem(pkcs8Pem, 'key.pem')
  const fp = keyFingerprint(key)
  t.equal(fp.length, 16)
  t.notOk(K.includes(fp.toString('hex').slice(0, 8)), 'not a piece of K')
  t.same(keyFingerprint(keyFromPem(pkcs1Pem, 'x')), fp, 'same key, same fingerprint')
  const other = keyFromPem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 'o')
  t.notSame(keyFingerprint(other), fp)
})
