// Single-record transactions (reads, writes, deletes, operate) as the 8.x
// server executes them (wire-protocol.md §3, §5, §7): one request as_msg in,
// one response as_msg out. Used for plain commands and for batch rows.
import { Particle } from '../types.js'
import {
  FieldType, Info1, Info2, Info3, OpType, TTL_DONT_UPDATE, TTL_NEVER_EXPIRE,
  makeMessage, type AsMessage, type Field, type Op
} from '../proto/message.js'
import { ResultCode } from '../proto/result-codes.js'
import { normaliseCdt } from './cdt.js'
import { normaliseGeo } from './geo.js'
import { compileFilter, evalFilter } from './expr.js'
import { NamespaceStore, nowVoidSeconds, type StoredBin, type StoredRecord } from './store.js'

/** The largest TTL the server accepts (10 years, MAX_ALLOWED_TTL). */
export const MAX_ALLOWED_TTL = 315360000
export const MAX_BIN_NAME = 15

export interface TxnRequest {
  info1: number
  info2: number
  info3: number
  generation: number
  recordTtl: number
  fields: Field[]
  ops: Op[]
}

const EMPTY = Buffer.alloc(0)

function field (fields: Field[], type: number): Buffer | undefined {
  for (const f of fields) if (f.type === type) return f.data
  return undefined
}

function fail (resultCode: number, generation = 0): AsMessage {
  return makeMessage({ resultCode, generation })
}

/** Validates and normalises an incoming particle (integers to 8 bytes). Returns null when invalid (result 4). */
export function normaliseParticle (particle: number, value: Buffer): Buffer | null {
  switch (particle) {
    case Particle.INTEGER:
      if (value.length === 8) return value
      if (value.length === 1 || value.length === 2 || value.length === 4) {
        const b = Buffer.alloc(8)
        value.copy(b, 8 - value.length) // zero-extended, as the server does
        return b
      }
      return null
    case Particle.DOUBLE: return value.length === 8 ? value : null
    case Particle.BOOL: return value.length === 1 && value[0]! <= 1 ? value : null
    case Particle.GEOJSON: return value.length >= 3 ? value : null
    case Particle.STRING: case Particle.BLOB: case Particle.JAVA: case Particle.CSHARP:
    case Particle.PYTHON: case Particle.RUBY: case Particle.PHP: case Particle.ERLANG:
    case Particle.VECTOR: case Particle.HLL: case Particle.MAP: case Particle.LIST:
      return value
    default: return null
  }
}

/** Void-time for a write's record_ttl; null when the TTL is invalid. */
export function voidTimeFor (ttl: number, ns: NamespaceStore, existing: StoredRecord | undefined, nowMs: number): number | null {
  const now = nowVoidSeconds(nowMs)
  if (ttl === TTL_NEVER_EXPIRE) return 0
  if (ttl === TTL_DONT_UPDATE) {
    if (existing !== undefined) return existing.voidTime
    ttl = 0
  }
  if (ttl === 0) {
    const d = ns.cfgNumber('default-ttl', 0)
    return d === 0 ? 0 : now + d
  }
  if (ttl > MAX_ALLOWED_TTL) return null
  return now + ttl
}

/** is_ttl_disallowed (rw_utils.h): a TTL > 0 on a namespace with nsup off and allow-ttl-without-nsup false. */
function ttlForbidden (ttl: number, ns: NamespaceStore): boolean {
  if (ns.cfgNumber('nsup-period', 0) !== 0 || ns.cfgBool('allow-ttl-without-nsup')) return false
  if (ttl === TTL_NEVER_EXPIRE || ttl === TTL_DONT_UPDATE) return false
  if (ttl === 0) return ns.cfgNumber('default-ttl', 0) !== 0
  return true
}

function binKey (name: Buffer): string { return name.toString('latin1') }

function readOps (rec: StoredRecord, names: Buffer[] | null): Op[] {
  const out: Op[] = []
  if (names === null) {
    for (const [k, b] of rec.bins) out.push({ op: OpType.READ, particle: b.particle, name: Buffer.from(k, 'latin1'), value: b.value })
    return out
  }
  for (const n of names) {
    const b = rec.bins.get(binKey(n))
    if (b !== undefined) out.push({ op: OpType.READ, particle: b.particle, name: n, value: b.value })
  }
  return out
}

