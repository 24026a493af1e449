// as-scan end to end: records/s and peak RSS of
//   as-scan --format asb > /dev/null
//   as-scan | as-encode --to asb > /dev/null
// at --parallel 1 and 4, beside the ceiling of the data-plane client alone
// (Cluster + createPartitionScan into a discarding sink, in this process, no
// encoding). The server is bench/client/scan-server.js in its own process:
// --synthetic by default (pre-encoded answers, ~200 B of data per record, so
// the figures are ours), or the lib/server test cluster with --test-server.
// For scale: the real C asbackup does ~500k records/s on this machine against
// a real server.
//
//   node dist/bench/scan/scan.bench.js [--records 1000000] [--test-server]
import { spawn } from 'node:child_process'
import { openSync, closeSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Cluster } from '../../lib/client/cluster.js'
import { createPartitionScan } from '../../lib/client/scan.js'

const here = dirname(fileURLToPath(import.meta.url))
const distCmd = join(here, '..', '..', 'cmd')
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
const RECORDS = arg('--records', 1_000_000)
const TEST_SERVER = process.argv.includes('--test-server')

const server = spawn(process.execPath, [join(here, '..', 'client', 'scan-server.js'), '--records', String(RECORDS), ...(TEST_SERVER ? [] : ['--synthetic'])], { stdio: ['pipe', 'pipe', 'inherit'] })
const first = await new Promise<string>((resolve, reject) => {
  createInterface({ input: server.stdout! }).once('line', resolve)
  server.once('exit', code => reject(new Error(`scan-server exited ${code}`)))
})
const { seeds } = JSON.parse(first) as { seeds: string }

interface Result { name: string, s: number, rss: number, cpu: number }

/** Run a shell-free pipeline of our binaries with stdout to /dev/null; peak RSS from /usr/bin/time of each stage. */
async function runPipeline (name: string, stages: string[][]): Promise<Result> {
  const devnull = openSync('/dev/null', 'w')
  const t0 = process.hrtime.bigint()
  const procs = stages.map((argv, i) => spawn('/usr/bin/time', ['-f', '%M %U %S', process.execPath, join(distCmd, `${argv[0]}.js`), ...argv.slice(1)], {
    stdio: [i === 0 ? 'ignore' : 'pipe', i === stages.length - 1 ? devnull : 'pipe', 'pipe']
  }))
  for (let i = 1; i < procs.length; i++) procs[i - 1].stdout!.pipe(procs[i].stdin!)
  const stats = await Promise.all(procs.map(async p => {
    let err = ''
    p.stderr!.on('data', d => { err += d })
    const code = await new Promise<number | null>(resolve => p.on('close', resolve))
    const last = err.trim().split('\n').pop() ?? ''
    const [rssKb, user, sys] = last.split(' ').map(Number)
    if (code !== 0) throw new Error(`${name}: exit ${code}: ${err}`)
    return { rss: rssKb * 1024, cpu: user + sys }
  }))
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  closeSync(devnull)
  return { name, s, rss: Math.max(...stats.map(x => x.rss)), cpu: stats.reduce((a, x) => a + x.cpu, 0) }
}

async function clientOnly (parallel: number): Promise<Result> {
  const cluster = await Cluster.connect({ hosts: seeds, tendIntervalMs: 0 })
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  let n = 0
  await pipeline(createPartitionScan(cluster, { namespace: 'test', parallel }), new Writable({
    objectMode: true,
    highWaterMark: 1024,
    write (_r, _e, cb) { n++; cb() },
    writev (chunks, cb) { n += chunks.length; cb() }
  }))
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  cluster.close()
  if (n !== RECORDS) throw new Error(`client scan returned ${n} records`)
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
  return { name: `client only (in-process), parallel ${parallel}`, s, rss: Number(hwm?.[1] ?? 0) * 1024, cpu: (cpu.user + cpu.system) / 1e6 }
}

const results: Result[] = []
results.push(await clientOnly(1))
for (const w of ['1', '4']) {
  results.push(await runPipeline(`as-scan --format asb -w ${w} > /dev/null`, [['as-scan', '-h', seeds, '-n', 'test', '-I', '-u', '--format', 'asb', '-w', w]]))
  results.push(await runPipeline(`as-scan -w ${w} | as-encode > /dev/null`, [['as-scan', '-h', seeds, '-n', 'test', '-I', '-u', '-w', w], ['as-encode', '--to', 'asb']]))
}
server.stdin!.end()

console.log(`as-scan benchmark: ${RECORDS} records from ${TEST_SERVER ? 'the lib/server test cluster' : 'the synthetic scan server'} (1 node)`)
console.log('case'.padEnd(48) + 'wall s'.padStart(8) + 'rec/s'.padStart(10) + 'rec/CPU-s'.padStart(11) + 'peak RSS'.padStart(10))
for (const r of results) {
  console.log(r.name.padEnd(48) + r.s.toFixed(2).padStart(8) + Math.round(RECORDS / r.s).toString().padStart(10) +
    Math.round(RECORDS / r.cpu).toString().padStart(11) + `${(r.rss / 1048576).toFixed(0)} MiB`.padStart(10))
}
console.log('anchor: C asbackup ~500k rec/s with 4 threads against a real server on this machine')
