// One test-server node: a TCP (or TLS) listener whose connections speak the
// Aerospike protocol. Requests on a connection are handled one at a time,
// like the real server; scan answers are streamed with backpressure (a slow
// reader stops the producer through socket.write() / 'drain').
import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { PROTO_HEADER_SIZE, ProtoSplitter, ProtoType, writeProtoHeader, type ProtoMessage } from '../proto/header.js'
import { AdminCommand, AdminField, decodeAdminMessage, encodeAdminMessage, getAdminField } from '../proto/admin.js'
import { decodeBatchField } from '../proto/batch.js'
import { N_PARTITIONS, partitionId } from '../proto/digest.js'
import {
  FieldType, Info1, Info2, Info3, MSG_HEADER_SIZE, OpType, decodeMessage, encodeMessage, encodeMessages, makeMessage,
  messageSize, writeMessage, type AsMessage, type Field
} from '../proto/message.js'
import { ResultCode } from '../proto/result-codes.js'
import { Particle } from '../types.js'
import type { TestCluster } from './cluster.js'
import { compileFilter, evalFilter, type CompiledExp } from './expr.js'
import { answerInfoRequest } from './info.js'
import type { NamespaceStore, StoredRecord } from './store.js'
import { executeRecord } from './txn.js'

export interface NodeStats {
  connections: number
  info: number
  reads: number
  writes: number
  scans: number
  batches: number
  /** Single-record commands for partitions this node is not master of (the real server would proxy). */
  nonMaster: number
  /** Records sent by scans/queries. */
  scanRecords: number
}

function getField (fields: Field[], type: number): Buffer | undefined {
  for (const f of fields) if (f.type === type) return f.data
  return undefined
}

/** Requests read ahead per connection before the socket is paused. */
const MAX_QUEUED_REQUESTS = 64

interface Conn {
  socket: Socket
  authenticated: boolean
  queue: ProtoMessage[]
  busy: boolean
}

export class TestNode {
  readonly index: number
  readonly host: string
  port: number
  readonly id: string
  running = false
  started = false
  readonly stats: NodeStats = { connections: 0, info: 0, reads: 0, writes: 0, scans: 0, batches: 0, nonMaster: 0, scanRecords: 0 }
  readonly #cluster: TestCluster
  #server: Server | null = null
  readonly #conns = new Set<Conn>()
  readonly #trids = new Set<bigint>()

  constructor (cluster: TestCluster, index: number, host: string, port: number) {
    this.#cluster = cluster
    this.index = index
    this.host = host
    this.port = port
    this.id = `BB9${(index + 1).toString(16).toUpperCase().padStart(2, '0')}000000FC02`
  }

  /** Starts listening (on the same port as before after a stop). */
  async listen (): Promise<void> {
    if (this.running) return
    const tls = this.#cluster.tls
    const server = tls === null
      ? createServer(s => { this.#accept(s) })
      : createTlsServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: tls.requestCert === true, rejectUnauthorized: tls.requestCert === true }, s => { this.#accept(s) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, this.host, () => { server.off('error', reject); resolve() })
    })
    const addr = server.address()
    if (addr !== null && typeof addr === 'object') this.port = addr.port
    this.#server = server
    this.running = true
    this.started = true
  }

  /** Restarts a stopped node; the cluster rebalances partitions onto it. */
  async start (): Promise<void> {
    await this.listen()
    this.#cluster.rebalance()
  }

