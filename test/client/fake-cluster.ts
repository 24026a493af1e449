// A small in-test Aerospike cluster speaking the real wire protocol through
// lib/proto, for the client tests until lib/server is available: N nodes on
// 127.0.0.1:0, partition p mastered by node p % N, peers, replicas, partition
// scans (descending digests per partition, exclusive resume, SAMPLE_MAX, bin
// selection, nobins, unavailable markers), single and batch writes with the
// exists/generation policies, deletes, optional security and TLS, and faults
// (drop a connection after N records, unavailable partitions).
import { createServer as netServer, type Server, type Socket } from 'node:net'
import { createServer as tlsServer } from 'node:tls'
import { randomBytes } from 'node:crypto'
import {
  decodeBatchField, decodeAdminMessage, decodeMessage, decodeDigestArray, decodePidArray, encodeAdminMessage,
  encodeInfoResponse, encodeMessages, FieldType, getField, hashPassword, Info1, Info2, Info3,
  makeMessage, makeOp, OpType, parseInfoRequest, partitionId, ProtoSplitter, ProtoType, AdminCommand, AdminField,
  type AsMessage, type Op
} from '../../lib/proto/index.js'

export interface FakeRecord {
  digest: Buffer
  set: string
  key: Buffer | null // KEY field data
  generation: number
  voidTime: number
  ops: Op[] // WRITE ops as stored (name, particle, value)
}

export interface FakeNode {
  name: string
  port: number
  server: Server
  index: number
  /** Partitions reported unavailable (PARTITION_DONE marker with 11) by this node. */
  unavailable: Set<number>
  /** Drop the next scan connection after this many records (once). */
  dropAfter: number | null
  /** Scan requests received. */
  scans: AsMessage[]
  /** Bytes written by scans (to observe throttling). */
  scanBytes: number
  partitionGeneration: number
  sockets: Set<Socket>
}

export interface FakeClusterOptions {
  nodes?: number
  namespace?: string
  /** user -> password: enables security. */
  users?: Record<string, string>
  sessionTtl?: number
  tls?: { key: Buffer, cert: Buffer }
  /** Records per proto message in scan answers (default 50). */
  perProto?: number
}

export interface FakeCluster {
  nodes: FakeNode[]
  store: Map<string, FakeRecord>
  seeds: string
  namespace: string
  /** Owner index for a partition (mutable: move partitions between nodes). */
  owner: number[]
  logins: number
  authenticates: number
  /** Forget every session token (the next AUTHENTICATE gets 66 EXPIRED_SESSION). */
  expireSessions: () => void
  close: () => Promise<void>
}

