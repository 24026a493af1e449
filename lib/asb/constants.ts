// .asb format constants (asb-format.md §1; upstream include/encode.h, utils.h,
// dec_text.c, enc_text.c of aerospike-tools-backup 4.5.8).
import { Particle } from '../types.js'

export const VERSION_3_0 = '3.0'
export const VERSION_3_1 = '3.1'
/** backup-go: metadata files with expression-based sindexes (`* e` lines). */
export const VERSION_3_2 = '3.2'
export const SUPPORTED_VERSIONS: ReadonlySet<string> = new Set([VERSION_3_0, VERSION_3_1, VERSION_3_2])

/** `MAX_TOKEN_SIZE` (utils.h): token buffers hold 999 bytes after unescaping plus NUL. */
export const MAX_TOKEN_SIZE = 1000
/** `rec->key.ns[32]`: a `+ n` namespace holds at most 31 bytes. */
export const MAX_NAMESPACE_SIZE = 32
/** `rec->key.set[64]`: a `+ s` set holds at most 63 bytes. */
export const MAX_SET_SIZE = 64
/** `MAX_META_LINE` (encode.h): a `# ...` line, without the `#`, holds at most 1000 bytes. */
export const MAX_META_LINE = 1000
/** `text_read_size`: sizes above 1024^5 are "Size overflow". */
export const MAX_SIZE_FIELD = 1024 ** 5
/** Upper bound of `+ t`, UDF sizes and data bins in the C reader (UINT32_MAX). */
export const UINT32_MAX = 0xffffffff

/**
 * Our own bound on one length-prefixed value (string, blob, list, map, UDF,
 * key): the decoder buffers a value whole before emitting it, so a corrupt
 * length must not make it grow without limit. Aerospike records are at most
 * 8 MiB by default (write-block-size, up to 128 MiB in 8.x); 256 MiB leaves room.
 */
export const DEFAULT_MAX_VALUE_SIZE = 256 * 1024 * 1024

/** The encoder stream hands downstream one Buffer per ~64 KiB of .asb text. */
export const ENCODER_CHUNK_SIZE = 64 * 1024

/** Bin labels the C reader accepts (`strchr("NIDSXGBJCPRHEYMLUZ", ch)`). */
export const BIN_LABELS = 'NIDSXGBJCPRHEYMLUZ'

/** Bytes-like bin label -> particle type (`text_bytes_label_to_type`). */
export const BYTES_LABEL_TO_TYPE: Readonly<Record<string, number>> = {
  B: Particle.BLOB,
  J: Particle.JAVA,
  C: Particle.CSHARP,
  P: Particle.PYTHON,
  R: Particle.RUBY,
  H: Particle.PHP,
  E: Particle.ERLANG,
  Y: Particle.HLL,
  M: Particle.MAP,
  L: Particle.LIST
}

/** Particle type -> bytes-like label (`text_bytes_type_to_label`). */
export const BYTES_TYPE_TO_LABEL: Readonly<Record<number, string>> = {
  [Particle.BLOB]: 'B',
  [Particle.JAVA]: 'J',
  [Particle.CSHARP]: 'C',
  [Particle.PYTHON]: 'P',
  [Particle.RUBY]: 'R',
  [Particle.PHP]: 'H',
  [Particle.ERLANG]: 'E',
  [Particle.HLL]: 'Y',
  [Particle.MAP]: 'M',
  [Particle.LIST]: 'L'
}

/** Secondary index type letters (`"INLKV"[index_type]`; `I` = invalid is never accepted). */
export const INDEX_TYPES = 'NLKV'
/** Index path type letters (`"ISNGB"[path_type]`; `I` = invalid is never accepted). */
export const INDEX_PATH_TYPES = 'SNGB'

/** The LDT message of the C reader for `- U` bins. */
export const LDT_MESSAGE = 'The backup contains LDTs - please use an older version'
