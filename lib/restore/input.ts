// Input sources (asb-format.md §9.2): one file, stdin, or every *.asb file of
// one or more directories; each opened lazily, with its size for progress.
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import type { Readable, TransformCallback } from 'node:stream'
import { AsbError, ErrorCode } from '../errors.js'
import type { InputSpec } from './options.js'

export interface Source {
  /** File path, or 'stdin'. */
  name: string
  /** Bytes, when known. */
  size: number | null
  open: () => Readable
}

/** Resolves the input spec to sources, in name order per directory. */
export async function listSources (spec: InputSpec, stdin: () => Readable): Promise<{ sources: Source[], directories: Array<{ dir: string, count: number }> }> {
  if (spec.kind === 'stdin') return { sources: [{ name: 'stdin', size: spec.size ?? null, open: stdin }], directories: [] }
  if (spec.kind === 'file') {
    const st = await stat(spec.path).catch((err: NodeJS.ErrnoException) => {
      throw new AsbError(ErrorCode.IO, `Error while opening backup file ${spec.path}: ${err.message}`, { cause: err })
    })
    const path = spec.path
    return { sources: [{ name: path, size: st.size, open: () => createReadStream(path) }], directories: [] }
  }
  const sources: Source[] = []
  const directories: Array<{ dir: string, count: number }> = []
  for (const dir of spec.paths) {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (err) {
      throw new AsbError(ErrorCode.IO, `Error while opening directory ${dir}: ${(err as Error).message}`, { cause: err })
    }
    const files = names.filter((n) => n.endsWith('.asb')).sort()
    for (const f of files) {
      const path = join(dir, f)
      const st = await stat(path)
      if (!st.isFile()) continue
      sources.push({ name: path, size: st.size, open: () => createReadStream(path) })
    }
    directories.push({ dir, count: files.length })
  }
  return { sources, directories }
}

/** Counts bytes flowing through (for KiB/s, B/rec, percent). */
export class ByteCounter extends Transform {
  readonly #onBytes: (n: number) => void
  constructor (onBytes: (n: number) => void) {
    super()
    this.#onBytes = onBytes
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#onBytes(chunk.length)
    cb(null, chunk)
  }
}
