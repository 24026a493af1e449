// The control plane as restore needs it: info commands for indexes, UDFs,
// namespace configuration and batch-write support (asb-format.md §9.4, §9.5).
// Everything is one `info` function, so the logic here is testable with a fake
// and the cluster side is one small adapter (lib/restore/aerospike-info.ts).
import { AsbError, ErrorCode } from '../errors.js'
import { nameBytes, nameToString } from '../name.js'
import type { IndexPathType, IndexType, Name, SIndex, Udf } from '../types.js'

export interface InfoClient {
  /** One info command to any node; resolves with the value (without the echoed command). */
  info: (command: string) => Promise<string>
  /** The same command on every node. */
  infoAll: (command: string) => Promise<string[]>
  /** Registers a UDF module (when absent, an `udf-put` info command is sent). */
  udfPut?: (name: string, content: Buffer) => Promise<void>
}

const ITYPE: { [k in IndexType]: string } = { N: 'default', L: 'list', K: 'mapkeys', V: 'mapvalues' }
const PTYPE: { [k in IndexPathType]: string } = { S: 'string', N: 'numeric', G: 'geo2dsphere', B: 'blob' }

/** A sindex as the server lists it (sindex-list;b64=true), normalised. */
export interface ServerIndex {
  name: string
  set: string | null
  bin: string
  /** 'default' | 'list' | 'mapkeys' | 'mapvalues' (lower case). */
  indexType: string
  /** 'numeric' | 'string' | 'geo2dsphere' | 'blob' (lower case). */
  type: string
  context: string | null
}

function normType (t: string): string {
  const u = t.toLowerCase()
  if (u === 'text') return 'string'
  if (u === 'int signed') return 'numeric'
  if (u === 'geojson') return 'geo2dsphere'
  return u
}

function normIndexType (t: string): string {
  const u = t.toLowerCase()
  return u === 'none' ? 'default' : u
}

/** Parses the reply of `sindex-list:ns=<ns>;b64=true` (utils.c:parse_index_info). */
export function parseSindexList (reply: string): ServerIndex[] {
  const out: ServerIndex[] = []
  for (const entry of reply.replace(/;$/, '').split(';')) {
    if (entry.trim() === '') continue
    const kv = new Map<string, string>()
    for (const part of entry.split(':')) {
      const eq = part.indexOf('=')
      if (eq > 0) kv.set(part.slice(0, eq), part.slice(eq + 1))
    }
    const name = kv.get('indexname')
    if (name === undefined) continue
    const set = kv.get('set')
    const ctx = kv.get('context')
    out.push({
      name,
      set: set === undefined || set === 'NULL' || set === 'null' || set === '' ? null : set,
      bin: kv.get('bin') ?? kv.get('path') ?? '',
      indexType: normIndexType(kv.get('indextype') ?? 'default'),
      type: normType(kv.get('type') ?? ''),
      context: ctx === undefined || ctx === 'null' || ctx === 'NULL' || ctx === '' ? null : ctx
    })
  }
  return out
}

/** The server form of an index line. */
export function toServerIndex (idx: SIndex): ServerIndex {
  const path = idx.paths[0]
  if (path === undefined) throw new AsbError(ErrorCode.INVALID, `index ${nameToString(idx.name)} has no path`)
  const ctx = idx.context === null ? null : nameToString(idx.context)
  const set = idx.set === null ? null : nameToString(idx.set)
  return {
    name: nameToString(idx.name),
    set: set === '' ? null : set,
    bin: nameToString(path.path),
    indexType: ITYPE[idx.indexType],
    type: PTYPE[path.type],
    context: ctx === '' ? null : ctx
  }
}

/** restore.c:check_index: same set (NULL == ""), type, path, path type and ctx. */
export function sameIndex (a: ServerIndex, b: ServerIndex): boolean {
  return a.name === b.name && (a.set ?? '') === (b.set ?? '') && a.bin === b.bin &&
    a.indexType === b.indexType && a.type === b.type && (a.context ?? '') === (b.context ?? '')
}

function checkOk (reply: string, what: string): void {
  const r = reply.trim()
  if (r.toLowerCase() === 'ok' || r === '') return
  throw new AsbError(ErrorCode.SERVER, `${what} failed: ${r}`)
}

export function sindexCreateCommand (ns: string, idx: ServerIndex): string {
  let cmd = `sindex-create:namespace=${ns}`
  if (idx.set !== null) cmd += `;set=${idx.set}`
  cmd += `;indexname=${idx.name};bin=${idx.bin};type=${idx.type}`
  if (idx.indexType !== 'default') cmd += `;indextype=${idx.indexType}`
  if (idx.context !== null) cmd += `;context=${idx.context}`
  return cmd
}

export type IndexOutcome = 'created' | 'matched' | 'replaced'

