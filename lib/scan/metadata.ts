// The control-plane half of a scan, over raw info commands exactly as asbackup
// sends them: secondary indexes (`sindex-list:ns=<ns>;b64=true`, parsed like
// utils.c:parse_index_info), UDF modules (`udf-list`, `udf-get:filename=`),
// the record count estimate (`namespace/<ns>`, `sets`; backup_status.c:
// get_object_count) and the server version check.
import { AsbError, ErrorCode } from '../errors.js'
import type { IndexPathType, IndexType, SIndex, Udf } from '../types.js'
import { parseInfoError } from '../proto/info.js'

/** One info command on one node (any node when not given). */
export type InfoFn = (command: string) => Promise<string>
/** One info command on every node: node name -> answer. */
export type InfoAllFn = (command: string) => Promise<Map<string, string>>

function fail (msg: string): never {
  throw new AsbError(ErrorCode.INVALID, msg)
}

/** The answer, or a failure naming the command when the server answered an error. */
function checked (command: string, answer: string): string {
  const e = parseInfoError(answer)
  if (e !== null) fail(`info command ${command} failed: ${e.code !== 0 ? `code ${e.code}: ` : ''}${e.message}`)
  if (/^error/i.test(answer)) fail(`info command ${command} failed: ${answer}`)
  return answer
}

/** Split an asbackup info list: a trailing `;` stripped, then on `;`. */
function entries (answer: string): string[] {
  const s = answer.endsWith(';') ? answer.slice(0, -1) : answer
  return s === '' ? [] : s.split(';')
}

export interface ParsedIndex {
  index: SIndex | null
  /** Why an entry was skipped (expression indexes have no bin). */
  skipped?: string
}

/** One `sindex-list` entry (`k=v:k=v:...`) as utils.c:parse_index_info reads it. */
export function parseIndexInfo (ns: string, entry: string): ParsedIndex {
  if (entry === '') fail('Empty index info')
  let set: string | null = null
  let name: string | null = null
  let indexType: IndexType | null = null
  let ctx: string | null = null
  let exp: string | null = null
  const paths: Array<{ path: string, type: IndexPathType }> = []
  let path: string | null = null
  let ptype: IndexPathType | null = null
  for (const para of entry.split(':')) {
    const eq = para.indexOf('=')
    if (eq < 0) fail(`Invalid secondary index parameter string ${para} (missing "=")`)
    const k = para.slice(0, eq)
    const arg = para.slice(eq + 1)
    if (k === 'set') set = arg === 'NULL' ? null : arg
    else if (k === 'indexname') name = arg
    else if (k === 'num_bins') { if (arg !== '1') fail(`Multi-bin secondary indexes currently not supported, number of bins: ${arg}`) } else if (k === 'type') {
      const a = arg.toUpperCase()
      if (a === 'STRING' || a === 'TEXT') ptype = 'S'
      else if (a === 'NUMERIC' || a === 'INT SIGNED') ptype = 'N'
      else if (a === 'GEO2DSPHERE' || a === 'GEOJSON') ptype = 'G'
      else if (a === 'BLOB') ptype = 'B'
      else fail(`Invalid path type ${arg}`)
    } else if (k === 'indextype') {
      const a = arg.toUpperCase()
      if (a === 'LIST') indexType = 'L'
      else if (a === 'MAPKEYS') indexType = 'K'
      else if (a === 'MAPVALUES') indexType = 'V'
      else if (a === 'NONE' || a === 'DEFAULT') indexType = 'N'
      else fail(`Invalid index type ${arg}`)
    } else if (k === 'bin') path = arg
    else if (k === 'context') ctx = arg.toUpperCase() === 'NULL' ? null : arg
    else if (k === 'exp') exp = arg.toUpperCase() === 'NULL' ? null : arg
    if (path !== null && ptype !== null) {
      paths.push({ path, type: ptype })
      path = null
      ptype = null
    }
  }
  if (name === null) fail('Missing index name')
  if (indexType === null) fail(`Missing index type in index ${name}`)
  if (paths.length === 0 && exp !== null) {
    // server 8.1 expression index: no bin, not representable in .asb 3.1
    return { index: null, skipped: `expression index ${name} (not representable in .asb 3.1)` }
  }
  if (paths.length !== 1) fail(`Invalid number of paths in index ${name} (${paths.length})`)
  return { index: { kind: 'sindex', namespace: ns, set, name, indexType, paths, context: ctx } }
}

export interface IndexList {
  indexes: SIndex[]
  /** Indexes left out because their set is not selected (asbackup counts them anyway; we don't). */
  unwantedSet: number
  /** Indexes that cannot be written, with the reason. */
  skipped: string[]
}

