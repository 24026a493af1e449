// AS_MSG (proto type 3): 22-byte header, fields, ops (wire-protocol.md §3-§5).
//
//   proto hdr (8) | hdr_sz info1 info2 info3 info4 result gen(4) ttl(4) txn_ttl(4) n_fields(2) n_ops(2)
//                 | fields: u32 size(=1+len) u8 type data
//                 | ops:    u32 size(=4+name+value) u8 op u8 particle u8 flags u8 name_len name value
//
// A response proto body may hold many as_msg back to back: decodeMessage()
// returns where the next one starts.
import { AsbError, ErrorCode } from '../errors.js'
import { nameFromBytes } from '../name.js'
import { Particle, type Bin, type Key, type Name, type Record } from '../types.js'
import { PROTO_HEADER_SIZE, ProtoType, writeProtoHeader } from './header.js'
import { decodeKeyField, particleToValue } from './particle.js'

export const MSG_HEADER_SIZE = 22

export const Info1 = {
  READ: 0x01,
  GET_ALL: 0x02,
  SHORT_QUERY: 0x04,
  BATCH: 0x08,
  XDR: 0x10,
  GET_NO_BINS: 0x20,
  READ_MODE_AP_ALL: 0x40,
  COMPRESS_RESPONSE: 0x80
} as const

export const Info2 = {
  WRITE: 0x01,
  DELETE: 0x02,
  GENERATION: 0x04,
  GENERATION_GT: 0x08,
  DURABLE_DELETE: 0x10,
  CREATE_ONLY: 0x20,
  RELAX_AP_LONG_QUERY: 0x40,
  RESPOND_ALL_OPS: 0x80
} as const

export const Info3 = {
  LAST: 0x01,
  COMMIT_MASTER: 0x02,
  PARTITION_DONE: 0x04,
  UPDATE_ONLY: 0x08,
  CREATE_OR_REPLACE: 0x10,
  REPLACE_ONLY: 0x20,
  SC_READ_TYPE: 0x40,
  SC_READ_RELAX: 0x80
} as const

export const Info4 = {
  MRT_VERIFY_READ: 0x01,
  MRT_ROLL_FORWARD: 0x02,
  MRT_ROLL_BACK: 0x04,
  MRT_ON_LOCKING_ONLY: 0x10
} as const

export const FieldType = {
  NAMESPACE: 0,
  SET: 1,
  KEY: 2,
  RECORD_VERSION: 3,
  DIGEST: 4,
  MRT_ID: 5,
  MRT_DEADLINE: 6,
  TRID: 7,
  SOCKET_TIMEOUT: 9,
  RECS_PER_SEC: 10,
  PID_ARRAY: 11,
  DIGEST_ARRAY: 12,
  SAMPLE_MAX: 13,
  LUT: 14,
  BVAL_ARRAY: 15,
  INDEX_NAME: 21,
  INDEX_RANGE: 22,
  INDEX_CONTEXT: 23,
  INDEX_EXPRESSION: 24,
  INDEX_TYPE: 26,
  UDF_FILENAME: 30,
  UDF_FUNCTION: 31,
  UDF_ARGLIST: 32,
  UDF_OP: 33,
  QUERY_BINLIST: 40,
  BATCH: 41,
  BATCH_WITH_SET: 42,
  FILTER_EXP: 43
} as const

export const OpType = {
  READ: 1,
  WRITE: 2,
  CDT_READ: 3,
  CDT_MODIFY: 4,
  INCR: 5,
  EXP_READ: 7,
  EXP_MODIFY: 8,
  APPEND: 9,
  PREPEND: 10,
  TOUCH: 11,
  BITS_READ: 12,
  BITS_MODIFY: 13,
  DELETE_ALL: 14,
  HLL_READ: 15,
  HLL_MODIFY: 16
} as const