  /** Stops listening and drops every connection; by default the cluster rebalances partitions onto the live nodes. */
  async stop (opts: { rebalance?: boolean } = {}): Promise<void> {
    if (!this.running) return
    this.running = false
    const server = this.#server
    this.#server = null
    for (const c of this.#conns) c.socket.destroy()
    this.#conns.clear()
    if (server !== null) await new Promise<void>(resolve => server.close(() => resolve()))
    if (opts.rebalance !== false) this.#cluster.rebalance()
  }

  /** Open client connections. */
  get connectionCount (): number { return this.#conns.size }

  #accept (socket: Socket | TLSSocket): void {
    if (!this.running) { socket.destroy(); return }
    this.stats.connections++
    socket.setNoDelay(true)
    const conn: Conn = { socket, authenticated: this.#cluster.security === null, queue: [], busy: false }
    this.#conns.add(conn)
    const splitter = new ProtoSplitter({ types: new Set([1, 2, 3, 4]) })
    socket.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk, m => { conn.queue.push({ type: m.type, body: Buffer.from(m.body) }) })
        // a client that pipelines without reading is slowed down by TCP, not by our memory
        if (conn.queue.length >= MAX_QUEUED_REQUESTS) socket.pause()
      } catch {
        socket.destroy() // bad header or size: the server closes the connection without a reply
        return
      }
      this.#pump(conn)
    })
    socket.on('error', () => {})
    socket.on('close', () => { this.#conns.delete(conn) })
  }

  #pump (conn: Conn): void {
    if (conn.busy) return
    const m = conn.queue.shift()
    if (conn.queue.length < MAX_QUEUED_REQUESTS / 2 && conn.socket.isPaused()) conn.socket.resume()
    if (m === undefined) return
    conn.busy = true
    this.#handle(conn, m).catch(() => { conn.socket.destroy() }).finally(() => {
      conn.busy = false
      if (!conn.socket.destroyed) this.#pump(conn)
    })
  }

  async #write (conn: Conn, buf: Buffer): Promise<boolean> {
    const s = conn.socket
    if (s.destroyed) return false
    if (s.write(buf)) return true
    await new Promise<void>(resolve => {
      const done = (): void => { s.off('drain', done); s.off('close', done); resolve() }
      s.on('drain', done)
      s.on('close', done)
    })
    return !s.destroyed
  }

  async #handle (conn: Conn, m: ProtoMessage): Promise<void> {
    const delay = this.#cluster.faults.delayFor(this.index)
    if (delay > 0) await sleep(delay)
    if (m.type === ProtoType.ADMIN) { await this.#admin(conn, m.body); return }
    if (this.#cluster.faults.takeRequestDrop(this.index, m.type === ProtoType.INFO ? 'info' : 'msg')) {
      conn.socket.destroy()
      return
    }
    if (!conn.authenticated) {
      if (m.type === ProtoType.INFO) {
        await this.#write(conn, infoProto(Buffer.from(m.body.toString('utf8').split('\n').slice(0, -1).map(c => `${c}\tERROR:80:not authenticated\n`).join(''), 'utf8')))
      } else {
        await this.#write(conn, encodeMessage(makeMessage({ resultCode: ResultCode.NOT_AUTHENTICATED })))
      }
      return
    }
    if (m.type === ProtoType.INFO) {
      this.stats.info++
      await this.#write(conn, infoProto(answerInfoRequest(this.#cluster, this, m.body)))
      return
    }
    if (m.type === ProtoType.COMPRESSED) {
      // CE: compression is enterprise-only; answered with a plain AS_MSG (proto_ce.c)
      await this.#write(conn, encodeMessage(makeMessage({ resultCode: ResultCode.ENTERPRISE_ONLY })))
      return
    }
    let msg: AsMessage
    try {
      msg = decodeMessage(m.body, 0).msg
    } catch {
      conn.socket.destroy()
      return
    }
    if ((msg.info1 & Info1.BATCH) !== 0 && getField(msg.fields, FieldType.BATCH) !== undefined) {
      await this.#batch(conn, msg)
      return
    }
    const digest = getField(msg.fields, FieldType.DIGEST)
    if (digest === undefined) { await this.#scan(conn, msg); return }
    await this.#write(conn, encodeMessage(this.#single(msg, digest)))
  }

  #single (msg: AsMessage, digest: Buffer): AsMessage {
    const cluster = this.#cluster
    const nsName = getField(msg.fields, FieldType.NAMESPACE)
    const ns = nsName === undefined ? undefined : cluster.namespaces.get(nsName.toString('utf8'))
    if (ns === undefined) return makeMessage({ resultCode: ResultCode.INVALID_NAMESPACE })
    if (digest.length !== 20) return makeMessage({ resultCode: ResultCode.PARAMETER_ERROR })
    const pid = partitionId(digest)
    if (cluster.faults.isUnavailable(ns.name, pid, this.index)) return makeMessage({ resultCode: ResultCode.PARTITION_UNAVAILABLE })
    const forced = cluster.faults.takeKeyFailure(digest)
    if (forced !== null) return makeMessage({ resultCode: forced })
    if (!cluster.isMaster(this.index, pid)) this.stats.nonMaster++
    if ((msg.info2 & Info2.WRITE) !== 0) this.stats.writes++
    else this.stats.reads++
    return executeRecord(ns, digest, msg, cluster.nowMs())
  }

  async #admin (conn: Conn, body: Buffer): Promise<void> {
    const cluster = this.#cluster
    const reply = (resultCode: number, fields: Array<{ id: number, data: Buffer }> = []): Promise<boolean> =>
      this.#write(conn, encodeAdminMessage({ command: 0, resultCode, fields }))
    if (cluster.security === null) { await reply(ResultCode.SECURITY_NOT_SUPPORTED); return }
    let m
    try { m = decodeAdminMessage(body) } catch { conn.socket.destroy(); return }
    const user = getAdminField(m, AdminField.USER)?.toString('utf8') ?? null
    if (m.command === AdminCommand.LOGIN) {
      let who = user
      const cred = getAdminField(m, AdminField.CREDENTIAL)?.toString('utf8')
      let r: { token: Buffer, ttl: number } | number
      if (who === null) {
        // PKI: the certificate's common name is the user
        const peer = (conn.socket as TLSSocket).getPeerCertificate?.()
        const cn = peer?.subject?.CN
        who = typeof cn === 'string' ? cn : null
        if (who === null || !cluster.credentials.has(who)) r = ResultCode.INVALID_CREDENTIAL
        else r = cluster.login(who, cluster.credentials.get(who)!)
      } else {
        r = cluster.login(who, cred ?? '')
      }
      if (typeof r === 'number') { await reply(r); return }
      const ttl = Buffer.alloc(4)
      ttl.writeUInt32BE(r.ttl)
      conn.authenticated = true
      await reply(0, [{ id: AdminField.SESSION_TOKEN, data: r.token }, { id: AdminField.SESSION_TTL, data: ttl }])
      return
    }
    if (m.command === AdminCommand.AUTHENTICATE) {
      const token = getAdminField(m, AdminField.SESSION_TOKEN)
      const rc = token === undefined ? ResultCode.INVALID_CREDENTIAL : cluster.authenticate(user, token)
      if (rc === 0) conn.authenticated = true
      await reply(rc)
      return
    }
    if (!conn.authenticated) { await reply(ResultCode.NOT_AUTHENTICATED); return }
    await reply(ResultCode.INVALID_COMMAND)
  }

  async #batch (conn: Conn, msg: AsMessage): Promise<void> {
    this.stats.batches++
    const data = getField(msg.fields, FieldType.BATCH)!
    let req
    try { req = decodeBatchField(data) } catch {
      await this.#write(conn, encodeMessage(makeMessage({ resultCode: ResultCode.PARAMETER_ERROR })))
      return
    }
    const reportAll = (req.parentFlags & 0x04) !== 0
    // a parent filter expression applies to rows that carry none of their own
    const parentFilter = getField(msg.fields, FieldType.FILTER_EXP)
    const out: AsMessage[] = []
    let size = 0
    let fatal = 0
    let prevFields: Field[] = []
    for (const row of req.rows) {
      let fields = row.fields.length > 0 ? row.fields : prevFields
      prevFields = fields
      if (parentFilter !== undefined && getField(fields, FieldType.FILTER_EXP) === undefined) fields = [...fields, { type: FieldType.FILTER_EXP, data: parentFilter }]
      const res = this.#single({
        ...makeMessage(),
        info1: row.info1, info2: row.info2 ?? 0, info3: row.info3 ?? 0,
        generation: row.generation ?? 0, recordTtl: row.recordTtl ?? 0,
        fields: [...fields, { type: FieldType.DIGEST, data: row.digest }], ops: row.ops
      }, row.digest)
      res.transactionTtl = row.index
      const rc = res.resultCode
      if (!reportAll && rc !== 0 && rc !== ResultCode.KEY_NOT_FOUND && rc !== ResultCode.FILTERED_OUT) { fatal = rc; break }
      out.push(res)
      size += messageSize(res)
      if (size > this.#cluster.scanFlushBytes) {
        if (!await this.#write(conn, encodeMessages(out))) return
        out.length = 0
        size = 0
      }
    }
    out.push(makeMessage({ info3: Info3.LAST, resultCode: fatal }))
    await this.#write(conn, encodeMessages(out))
  }

  async #scan (conn: Conn, msg: AsMessage): Promise<void> {
    const cluster = this.#cluster
    const reject = (rc: number): Promise<boolean> => this.#write(conn, encodeMessage(makeMessage({ resultCode: rc })))
    // 8.x: only partition scans (info3 PARTITION_DONE); anything else -> 16 without LAST
    if ((msg.info3 & Info3.PARTITION_DONE) === 0) { await reject(ResultCode.UNSUPPORTED_FEATURE); return }
    const nsName = getField(msg.fields, FieldType.NAMESPACE)
    const ns = nsName === undefined ? undefined : cluster.namespaces.get(nsName.toString('utf8'))
    if (ns === undefined) { await reject(ResultCode.INVALID_NAMESPACE); return }
    const trid = getField(msg.fields, FieldType.TRID)
    if (trid !== undefined && trid.length === 8) {
      const id = trid.readBigUInt64BE(0)
      // unique among this node's active and recently finished jobs (query_manager.c find_any)
      if (this.#trids.has(id)) { await reject(ResultCode.PARAMETER_ERROR); return }
      this.#trids.add(id)
      if (this.#trids.size > 10000) this.#trids.delete(this.#trids.values().next().value!)
    }
    const isWrite = (msg.info2 & Info2.WRITE) !== 0
    // partitions: PID_ARRAY + DIGEST_ARRAY (resume after digest), else everything this node owns
    const pidData = getField(msg.fields, FieldType.PID_ARRAY)
    const digData = getField(msg.fields, FieldType.DIGEST_ARRAY)
    const jobs: Array<{ pid: number, after: Buffer | null }> = []
    const seen = new Set<number>()
    if (pidData !== undefined) {
      if (pidData.length % 2 !== 0) { await reject(ResultCode.PARAMETER_ERROR); return }
      for (let i = 0; i < pidData.length; i += 2) {
        const pid = pidData.readUInt16LE(i)
        if (pid >= N_PARTITIONS || seen.has(pid)) { await reject(ResultCode.PARAMETER_ERROR); return }
        seen.add(pid)
        jobs.push({ pid, after: null })
      }
    }
    if (digData !== undefined) {
      if (digData.length % 20 !== 0) { await reject(ResultCode.PARAMETER_ERROR); return }
      for (let i = 0; i < digData.length; i += 20) {
        const d = digData.subarray(i, i + 20)
        const pid = partitionId(d)
        if (seen.has(pid)) { await reject(ResultCode.PARAMETER_ERROR); return }
        seen.add(pid)
        jobs.push({ pid, after: d })
      }
    }
    const explicit = pidData !== undefined || digData !== undefined
    if (!explicit) {
      for (let p = 0; p < N_PARTITIONS; p++) if (cluster.isMaster(this.index, p)) jobs.push({ pid: p, after: null })
    }
    const setData = getField(msg.fields, FieldType.SET)
    const set = setData === undefined || setData.length === 0 ? null : setData
    let filter: CompiledExp | null = null
    const filterData = getField(msg.fields, FieldType.FILTER_EXP)
    if (filterData !== undefined) {
      try { filter = compileFilter(filterData) } catch { await reject(ResultCode.PARAMETER_ERROR); return }
    }
    const sampleData = getField(msg.fields, FieldType.SAMPLE_MAX)
    let maxRecords = sampleData !== undefined && sampleData.length === 8 ? Number(sampleData.readBigUInt64BE(0)) : 0
    if (maxRecords === 0) maxRecords = Infinity
    const rpsData = getField(msg.fields, FieldType.RECS_PER_SEC)
    const rps = rpsData !== undefined && rpsData.length === 4 ? rpsData.readUInt32BE(0) : 0
    // secondary-index query: INDEX_RANGE on one bin
    let range: { bin: Buffer, particle: number, begin: Buffer, end: Buffer } | null = null
    const rangeData = getField(msg.fields, FieldType.INDEX_RANGE)
    if (rangeData !== undefined) {
      try {
        let o = 1
        const bl = rangeData[o++]!
        const bin = rangeData.subarray(o, o + bl); o += bl
        const particle = rangeData[o++]!
        const b1 = rangeData.readUInt32BE(o); o += 4
        const begin = rangeData.subarray(o, o + b1); o += b1
        const b2 = rangeData.readUInt32BE(o); o += 4
        const end = rangeData.subarray(o, o + b2)
        range = { bin, particle, begin, end }
      } catch { await reject(ResultCode.PARAMETER_ERROR); return }
      const binName = range.bin.toString('utf8')
      const setName = set === null ? null : set.toString('utf8')
      if (!cluster.sindexes.some(i => i.ns === ns.name && i.bin === binName && i.set === setName)) { await reject(ResultCode.INDEX_NOTFOUND); return }
    }
    const nobins = (msg.info1 & Info1.GET_NO_BINS) !== 0
    const selected = msg.ops.filter(o => o.op === OpType.READ && o.name.length > 0).map(o => o.name.toString('latin1'))
    this.stats.scans++

    const dropAfter = cluster.faults.takeDrop(this.index)
    const nsBuf = Buffer.from(ns.name, 'utf8')
    // records are written straight into a proto buffer that is sent when full
    const flushAt = cluster.scanFlushBytes
    let chunk = Buffer.allocUnsafe(PROTO_HEADER_SIZE + flushAt + 4096)
    let chunkBytes = 0
    let sent = 0
    const started = Date.now()
    const flush = async (): Promise<boolean> => {
      if (chunkBytes === 0) return !conn.socket.destroyed
      writeProtoHeader(chunk, 0, ProtoType.MSG, chunkBytes)
      const out = chunk.subarray(0, PROTO_HEADER_SIZE + chunkBytes)
      chunk = Buffer.allocUnsafe(PROTO_HEADER_SIZE + flushAt + 4096)
      chunkBytes = 0
      const d = cluster.faults.delayFor(this.index)
      if (d > 0) await sleep(d)
      return this.#write(conn, out)
    }
    const reserve = (n: number): void => {
      if (PROTO_HEADER_SIZE + chunkBytes + n <= chunk.length) return
      const bigger = Buffer.allocUnsafe(Math.max(chunk.length * 2, PROTO_HEADER_SIZE + chunkBytes + n))
      chunk.copy(bigger, 0, 0, PROTO_HEADER_SIZE + chunkBytes)
      chunk = bigger
    }
    const push = (b: Buffer): void => { reserve(b.length); b.copy(chunk, PROTO_HEADER_SIZE + chunkBytes); chunkBytes += b.length }

    outer:
    for (const job of jobs) {
      if (!this.running || conn.socket.destroyed) return
      if (!cluster.isMaster(this.index, job.pid) || cluster.faults.isUnavailable(ns.name, job.pid, this.index)) {
        push(encodeBody(makeMessage({ info3: Info3.PARTITION_DONE, generation: job.pid, resultCode: ResultCode.PARTITION_UNAVAILABLE })))
        continue
      }
      const now = cluster.nowMs()
      for (const rec of ns.partitionDesc(job.pid, now)) {
        if (job.after !== null && Buffer.compare(rec.digest, job.after) >= 0) continue
        if (set !== null && (rec.set === null || !rec.set.equals(set))) continue
        if (filter !== null && !evalFilter(filter, { rec, nowMs: now })) continue
        let bval: bigint | null = null
        if (range !== null) {
          bval = matchRange(rec, range)
          if (bval === null) continue
        }
        if (isWrite) {
          executeRecord(ns, rec.digest, { ...msg, fields: msg.fields.filter(f => f.type === FieldType.SET), info2: msg.info2 }, now)
          sent++
          if (sent >= maxRecords) break outer
          continue
        }
        const bins = scanBins(rec, nobins, selected)
        const size = recordSize(nsBuf, rec, bins, bval)
        reserve(size)
        chunkBytes = writeRecord(chunk, PROTO_HEADER_SIZE + chunkBytes, nsBuf, rec, nobins, bins, bval) - PROTO_HEADER_SIZE
        sent++
        this.stats.scanRecords++
        if (dropAfter !== null && sent >= dropAfter) {
          await flush()
          conn.socket.destroy()
          return
        }
        if (chunkBytes >= cluster.scanFlushBytes && !await flush()) return
        if (rps > 0) {
          const ahead = sent * 1000 / rps - (Date.now() - started)
          if (ahead > 0) { if (!await flush()) return; await sleep(ahead) }
        }
        if (sent >= maxRecords) break outer
      }
    }
    if (!await flush()) return
    await this.#write(conn, encodeMessage(makeMessage({ info3: Info3.LAST })))
  }
}

