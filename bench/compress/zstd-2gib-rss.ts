// The memory check of issue 3: a 2 GiB single-frame zstd stream, generated on
// the fly through pipes (nothing stored on disk), must decompress with
// `as-compress -d` at a peak RSS under 100 MB.
//
//   generator (this process, golden_big.asb variants) --pipe--> zstd -1 -c (one frame)
//     --pipe--> as-compress -d --pipe--> this process (counts bytes, checks the total)
//
//   node dist/bench/compress/zstd-2gib-rss.js [--gib 2] [--limit-mb 100]
//
// Peak RSS is VmHWM of the as-compress process, read from /proc while it runs.
// Exit 0 when under the limit and the byte count matches, 1 otherwise.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { arg, goldenBig, MiB, ROOT, variant } from './input.js'

const GIB = Number(arg('--gib') ?? 2)
const LIMIT_MB = Number(arg('--limit-mb') ?? 100)
const TOTAL = Math.round(GIB * 1024 * MiB)

const zstd = spawn('zstd', ['-1', '-c', '-q'], { stdio: ['pipe', 'pipe', 'inherit'] })
const dec = spawn(process.execPath, [join(ROOT, 'dist', 'cmd', 'as-compress.js'), '-d'], { stdio: ['pipe', 'pipe', 'inherit'] })
zstd.stdout.pipe(dec.stdin)

let hwm = 0
const poll = setInterval(() => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${dec.pid}/status`, 'latin1'))
    if (m !== null) hwm = Math.max(hwm, Number(m[1]) * 1024)
  } catch {}
}, 50)

let out = 0
dec.stdout.on('data', (c: Buffer) => { out += c.length })

const t0 = Date.now()
const copies = [0, 1, 2, 3].map((i) => variant(goldenBig(), i))
let written = 0
for (let i = 0; written < TOTAL; i++) {
  const c = copies[i % copies.length]!
  const piece = c.subarray(0, Math.min(c.length, TOTAL - written))
  written += piece.length
  if (!zstd.stdin.write(piece)) await new Promise((resolve) => zstd.stdin.once('drain', resolve))
}
zstd.stdin.end()
const code = await new Promise<number | null>((resolve) => dec.on('close', resolve))
clearInterval(poll)
const secs = (Date.now() - t0) / 1000
const ok = code === 0 && out === TOTAL && hwm > 0 && hwm < LIMIT_MB * 1e6
console.log(`as-compress -d: ${(out / MiB).toFixed(0)} MiB out of ${(TOTAL / MiB).toFixed(0)} MiB in one frame, ` +
  `exit ${code}, peak RSS ${(hwm / 1e6).toFixed(1)} MB (limit ${LIMIT_MB} MB), ${secs.toFixed(1)} s: ${ok ? 'PASS' : 'FAIL'}`)
process.exitCode = ok ? 0 : 1
