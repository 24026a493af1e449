// Key material the way asbackup derives it (asb-format.md §4.2, utils.c
// read_private_key_file / parse_encryption_key_env):
//
//   --encryption-key-file PEM : K = SHA-256(i2d_PrivateKey(key)), the
//                               type-specific DER: RSA -> PKCS#1,
//                               EC -> SEC1, Ed25519 & co -> PKCS#8
//   --encryption-key-env VAR  : K = SHA-256(base64decode($VAR)), as-is
//
// AES-128 uses K[0..16), AES-256 and our authenticated format use all of K.
// Nothing here ever puts key bytes into an error message.
import { createHash, createHmac, createPrivateKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { AsbError, ErrorCode } from '../errors.js'
import { KEY_FINGERPRINT_LABEL } from './constants.js'

/** The 32-byte key material K plus where it came from (for messages). */
export interface KeyMaterial {
  /** K = SHA-256(key bytes). Secret. */
  readonly digest: Buffer
  /** "key.pem" or "$ASB_KEY": never the key itself. */
  readonly source: string
}

function fail (source: string, what: string): AsbError {
  return new AsbError(ErrorCode.CRYPTO, `${source}: ${what}`)
}

/** The DER i2d_PrivateKey writes for this key (OpenSSL 3; checked against Node 20). */
function typeSpecificDer (key: KeyObject, source: string): Buffer {
  switch (key.asymmetricKeyType) {
    case 'rsa': return key.export({ format: 'der', type: 'pkcs1' })
    case 'ec': return key.export({ format: 'der', type: 'sec1' })
    case 'ed25519':
    case 'ed448':
    case 'x25519':
    case 'x448':
      return key.export({ format: 'der', type: 'pkcs8' })
    default:
      // DSA, DH and RSA-PSS have OpenSSL "traditional" encodings Node cannot
      // produce, so the derived key would silently differ from asbackup's.
      throw fail(source, `${String(key.asymmetricKeyType)} keys are not supported (use an RSA or EC private key, ` +
        'as asbackup and backup-go do)')
  }
}

/** K from the text of a PEM private key file. */
export function keyFromPem (pem: Buffer | string, source: string): KeyMaterial {
  const text = typeof pem === 'string' ? pem : pem.toString('latin1')
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text) || /Proc-Type:\s*4,\s*ENCRYPTED/.test(text)) {
    throw fail(source, 'the PEM private key is encrypted (passphrase-protected); asbackup cannot read such keys ' +
      'either. Write an unencrypted copy (openssl pkey -in KEY -out plain.pem) and protect it with file permissions')
  }
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    if (/-----BEGIN [A-Z0-9 ]*PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(text)) {
      throw fail(source, 'this PEM holds a public key or certificate; the key must be a PEM private key ' +
        '(asbackup hashes the private key)')
    }
    throw fail(source, 'not a PEM private key (expected a "-----BEGIN PRIVATE KEY-----" or ' +
      '"-----BEGIN RSA PRIVATE KEY-----" block)')
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: text, format: 'pem' })
  } catch (err) {
    // OpenSSL's reason only (never the input).
    const reason = (err as { reason?: string, code?: string }).reason ?? (err as { code?: string }).code ?? 'unreadable'
    throw fail(source, `cannot read the PEM private key (${reason})`)
  }
  return { digest: sha256(typeSpecificDer(key, source)), source }
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * K from the value of an environment variable: base64 of the key bytes,
 * hashed as-is (asbackup's cf_b64_validate_and_decode). Whitespace is ignored.
 * A value holding PEM text is read like a key file (backup-go accepts that;
 * asbackup rejects it).
 */
export function keyFromBase64 (value: string, source: string): KeyMaterial {
  if (value.includes('-----BEGIN')) return keyFromPem(value, source)
  const b64 = value.replace(/\s+/g, '')
  if (b64.length === 0) throw fail(source, 'the key is empty')
  if (!B64.test(b64) || b64.length % 4 === 1) {
    throw fail(source, 'the key is not valid base64 (expected base64 of the DER private key, ' +
      'e.g. the body of a "BEGIN RSA PRIVATE KEY" PEM)')
  }
  return { digest: sha256(Buffer.from(b64, 'base64')), source }
}

function sha256 (data: Buffer): Buffer {
  return createHash('sha256').update(data).digest()
}

/** The AES key for asbackup's CTR modes: K[0..16) for aes128, K for aes256. */
export function ctrKey (key: KeyMaterial, bits: 128 | 256): Buffer {
  return bits === 128 ? key.digest.subarray(0, 16) : key.digest
}

/**
 * A public identifier of K (16 bytes of HMAC-SHA256(K, label)): stored in our
 * authenticated header so a wrong key is named before any output. It reveals
 * nothing about K beyond "same key or not".
 */
export function keyFingerprint (key: KeyMaterial): Buffer {
  return createHmac('sha256', key.digest).update(KEY_FINGERPRINT_LABEL).digest().subarray(0, 16)
}