function infoProto (body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(PROTO_HEADER_SIZE + body.length)
  writeProtoHeader(out, 0, ProtoType.INFO, body.length)
  body.copy(out, PROTO_HEADER_SIZE)
  return out
}

function encodeBody (m: AsMessage): Buffer {
  const b = Buffer.allocUnsafe(messageSize(m))
  writeMessage(b, 0, m)
  return b
}


/** Index value of a record for an INDEX_RANGE, or null when it does not match. */
function matchRange (rec: StoredRecord, r: { bin: Buffer, particle: number, begin: Buffer, end: Buffer }): bigint | null {
  const b = rec.bins.get(r.bin.toString('latin1'))
  if (b === undefined || b.particle !== r.particle) return null
  if (r.particle === Particle.INTEGER) {
    const v = b.value.readBigInt64BE(0)
    if (r.begin.length !== 8 || r.end.length !== 8) return null
    return v >= r.begin.readBigInt64BE(0) && v <= r.end.readBigInt64BE(0) ? v : null
  }
  return b.value.equals(r.begin) ? 0n : null
}

const nameBufs = new Map<string, Buffer>()
function nameBuf (n: string): Buffer {
  let b = nameBufs.get(n)
  if (b === undefined) {
    b = Buffer.from(n, 'latin1')
    if (nameBufs.size > 10000) nameBufs.clear()
    nameBufs.set(n, b)
  }
  return b
}

