// Helper process for restore.bench.ts --sink: a minimal 1-node "server" that
// answers the tend/info commands and acknowledges every write (single-record
// and batch rows) with OK without storing anything, so the bench shows the
// restore client's own ceiling. Prints `{"seeds": "..."}`; on stdin close prints
// `{"count": <records acknowledged>}` and exits.
import { createServer } from 'node:net'
import { ProtoSplitter, ProtoType } from '../../lib/proto/header.js'
import { encodeInfoResponse, parseInfoRequest } from '../../lib/proto/info.js'
import { decodeBatchField } from '../../lib/proto/batch.js'
import { decodeMessage, encodeMessages, FieldType, getField, Info3, makeMessage } from '../../lib/proto/message.js'

let port = 0
let acked = 0
const replicas = `test:0,1,${Buffer.alloc(512, 0xff).toString('base64')}`
const info: { [k: string]: () => string } = {
  node: () => 'SINK000000001',
  build: () => '8.1.2.0',
  edition: () => 'Aerospike Community Edition',
  version: () => 'Aerospike Community Edition build 8.1.2.0',
  'cluster-name': () => 'sink',
  features: () => 'batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;cluster-stable;float;geo;sindex-exists;peers;pipelining;pquery;pscans;query-show;relaxed-sc;replicas;replicas-all;replicas-master;replicas-max;truncate-namespace;udf',
  'partition-generation': () => '1',
  'peers-generation': () => '1',
  'rebalance-generation': () => '1',
  partitions: () => '4096',
  'peers-clear-std': () => `1,${port},[]`,
  'peers-clear-alt': () => `1,${port},[]`,
  'service-clear-std': () => `127.0.0.1:${port}`,
  replicas: () => replicas,
  'replicas:max=1': () => replicas,
  namespaces: () => 'test',
  'namespace/test': () => 'nsup-period=120;allow-ttl-without-nsup=false;replication-factor=1',
  'get-config:context=service': () => 'batch-index-threads=4;proto-fd-max=15000',
  'sindex-list:ns=test;b64=true': () => ''
}
const ok = encodeMessages([makeMessage({ generation: 1 })])
const server = createServer((sock) => {
  sock.on('error', () => {})
  const sp = new ProtoSplitter()
  sock.on('data', (chunk) => sp.push(chunk, (m) => {
    if (m.type === ProtoType.INFO) {
      sock.write(encodeInfoResponse(parseInfoRequest(m.body).map((c) => [c, info[c]?.() ?? (c.startsWith('user-agent-set') ? 'ok' : 'ERROR:4:unrecognized command')] as const)))
      return
    }
    const { msg } = decodeMessage(m.body, 0)
    const batch = getField(msg, FieldType.BATCH)
    if (batch === undefined) { acked++; sock.write(ok); return }
    const rows = decodeBatchField(batch).rows
    acked += rows.length
    const out = encodeMessages([...rows.map((r) => makeMessage({ transactionTtl: r.index, generation: 1 })), makeMessage({ info3: Info3.LAST })])
    sock.write(out)
  }))
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
port = (server.address() as { port: number }).port
process.stdout.write(JSON.stringify({ seeds: `127.0.0.1:${port}` }) + '\n')
process.stdin.resume()
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify({ count: acked }) + '\n')
  server.close()
  process.exit(0)
})
