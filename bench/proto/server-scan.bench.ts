// End-to-end scan from the in-process test server over a loopback socket:
// a whole-namespace partition scan of N records (6 bins each), read with the
// proto framer and decodeRecordMessage, beside a baseline that reads the
// same scan's protos (framing only) without decoding them. Server and reader share this process
// (and its one JS thread), so the figures are a floor for either side.
// Prints MB/s, records/s and the process's peak RSS.
//
//   node dist/bench/proto/server-scan.bench.js [--records N]
import { connect } from 'node:net'
import { startTestCluster } from '../../lib/server/index.js'
import { ProtoSplitter } from '../../lib/proto/header.js'
import { decodeRecordMessage, encodeMessage, encodePidArray, FieldType, Info1, Info3, makeMessage, u64Field } from '../../lib/proto/message.js'

const argIdx = process.argv.indexOf('--records')
const RECORDS = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 200_000

const cluster = await startTestCluster({ nodes: 1, scanFlushBytes: 1024 * 1024 })
for (let i = 0; i < RECORDS; i++) {
  cluster.put('test', 'bench', `user-${i}`, {
    id: BigInt(i), score: i / 7, name: `user-name-${i}`, blob: Buffer.alloc(48, i & 0xff), ok: (i & 1) === 1, n: i * 3
  })
}
let trid = 1n
const request = (): Buffer => encodeMessage(makeMessage({
  info1: Info1.READ, info3: Info3.PARTITION_DONE, recordTtl: 0xffffffff,
  fields: [
    { type: FieldType.NAMESPACE, data: Buffer.from('test') },
    { type: FieldType.SET, data: Buffer.from('bench') },
    u64Field(FieldType.TRID, trid++),
    { type: FieldType.PID_ARRAY, data: encodePidArray(Array.from({ length: 4096 }, (_, i) => i)) }
  ]
}))

async function scanOnce (decode: boolean): Promise<{ bytes: number, records: number, s: number, cpu: number }> {
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const sock = connect(cluster.nodes[0]!.port, '127.0.0.1')
  await new Promise<void>(resolve => sock.once('connect', () => resolve()))
  let bytes = 0
  let records = 0
  const sp = new ProtoSplitter()
  await new Promise<void>((resolve, reject) => {
    sock.on('error', reject)
    sock.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      sp.push(chunk, m => {
        if (!decode) {
          // framing only: the stream ends with a proto holding just the 22-byte LAST message
          if (m.body.length === 22 && (m.body[3]! & Info3.LAST) !== 0) { sock.destroy(); resolve() }
          return
        }
        let off = 0
        while (off < m.body.length) {
          const it = decodeRecordMessage(m.body, off)
          if (it.record !== null) records++
          else if ((it.info3 & Info3.LAST) !== 0) { sock.destroy(); resolve() }
          off = it.end
        }
      })
    })
    sock.write(request())
  })
  const c = process.cpuUsage(c0)
  return { bytes, records, s: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (c.user + c.system) / 1e6 }
}

process.stdout.write(`test server, 1 node, ${RECORDS} records\n`)
for (const decode of [false, true, false, true]) {
  const r = await scanOnce(decode)
  const label = decode ? 'scan + framing + decodeRecordMessage' : 'baseline: scan + framing, no decoding'
  const mib = r.bytes / 1024 / 1024
  process.stdout.write(`${label.padEnd(38)} ${(mib / r.s).toFixed(0).padStart(5)} MB/s ${(RECORDS / r.s / 1000).toFixed(0).padStart(6)} k rec/s | per CPU-s ${(mib / r.cpu).toFixed(0).padStart(5)} MB/s ${(RECORDS / r.cpu / 1000).toFixed(0).padStart(6)} k rec/s ${decode ? `(${r.records} decoded)` : ''}\n`)
}
process.stdout.write(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`)
await cluster.close()