/** Indexes of `ns`; with `sets`, only those on one of them (backup.c:process_secondary_indexes). */
export async function fetchIndexes (info: InfoFn, ns: string, sets: string[]): Promise<IndexList> {
  const cmd = `sindex-list:ns=${ns};b64=true`
  const answer = checked(cmd, await info(cmd))
  const out: IndexList = { indexes: [], unwantedSet: 0, skipped: [] }
  for (const e of entries(answer)) {
    const p = parseIndexInfo(ns, e)
    if (p.index === null) { out.skipped.push(p.skipped ?? 'unknown index'); continue }
    const idx = p.index
    if (sets.length > 0 && (idx.set === null || !sets.includes(idx.set as string))) { out.unwantedSet++; continue }
    out.indexes.push(idx)
  }
  return out
}

export const MAX_UDF_FILES = 1000

function kv (s: string, sep: string): Map<string, string> {
  const m = new Map<string, string>()
  for (const part of s.split(sep)) {
    const eq = part.indexOf('=')
    if (eq > 0) m.set(part.slice(0, eq), part.slice(eq + 1))
  }
  return m
}

/** UDF modules: `udf-list` then `udf-get:filename=<name>` each (content is base64). */
export async function fetchUdfs (info: InfoFn): Promise<Udf[]> {
  const list = entries(checked('udf-list', await info('udf-list')))
  if (list.length >= MAX_UDF_FILES) fail(`Too many UDF files (${list.length})`)
  const out: Udf[] = []
  for (const e of list) {
    const m = kv(e, ',')
    const name = m.get('filename')
    if (name === undefined) fail(`Invalid UDF list entry ${e}`)
    const type = (m.get('type') ?? 'LUA').toUpperCase()
    if (type !== 'LUA') fail(`Invalid UDF type ${type} of ${name}`)
    const got = await info(`udf-get:filename=${name}`)
    const g = kv(got, ';')
    const content = g.get('content')
    if (content === undefined) {
      const err = g.get('error')
      fail(`Error while fetching UDF file ${name}${err !== undefined ? `: ${err}` : ''}`)
    }
    out.push({ kind: 'udf', type: 'L', name, content: Buffer.from(content, 'base64') })
  }
  return out
}

/**
 * Expected record count: Σ over nodes of `objects` (or the listed sets'
 * objects from `sets`), divided by the replication factor of the first node.
 */
export async function fetchObjectCount (infoAll: InfoAllFn, ns: string, sets: string[]): Promise<number> {
  const nsAnswers = await infoAll(`namespace/${ns}`)
  const setAnswers = sets.length > 0 ? await infoAll('sets') : null
  let total = 0
  let repl = 0
  let first = true
  for (const [node, answer] of nsAnswers) {
    const m = kv(answer, ';')
    const objects = Number(m.get('objects') ?? NaN)
    const factor = Number(m.get('replication-factor') ?? m.get('effective_replication_factor') ?? NaN)
    if (!Number.isFinite(objects)) fail(`Failed to find objects field in namespace info result of node ${node}`)
    if (!Number.isFinite(factor)) fail(`Failed to find replication_factor field in namespace info result of node ${node}`)
    let count = objects
    if (setAnswers !== null) {
      count = 0
      for (const e of entries(setAnswers.get(node) ?? '')) {
        const f = kv(e, ':')
        const setName = f.get('set') ?? f.get('set_name')
        const nsName = f.get('ns') ?? f.get('ns_name')
        if (nsName === ns && setName !== undefined && sets.includes(setName)) {
          count += Number(f.get('objects') ?? f.get('n_objects') ?? 0)
        }
      }
    }
    if (first) { repl = factor; first = false }
    total += count
  }
  return Math.floor(total / (repl === 0 ? 1 : repl))
}

export interface ServerVersion { major: number, minor: number, patch: number, build: number }

/** From the `build` info answer (`8.1.2.0`). */
export function parseBuild (s: string): ServerVersion {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?/.exec(s.trim())
  if (m === null) fail(`Invalid info request build number: ${s}`)
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), build: Number(m[4] ?? 0) }
}

/** backup_status.c:check_server_version. */
export function checkServerVersion (v: ServerVersion, uses: { modified: boolean, multiSet: boolean, noTtlOnly: boolean }): void {
  const before = (maj: number, min: number): boolean => v.major < maj || (v.major === maj && v.minor < min)
  if (before(4, 9)) fail(`Aerospike Server version 4.9 or greater is required to run asbackup, but version ${v.major}.${v.minor} is in use.`)
  if (uses.modified && before(5, 2)) fail(`Aerospike Server version 5.2 or greater is required for --modified-before and --modified-after, but version ${v.major}.${v.minor} is in use`)
  if (uses.multiSet && before(5, 2)) fail(`Aerospike Server version 5.2 or greater is required for multi-set backup, but version ${v.major}.${v.minor} is in use`)
  if (uses.noTtlOnly && before(5, 2)) fail(`Aerospike Server version 5.2 or greater is required for --no-ttl-only, but version ${v.major}.${v.minor} is in use`)
}
