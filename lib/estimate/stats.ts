// asbackup's estimate arithmetic (asb-format.md §7; backup.c:calc_record_stats,
// estimate_total_backup_size, show_estimate; utils.c:confidence_z, erfinv),
// plus the design-based bound as-estimate reports beside it.

/** erf(x) by its everywhere-convergent series (all terms positive, no cancellation). */
export function erf (x: number): number {
  if (Number.isNaN(x)) return NaN
  if (x < 0) return -erf(-x)
  if (x > 6) return 1
  // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))
  let term = x
  let sum = x
  const x2 = 2 * x * x
  for (let n = 1; n < 500; n++) {
    term *= x2 / (2 * n + 1)
    sum += term
    if (term < sum * 1e-17) break
  }
  return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * sum
}

const A = [0.886226899, -1.645349621, 0.914624893, -0.140543331]
const B = [-2.118377725, 1.442710462, -0.329097515, 0.012229801]
const C = [-1.970840454, -1.624906493, 3.429567803, 1.641345311]
const D = [3.543889200, 1.637067800]

/** Inverse error function: the rational approximation asbackup uses, then two Newton steps. */
export function erfinv (y: number): number {
  if (Number.isNaN(y) || Math.abs(y) > 1) return NaN
  if (y === 1) return Infinity
  if (y === -1) return -Infinity
  const y0 = 0.7
  let x: number
  if (y < -y0) {
    const z = Math.sqrt(-Math.log((1 + y) / 2))
    x = -(((C[3]! * z + C[2]!) * z + C[1]!) * z + C[0]!) / ((D[1]! * z + D[0]!) * z + 1)
  } else if (y < y0) {
    const z = y * y
    x = y * (((A[3]! * z + A[2]!) * z + A[1]!) * z + A[0]!) / ((((B[3]! * z + B[2]!) * z + B[1]!) * z + B[0]!) * z + 1)
  } else {
    const z = Math.sqrt(-Math.log((1 - y) / 2))
    x = (((C[3]! * z + C[2]!) * z + C[1]!) * z + C[0]!) / ((D[1]! * z + D[0]!) * z + 1)
  }
  const k = 2 / Math.sqrt(Math.PI)
  x -= (erf(x) - y) / (k * Math.exp(-x * x))
  x -= (erf(x) - y) / (k * Math.exp(-x * x))
  return x
}

/**
 * utils.c:confidence_z: the upper-tail normal quantile at 1 - (1 - p) / n,
 * a union bound over `n` records.
 */
export function confidenceZ (p: number, n: number): number {
  const q = (1 - p) / Math.max(1, n)
  return Math.SQRT2 * -erfinv(2 * q - 1)
}

/** backup.c BACKUP_FILE_ESTIMATE_CONFIDENCE_LEVEL */
export const FILE_CONFIDENCE = 0.999
/** show_estimate's level for the per-record upper bound */
export const RECORD_CONFIDENCE = 0.999999

export interface SampleStats {
  /** Samples (records measured). */
  n: number
  /** Σ s_i */
  total: number
  mean: number
  /** Sample variance (n - 1 denominator); 0 when n <= 1. */
  variance: number
}

/** calc_record_stats over per-record sizes; everything 0 unless n > 1. */
export function sampleStats (sizes: ArrayLike<number>): SampleStats {
  const n = sizes.length
  let total = 0
  for (let i = 0; i < n; i++) total += sizes[i]!
  if (n <= 1) return { n, total, mean: 0, variance: 0 }
  const mean = total / n
  let ss = 0
  for (let i = 0; i < n; i++) { const d = sizes[i]! - mean; ss += d * d }
  return { n, total, mean, variance: ss / (n - 1) }
}

export interface AsbackupEstimate {
  /** `Estimated overall record size`: ceil(mean + z6 * sqrt(var / n)), 0 when n <= 1. */
  upperRecordSize: number
  /** Compressed/encrypted bytes ÷ raw bytes of the sample stream (1 without -z/-y). */
  ratio: number
  /** estimate_total_backup_size: the 99.9% file-size bound. */
  fileSize: number
  /** confidence_z(0.999, N) used for fileSize. */
  z: number
}

/**
 * asbackup's numbers. `estimateBytes` = bytes the sample stream became after
 * compression/encryption (header included), `headerSize` = the raw header
 * bytes (plus the IV when encrypting).
 */
export function asbackupEstimate (s: SampleStats, records: number, headerSize: number, estimateBytes: number): AsbackupEstimate {
  const z6 = confidenceZ(RECORD_CONFIDENCE, 1)
  const upperRecordSize = s.n <= 1 ? 0 : Math.ceil(s.mean + z6 * Math.sqrt(s.variance / s.n))
  const z = confidenceZ(FILE_CONFIDENCE, records)
  const raw = s.total + headerSize
  const ratio = raw > 0 ? estimateBytes / raw : 1
  const fileSize = headerSize + Math.ceil(records * (ratio * s.mean + (s.n === 0 ? 0 : z * Math.sqrt(s.variance / s.n))))
  return { upperRecordSize, ratio, fileSize, z }
}

/** Bytes and records of one sampled partition (the sampling unit). */
export interface PartitionSample {
  id: number
  records: number
  bytes: number
}

export interface DesignEstimate {
  /** Partitions sampled (k) out of `population` (P). */
  partitions: number
  population: number
  records: number
  /** Records per sampled partition, scaled up: P * mean(m_p); an estimate of N independent of info. */
  recordsFromSample: number
  /** Mean encoded record size Σy / Σm (ratio estimator). */
  meanRecordSize: number
  /** Estimated raw (uncompressed) bytes of all records: N * Σy / Σm. */
  bytes: number
  /** Standard error of `bytes` (linearised, with finite population correction). */
  stderr: number
  /** Two-sided level of [lower, upper]. */
  confidence: number
  lower: number
  upper: number
}

/**
 * The bound as-estimate stands behind: whole partitions picked uniformly at
 * random are the sampling units (records of one partition are not
 * independent), N comes from info, and the total is the ratio estimator
 * N * Σy/Σm with its linearised variance
 *   V = N² (1 - k/P) / (k m̄²) * Σ (y_p - R m_p)² / (k - 1).
 * `confidence` is two-sided (0.999: z = 3.29).
 */
export function designEstimate (parts: PartitionSample[], population: number, records: number, confidence = FILE_CONFIDENCE): DesignEstimate {
  const k = parts.length
  let sy = 0
  let sm = 0
  for (const p of parts) { sy += p.bytes; sm += p.records }
  const R = sm > 0 ? sy / sm : 0
  const bytes = records * R
  let stderr = 0
  if (k > 1 && sm > 0) {
    const mbar = sm / k
    let ss = 0
    for (const p of parts) { const d = p.bytes - R * p.records; ss += d * d }
    const fpc = Math.max(0, 1 - k / population)
    stderr = records * Math.sqrt(fpc * (ss / (k - 1)) / k) / mbar
  }
  const z = confidenceZ(1 - (1 - confidence) / 2, 1)
  return {
    partitions: k,
    population,
    records,
    recordsFromSample: k > 0 ? population * sm / k : 0,
    meanRecordSize: R,
    bytes,
    stderr,
    confidence,
    lower: Math.max(0, Math.floor(bytes - z * stderr)),
    upper: Math.ceil(bytes + z * stderr)
  }
}

/** A small seeded PRNG (mulberry32) for repeatable partition order. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Fisher-Yates shuffle of 0..n-1 with `rand`. */
export function shuffledRange (n: number, rand: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = a[i]!; a[i] = a[j]!; a[j] = t
  }
  return a
}
