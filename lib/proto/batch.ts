// Batch-index field (type 41) rows (wire-protocol.md §9; JAVA Command.java
// setBatchOperate, SRV as/src/base/batch.c).
import { AsbError, ErrorCode } from '../errors.js'
import { FieldType, Info1, makeMessage, writeFieldsAndOps, type AsMessage, type Field, type Op } from './message.js'

export const BatchParentFlags = {
  ALLOW_INLINE: 0x01,
  ALLOW_INLINE_SSD: 0x02,
  REPORT_ALL_ERRORS: 0x04,
  REPORT_ERROR_REC: 0x08
} as const

export const BatchRowFlags = {
  REPEAT: 0x01,
  HAS_EXTRA_INFO: 0x02,
  HAS_GENERATION: 0x04,
  HAS_RECORD_TTL: 0x08,
  HAS_INFO4: 0x10
} as const

export interface BatchRow {
  /** Position in the caller's list; echoed as transaction_ttl of the row's response. */
  index: number
  digest: Buffer
  /** Encode as REPEAT of the previous row (same namespace/set/info/ops). Decoded REPEAT rows have this set and carry copies of the previous row's data. */
  repeat?: boolean
  info1: number
  /** With info3: sent when either is defined (HAS_EXTRA_INFO). */
  info2?: number
  info3?: number
  info4?: number
  /** 16-bit in batch rows. */
  generation?: number
  recordTtl?: number
  /** NAMESPACE first, then SET, [KEY], [FILTER_EXP], UDF fields. */
  fields: Field[]
  ops: Op[]
}

export interface BatchRequest {
  parentFlags: number
  rows: BatchRow[]
}

function rowFlags (r: BatchRow): number {
  if (r.repeat === true) return BatchRowFlags.REPEAT
  let f = 0
  if (r.info2 !== undefined || r.info3 !== undefined) f |= BatchRowFlags.HAS_EXTRA_INFO
  if (r.generation !== undefined) f |= BatchRowFlags.HAS_GENERATION
  if (r.recordTtl !== undefined) f |= BatchRowFlags.HAS_RECORD_TTL
  if (r.info4 !== undefined) f |= BatchRowFlags.HAS_INFO4
  return f
}

/** BATCH field data. */
export function encodeBatchField (req: BatchRequest): Buffer {
  let size = 5
  for (const r of req.rows) {
    size += 25
    if (r.repeat === true) continue
    const f = rowFlags(r)
    size += 1
    if ((f & BatchRowFlags.HAS_EXTRA_INFO) !== 0) size += 2
    if ((f & BatchRowFlags.HAS_INFO4) !== 0) size += 1
    if ((f & BatchRowFlags.HAS_GENERATION) !== 0) size += 2
    if ((f & BatchRowFlags.HAS_RECORD_TTL) !== 0) size += 4
    size += 4
    for (const fl of r.fields) size += 5 + fl.data.length
    for (const o of r.ops) size += 8 + o.name.length + o.value.length
  }
  const buf = Buffer.allocUnsafe(size)
  buf.writeUInt32BE(req.rows.length, 0)
  buf[4] = req.parentFlags
  let off = 5
  for (const r of req.rows) {
    buf.writeUInt32BE(r.index, off)
    if (r.digest.length !== 20) throw new AsbError(ErrorCode.PROTOCOL, `batch row ${r.index}: digest of ${r.digest.length} bytes`)
    r.digest.copy(buf, off + 4)
    const f = rowFlags(r)
    buf[off + 24] = f
    off += 25
    if (r.repeat === true) continue
    buf[off++] = r.info1
    if ((f & BatchRowFlags.HAS_EXTRA_INFO) !== 0) { buf[off++] = r.info2 ?? 0; buf[off++] = r.info3 ?? 0 }
    if ((f & BatchRowFlags.HAS_INFO4) !== 0) buf[off++] = r.info4 ?? 0
    if ((f & BatchRowFlags.HAS_GENERATION) !== 0) { buf.writeUInt16BE((r.generation ?? 0) & 0xffff, off); off += 2 }
    if ((f & BatchRowFlags.HAS_RECORD_TTL) !== 0) { buf.writeUInt32BE((r.recordTtl ?? 0) >>> 0, off); off += 4 }
    buf.writeUInt16BE(r.fields.length, off)
    buf.writeUInt16BE(r.ops.length, off + 2)
    off = writeFieldsAndOps(buf, off + 4, r.fields, r.ops)
  }
  return buf
}

