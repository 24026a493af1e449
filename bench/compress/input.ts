// Bench inputs: ~N MiB of golden_big.asb-like text in a temp file, made by
// repeating the golden file with its digests and integers nudged per copy, so
// zstd sees realistic (not identical) records. Removed by cleanup().
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawn } from 'node:child_process'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const FIXTURES = resolve(ROOT, '..', 'shared', 'fixtures', 'asb')
export const MiB = 1024 * 1024

export function goldenBig (): Buffer {
  return readFileSync(join(FIXTURES, 'golden_big.asb'))
}

/** Copy `i` of golden_big with a few digits changed, so copies are not identical. */
export function variant (base: Buffer, i: number): Buffer {
  const b = Buffer.from(base)
  const tag = String(i % 10)
  for (let p = 1000 + (i % 97); p < b.length; p += 4093) {
    const c = b[p]!
    if (c >= 0x30 && c <= 0x39) b[p] = tag.charCodeAt(0)
  }
  return b
}

export function makeInput (mib: number): { dir: string, path: string, bytes: number, cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'asb-bench-'))
  const path = join(dir, 'input.asb')
  const base = goldenBig()
  const fd = openSync(path, 'w')
  let bytes = 0
  for (let i = 0; bytes < mib * MiB; i++) {
    const v = variant(base, i)
    writeSync(fd, v)
    bytes += v.length
  }
  closeSync(fd)
  return { dir, path, bytes, cleanup: () => { rmSync(dir, { recursive: true, force: true }) } }
}

export interface Timing {
  /** Wall-clock seconds. */
  wall: number
  /** User + system CPU seconds of the process (from /usr/bin/time), or NaN. */
  cpu: number
}

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined

/**
 * Run a command with stdout to a file (or /dev/null). Wall time and, through
 * GNU time, CPU time: on a shared machine CPU seconds are the steadier figure.
 */
export async function timed (cmd: string, args: string[], stdoutPath = '/dev/null'): Promise<Timing> {
  const fd = openSync(stdoutPath, 'w')
  const t0 = process.hrtime.bigint()
  let stderr = ''
  try {
    await new Promise<void>((resolvePromise, reject) => {
      const argv = GNU_TIME !== undefined ? ['-f', 'TIME %U %S', cmd, ...args] : args
      const child = spawn(GNU_TIME ?? cmd, argv, { stdio: ['ignore', fd, 'pipe'] })
      child.stderr!.on('data', (c: Buffer) => { stderr += c.toString() })
      child.on('error', reject)
      child.on('close', (code) => { code === 0 ? resolvePromise() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${stderr}`)) })
    })
  } finally {
    closeSync(fd)
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const m = /TIME ([\d.]+) ([\d.]+)/.exec(stderr)
  return { wall, cpu: m !== null ? Number(m[1]) + Number(m[2]) : NaN }
}

/** Best of n runs (least disturbed by the neighbours on a shared machine). */
export async function best (n: number, run: () => Promise<Timing>): Promise<Timing> {
  let b: Timing = { wall: Infinity, cpu: Infinity }
  for (let i = 0; i < n; i++) {
    const r = await run()
    b = { wall: Math.min(b.wall, r.wall), cpu: Math.min(b.cpu, r.cpu) }
  }
  return b
}

/** A run minus the same command's start-up (measured on an empty input). */
export function net (t: Timing, startup: Timing): Timing {
  return { wall: Math.max(1e-3, t.wall - startup.wall), cpu: Math.max(1e-3, t.cpu - startup.cpu) }
}

/** An empty file beside the input, to time start-up alone. */
export function emptyFile (dir: string): string {
  const path = join(dir, 'empty')
  closeSync(openSync(path, 'w'))
  return path
}

export function loadAverage (): string {
  return loadavg().map((x) => x.toFixed(1)).join(' ')
}

export function arg (name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : undefined
}

export function row (label: string, bytes: number, t: Timing, baseline?: Timing): string {
  const mib = bytes / MiB
  const vs = baseline === undefined
    ? ''
    : `  ${(baseline.wall / t.wall).toFixed(2)}x wall, ${(baseline.cpu / t.cpu).toFixed(2)}x cpu vs baseline`
  return `${label.padEnd(30)} ${(mib / t.wall).toFixed(0).padStart(5)} MiB/s wall  ${(mib / t.cpu).toFixed(0).padStart(5)} MiB/s cpu${vs}`
}