export interface TxnResult {
  response: AsMessage
  /** What happened, for node statistics. */
  kind: 'read' | 'write' | 'delete'
}

/** Executes one single-record request against `ns`. `digest` must be present. */
export function executeRecord (ns: NamespaceStore, digest: Buffer, req: TxnRequest, nowMs: number): AsMessage {
  const isWrite = (req.info2 & Info2.WRITE) !== 0
  const existing = ns.get(digest, nowMs)
  const filter = field(req.fields, FieldType.FILTER_EXP)
  if (filter !== undefined && existing !== undefined) {
    let pass: boolean
    try { pass = evalFilter(compileFilter(filter), { rec: existing, nowMs }) } catch { return fail(ResultCode.PARAMETER_ERROR) }
    if (!pass) return fail(ResultCode.FILTERED_OUT)
  }
  if (!isWrite) return executeRead(existing, req)
  if ((req.info2 & Info2.DURABLE_DELETE) !== 0) return fail(ResultCode.ENTERPRISE_ONLY)
  if ((req.info2 & Info2.DELETE) !== 0) return executeDelete(ns, digest, existing, req)
  return executeWrite(ns, digest, existing, req, nowMs)
}

function executeRead (rec: StoredRecord | undefined, req: TxnRequest): AsMessage {
  if (rec === undefined) return fail(ResultCode.KEY_NOT_FOUND)
  const res = makeMessage({ generation: rec.generation, recordTtl: rec.voidTime })
  if ((req.info1 & Info1.GET_NO_BINS) !== 0) return res
  const named = req.ops.filter(o => o.op === OpType.READ && o.name.length > 0)
  const all = (req.info1 & Info1.GET_ALL) !== 0 || named.length === 0
  res.ops = readOps(rec, all ? null : named.map(o => o.name))
  return res
}

function genCheck (req: TxnRequest, rec: StoredRecord): boolean {
  if ((req.info2 & Info2.GENERATION) !== 0) return req.generation === rec.generation
  if ((req.info2 & Info2.GENERATION_GT) !== 0) return req.generation > rec.generation
  return true
}

function executeDelete (ns: NamespaceStore, digest: Buffer, rec: StoredRecord | undefined, req: TxnRequest): AsMessage {
  if (rec === undefined) return fail(ResultCode.KEY_NOT_FOUND)
  if (!genCheck(req, rec)) return fail(ResultCode.GENERATION_ERROR)
  ns.delete(digest)
  return makeMessage()
}

function nextGeneration (g: number): number {
  const n = (g + 1) & 0xffff
  return n === 0 ? 1 : n
}