/** A whole batch request message: info1 BATCH, transaction_ttl = timeout ms. */
export function makeBatchMessage (req: BatchRequest, timeoutMs = 0, extraFields: Field[] = []): AsMessage {
  return makeMessage({
    info1: Info1.BATCH,
    transactionTtl: timeoutMs,
    fields: [{ type: FieldType.BATCH, data: encodeBatchField(req) }, ...extraFields]
  })
}

function bad (what: string, off: number): AsbError {
  return new AsbError(ErrorCode.PROTOCOL, `batch field: ${what} at offset ${off}`)
}

/** Decodes BATCH field data; REPEAT rows are resolved against the previous full row. */
export function decodeBatchField (data: Buffer): BatchRequest {
  if (data.length < 5) throw bad('header truncated', 0)
  const n = data.readUInt32BE(0)
  const parentFlags = data[4]!
  const rows: BatchRow[] = []
  let off = 5
  let prev: BatchRow | null = null
  for (let i = 0; i < n; i++) {
    if (off + 25 > data.length) throw bad(`row ${i} truncated`, off)
    const index = data.readUInt32BE(off)
    const digest = data.subarray(off + 4, off + 24)
    const f = data[off + 24]!
    off += 25
    if ((f & BatchRowFlags.REPEAT) !== 0) {
      if (prev === null) throw bad(`row ${i} repeats with no previous row`, off)
      rows.push({ ...prev, index, digest, repeat: true })
      continue
    }
    const need = (k: number): void => { if (off + k > data.length) throw bad(`row ${i} truncated`, off) }
    need(1)
    const row: BatchRow = { index, digest, info1: data[off++]!, fields: [], ops: [] }
    if ((f & BatchRowFlags.HAS_EXTRA_INFO) !== 0) { need(2); row.info2 = data[off++]!; row.info3 = data[off++]! }
    if ((f & BatchRowFlags.HAS_INFO4) !== 0) { need(1); row.info4 = data[off++]! }
    if ((f & BatchRowFlags.HAS_GENERATION) !== 0) { need(2); row.generation = data.readUInt16BE(off); off += 2 }
    if ((f & BatchRowFlags.HAS_RECORD_TTL) !== 0) { need(4); row.recordTtl = data.readUInt32BE(off); off += 4 }
    need(4)
    const nf = data.readUInt16BE(off)
    const no = data.readUInt16BE(off + 2)
    off += 4
    for (let j = 0; j < nf; j++) {
      need(5)
      const sz = data.readUInt32BE(off)
      if (sz < 1) throw bad(`row ${i} field ${j} size 0`, off)
      need(4 + sz)
      row.fields.push({ type: data[off + 4]!, data: data.subarray(off + 5, off + 4 + sz) })
      off += 4 + sz
    }
    for (let j = 0; j < no; j++) {
      need(8)
      const sz = data.readUInt32BE(off)
      const nl = data[off + 7]!
      if (sz < 4 + nl) throw bad(`row ${i} op ${j} size ${sz}`, off)
      need(4 + sz)
      row.ops.push({ op: data[off + 4]!, particle: data[off + 5]!, name: data.subarray(off + 8, off + 8 + nl), value: data.subarray(off + 8 + nl, off + 4 + sz) })
      off += 4 + sz
    }
    rows.push(row)
    prev = row
  }
  return { parentFlags, rows }
}