export async function startFakeCluster (o: FakeClusterOptions = {}): Promise<FakeCluster> {
  const n = o.nodes ?? 1
  const ns = o.namespace ?? 'test'
  const perProto = o.perProto ?? 50
  const store = new Map<string, FakeRecord>()
  const owner = Array.from({ length: 4096 }, (_, p) => p % n)
  const tokens = new Set<string>()
  const cluster: FakeCluster = { nodes: [], store, seeds: '', namespace: ns, owner, logins: 0, authenticates: 0, expireSessions: () => { tokens.clear() }, close: async () => {} }

  const bitmap = (idx: number): string => {
    const b = Buffer.alloc(512)
    for (let p = 0; p < 4096; p++) if (owner[p] === idx) b[p >> 3] |= 0x80 >> (p & 7)
    return b.toString('base64')
  }

  const info = (node: FakeNode, cmd: string): string => {
    switch (cmd) {
      case 'node': return node.name
      case 'build': return '8.1.2.0'
      case 'partition-generation': return String(node.partitionGeneration)
      case 'peers-generation': return '1'
      case 'peers-clear-std':
      case 'peers-tls-std': {
        const others = cluster.nodes.filter(x => x !== node).map(x => `[${x.name},${o.tls !== undefined ? 'fake' : ''},[127.0.0.1:${x.port}]]`)
        return `1,3000,[${others.join(',')}]`
      }
      case 'replicas': return `${ns}:0,1,${bitmap(node.index)}`
      default: return 'ERROR:4:unrecognized command'
    }
  }

  const sendAll = async (sock: Socket, buf: Buffer): Promise<void> => {
    if (!sock.write(buf)) await new Promise<void>(resolve => { sock.once('drain', resolve); sock.once('close', resolve) })
  }

  const handleScan = async (node: FakeNode, sock: Socket, msg: AsMessage): Promise<void> => {
    node.scans.push(msg)
    if ((msg.info3 & Info3.PARTITION_DONE) === 0) { sock.write(encodeMessages([makeMessage({ resultCode: 16 })])); return }
    const set = getField(msg, FieldType.SET)?.toString('utf8') ?? null
    const pidf = getField(msg, FieldType.PID_ARRAY)
    const dgf = getField(msg, FieldType.DIGEST_ARRAY)
    const maxf = getField(msg, FieldType.SAMPLE_MAX)
    let max = maxf !== undefined ? Number(maxf.readBigUInt64BE(0)) : Infinity
    const work: Array<{ pid: number, after: Buffer | null }> = []
    for (const p of pidf !== undefined ? decodePidArray(pidf) : []) work.push({ pid: p, after: null })
    for (const d of dgf !== undefined ? decodeDigestArray(dgf) : []) work.push({ pid: partitionId(d), after: Buffer.from(d) })
    const selected = msg.ops.map(op => op.name.toString('utf8'))
    const nobins = (msg.info1 & Info1.GET_NO_BINS) !== 0
    let batch: AsMessage[] = []
    let sent = 0
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return
      const buf = encodeMessages(batch)
      node.scanBytes += buf.length
      batch = []
      await sendAll(sock, buf)
    }
    const byPid = new Map<number, FakeRecord[]>()
    for (const r of store.values()) {
      if (set !== null && r.set !== set) continue
      const pid = partitionId(r.digest)
      let l = byPid.get(pid)
      if (l === undefined) { l = []; byPid.set(pid, l) }
      l.push(r)
    }
    for (const w of work) {
      if (sock.destroyed) return
      if (node.unavailable.has(w.pid) || owner[w.pid] !== node.index) {
        batch.push(makeMessage({ info3: Info3.PARTITION_DONE, resultCode: 11, generation: w.pid }))
        continue
      }
      const recs = (byPid.get(w.pid) ?? [])
        .filter(r => w.after === null || Buffer.compare(r.digest, w.after) < 0)
        .sort((a, b) => Buffer.compare(b.digest, a.digest))
      for (const r of recs) {
        if (max <= 0) break
        max--
        const fields: Array<{ type: number, data: Buffer }> = [{ type: FieldType.NAMESPACE, data: Buffer.from(ns) }, { type: FieldType.DIGEST, data: r.digest }]
        if (r.set !== '') fields.push({ type: FieldType.SET, data: Buffer.from(r.set) })
        if (r.key !== null) fields.push({ type: FieldType.KEY, data: r.key })
        const ops = nobins ? [] : r.ops.filter(op => selected.length === 0 || selected.includes(op.name.toString('utf8'))).map(op => ({ ...op, op: OpType.READ }))
        batch.push(makeMessage({ info1: nobins ? Info1.GET_NO_BINS : 0, generation: r.generation, recordTtl: r.voidTime, fields, ops }))
        sent++
        if (node.dropAfter !== null && sent >= node.dropAfter) {
          node.dropAfter = null
          await flush()
          sock.destroy()
          return
        }
        if (batch.length >= perProto) await flush()
      }
    }
    batch.push(makeMessage({ info3: Info3.LAST }))
    await flush()
  }

  const applyWrite = (info2: number, info3: number, gen: number, ttl: number, digest: Buffer, set: string, key: Buffer | undefined, ops: Op[]): AsMessage => {
    const hex = digest.toString('hex')
    const cur = store.get(hex)
    if (owner[partitionId(digest)] === undefined) return makeMessage({ resultCode: 11 })
    if ((info2 & Info2.DELETE) !== 0) {
      if (cur === undefined) return makeMessage({ resultCode: 2 })
      if ((info2 & Info2.GENERATION) !== 0 && gen !== cur.generation) return makeMessage({ resultCode: 3, generation: cur.generation })
      store.delete(hex)
      return makeMessage({})
    }
    if (cur !== undefined) {
      if ((info2 & Info2.CREATE_ONLY) !== 0) return makeMessage({ resultCode: 5, generation: cur.generation })
      if ((info2 & Info2.GENERATION) !== 0 && gen !== cur.generation) return makeMessage({ resultCode: 3, generation: cur.generation })
      if ((info2 & Info2.GENERATION_GT) !== 0 && !(gen > cur.generation)) return makeMessage({ resultCode: 3, generation: cur.generation })
    } else if ((info3 & (Info3.UPDATE_ONLY | Info3.REPLACE_ONLY)) !== 0) {
      return makeMessage({ resultCode: 2 })
    }
    const replace = (info3 & (Info3.REPLACE_ONLY | Info3.CREATE_OR_REPLACE)) !== 0
    const bins = new Map<string, Op>()
    if (cur !== undefined && !replace) for (const op of cur.ops) bins.set(op.name.toString('latin1'), op)
    for (const op of ops) {
      const copy = { op: OpType.WRITE, particle: op.particle, name: Buffer.from(op.name), value: Buffer.from(op.value) }
      if (op.particle === 0) bins.delete(copy.name.toString('latin1'))
      else bins.set(copy.name.toString('latin1'), copy)
    }
    const voidTime = ttl === 0xffffffff || ttl === 0 ? 0 : ttl === 0xfffffffe ? (cur?.voidTime ?? 0) : Math.floor(Date.now() / 1000) - 1262304000 + ttl
    const rec: FakeRecord = {
      digest: Buffer.from(digest), set, key: key !== undefined ? Buffer.from(key) : cur?.key ?? null,
      generation: (cur?.generation ?? 0) + 1, voidTime, ops: [...bins.values()]
    }
    store.set(hex, rec)
    return makeMessage({ generation: rec.generation, recordTtl: rec.voidTime })
  }

  const handleMsg = async (node: FakeNode, sock: Socket, body: Buffer): Promise<void> => {
    const { msg } = decodeMessage(body, 0)
    if ((msg.info1 & Info1.BATCH) !== 0) {
      const req = decodeBatchField(getField(msg, FieldType.BATCH)!)
      const out: AsMessage[] = []
      for (const r of req.rows) {
        const set = r.fields.find(f => f.type === FieldType.SET)?.data.toString('utf8') ?? ''
        const key = r.fields.find(f => f.type === FieldType.KEY)?.data
        const res = applyWrite(r.info2 ?? 0, r.info3 ?? 0, r.generation ?? 0, r.recordTtl ?? 0, r.digest, set, key, r.ops)
        res.transactionTtl = r.index
        res.ops = r.ops.map(op => makeOp(op.op, op.name))
        out.push(res)
      }
      out.push(makeMessage({ info3: Info3.LAST }))
      sock.write(encodeMessages(out))
      return
    }
    const digest = getField(msg, FieldType.DIGEST)
    if (digest === undefined) { await handleScan(node, sock, msg); return }
    const set = getField(msg, FieldType.SET)?.toString('utf8') ?? ''
    if (getField(msg, FieldType.NAMESPACE)?.toString('utf8') !== ns) { sock.write(encodeMessages([makeMessage({ resultCode: 20 })])); return }
    if ((msg.info2 & Info2.WRITE) !== 0) {
      sock.write(encodeMessages([applyWrite(msg.info2, msg.info3, msg.generation, msg.recordTtl, digest, set, getField(msg, FieldType.KEY), msg.ops)]))
      return
    }
    const cur = store.get(digest.toString('hex'))
    if (cur === undefined) { sock.write(encodeMessages([makeMessage({ resultCode: 2 })])); return }
    sock.write(encodeMessages([makeMessage({ generation: cur.generation, recordTtl: cur.voidTime, ops: cur.ops.map(op => ({ ...op, op: OpType.READ })) })]))
  }

  const hashes = new Map<string, string>()
  const hashed = (pw: string): string => {
    let h = hashes.get(pw)
    if (h === undefined) { h = hashPassword(pw); hashes.set(pw, h) }
    return h
  }
  const handleAdmin = (sock: Socket, body: Buffer, state: { authed: boolean }): void => {
    const m = decodeAdminMessage(body)
    const reply = (resultCode: number, fields: Array<{ id: number, data: Buffer }> = []): void => {
      sock.write(encodeAdminMessage({ command: 0, resultCode, fields }))
    }
    if (o.users === undefined) { reply(52); return }
    const field = (id: number): string | undefined => m.fields.find(f => f.id === id)?.data.toString('utf8')
    if (m.command === AdminCommand.LOGIN) {
      cluster.logins++
      const user = field(AdminField.USER) ?? ''
      const pw = o.users[user]
      if (pw === undefined) { reply(60); return }
      if (field(AdminField.CREDENTIAL) !== hashed(pw)) { reply(65); return }
      const token = randomBytes(16)
      tokens.add(token.toString('hex'))
      state.authed = true
      const ttl = Buffer.alloc(4)
      ttl.writeUInt32BE(o.sessionTtl ?? 86400)
      reply(0, [{ id: AdminField.SESSION_TOKEN, data: token }, { id: AdminField.SESSION_TTL, data: ttl }])
      return
    }
    if (m.command === AdminCommand.AUTHENTICATE) {
      cluster.authenticates++
      const tok = m.fields.find(f => f.id === AdminField.SESSION_TOKEN)?.data.toString('hex')
      if (tok === undefined || !tokens.has(tok)) { reply(66); return }
      state.authed = true
      reply(0)
      return
    }
    reply(54)
  }

  const makeNode = async (index: number): Promise<FakeNode> => {
    const node: FakeNode = {
      name: `BB9${String(index + 1).padStart(12, '0')}`, port: 0, server: null as unknown as Server, index,
      unavailable: new Set(), dropAfter: null, scans: [], scanBytes: 0, partitionGeneration: 1, sockets: new Set()
    }
    const onConn = (sock: Socket): void => {
      node.sockets.add(sock)
      sock.on('close', () => node.sockets.delete(sock))
      sock.on('error', () => {})
      const splitter = new ProtoSplitter()
      const state = { authed: o.users === undefined }
      let chain = Promise.resolve()
      sock.on('data', (chunk: Buffer) => {
        splitter.push(chunk, (m) => {
          chain = chain.then(async () => {
            if (sock.destroyed) return
            if (m.type === ProtoType.ADMIN) { handleAdmin(sock, m.body, state); return }
            if (!state.authed) { sock.destroy(); return }
            if (m.type === ProtoType.INFO) {
              sock.write(encodeInfoResponse(parseInfoRequest(m.body).map(c => [c, info(node, c)] as const)))
              return
            }
            await handleMsg(node, sock, m.body)
          }).catch(() => { sock.destroy() })
        })
      })
    }
    node.server = o.tls !== undefined ? tlsServer({ key: o.tls.key, cert: o.tls.cert }, onConn) : netServer(onConn)
    await new Promise<void>(resolve => node.server.listen(0, '127.0.0.1', resolve))
    node.port = (node.server.address() as { port: number }).port
    return node
  }

  for (let i = 0; i < n; i++) cluster.nodes.push(await makeNode(i))
  cluster.seeds = `127.0.0.1${o.tls !== undefined ? ':fake' : ''}:${cluster.nodes[0].port}`
  cluster.close = async () => {
    for (const node of cluster.nodes) {
      for (const s of node.sockets) s.destroy()
      await new Promise<void>(resolve => node.server.close(() => resolve()))
    }
  }
  return cluster
}

/** Put records straight into the fake store: `count` records in `set` with an int and a string bin. */
export function seedRecords (c: FakeCluster, set: string, count: number, make: (i: number) => FakeRecord): void {
  for (let i = 0; i < count; i++) {
    const r = make(i)
    c.store.set(r.digest.toString('hex'), r)
  }
}