function executeWrite (ns: NamespaceStore, digest: Buffer, existing: StoredRecord | undefined, req: TxnRequest, nowMs: number): AsMessage {
  const curGen = existing?.generation ?? 0
  if (ns.cfgBool('stop-writes')) return fail(ResultCode.SERVER_MEM_ERROR)
  if ((req.info2 & Info2.CREATE_ONLY) !== 0 && existing !== undefined) return fail(ResultCode.KEY_EXISTS, curGen)
  if ((req.info3 & (Info3.UPDATE_ONLY | Info3.REPLACE_ONLY)) !== 0 && existing === undefined) return fail(ResultCode.KEY_NOT_FOUND)
  if (existing !== undefined && !genCheck(req, existing)) return fail(ResultCode.GENERATION_ERROR, curGen)
  const voidTime = voidTimeFor(req.recordTtl, ns, existing, nowMs)
  if (voidTime === null) return fail(ResultCode.PARAMETER_ERROR, curGen)
  if (ttlForbidden(req.recordTtl, ns)) return fail(ResultCode.FAIL_FORBIDDEN, curGen)
  const keyField = field(req.fields, FieldType.KEY)
  if (keyField !== undefined && existing?.key != null && !existing.key.equals(keyField)) return fail(ResultCode.KEY_MISMATCH, curGen)

  const replace = (req.info3 & (Info3.CREATE_OR_REPLACE | Info3.REPLACE_ONLY)) !== 0
  const bins = new Map<string, StoredBin>(existing === undefined || replace ? [] : existing.bins)
  const respondAll = (req.info2 & Info2.RESPOND_ALL_OPS) !== 0
  const out: Op[] = []
  let onlyDeletes = true
  for (const o of req.ops) {
    if (o.name.length > MAX_BIN_NAME) return fail(ResultCode.BIN_NAME_TOO_LONG, curGen)
    const k = binKey(o.name)
    switch (o.op) {
      case OpType.READ: {
        const b = bins.get(k)
        if (b !== undefined) out.push({ op: OpType.READ, particle: b.particle, name: o.name, value: b.value })
        else if (respondAll) out.push({ op: OpType.READ, particle: 0, name: o.name, value: EMPTY })
        continue
      }
      case OpType.WRITE: {
        if (o.particle === Particle.NIL) {
          bins.delete(k)
        } else {
          let v = normaliseParticle(o.particle, o.value)
          if (v === null) return fail(ResultCode.PARAMETER_ERROR, curGen)
          if (o.particle === Particle.MAP || o.particle === Particle.LIST) {
            try { v = normaliseCdt(v) } catch { return fail(ResultCode.SERVER_ERROR, curGen) }
          } else if (o.particle === Particle.GEOJSON) {
            v = normaliseGeo(v)
            if (v === null) return fail(ResultCode.GEO_INVALID_GEOJSON, curGen)
          }
          bins.set(k, { particle: o.particle, value: Buffer.from(v) })
          onlyDeletes = false
        }
        break
      }
      case OpType.INCR: {
        onlyDeletes = false
        const v = normaliseParticle(o.particle, o.value)
        if (v === null || (o.particle !== Particle.INTEGER && o.particle !== Particle.DOUBLE)) return fail(ResultCode.PARAMETER_ERROR, curGen)
        const b = bins.get(k)
        if (b === undefined) { bins.set(k, { particle: o.particle, value: Buffer.from(v) }); break }
        if (b.particle !== o.particle) return fail(ResultCode.BIN_TYPE_ERROR, curGen)
        const nb = Buffer.allocUnsafe(8)
        if (o.particle === Particle.INTEGER) nb.writeBigInt64BE(BigInt.asIntN(64, b.value.readBigInt64BE(0) + v.readBigInt64BE(0)))
        else nb.writeDoubleBE(b.value.readDoubleBE(0) + v.readDoubleBE(0))
        bins.set(k, { particle: o.particle, value: nb })
        break
      }
      case OpType.APPEND:
      case OpType.PREPEND: {
        onlyDeletes = false
        if (o.particle !== Particle.STRING && o.particle !== Particle.BLOB) return fail(ResultCode.PARAMETER_ERROR)
        const b = bins.get(k)
        if (b === undefined) { bins.set(k, { particle: o.particle, value: Buffer.from(o.value) }); break }
        if (b.particle !== o.particle) return fail(ResultCode.BIN_TYPE_ERROR)
        const nv = o.op === OpType.APPEND ? Buffer.concat([b.value, o.value]) : Buffer.concat([o.value, b.value])
        bins.set(k, { particle: b.particle, value: nv })
        break
      }
      case OpType.TOUCH:
        onlyDeletes = false
        if (existing === undefined) return fail(ResultCode.KEY_NOT_FOUND)
        break
      case OpType.DELETE_ALL:
        bins.clear()
        break
      default:
        // CDT, bit, HLL and expression operations are not modelled by the test server
        return fail(ResultCode.UNSUPPORTED_FEATURE, curGen)
    }
    if (respondAll) out.push({ op: o.op, particle: 0, name: o.name, value: EMPTY })
  }
  if (existing === undefined && onlyDeletes && req.ops.length > 0) return fail(ResultCode.KEY_NOT_FOUND)
  if (bins.size === 0) {
    // the last bin went away: the record is deleted (deleted_last_bin)
    if (existing !== undefined) ns.delete(digest)
    return makeMessage({ generation: 0, ops: out })
  }
  const setField = field(req.fields, FieldType.SET)
  const rec: StoredRecord = {
    digest: Buffer.from(digest),
    set: existing?.set ?? (setField !== undefined && setField.length > 0 ? Buffer.from(setField) : null),
    key: existing?.key ?? (keyField !== undefined ? Buffer.from(keyField) : null),
    bins,
    generation: existing === undefined ? 1 : nextGeneration(existing.generation),
    voidTime,
    lutMs: nowMs
  }
  ns.put(rec)
  return makeMessage({ generation: rec.generation, recordTtl: rec.voidTime, ops: out })
}
