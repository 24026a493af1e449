// Record writes: single-record puts and deletes routed to each record's
// master and run concurrently over the node pools (at most maxInFlight at
// once), and batch writes (batch-index write rows, wire-protocol.md §9) with a
// result per record. Values go out as the exact particle bytes the Records
// carry (lists/maps are the raw server msgpack), so a restore writes back
// byte-for-byte what was scanned. Policies map to header bits as in §3.1:
//
//   exists   update (default) | update-only (info3 0x08) | create-only (info2 0x20)
//            | replace-only (info3 0x20) | create-or-replace (info3 0x10)
//   gen      ignore (default) | equal (info2 0x04) | gt (info2 0x08), with the record's generation
//   ttl      seconds; 0 = namespace default, -1 = never expire, -2 = keep the current TTL
//
// Failures are results, not exceptions: every call resolves with a result
// code per record (negative codes are client-side: -1 client error, -8 node not
// reachable) and a `retryable` hint so callers (as-restore) can count and retry.
import { AsbError, ErrorCode } from '../errors.js'
import { BatchParentFlags, makeBatchMessage, type BatchRow } from '../proto/batch.js'
import { partitionId } from '../proto/digest.js'
import { ProtoType } from '../proto/header.js'
import {
  decodeRecordMessage, encodeMessage, FieldType, Info2, Info3, makeMessage, makeOp, OpType,
  TTL_DONT_UPDATE, TTL_NEVER_EXPIRE, type Field, type Op
} from '../proto/message.js'
import { encodeKeyField, valueToParticle } from '../proto/particle.js'
import { isRetryable, ResultCode } from '../proto/result-codes.js'
import { nameBytes } from '../name.js'
import type { Key, Name, Record } from '../types.js'
import type { Cluster } from './cluster.js'
import type { ClusterNode } from './node.js'

export type ExistsPolicy = 'update' | 'update-only' | 'create-only' | 'replace-only' | 'create-or-replace'
export type GenerationPolicy = 'ignore' | 'equal' | 'gt'

/** Client-side result codes (the Java client's numbering). */
export const ClientResult = {
  CLIENT_ERROR: -1,
  SERVER_NOT_AVAILABLE: -8
} as const

export interface WriterOptions {
  /** Default 'update'. */
  exists?: ExistsPolicy
  /** Default 'ignore'. 'equal'/'gt' send the record's generation. */
  generation?: GenerationPolicy
  /** Send the user key when the record has one (default true); false = digest only. */
  sendKey?: boolean
  /** Per-request timeout: sent to the server and used as the socket read timeout, ms (default 10000). */
  timeoutMs?: number
  /** Single-record requests in flight at once (default 32). */
  maxInFlight?: number
}

export interface WriteResult {
  resultCode: number
  /** Generation after the write, or the current one on a failed generation check. */
  generation: number
  voidTime: number
  /** True when retrying later may succeed (timeouts, unreachable node, busy key...). */
  retryable: boolean
  /** The client-side failure behind a negative result code. */
  error?: Error
}

export interface BatchWriteItem {
  record: Record
  /** TTL for this record (see module comment); default 0. */
  ttl?: number
}

export interface DeleteTarget {
  namespace: Name
  set: Name | null
  digest: Buffer
  /** Expected generation when the generation policy is not 'ignore'. */
  generation?: number
}

function ttlToWire (ttl: number): number {
  if (ttl === -1) return TTL_NEVER_EXPIRE
  if (ttl === -2) return TTL_DONT_UPDATE
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0xfffffffd) throw new RangeError(`bad TTL ${ttl}`)
  return ttl
}

function failure (err: unknown): WriteResult {
  const e = err as Error
  if (e instanceof AsbError && (e.code === ErrorCode.CONNECTION || e.code === ErrorCode.TIMEOUT)) {
    return { resultCode: e.code === ErrorCode.TIMEOUT ? ResultCode.TIMEOUT : ClientResult.SERVER_NOT_AVAILABLE, generation: 0, voidTime: 0, retryable: true, error: e }
  }
  return { resultCode: ClientResult.CLIENT_ERROR, generation: 0, voidTime: 0, retryable: false, error: e }
}

export class Writer {
  readonly #cluster: Cluster
  readonly #info2: number
  readonly #info3: number
  readonly #gen: boolean
  readonly #sendKey: boolean
  readonly #timeout: number
  readonly #max: number
  #inFlight = 0
  readonly #slots: Array<() => void> = []
  readonly #idle: Array<() => void> = []

