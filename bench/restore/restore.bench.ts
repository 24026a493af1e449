// as-restore throughput: records/s and peak RSS restoring N records (default
// 1M; --records N) into the in-repo test server (its own process) from .asb and
// from typed NDJSON, with batch writes and with single-record writes.
//
//   node dist/bench/restore/restore.bench.js [--records 200000] [--sink]
//
// --sink replaces the test server by a stub that acknowledges every write
// without storing it (bench/restore/sink-server.ts): the client's own ceiling.
//
// Baselines printed beside it: parse-only speed of the same file
// (as-restore --validate: the decoder ceiling), and the anchor for the real C
// asrestore against a real server on this machine (~180k rec/s, quoted, not
// measured here: no real server in CI). The test server does its own work per
// record on the same 2 cores, so these figures are a floor for a real cluster.
import { spawn } from 'node:child_process'
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { computeDigest } from '../../lib/proto/digest.js'
import { Particle } from '../../lib/types.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const argIdx = process.argv.indexOf('--records')
const N = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 1_000_000
const C_ASRESTORE_ANCHOR = 180_000
const SINK = process.argv.includes('--sink')

async function makeAsb (path: string): Promise<void> {
  const out = createWriteStream(path)
  const write = (s: string): Promise<void> => new Promise((res) => { if (out.write(s)) res(); else out.once('drain', () => res()) })
  await write('Version 3.1\n# namespace test\n# first-file\n')
  let chunk = ''
  for (let i = 0; i < N; i++) {
    const digest = computeDigest('bench', { type: Particle.INTEGER, value: BigInt(i) }).toString('base64')
    const name = `user-name-${i}`
    chunk += `+ k I ${i}\n+ n test\n+ d ${digest}\n+ s bench\n+ g 1\n+ t 0\n+ b 4\n- I id ${i}\n- D score ${(i / 7).toPrecision(17)}\n- S name ${name.length} ${name}\n- I n ${i * 3}\n`
    if (chunk.length > 1 << 20) { await write(chunk); chunk = '' }
  }
  await write(chunk)
  await new Promise<void>((res) => out.end(res))
}

function runNode (args: string[], opts: { stdinFile?: string, stdoutFile?: string } = {}): Promise<{ code: number | null, ms: number, peakRss: number, stderr: string }> {
  return new Promise((res, rej) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, args, { stdio: ['ignore', opts.stdoutFile === undefined ? 'ignore' : 'pipe', 'pipe'] })
    if (opts.stdoutFile !== undefined) child.stdout!.pipe(createWriteStream(opts.stdoutFile))
    let peak = 0
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid!}/status`, 'utf8'))
        if (m !== null) peak = Math.max(peak, Number(m[1]) * 1024)
      } catch {}
    }, 50)
    let stderr = ''
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString() })
    child.on('error', rej)
    child.on('close', (code) => { clearInterval(poll); res({ code, ms: performance.now() - t0, peakRss: peak, stderr }) })
  })
}

async function startServer (): Promise<{ seeds: string, stop: () => Promise<number> }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'bench', 'restore', SINK ? 'sink-server.js' : 'restore-server.js')], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines: string[] = []
  let buf = ''
  const waiters: Array<() => void> = []
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString()
    let i
    while ((i = buf.indexOf('\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 1); for (const w of waiters.splice(0)) w() }
  })
  const next = async (): Promise<string> => { while (lines.length === 0) await new Promise<void>((r) => waiters.push(r)); return lines.shift()! }
  const seeds = (JSON.parse(await next()) as { seeds: string }).seeds
  return {
    seeds,
    stop: async () => { child.stdin.end(); const count = (JSON.parse(await next()) as { count: number }).count; return count }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'restore-bench-'))
try {
  const asb = join(dir, 'bench.asb')
  const ndjson = join(dir, 'bench.ndjson')
  await makeAsb(asb)
  const enc = await runNode([join(ROOT, 'dist', 'cmd', 'as-encode.js'), asb], { stdoutFile: ndjson })
  if (enc.code !== 0) throw new Error(`as-encode failed: ${enc.stderr}`)
  const restore = join(ROOT, 'dist', 'cmd', 'as-restore.js')
  const rows = { push: (l: string): void => { process.stdout.write(l + "\n") } }
  const mb = (b: number): string => (b / 1048576).toFixed(0)
  process.stdout.write(`as-restore: ${N} records (${mb(statSync(asb).size)} MiB .asb, ${mb(statSync(ndjson).size)} MiB NDJSON) into ${SINK ? 'a write-acknowledging stub (client ceiling)' : 'the test server'}\n`)
  for (const [label, file] of [['.asb', asb], ['NDJSON', ndjson]] as const) {
    const v = await runNode([restore, '--validate', '-i', file])
    rows.push(`${label.padEnd(7)} parse only (--validate)   ${Math.round(N / (v.ms / 1000)).toString().padStart(8)} rec/s   peak RSS ${mb(v.peakRss)} MiB`)
    for (const mode of ['batch', 'single'] as const) {
      const srv = await startServer()
      const r = await runNode([restore, '-h', srv.seeds, '-i', file, '--progress', 'json', ...(mode === 'single' ? ['--disable-batch-writes'] : [])])
      const count = await srv.stop()
      if (r.code !== 0 || count !== N) throw new Error(`restore ${label} ${mode} failed (exit ${String(r.code)}, ${count} records stored): ${r.stderr.slice(-2000)}`)
      const rate = N / (r.ms / 1000)
      rows.push(`${label.padEnd(7)} ${(mode === 'batch' ? 'batch writes' : 'single-record writes').padEnd(25)} ${Math.round(rate).toString().padStart(8)} rec/s   peak RSS ${mb(r.peakRss)} MiB   (${(rate / C_ASRESTORE_ANCHOR * 100).toFixed(0)}% of C asrestore's ~180k rec/s)`)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