function copyInto (dst: Buffer, off: number, src: Buffer): void {
  if (src.length <= 32) for (let i = 0; i < src.length; i++) dst[off + i] = src[i]!
  else src.copy(dst, off)
}

type BinEntry = [string, { particle: number, value: Buffer }]

/** The bins a scan record carries: all of them (the Map itself), the selected ones, or none. */
function scanBins (rec: StoredRecord, nobins: boolean, selected: string[]): Iterable<BinEntry> & { size?: number, length?: number } {
  if (nobins) return []
  if (selected.length === 0) return rec.bins
  const bins: BinEntry[] = []
  for (const n of selected) { const b = rec.bins.get(n); if (b !== undefined) bins.push([n, b]) }
  return bins
}

function recordSize (nsBuf: Buffer, rec: StoredRecord, bins: Iterable<BinEntry>, bval: bigint | null): number {
  let size = MSG_HEADER_SIZE + 5 + nsBuf.length + 5 + 20
  if (rec.set !== null) size += 5 + rec.set.length
  if (rec.key !== null) size += 5 + rec.key.length
  if (bval !== null) size += 5 + 8
  for (const [n, b] of bins) size += 8 + n.length + b.value.length
  return size
}

function u32 (buf: Buffer, off: number, v: number): void {
  buf[off] = v >>> 24; buf[off + 1] = (v >>> 16) & 0xff; buf[off + 2] = (v >>> 8) & 0xff; buf[off + 3] = v & 0xff
}