/** Write-request record_ttl values (wire-protocol.md §3.2). */
export const TTL_NAMESPACE_DEFAULT = 0
export const TTL_NEVER_EXPIRE = 0xffffffff
export const TTL_DONT_UPDATE = 0xfffffffe
/** Read/scan-request record_ttl meaning "never touch" (what the C client sends on scans). */
export const READ_TOUCH_NEVER = 0xffffffff

export interface Field {
  type: number
  data: Buffer
}

export interface Op {
  op: number
  /** Particle type of `value`. */
  particle: number
  /** Bin name bytes (empty for TOUCH / DELETE_ALL). */
  name: Buffer
  value: Buffer
}

export interface AsMessage {
  info1: number
  info2: number
  info3: number
  info4: number
  resultCode: number
  /** u32: record generation, expected generation, or partition id in a PARTITION_DONE marker. */
  generation: number
  /** u32: TTL (write request), read-touch percent (read request) or void-time (response). */
  recordTtl: number
  /** u32: server timeout in ms (request) or batch index (batch response). */
  transactionTtl: number
  fields: Field[]
  ops: Op[]
}

/** An AsMessage with every number 0 and no fields/ops, overridden by `m`. */
export function makeMessage (m: Partial<AsMessage> = {}): AsMessage {
  return {
    info1: 0, info2: 0, info3: 0, info4: 0, resultCode: 0, generation: 0,
    recordTtl: 0, transactionTtl: 0, fields: [], ops: [], ...m
  }
}

/** Size of the as_msg (header + fields + ops), without the proto header. */
export function messageSize (msg: AsMessage): number {
  let size = MSG_HEADER_SIZE
  for (const f of msg.fields) size += 5 + f.data.length
  for (const o of msg.ops) size += 8 + o.name.length + o.value.length
  return size
}

/** Writes the as_msg (no proto header) into `buf` at `off`; returns the end offset. */
export function writeMessage (buf: Buffer, off: number, msg: AsMessage): number {
  buf[off] = MSG_HEADER_SIZE
  buf[off + 1] = msg.info1
  buf[off + 2] = msg.info2
  buf[off + 3] = msg.info3
  buf[off + 4] = msg.info4
  buf[off + 5] = msg.resultCode
  buf.writeUInt32BE(msg.generation >>> 0, off + 6)
  buf.writeUInt32BE(msg.recordTtl >>> 0, off + 10)
  buf.writeUInt32BE(msg.transactionTtl >>> 0, off + 14)
  buf.writeUInt16BE(msg.fields.length, off + 18)
  buf.writeUInt16BE(msg.ops.length, off + 20)
  return writeFieldsAndOps(buf, off + MSG_HEADER_SIZE, msg.fields, msg.ops)
}

/** Writes fields then ops (the layout shared by as_msg and batch rows); returns the end offset. */
export function writeFieldsAndOps (buf: Buffer, off: number, fields: Field[], ops: Op[]): number {
  for (const f of fields) {
    buf.writeUInt32BE(f.data.length + 1, off)
    buf[off + 4] = f.type
    f.data.copy(buf, off + 5)
    off += 5 + f.data.length
  }
  for (const o of ops) {
    if (o.name.length > 255) throw new AsbError(ErrorCode.PROTOCOL, `bin name of ${o.name.length} bytes`)
    buf.writeUInt32BE(4 + o.name.length + o.value.length, off)
    buf[off + 4] = o.op
    buf[off + 5] = o.particle
    buf[off + 6] = 0
    buf[off + 7] = o.name.length
    o.name.copy(buf, off + 8)
    o.value.copy(buf, off + 8 + o.name.length)
    off += 8 + o.name.length + o.value.length
  }
  return off
}

/** A whole AS_MSG proto message (8-byte proto header + as_msg). */
export function encodeMessage (msg: AsMessage): Buffer {
  const size = messageSize(msg)
  const buf = Buffer.allocUnsafe(PROTO_HEADER_SIZE + size)
  writeProtoHeader(buf, 0, ProtoType.MSG, size)
  writeMessage(buf, PROTO_HEADER_SIZE, msg)
  return buf
}

