// Conventions every binary shares (DEVELOPERS.md "Unix manners"):
//   - data on stdout, everything else on stderr, one line prefixed with the binary name;
//   - `-` means stdin/stdout;
//   - refuse to write binary data to a terminal;
//   - a broken pipe (reader went away) ends quietly with status 0;
//   - exit 0 ok, 1 runtime failure, 2 usage error (lib/errors.ts);
//   - -v/--verbose, --version, --help on every binary.
// This file is the only place besides each cmd/ file that touches process.*.
import { closeSync, createWriteStream, openSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import type { Duplex, Readable, Writable } from 'node:stream'
import type { Argv } from 'yargs'
import { fastParse, specOf } from './args.js'
import { openFileStream } from '../lib/storage/file.js'
import type { Call } from './args.js'
import {
  AsbError, UsageError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, isBrokenPipe
} from '../lib/errors.js'

export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    return String(pkg.version)
  } catch {
    return '0.0.0'
  }
})()

/** Where the binary writes its diagnostics. */
export interface Log {
  /** One line on stderr, prefixed with the binary name. */
  error: (msg: string) => void
  /** Like error, but only with -v. */
  verbose: (msg: string) => void
  /** Unprefixed line on stderr (summaries, progress). */
  info: (msg: string) => void
}

export function makeLog (name: string, verbose = false, stderr: Writable = process.stderr): Log {
  return {
    error: (msg) => { stderr.write(`${name}: ${msg}\n`) },
    verbose: (msg) => { if (verbose) stderr.write(`${name}: ${msg}\n`) },
    info: (msg) => { stderr.write(`${msg}\n`) }
  }
}

/**
 * Test hook: with `compare` set, parseAsync() parses with yargs as well and
 * hands both outcomes and the recorded calls to it (fast is undefined when
 * fastParse() declined), then throws `stop` instead of returning, so a test
 * can run a binary's main() up to its parse and no further.
 */
export const parseHooks: {
  compare?: (fast: Record<string, unknown> | undefined, yargs: { parsed?: Record<string, unknown>, error?: unknown }, calls: readonly Call[]) => void
  stop?: Error
} = {}

/**
 * Parse a recorded yargs chain: cmd/args.ts fastParse() when it is sure,
 * otherwise yargs itself (imported only then) with the calls replayed.
 */
async function parseRecorded (argv: string[], calls: readonly Call[]): Promise<Record<string, unknown>> {
  const spec = specOf(calls)
  const fast = spec === undefined ? undefined : fastParse(spec, argv)
  if (fast !== undefined && parseHooks.compare === undefined) return fast
  const { default: yargs } = await import('yargs')
  let y = yargs(argv) as unknown as Record<string, (...a: unknown[]) => unknown>
  for (const [method, args] of calls) y = y[method](...args) as typeof y
  if (parseHooks.compare === undefined) return await (y.parseAsync() as Promise<Record<string, unknown>>)
  let outcome: { parsed?: Record<string, unknown>, error?: unknown }
  try {
    outcome = { parsed: await (y.parseAsync() as Promise<Record<string, unknown>>) }
  } catch (error) {
    outcome = { error }
  }
  parseHooks.compare(fast, outcome, calls)
  throw parseHooks.stop ?? new Error('parse compared')
}

/**
 * A yargs parser with the shared options and conventions: strict, --help,
 * --version, -v/--verbose, no process.exit (errors become UsageError).
 * It is a recorder with yargs's chaining API: see cmd/args.ts for why and
 * when yargs is actually loaded.
 */
export function baseParser (name: string, argv: string[], usage: string): Argv<{ verbose: boolean }> {
  const calls: Call[] = []
  const chain: object = new Proxy({}, {
    get (_target, prop) {
      if (prop === 'parseAsync') return async () => await parseRecorded(argv, calls)
      if (typeof prop !== 'string' || prop === 'then') return undefined
      return (...args: unknown[]) => { calls.push([prop, args]); return chain }
    }
  })
  return (chain as Argv<{ verbose: boolean }>)
    .scriptName(name)
    .usage(usage)
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'More detail on stderr' })
    .version(VERSION)
    .help('help')
    .strict()
    .exitProcess(false)
    .wrap(Math.min(100, process.stderr.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err
      throw new UsageError(msg)
    }) as unknown as Argv<{ verbose: boolean }>
}

/**
 * A `[FILE|-]` positional as yargs hands it over: yargs-parser reads a bare
 * `-` as '' or true, which both mean stdin/stdout here.
 */
export function fileArg (v: unknown): string | undefined {
  if (v === undefined) return undefined
  if (v === true || v === '' || v === '-') return '-'
  if (typeof v === 'string') return v
  throw new UsageError('FILE must be a path or -')
}