  constructor (cluster: Cluster, opts: WriterOptions = {}) {
    this.#cluster = cluster
    const exists = opts.exists ?? 'update'
    const gen = opts.generation ?? 'ignore'
    this.#info2 = Info2.WRITE |
      (exists === 'create-only' ? Info2.CREATE_ONLY : 0) |
      (gen === 'equal' ? Info2.GENERATION : gen === 'gt' ? Info2.GENERATION_GT : 0)
    this.#info3 = exists === 'update-only'
      ? Info3.UPDATE_ONLY
      : exists === 'replace-only' ? Info3.REPLACE_ONLY : exists === 'create-or-replace' ? Info3.CREATE_OR_REPLACE : 0
    this.#gen = gen !== 'ignore'
    this.#sendKey = opts.sendKey ?? true
    this.#timeout = opts.timeoutMs ?? 10_000
    this.#max = Math.max(1, opts.maxInFlight ?? 32)
  }

  /** Requests currently in flight. */
  get inFlight (): number { return this.#inFlight }

  /** Resolves when nothing is in flight. */
  idle (): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve()
    return new Promise(resolve => this.#idle.push(resolve))
  }

  #keyFields (namespace: Name, set: Name | null, digest: Buffer, key: Key | null): Field[] {
    const fields: Field[] = [{ type: FieldType.NAMESPACE, data: nameBytes(namespace) }]
    if (set !== null && nameBytes(set).length > 0) fields.push({ type: FieldType.SET, data: nameBytes(set) })
    fields.push({ type: FieldType.DIGEST, data: digest })
    if (key !== null && this.#sendKey) fields.push({ type: FieldType.KEY, data: encodeKeyField(key) })
    return fields
  }

  #ops (rec: Record): Op[] {
    return rec.bins.map(b => {
      const p = valueToParticle(b)
      return makeOp(OpType.WRITE, b.name, p.type, p.bytes)
    })
  }

  /** The put request for a record (throws RangeError on a bad TTL). */
  encodePut (rec: Record, ttl = 0): Buffer {
    return encodeMessage(makeMessage({
      info2: this.#info2,
      info3: this.#info3,
      generation: this.#gen ? rec.generation : 0,
      recordTtl: ttlToWire(ttl),
      transactionTtl: this.#timeout,
      fields: this.#keyFields(rec.namespace, rec.set, rec.digest, rec.key),
      ops: this.#ops(rec)
    }))
  }

  /** The delete request for a record. */
  encodeDelete (t: DeleteTarget): Buffer {
    return encodeMessage(makeMessage({
      info2: Info2.WRITE | Info2.DELETE | (this.#info2 & (Info2.GENERATION | Info2.GENERATION_GT)),
      generation: this.#gen ? t.generation ?? 0 : 0,
      transactionTtl: this.#timeout,
      fields: this.#keyFields(t.namespace, t.set, t.digest, null)
    }))
  }

  /** Write one record (its bins as they are). Never rejects. */
  async put (rec: Record, ttl = 0): Promise<WriteResult> {
    let msg: Buffer
    try {
      msg = this.encodePut(rec, ttl)
    } catch (err) {
      return failure(err)
    }
    return await this.#single(rec.namespace, rec.digest, msg)
  }

  /** Delete one record (2 KEY_NOT_FOUND when it does not exist). Never rejects. */
  async delete (t: DeleteTarget): Promise<WriteResult> {
    return await this.#single(t.namespace, t.digest, this.encodeDelete(t))
  }

  async #slot (): Promise<void> {
    if (this.#inFlight < this.#max) { this.#inFlight++; return }
    await new Promise<void>(resolve => this.#slots.push(resolve))
  }

  #done (): void {
    const next = this.#slots.shift()
    if (next !== undefined) { next(); return }
    this.#inFlight--
    if (this.#inFlight === 0) for (const r of this.#idle.splice(0)) r()
  }

  /** The partition map may be stale: refresh it in the background so a retry goes to the new master. */
  #remap (): void {
    this.#cluster.refresh().catch(() => {})
  }

  #master (namespace: Name, digest: Buffer): ClusterNode {
    const ns = typeof namespace === 'string' ? namespace : namespace.toString('latin1')
    const node = this.#cluster.masterFor(ns, partitionId(digest))
    if (node === undefined) throw new AsbError(ErrorCode.CONNECTION, `no node owns partition ${partitionId(digest)} of ${ns}`)
    return node
  }