/**
 * Several as_msg in one proto body (how the server packs scan, query and
 * batch answers).
 */
export function encodeMessages (msgs: AsMessage[]): Buffer {
  let size = 0
  for (const m of msgs) size += messageSize(m)
  const buf = Buffer.allocUnsafe(PROTO_HEADER_SIZE + size)
  writeProtoHeader(buf, 0, ProtoType.MSG, size)
  let off = PROTO_HEADER_SIZE
  for (const m of msgs) off = writeMessage(buf, off, m)
  return buf
}

function truncated (what: string, off: number): AsbError {
  return new AsbError(ErrorCode.PROTOCOL, `as_msg truncated in ${what} at body offset ${off}`)
}

/**
 * Decodes the as_msg starting at `offset` of a proto body. Field data, op
 * names and values are subarrays of `body` (no copies).
 */
export function decodeMessage (body: Buffer, offset = 0): { msg: AsMessage, end: number } {
  const len = body.length
  if (len - offset < MSG_HEADER_SIZE) throw truncated('header', offset)
  const hsz = body[offset]!
  if (hsz < MSG_HEADER_SIZE) throw new AsbError(ErrorCode.PROTOCOL, `as_msg header size ${hsz} at body offset ${offset} (expected 22)`)
  const nFields = body.readUInt16BE(offset + 18)
  const nOps = body.readUInt16BE(offset + 20)
  const msg: AsMessage = {
    info1: body[offset + 1]!,
    info2: body[offset + 2]!,
    info3: body[offset + 3]!,
    info4: body[offset + 4]!,
    resultCode: body[offset + 5]!,
    generation: body.readUInt32BE(offset + 6),
    recordTtl: body.readUInt32BE(offset + 10),
    transactionTtl: body.readUInt32BE(offset + 14),
    fields: new Array<Field>(nFields),
    ops: new Array<Op>(nOps)
  }
  let off = offset + hsz
  for (let i = 0; i < nFields; i++) {
    if (off + 5 > len) throw truncated('field header', off)
    const fsz = body.readUInt32BE(off)
    if (fsz < 1 || off + 4 + fsz > len) throw truncated(`field of ${fsz} bytes`, off)
    msg.fields[i] = { type: body[off + 4]!, data: body.subarray(off + 5, off + 4 + fsz) }
    off += 4 + fsz
  }
  for (let i = 0; i < nOps; i++) {
    if (off + 8 > len) throw truncated('op header', off)
    const osz = body.readUInt32BE(off)
    const nameLen = body[off + 7]!
    const hasLut = (body[off + 6]! & 1) !== 0
    const valStart = off + 8 + nameLen + (hasLut ? 8 : 0)
    const end = off + 4 + osz
    if (osz < 4 || end > len || valStart > end) throw truncated(`op of ${osz} bytes`, off)
    msg.ops[i] = {
      op: body[off + 4]!,
      particle: body[off + 5]!,
      name: body.subarray(off + 8, off + 8 + nameLen),
      value: body.subarray(valStart, end)
    }
    off = end
  }
  return { msg, end: off }
}

/** Every as_msg of a proto body. */
export function decodeMessages (body: Buffer): AsMessage[] {
  const out: AsMessage[] = []
  let off = 0
  while (off < body.length) {
    const { msg, end } = decodeMessage(body, off)
    out.push(msg)
    off = end
  }
  return out
}

export function getField (msg: AsMessage, type: number): Buffer | undefined {
  for (const f of msg.fields) if (f.type === type) return f.data
  return undefined
}

export function u32Field (type: number, v: number): Field {
  const data = Buffer.allocUnsafe(4)
  data.writeUInt32BE(v >>> 0)
  return { type, data }
}

export function u64Field (type: number, v: bigint | number): Field {
  const data = Buffer.allocUnsafe(8)
  data.writeBigUInt64BE(BigInt(v))
  return { type, data }
}

