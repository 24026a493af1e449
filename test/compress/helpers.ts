// Helpers shared by the compress and crypto tests.
import { Readable } from 'node:stream'
import type { Duplex, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { spawn } from 'node:child_process'

/** Feed `input` in pieces of `pieceSize` bytes through the stages; collect the output. */
export async function through (input: Buffer, stages: Duplex[], pieceSize = 65536): Promise<Buffer> {
  const out: Buffer[] = []
  const collect = async function * (src: AsyncIterable<Buffer>): AsyncGenerator<never> {
    for await (const c of src) out.push(c)
  }
  await pipeline(Readable.from(pieces(input, pieceSize)), ...(stages as [Duplex]), collect)
  return Buffer.concat(out)
}

/** Like through(), but returns the output produced before an error, and the error. */
export async function throughCatch (input: Buffer, stages: Duplex[], pieceSize = 65536): Promise<{ out: Buffer, err: Error | undefined }> {
  const out: Buffer[] = []
  const collect = async function * (src: AsyncIterable<Buffer>): AsyncGenerator<never> {
    for await (const c of src) out.push(c)
  }
  try {
    await pipeline(Readable.from(pieces(input, pieceSize)), ...(stages as [Duplex]), collect)
    return { out: Buffer.concat(out), err: undefined }
  } catch (err) {
    return { out: Buffer.concat(out), err: err as Error }
  }
}

/**
 * Write `input` piece by piece into one stage, collecting its 'data' events
 * as they happen, so the output seen before an error is exact.
 */
export async function drive (stage: Duplex, input: Buffer, pieceSize: number): Promise<{ out: Buffer, err: Error | undefined }> {
  const out: Buffer[] = []
  stage.on('data', (c: Buffer) => out.push(c))
  const done = new Promise<Error | undefined>((resolve) => {
    stage.on('error', resolve)
    stage.on('end', () => { resolve(undefined) })
  })
  for (const p of pieces(input, pieceSize)) {
    if (stage.destroyed) break
    await new Promise<void>((resolve) => { stage.write(p, () => { resolve() }) })
  }
  if (!stage.destroyed) stage.end()
  const err = await done
  return { out: Buffer.concat(out), err }
}

export function * pieces (buf: Buffer, size: number): Generator<Buffer> {
  if (buf.length === 0) return
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size))
}

/**
 * The records of an .asb text as a sorted list of strings (header lines
 * apart), so two backups of the same data compare equal although asbackup
 * writes records in a different order on every run.
 */
export function asbRecordSet (text: Buffer): { header: string[], records: string[] } {
  const header: string[] = []
  const records: string[] = []
  let cur: string[] | null = null
  // Bin values may contain raw newlines (escaped as "\" + LF); keep them joined.
  const lines = text.toString('latin1').split(/(?<!\\)\n/)
  if (lines[lines.length - 1] === '') lines.pop()
  let prev = ''
  for (const line of lines) {
    const startsRecord = line.startsWith('+ k ') || (line.startsWith('+ n ') && !prev.startsWith('+ k '))
    if (startsRecord) {
      if (cur !== null) records.push(cur.join('\n'))
      cur = [line]
    } else if (cur !== null) {
      cur.push(line)
    } else {
      header.push(line)
    }
    prev = line
  }
  if (cur !== null) records.push(cur.join('\n'))
  records.sort()
  return { header, records }
}

/** Run a program, feeding stdin; resolve with exit code and outputs. */
export function runProgram (cmd: string, args: string[], input?: Buffer): Promise<{ code: number | null, stdout: Buffer, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    child.on('error', reject)
    child.on('close', (code) => { resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }) })
    child.stdin.on('error', () => {})
    child.stdin.end(input ?? Buffer.alloc(0))
  })
}

/**
 * Run a compiled binary whose reader goes away after the first output
 * chunk (EPIPE on its next write); resolve with its exit code and stderr.
 */
export function runUntilReaderLeaves (binPath: string, args: string[], input: Buffer): Promise<{ code: number | null, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [binPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.stdout.once('data', () => { child.stdout.destroy() })
    child.on('close', (code) => { resolve({ code, stderr }) })
    child.stdin.on('error', () => {})
    child.stdin.end(input)
  })
}

export type { Writable }
