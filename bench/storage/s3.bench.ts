// as-put-s3 / as-get-s3 throughput and peak RSS against a local S3 server,
// beside a plain `cat` through the same pipe.
//
//   node dist/bench/storage/s3.bench.js [--mib 1024] [--server fake|s3rver]
//
// Source: an AES-CTR keystream (openssl enc < /dev/zero | head -c N), i.e.
// incompressible bytes made fast. Whole processes are timed (node start-up
// included); RSS is /usr/bin/time's maximum resident set size of the binary.
//   upload:   source | as-put-s3 s3://bench/obj        vs  source | cat > /dev/null
//   download: as-get-s3 s3://bench/obj | sha256sum     vs  source | sha256sum
// The download is checked against the upload by sha256.
// Server: 'fake' (default) is test/storage/fake-s3.ts in memory, in its own
// process; 's3rver' is filesystem-backed and much slower (it measures s3rver).
import { spawn } from 'node:child_process'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i < 0 ? undefined : process.argv[i + 1] }
const MIB = Number(arg('--mib') ?? 1024)
const SERVER = arg('--server') ?? 'fake'
const BYTES = MIB * 1024 * 1024
const NODE = process.execPath
const PUT = join(ROOT, 'dist', 'cmd', 'as-put-s3.js')
const GET = join(ROOT, 'dist', 'cmd', 'as-get-s3.js')
const SOURCE = `openssl enc -aes-128-ctr -nosalt -pass pass:bench -pbkdf2 < /dev/zero 2>/dev/null | head -c ${BYTES}`

async function startServer (): Promise<{ endpoint: string, stop: () => Promise<void> }> {
  if (SERVER === 's3rver') {
    const { startS3rver } = await import('../../test/storage/s3rver.js')
    const h = await startS3rver(['bench'])
    return { endpoint: h.endpoint, stop: h.close }
  }
  const child = spawn(NODE, ['--max-old-space-size=8192', join(ROOT, 'dist', 'bench', 'storage', 'serve-fake.js')], { stdio: ['pipe', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (c: Buffer) => resolve(Number(c.toString().trim()))))
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => { const gone = new Promise((resolve) => child.once('exit', resolve)); child.stdin.end(); await gone }
  }
}

/** Run a shell pipeline; returns seconds, stdout, and the RSS lines /usr/bin/time wrote to stderr. */
async function sh (script: string, env: NodeJS.ProcessEnv): Promise<{ secs: number, stdout: string, rssKiB: number, cpu: number }> {
  const t0 = process.hrtime.bigint()
  return await new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.on('close', (code) => {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9
      if (code !== 0) { reject(new Error(`${script}: exit ${String(code)}\n${stderr}`)); return }
      const m = /^RSS (\d+) CPU ([\d.]+) ([\d.]+)$/m.exec(stderr)
      resolve({ secs, stdout, rssKiB: m === null ? 0 : Number(m[1]), cpu: m === null ? 0 : Number(m[2]) + Number(m[3]) })
    })
  })
}

const row = (label: string, secs: number, r?: { rssKiB: number, cpu: number }, base?: number): string =>
  `${label.padEnd(38)} ${(MIB / secs).toFixed(1).padStart(8)} MiB/s ${secs.toFixed(2).padStart(7)} s` +
  (r !== undefined ? `  peak RSS ${(r.rssKiB / 1024).toFixed(0).padStart(5)} MiB  CPU ${r.cpu.toFixed(2).padStart(6)} s` : ''.padEnd(38)) +
  (base !== undefined ? `  ${(base / secs).toFixed(2)}x cat` : '')

const server = await startServer()
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'
}
const ep = `--s3-endpoint-override ${server.endpoint}`
const time = '/usr/bin/time -f "RSS %M CPU %U %S"'
try {
  console.log(`${MIB} MiB of AES-CTR keystream, server: ${SERVER} (${server.endpoint}), defaults: 5 MiB parts x 16 up, 5 MiB chunks x 32 down`)
  const cat = await sh(`${SOURCE} | ${time} cat > /dev/null`, env)
  const catSha = await sh(`${SOURCE} | sha256sum`, env)
  const put = await sh(`${SOURCE} | ${time} "${NODE}" "${PUT}" ${ep} s3://bench/obj`, env)
  const get = await sh(`${time} "${NODE}" "${GET}" ${ep} s3://bench/obj | sha256sum`, env)
  if (get.stdout !== catSha.stdout) throw new Error(`download differs: ${get.stdout} vs ${catSha.stdout}`)
  console.log(row('source | cat > /dev/null (baseline)', cat.secs, cat))
  console.log(row('source | as-put-s3', put.secs, put, cat.secs))
  console.log(row('source | sha256sum (baseline)', catSha.secs))
  console.log(row('as-get-s3 | sha256sum', get.secs, get, catSha.secs))
  console.log('CPU = user+sys seconds of cat / the binary alone (node start-up included); wall times depend on the machine\'s load')
} finally {
  await server.stop()
}