/** PID_ARRAY field data: u16 LE per partition id. */
export function encodePidArray (pids: Iterable<number>): Buffer {
  const list = [...pids]
  const data = Buffer.allocUnsafe(2 * list.length)
  for (let i = 0; i < list.length; i++) data.writeUInt16LE(list[i]!, 2 * i)
  return data
}

export function decodePidArray (data: Buffer): number[] {
  if (data.length % 2 !== 0) throw new AsbError(ErrorCode.PROTOCOL, `PID_ARRAY of ${data.length} bytes (odd)`)
  const out = new Array<number>(data.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = data.readUInt16LE(2 * i)
  return out
}

/** DIGEST_ARRAY field data: 20 bytes per digest. */
export function encodeDigestArray (digests: Buffer[]): Buffer {
  return Buffer.concat(digests, 20 * digests.length)
}

export function decodeDigestArray (data: Buffer): Buffer[] {
  if (data.length % 20 !== 0) throw new AsbError(ErrorCode.PROTOCOL, `DIGEST_ARRAY of ${data.length} bytes (not a multiple of 20)`)
  const out: Buffer[] = []
  for (let i = 0; i < data.length; i += 20) out.push(data.subarray(i, i + 20))
  return out
}

/** A READ/WRITE op with a bin name given as a Name. */
export function makeOp (op: number, name: Name, particle = 0, value: Buffer = Buffer.alloc(0)): Op {
  return { op, particle, name: typeof name === 'string' ? Buffer.from(name, 'utf8') : name, value }
}

// ---------------------------------------------------------------------------
// Fast path: scan/query/batch responses straight to Records.

export interface DecodeRecordOptions {
  /** Copy value bytes out of the body (default false: values are subarrays of the proto body). */
  copy?: boolean
}

/** One as_msg of a response stream, with the record already built when there is one. */
export interface ResponseItem {
  info1: number
  info3: number
  resultCode: number
  generation: number
  /** void-time for records (seconds since 2010-01-01, 0 = never). */
  recordTtl: number
  /** batch index in batch responses. */
  transactionTtl: number
  /** The record when the message carries a NAMESPACE and a DIGEST, else null (markers, LAST, errors, batch rows). */
  record: Record | null
  /** BVAL_ARRAY value (i64 LE) of a sindex-query record, else null. */
  bval: bigint | null
  /** Ops of a message without a digest (batch rows, single-record replies); empty for records. */
  bins: Bin[]
  end: number
}

// Interning the few distinct namespace/set/bin names of a stream: compared
// in place (no string or Buffer allocated per record), most recent first.
const NAME_CACHE_SIZE = 64
interface CachedName { bytes: Buffer, name: Name }
const nameCache: CachedName[] = []
function cachedName (body: Buffer, start: number, end: number): Name {
  const n = end - start
  if (n > 32) return nameFromBytes(body, start, end)
  outer:
  for (let i = 0; i < nameCache.length; i++) {
    const c = nameCache[i]!.bytes
    if (c.length !== n) continue
    for (let j = 0; j < n; j++) if (c[j] !== body[start + j]) continue outer
    return nameCache[i]!.name
  }
  const entry = { bytes: Buffer.from(body.subarray(start, end)), name: nameFromBytes(body, start, end) }
  if (nameCache.length >= NAME_CACHE_SIZE) nameCache.pop()
  nameCache.unshift(entry)
  return entry.name
}

const NO_BINS: Bin[] = []

/** A bin built in one object literal (one hidden class for every bin: name, type, value). */
function makeBin (name: Name, type: number, body: Buffer, start: number, end: number, copy: boolean): Bin {
  const len = end - start
  switch (type) {
    case Particle.INTEGER:
      if (len === 8) return { name, type: Particle.INTEGER, value: body.readBigInt64BE(start) }
      break
    case Particle.DOUBLE:
      if (len === 8) return { name, type: Particle.DOUBLE, value: body.readDoubleBE(start) }
      break
    case Particle.BOOL:
      if (len === 1) return { name, type: Particle.BOOL, value: body[start] !== 0 }
      break
    case Particle.NIL:
      return { name, type: Particle.NIL, value: null }
  }
  let raw: Buffer
  if (copy) {
    raw = Buffer.allocUnsafe(len)
    body.copy(raw, 0, start, end)
  } else {
    raw = body.subarray(start, end)
  }
  if (type === Particle.STRING || type === Particle.BLOB || type === Particle.MAP || type === Particle.LIST) {
    return { name, type, value: raw } as Bin
  }
  const v = particleToValue(type, raw)
  return { name, type: v.type, value: v.value } as Bin
}

/**
 * Decodes one as_msg of a response body into a Record (scan/query records)
 * or header data (markers, LAST, batch rows). Throws AsbError(PROTOCOL) on
 * malformed bytes.
 */
export function decodeRecordMessage (body: Buffer, offset: number, opts: DecodeRecordOptions = {}): ResponseItem {
  const len = body.length
  if (len - offset < MSG_HEADER_SIZE) throw truncated('header', offset)
  const hsz = body[offset]!
  if (hsz < MSG_HEADER_SIZE) throw new AsbError(ErrorCode.PROTOCOL, `as_msg header size ${hsz} at body offset ${offset} (expected 22)`)
  const copy = opts.copy === true
  const nFields = body.readUInt16BE(offset + 18)
  const nOps = body.readUInt16BE(offset + 20)
  let namespace: Name | null = null
  let set: Name | null = null
  let digest: Buffer | null = null
  let key: Key | null = null
  let bval: bigint | null = null
  let off = offset + hsz
  for (let i = 0; i < nFields; i++) {
    if (off + 5 > len) throw truncated('field header', off)
    const fsz = body.readUInt32BE(off)
    const end = off + 4 + fsz
    if (fsz < 1 || end > len) throw truncated(`field of ${fsz} bytes`, off)
    const ds = off + 5
    switch (body[off + 4]) {
      case FieldType.NAMESPACE: namespace = cachedName(body, ds, end); break
      case FieldType.SET: set = cachedName(body, ds, end); break
      case FieldType.DIGEST:
        if (end - ds !== 20) throw new AsbError(ErrorCode.PROTOCOL, `DIGEST field of ${end - ds} bytes at body offset ${off}`)
        digest = Buffer.allocUnsafe(20)
        for (let j = 0; j < 20; j++) digest[j] = body[ds + j]!
        break
      case FieldType.KEY: {
        const kd = body.subarray(ds, end)
        key = decodeKeyField(copy ? Buffer.from(kd) : kd)
        break
      }
      case FieldType.BVAL_ARRAY:
        if (end - ds >= 8) bval = body.readBigInt64LE(ds)
        break
    }
    off = end
  }
  const bins: Bin[] = new Array<Bin>(nOps)
  for (let i = 0; i < nOps; i++) {
    if (off + 8 > len) throw truncated('op header', off)
    const osz = body.readUInt32BE(off)
    const nameLen = body[off + 7]!
    const valStart = off + 8 + nameLen + ((body[off + 6]! & 1) !== 0 ? 8 : 0)
    const end = off + 4 + osz
    if (osz < 4 || end > len || valStart > end) throw truncated(`op of ${osz} bytes`, off)
    bins[i] = makeBin(cachedName(body, off + 8, off + 8 + nameLen), body[off + 5]!, body, valStart, end, copy)
    off = end
  }
  const item: ResponseItem = {
    info1: body[offset + 1]!,
    info3: body[offset + 3]!,
    resultCode: body[offset + 5]!,
    generation: body.readUInt32BE(offset + 6),
    recordTtl: body.readUInt32BE(offset + 10),
    transactionTtl: body.readUInt32BE(offset + 14),
    record: null,
    bval,
    bins,
    end: off
  }
  if (namespace !== null && digest !== null) {
    item.record = {
      kind: 'record',
      namespace,
      set,
      key,
      digest,
      generation: item.generation,
      voidTime: item.recordTtl,
      bins
    }
    item.bins = NO_BINS
  }
  return item
}
