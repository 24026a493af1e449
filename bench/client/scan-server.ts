// Helper process for scan.bench.ts, so the client's CPU time and peak RSS are
// measured alone. Two modes:
//   (default)     a 1-node lib/server test cluster holding N records;
//   --synthetic   a minimal node that answers the tend info commands and
//                 replays pre-encoded scan answers (records of ~200 B grouped by
//                 partition, in descending digest order) for the requested
//                 partitions: the client-side ceiling, without the test
//                 server's per-record work.
// Prints `{"seeds": "..."}` once loaded; exits when its stdin closes.
import { createServer, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { startTestCluster } from '../../lib/server/index.js'
import { ProtoSplitter, ProtoType } from '../../lib/proto/header.js'
import { encodeInfoResponse, parseInfoRequest } from '../../lib/proto/info.js'
import { decodeMessage, decodePidArray, encodeMessages, FieldType, getField, Info3, makeMessage, makeOp, OpType} from '../../lib/proto/message.js'
import { partitionId } from '../../lib/proto/digest.js'

const argIdx = process.argv.indexOf('--records')
const RECORDS = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 1_000_000
const blob = Buffer.alloc(96, 0x5a)

function ready (seeds: string, onEnd: () => Promise<void>): void {
  process.stdout.write(JSON.stringify({ seeds, records: RECORDS }) + '\n')
  process.stdin.resume()
  process.stdin.on('end', () => { onEnd().then(() => process.exit(0), () => process.exit(1)) })
}

if (!process.argv.includes('--synthetic')) {
  const cluster = await startTestCluster({ nodes: 1, scanFlushBytes: 1024 * 1024 })
  for (let i = 0; i < RECORDS; i++) {
    cluster.put('test', 'bench', `user-${i}`, { id: BigInt(i), score: i / 7, name: `user-name-${i}`, blob, n: i * 3 }, { sendKey: false })
  }
  ready(cluster.seeds, () => cluster.close())
} else {
  // Records are written straight into per-partition buffers (building
  // AsMessage objects for 1M records is far slower than the scan itself).
  const perPid: Buffer[][] = Array.from({ length: 4096 }, () => [])
  const i64 = (v: number): Buffer => { const b = Buffer.allocUnsafe(8); b.writeBigInt64BE(BigInt(v)); return b }
  const f64 = (v: number): Buffer => { const b = Buffer.allocUnsafe(8); b.writeDoubleBE(v); return b }
  const ns = Buffer.from('test')
  const set = Buffer.from('bench')
  const digests = randomBytes(20 * RECORDS)
  for (let i = 0; i < RECORDS; i++) {
    const digest = digests.subarray(20 * i, 20 * i + 20)
    const rec = encodeMessages([makeMessage({
      generation: 1,
      fields: [{ type: FieldType.NAMESPACE, data: ns }, { type: FieldType.DIGEST, data: digest }, { type: FieldType.SET, data: set }],
      ops: [
        makeOp(OpType.READ, 'id', 1, i64(i)), makeOp(OpType.READ, 'score', 2, f64(i / 7)),
        makeOp(OpType.READ, 'name', 3, Buffer.from(`user-name-${i}`)), makeOp(OpType.READ, 'blob', 4, blob),
        makeOp(OpType.READ, 'n', 1, i64(i * 3))
      ]
    })]).subarray(8)
    perPid[partitionId(digest)]!.push(rec)
  }
  const answers = perPid.map(list => {
    if (list.length === 0) return null
    // descending digest order within a partition, as the server sends them (the digest sits at body offset 22 + 9 + 5)
    list.sort((a, b) => Buffer.compare(b.subarray(36, 56), a.subarray(36, 56)))
    const body = Buffer.concat(list)
    const hdr = Buffer.alloc(8)
    hdr[0] = 2; hdr[1] = ProtoType.MSG; hdr.writeUIntBE(body.length, 2, 6)
    return Buffer.concat([hdr, body])
  })
  const last = encodeMessages([makeMessage({ info3: Info3.LAST })])
  let port = 0
  const replicas = `test:0,1,${Buffer.alloc(512, 0xff).toString('base64')}`
  const info: { [k: string]: () => string } = {
    node: () => 'BENCH00000001', build: () => '8.1.2.0', 'partition-generation': () => '1', 'peers-generation': () => '1',
    'peers-clear-std': () => `1,${port},[]`, replicas: () => replicas
  }
  const write = async (sock: Socket, buf: Buffer): Promise<void> => {
    if (sock.write(buf)) return
    await new Promise<void>(resolve => {
      const done = (): void => { sock.off('drain', done); sock.off('close', done); resolve() }
      sock.on('drain', done)
      sock.on('close', done)
    })
  }
  const server = createServer(sock => {
    sock.on('error', () => {})
    const sp = new ProtoSplitter()
    let chain = Promise.resolve()
    sock.on('data', chunk => sp.push(chunk, m => {
      chain = chain.then(async () => {
        if (m.type === ProtoType.INFO) {
          sock.write(encodeInfoResponse(parseInfoRequest(m.body).map(c => [c, info[c]?.() ?? 'ERROR:4:unrecognized command'] as const)))
          return
        }
        const { msg } = decodeMessage(m.body, 0)
        for (const pid of decodePidArray(getField(msg, FieldType.PID_ARRAY) ?? Buffer.alloc(0))) {
          const a = answers[pid]
          if (a !== null && !sock.destroyed) await write(sock, a)
        }
        await write(sock, last)
      })
    }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as { port: number }).port
  ready(`127.0.0.1:${port}`, async () => { server.close() })
}
