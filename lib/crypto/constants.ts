// Constants of the two encryption formats (asb-format.md §4 and our own
// authenticated format, see aead.ts for the layout).

/** asbackup CTR files start with AES-ECB_K(IV0): 16 bytes, no magic (§4.1). */
export const CTR_HEADER_SIZE = 16

/**
 * Magic of our authenticated format. Readable on purpose: `head -c 8 file`
 * shows `ASBAEAD` and a newline, so nobody mistakes it for an asbackup file.
 */
export const AEAD_MAGIC = Buffer.from('ASBAEAD\n', 'latin1')
/** Format version written in byte 8 of the header. */
export const AEAD_VERSION = 1
/** Algorithm id in byte 9: AES-256-GCM, HKDF-SHA256 file key, STREAM nonces. */
export const AEAD_ALG_AES256_GCM = 1
/** Plaintext bytes per sealed chunk: 2^16 = 64 KiB (byte 10 holds the log2). */
export const AEAD_CHUNK_LOG = 16
/** Smallest and largest chunk size a reader accepts (log2). */
export const AEAD_CHUNK_LOG_MIN = 10
export const AEAD_CHUNK_LOG_MAX = 24
export const AEAD_TAG_SIZE = 16
export const AEAD_FINGERPRINT_SIZE = 16
export const AEAD_SALT_SIZE = 32
export const AEAD_NONCE_PREFIX_SIZE = 7
/**
 * Header: magic(8) version(1) alg(1) chunkLog(1) reserved(1)
 * fingerprint(16) salt(32) noncePrefix(7) reserved(1) = 68 bytes.
 */
export const AEAD_HEADER_SIZE = 68
/** The chunk counter is 32 bits: at most 2^32 chunks (256 TiB at 64 KiB). */
export const AEAD_MAX_CHUNKS = 2 ** 32
/** HKDF info / HMAC labels (domain separation; never change within a version). */
export const AEAD_FILE_KEY_INFO = 'asb aead v1 aes-256-gcm file key'
export const KEY_FINGERPRINT_LABEL = 'asb aead v1 key fingerprint'