/**
 * Open FILE, or stdin for '-' / undefined. A regular FILE is read with a few
 * reads in flight (lib/storage/file.ts); `highWaterMark` sets the size of each
 * (default 64 KiB; bulk filters pass 1 MiB, since every read is a thread-pool
 * round trip).
 */
export function openInput (path: string | undefined, opts: { highWaterMark?: number } = {}): { stream: Readable, name: string } {
  if (path === undefined || path === '-') return { stream: process.stdin, name: 'stdin' }
  return { stream: openFileStream(path, { chunkSize: opts.highWaterMark ?? 64 * 1024 }), name: path }
}

/**
 * Open FILE, or stdout for '-' / undefined. With `binary`, refuses a terminal
 * (exit 2) unless `force` is given.
 */
export function openOutput (path: string | undefined, opts: { binary?: boolean, force?: boolean } = {}): { stream: Writable, name: string } {
  if (path === undefined || path === '-') {
    if (opts.binary === true && opts.force !== true && process.stdout.isTTY === true) {
      throw new UsageError('refusing to write binary data to a terminal; redirect stdout or pipe it')
    }
    return { stream: process.stdout, name: 'stdout' }
  }
  return { stream: createWriteStream(path), name: path }
}

/**
 * Run a binary's main. main returns the exit status; thrown AsbErrors print
 * one line (prefixed by the binary name) and exit with their status; usage
 * errors add a hint line; a broken stdout pipe exits 0 silently.
 */
/** How long a binary may linger after main settled before it is ended. */
const EXIT_GRACE_MS = 2000

export function run (name: string, main: (argv: string[]) => Promise<number>): void {
  // EPIPE on stdout: the reader is done. End quietly.
  process.stdout.on('error', (err) => {
    if (isBrokenPipe(err)) process.exit(EXIT_OK)
  })
  const settle = (code: number): void => {
    process.exitCode = code
    // main has finished its work and its output (stdout/stderr pipes and files
    // are written synchronously on Linux): if a native handle (the official
    // client's event loop, a stray socket) still holds the process, end anyway.
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref()
  }
  main(process.argv.slice(2)).then(settle, (err: unknown) => { settle(reportError(name, err)) })
}

/** Print an error the house way and return the exit status it maps to. */
export function reportError (name: string, err: unknown, stderr: Writable = process.stderr): number {
  if (isBrokenPipe(err)) return EXIT_OK
  if (err instanceof AsbError) {
    stderr.write(`${name}: ${err.message}\n`)
    if (err.exitCode === EXIT_USAGE) stderr.write(`run \`${name} --help\` for usage\n`)
    return err.exitCode
  }
  const e = err as { code?: string, message?: string, path?: string }
  if (typeof e?.code === 'string' && typeof e.message === 'string') {
    // node system errors (ENOENT, EACCES...) are one line already
    stderr.write(`${name}: ${e.message}\n`)
    return EXIT_FAILURE
  }
  stderr.write(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  return EXIT_FAILURE
}

/** Prompt for a password on the terminal with echo off, as asbackup/asrestore do for -P without a value. */
export function readPasswordFromTty (): string {
  // asbackup prompts with getpass(); we read one line from the terminal with echo off
  let fd: number
  try {
    fd = openSync('/dev/tty', 'r+')
  } catch {
    throw new UsageError('a password is needed but there is no terminal to prompt on; use -P env:VAR or -P file:PATH')
  }
  try {
    const w = (s: string): void => { try { writeSync(fd, s) } catch { /* ignore */ } }
    w('Enter Password: ')
    spawnSync('stty', ['-echo'], { stdio: [fd, 'ignore', 'ignore'] })
    const buf = Buffer.alloc(1024)
    let line = ''
    for (;;) {
      let n = 0
      try { n = readSync(fd, buf, 0, buf.length, null) } catch { break }
      if (n <= 0) break
      line += buf.toString('utf8', 0, n)
      if (line.includes('\n')) break
    }
    spawnSync('stty', ['echo'], { stdio: [fd, 'ignore', 'ignore'] })
    w('\n')
    return line.split(/\r?\n/)[0]
  } finally {
    closeSync(fd)
  }
}

/**
 * Pipe input through one stage into an opened output; on failure a partial
 * output FILE is removed (stdout is left alone) and the error rethrown.
 */
export async function pipeToOutput (input: Readable, stage: Duplex, out: { stream: Writable, name: string }): Promise<void> {
  try {
    await pipeline(input, stage, out.stream)
  } catch (err) {
    if (out.name !== 'stdout') {
      // The file is opened asynchronously: wait until it is closed, or the
      // unlink could come before the open and leave a truncated file.
      if (!out.stream.closed) await once(out.stream, 'close').catch(() => {})
      try { unlinkSync(out.name) } catch {}
    }
    throw err
  }
}