export interface IndexRestoreOptions {
  /** Re-checks after a remove (MAX_TRIES = 10). */
  maxTries?: number
  /** Pause between re-checks (1 s in asrestore). */
  sleepMs?: number
  sleep?: (ms: number) => Promise<void>
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * restore.c:restore_index: identical existing -> matched; different -> remove,
 * wait until gone, create; absent -> create.
 */
export async function restoreIndex (client: InfoClient, idx: SIndex, opts: IndexRestoreOptions = {}): Promise<IndexOutcome> {
  const ns = nameToString(idx.namespace)
  const want = toServerIndex(idx)
  const sleep = opts.sleep ?? defaultSleep
  const find = async (): Promise<ServerIndex | undefined> =>
    parseSindexList(await client.info(`sindex-list:ns=${ns};b64=true`)).find((s) => s.name === want.name)
  const have = await find()
  let outcome: IndexOutcome = 'created'
  if (have !== undefined) {
    if (sameIndex(have, want)) return 'matched'
    checkOk(await client.info(`sindex-delete:namespace=${ns};indexname=${want.name}`), `removing index ${want.name}`)
    let gone = false
    for (let i = 0; i < (opts.maxTries ?? 10); i++) {
      if (await find() === undefined) { gone = true; break }
      await sleep(opts.sleepMs ?? 1000)
    }
    if (!gone) throw new AsbError(ErrorCode.SERVER, `Error while removing index ${want.name}: still present`)
    outcome = 'replaced'
  }
  checkOk(await client.info(sindexCreateCommand(ns, want)), `Error while creating index ${want.name}`)
  return outcome
}

/** aerospike_index_create_wait: poll `sindex/<ns>/<name>` on every node until load_pct=100. */
export async function waitIndex (client: InfoClient, ns: Name, name: Name, pollMs = 500, sleep = defaultSleep, maxPolls = 1200): Promise<void> {
  const cmd = `sindex/${nameToString(ns)}/${nameToString(name)}`
  for (let i = 0; i < maxPolls; i++) {
    const replies = await client.infoAll(cmd)
    if (replies.every((r) => /(^|;)load_pct=100(;|$)/.test(r))) return
    await sleep(pollMs)
  }
  throw new AsbError(ErrorCode.TIMEOUT, `Error while waiting for index ${nameToString(name)}`)
}

/** aerospike_udf_put. */
export async function putUdf (client: InfoClient, udf: Udf): Promise<void> {
  const name = nameToString(udf.name)
  if (client.udfPut !== undefined) { await client.udfPut(name, udf.content); return }
  const b64 = udf.content.toString('base64')
  const reply = await client.info(`udf-put:filename=${name};content=${b64};content-len=${b64.length};udf-type=LUA;`)
  checkOk(reply, `Error while putting UDF file ${name}`)
}

/** aerospike_udf_put_wait: every node lists the file. */
export async function waitUdf (client: InfoClient, udf: Udf, pollMs = 500, sleep = defaultSleep, maxPolls = 1200): Promise<void> {
  const name = nameToString(udf.name)
  for (let i = 0; i < maxPolls; i++) {
    const replies = await client.infoAll('udf-list')
    if (replies.every((r) => r.split(';').some((e) => e.split(',').includes(`filename=${name}`)))) return
    await sleep(pollMs)
  }
  throw new AsbError(ErrorCode.TIMEOUT, `Error while waiting for UDF file ${name}`)
}

/** `namespace/<ns>` as a key -> value map. */
export async function namespaceConfig (client: InfoClient, ns: string): Promise<Map<string, string>> {
  const reply = await client.info(`namespace/${ns}`)
  const m = new Map<string, string>()
  for (const kv of reply.split(';')) {
    const eq = kv.indexOf('=')
    if (eq > 0) m.set(kv.slice(0, eq), kv.slice(eq + 1))
  }
  return m
}

/**
 * True when writing a TTL into this namespace fails with FAIL_FORBIDDEN:
 * nsup-period 0 and allow-ttl-without-nsup false (wire-protocol.md §3.2).
 */
export function ttlForbidden (cfg: Map<string, string>): boolean {
  const nsup = cfg.get('nsup-period')
  const allow = cfg.get('allow-ttl-without-nsup')
  return nsup !== undefined && Number(nsup) === 0 && allow !== 'true'
}

/**
 * utils.c:server_has_batch_writes: build >= 6.0 on every node and
 * `batch-index-threads` > 0 in `get-config:context=service`.
 */
export async function serverHasBatchWrites (client: InfoClient): Promise<boolean> {
  const builds = await client.infoAll('build')
  for (const b of builds) {
    const major = Number(b.trim().split('.')[0])
    if (!(major >= 6)) return false
  }
  const cfgs = await client.infoAll('get-config:context=service')
  for (const c of cfgs) {
    const m = /(?:^|;)batch-index-threads=(\d+)/.exec(c)
    if (m === null || Number(m[1]) <= 0) return false
  }
  return true
}

/** Compares two names the way the server keys indexes. */
export function sameName (a: Name, b: Name): boolean {
  return nameBytes(a).equals(nameBytes(b))
}