  async #single (namespace: Name, digest: Buffer, msg: Buffer): Promise<WriteResult> {
    await this.#slot()
    try {
      const node = this.#master(namespace, digest)
      const conn = await node.acquire()
      let ok = false
      try {
        const m = await conn.request(msg, this.#timeout)
        if (m.type !== ProtoType.MSG) throw new AsbError(ErrorCode.PROTOCOL, `write answer from ${node.name} has proto type ${m.type}`)
        const item = decodeRecordMessage(m.body, 0)
        ok = true
        if (item.resultCode === ResultCode.PARTITION_UNAVAILABLE) this.#remap()
        return { resultCode: item.resultCode, generation: item.generation, voidTime: item.recordTtl, retryable: isRetryable(item.resultCode) }
      } finally {
        node.release(conn, ok)
      }
    } catch (err) {
      this.#remap()
      return failure(err)
    } finally {
      this.#done()
    }
  }

  /**
   * Write many records with batch-index requests, one per master node, all
   * nodes at once. Resolves with one result per item, in order. Never rejects.
   */
  async batchWrite (items: BatchWriteItem[]): Promise<WriteResult[]> {
    const results = new Array<WriteResult | undefined>(items.length)
    const byNode = new Map<ClusterNode, number[]>()
    items.forEach((it, i) => {
      try {
        const node = this.#master(it.record.namespace, it.record.digest)
        let l = byNode.get(node)
        if (l === undefined) { l = []; byNode.set(node, l) }
        l.push(i)
      } catch (err) {
        results[i] = failure(err)
      }
    })
    await Promise.all([...byNode].map(async ([node, idx]) => {
      try {
        await this.#batchNode(node, items, idx, results)
      } catch (err) {
        this.#remap()
        const f = failure(err)
        for (const i of idx) if (results[i] === undefined) results[i] = f
      }
    }))
    return results.map(r => r ?? { resultCode: ClientResult.CLIENT_ERROR, generation: 0, voidTime: 0, retryable: true, error: new AsbError(ErrorCode.PROTOCOL, 'batch answer lacked this record') })
  }

  async #batchNode (node: ClusterNode, items: BatchWriteItem[], idx: number[], results: Array<WriteResult | undefined>): Promise<void> {
    const rows: BatchRow[] = idx.map(i => {
      const rec = items[i].record
      const fields = this.#keyFields(rec.namespace, rec.set, rec.digest, rec.key).filter(f => f.type !== FieldType.DIGEST)
      return {
        index: i,
        digest: rec.digest,
        info1: 0,
        info2: this.#info2 | 0x80, // RESPOND_ALL_OPS, as Java/Node batch writes do
        info3: this.#info3,
        generation: this.#gen ? rec.generation & 0xffff : 0,
        recordTtl: ttlToWire(items[i].ttl ?? 0),
        fields,
        ops: this.#ops(rec)
      }
    })
    const msg = encodeMessage(makeBatchMessage({
      parentFlags: BatchParentFlags.ALLOW_INLINE | BatchParentFlags.REPORT_ALL_ERRORS | BatchParentFlags.REPORT_ERROR_REC,
      rows
    }, this.#timeout))
    const wanted = new Set(idx)
    const conn = await node.acquire()
    let clean = false
    try {
      conn.send(msg)
      for (;;) {
        const m = await conn.read(this.#timeout)
        if (m.type !== ProtoType.MSG) throw new AsbError(ErrorCode.PROTOCOL, `batch answer from ${node.name} has proto type ${m.type}`)
        let off = 0
        while (off < m.body.length) {
          const item = decodeRecordMessage(m.body, off)
          off = item.end
          if ((item.info3 & Info3.LAST) !== 0) {
            if (item.resultCode !== ResultCode.OK) {
              const r = { resultCode: item.resultCode, generation: 0, voidTime: 0, retryable: isRetryable(item.resultCode) }
              for (const i of idx) if (results[i] === undefined) results[i] = r
            }
            clean = true
            return
          }
          const i = item.transactionTtl
          if (!wanted.has(i)) {
            // a batch rejected up front answers one message with the code and no LAST
            if (item.resultCode !== ResultCode.OK && i === 0 && off >= m.body.length) {
              const r = { resultCode: item.resultCode, generation: 0, voidTime: 0, retryable: isRetryable(item.resultCode) }
              for (const j of idx) if (results[j] === undefined) results[j] = r
              return
            }
            throw new AsbError(ErrorCode.PROTOCOL, `batch answer from ${node.name} names row ${i}, which was not sent`)
          }
          results[i] = { resultCode: item.resultCode, generation: item.generation, voidTime: item.recordTtl, retryable: isRetryable(item.resultCode) }
        }
      }
    } finally {
      node.release(conn, clean)
    }
  }
}

export function createWriter (cluster: Cluster, opts: WriterOptions = {}): Writer {
  return new Writer(cluster, opts)
}