function writeField (buf: Buffer, off: number, type: number, data: Buffer): number {
  u32(buf, off, data.length + 1)
  buf[off + 4] = type
  copyInto(buf, off + 5, data)
  return off + 5 + data.length
}

/**
 * Writes a scan/query record at `off`: NAMESPACE, DIGEST, [SET], [KEY],
 * [BVAL_ARRAY]; READ ops (proto.c as_msg_make_response_bufbuilder). Returns the end.
 */
function writeRecord (buf: Buffer, off: number, nsBuf: Buffer, rec: StoredRecord, nobins: boolean, bins: Iterable<BinEntry> & { size?: number, length?: number }, bval: bigint | null): number {
  const nFields = 2 + (rec.set !== null ? 1 : 0) + (rec.key !== null ? 1 : 0) + (bval !== null ? 1 : 0)
  const nOps = bins.size ?? bins.length ?? 0
  buf[off] = MSG_HEADER_SIZE
  buf[off + 1] = nobins ? Info1.GET_NO_BINS : 0
  buf[off + 2] = 0; buf[off + 3] = 0; buf[off + 4] = 0; buf[off + 5] = 0
  u32(buf, off + 6, rec.generation)
  u32(buf, off + 10, rec.voidTime)
  u32(buf, off + 14, 0)
  buf[off + 18] = nFields >> 8; buf[off + 19] = nFields & 0xff
  buf[off + 20] = nOps >> 8; buf[off + 21] = nOps & 0xff
  off += MSG_HEADER_SIZE
  off = writeField(buf, off, FieldType.NAMESPACE, nsBuf)
  off = writeField(buf, off, FieldType.DIGEST, rec.digest)
  if (rec.set !== null) off = writeField(buf, off, FieldType.SET, rec.set)
  if (rec.key !== null) off = writeField(buf, off, FieldType.KEY, rec.key)
  if (bval !== null) {
    u32(buf, off, 9); buf[off + 4] = FieldType.BVAL_ARRAY; buf.writeBigInt64LE(bval, off + 5); off += 13
  }
  for (const [n, b] of bins) {
    const nb = nameBuf(n)
    const nl = nb.length
    u32(buf, off, 4 + nl + b.value.length)
    buf[off + 4] = OpType.READ
    buf[off + 5] = b.particle
    buf[off + 6] = 0
    buf[off + 7] = nl
    copyInto(buf, off + 8, nb)
    copyInto(buf, off + 8 + nl, b.value)
    off += 8 + nl + b.value.length
  }
  return off
}
