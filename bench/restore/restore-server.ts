// Helper process for restore.bench.ts: a 1-node test cluster with an empty
// namespace `test`, so the restore's CPU time and peak RSS are measured alone.
// Prints `{"seeds": "..."}` once listening; prints the record count and exits
// when its stdin closes.
import { startTestCluster } from '../../lib/server/index.js'

const cluster = await startTestCluster({ nodes: 1, namespaces: { test: {} } })
process.stdout.write(JSON.stringify({ seeds: cluster.seeds }) + '\n')
process.stdin.resume()
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify({ count: cluster.count('test') }) + '\n')
  cluster.close().then(() => process.exit(0), () => process.exit(1))
})
