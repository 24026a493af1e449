// Info commands the way the 8.1.2.0 CE server answers them
// (wire-protocol.md §2, captures 00, 20-23, probe_info_framing).
import { createHash } from 'node:crypto'
import { N_PARTITIONS } from '../proto/digest.js'
import type { TestCluster, TestNode } from './cluster.js'
import { NS_CONFIG, NS_STATS } from './ns-template.js'
import { nowVoidSeconds } from './store.js'

export const BUILD = '8.1.2.0'
export const EDITION = 'Aerospike Community Edition'
export const FEATURES = 'batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;cluster-stable;float;geo;sindex-exists;peers;pipelining;pquery;pscans;query-show;relaxed-sc;replicas;replicas-all;replicas-master;replicas-max;truncate-namespace;udf'

/** The commands an empty request returns ("summary", thr_info.c in_summary). */
const SUMMARY = ['features', 'node', 'compatibility-id', 'edition', 'build_ee_sha', 'build_sha', 'build_arch', 'build_time', 'build_os', 'build', 'version', 'statistics', 'services-alumni', 'services', 'partition-generation']

export interface SIndexDef {
  ns: string
  set: string | null
  name: string
  bin: string
  /** numeric / string / blob / geo2dsphere */
  type: string
  /** default / list / mapkeys / mapvalues */
  indexType: string
  /** base64 msgpack context or null */
  context: string | null
  /** base64 msgpack expression of an expression index (8.1), else null */
  exp?: string | null
}

export interface UdfModule {
  name: string
  content: Buffer
}

/** Set configuration keys of `sets/<ns>` with their defaults (8.1), changeable with set-config;set=. */
const SET_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ['default-read-touch-ttl-pct', '0'], ['default-ttl', '0'], ['disable-eviction', 'false'],
  ['enable-index', 'false'], ['stop-writes-count', '0'], ['stop-writes-size', '0']
]

function error (code: number, msg: string): string {
  return `ERROR:${code}:${msg}`
}

/** `k=v;k=v` argument list after the `:` of a command. */
function kwargs (s: string): Map<string, string> {
  const m = new Map<string, string>()
  for (const p of s.split(';')) {
    if (p === '') continue
    const i = p.indexOf('=')
    m.set(i < 0 ? p : p.slice(0, i), i < 0 ? '' : p.slice(i + 1))
  }
  return m
}

export function summaryCommands (): string[] { return SUMMARY }

/** The value answered for one command, or null to echo nothing (the server never does that; kept for completeness). */
export function answerInfo (cluster: TestCluster, node: TestNode, cmd: string): string {
  const colon = cmd.indexOf(':')
  const head = colon < 0 ? cmd : cmd.slice(0, colon)
  const args = colon < 0 ? new Map<string, string>() : kwargs(cmd.slice(colon + 1))
  const parts = head.split('/')
  const name = parts[0]!
  const now = cluster.nowMs()
  switch (name) {
    case 'node': return node.id
    case 'build': return BUILD
    case 'edition': return EDITION
    case 'version': return `${EDITION} build ${BUILD}`
    case 'features': return FEATURES
    case 'compatibility-id': return '15'
    case 'build_ee_sha': return ''
    case 'build_sha': return '68182105aaa20bce52e3a672e0ac896e84421f85'
    case 'build_arch': return 'x86_64'
    case 'build_time': return 'Sat Nov 21 04:29:59 UTC 2026'
    case 'build_os': return 'debian12'
    case 'cluster-name': return cluster.clusterName
    case 'partition-generation': return String(cluster.partitionGeneration)
    case 'rebalance-generation': return String(cluster.rebalanceGeneration)
    case 'peers-generation': return String(cluster.peersGeneration)
    case 'peers-clear-std': case 'peers-clear-alt':
      if (cluster.tls !== null) return `${cluster.peersGeneration},${node.port},[]`
      return cluster.peersString(node, false)
    case 'peers-tls-std': case 'peers-tls-alt':
      if (cluster.tls === null) return error(25, 'enterprise only')
      return cluster.peersString(node, true)
    case 'service-clear-std': case 'service-tls-std':
      return `${node.host}:${node.port}`
    case 'services': case 'services-alternate': case 'services-alumni': return cluster.servicesString(node)
    case 'statistics': return `cluster_size=${cluster.liveNodes().length};cluster_generation=1;cluster_principal=${cluster.liveNodes()[0]?.id ?? node.id};cluster_integrity=true;cluster_is_member=true;uptime=${Math.floor((now - cluster.startedMs) / 1000)}`
    case 'partitions': return String(N_PARTITIONS)
    case 'replicas': case 'replicas-all': {
      const max = args.has('max') ? Number(args.get('max')) : Infinity
      return cluster.replicasString(node, max, name === 'replicas')
    }
    case 'racks': case 'rack-ids': return error(25, 'enterprise only')
    case 'namespaces': return [...cluster.namespaces.keys()].join(';')
    case 'namespace': {
      const ns = cluster.namespaces.get(parts[1] ?? '')
      if (ns === undefined) return 'type=unknown'
      // per node, like the real server: objects = master + replica copies held here
      const rf = Math.min(cluster.replicationFactor(ns), cluster.liveNodes().length)
      const objects = ns.count(now, undefined, pid => cluster.holds(node.index, pid, rf))
      const masterObjects = ns.count(now, undefined, pid => cluster.isMaster(node.index, pid))
      const stats = new Map<string, string>(NS_STATS)
      stats.set('ns_cluster_size', String(cluster.liveNodes().length))
      stats.set('effective_replication_factor', String(Math.min(cluster.liveNodes().length, Number(ns.config.get('replication-factor') ?? '1'))))
      stats.set('objects', String(objects))
      stats.set('master_objects', String(masterObjects))
      stats.set('prole_objects', String(objects - masterObjects))
      stats.set('current_time', String(nowVoidSeconds(now)))
      stats.set('stop_writes', ns.cfgBool('stop-writes') ? 'true' : 'false')
      stats.set('truncate_lut', String(ns.truncateLutMs === 0 ? 0 : ns.truncateLutMs - 1262304000000))
      const out: string[] = []
      for (const [k, v] of stats) out.push(`${k}=${v}`)
      for (const [k, v] of ns.config) if (k !== 'stop-writes') out.push(`${k}=${v}`)
      return out.join(';')
    }
    case 'get-config': {
      const ctx = args.get('context') ?? 'service'
      if (ctx === 'namespace') {
        const ns = cluster.namespaces.get(args.get('id') ?? args.get('namespace') ?? '')
        if (ns === undefined) return error(4, 'namespace not found')
        const out: string[] = []
        for (const [k, v] of ns.config) if (k !== 'stop-writes') out.push(`${k}=${v}`)
        return out.join(';')
      }
      if (ctx === 'service') return `cluster-name=${cluster.clusterName};batch-index-threads=4;proto-fd-max=15000;transaction-max-ms=1000`
      return error(4, 'invalid context')
    }
    case 'set-config': {
      if (args.get('context') !== 'namespace') return error(4, 'invalid context')
      const ns = cluster.namespaces.get(args.get('id') ?? '')
      if (ns === undefined) return error(4, 'namespace not found')
      const setName = args.get('set')
      if (setName !== undefined) {
        // set context: set-config:context=namespace;id=<ns>;set=<set>;<param>=<value>
        for (const k of args.keys()) if (k !== 'context' && k !== 'id' && k !== 'set' && !SET_CONFIG.some(([c]) => c === k)) return error(4, `unrecognized parameter ${k}`)
        const key = Buffer.from(setName, 'utf8').toString('latin1')
        const st = ns.sets.get(key) ?? { truncateLutMs: 0 }
        st.config ??= new Map()
        for (const [k, v] of args) if (k !== 'context' && k !== 'id' && k !== 'set') st.config.set(k, v)
        ns.sets.set(key, st)
        return 'ok'
      }
      for (const [k, v] of args) {
        if (k === 'context' || k === 'id') continue
        if (!ns.config.has(k)) return error(4, `unrecognized parameter ${k}`)
        ns.config.set(k, v)
      }
      return 'ok'
    }
    case 'sets': {
      const ns = cluster.namespaces.get(parts[1] ?? '')
      if (ns === undefined) return error(4, 'namespace not found')
      const line = (set: string): string => {
        const st = ns.sets.get(Buffer.from(set, 'utf8').toString('latin1'))
        const sidx = cluster.sindexes.filter(i => i.ns === ns.name && i.set === set).length
        const lut = st === undefined || st.truncateLutMs === 0 ? 0 : st.truncateLutMs - 1262304000000
        const cfg = new Map<string, string>(SET_CONFIG)
        for (const [k, v] of st?.config ?? []) cfg.set(k, v)
        const rf = Math.min(cluster.replicationFactor(ns), cluster.liveNodes().length)
        const objects = ns.count(now, Buffer.from(set, 'utf8').toString('latin1'), pid => cluster.holds(node.index, pid, rf))
        return `objects=${objects}:tombstones=0:data_used_bytes=0:truncate_lut=${lut}:sindexes=${sidx}:index_populating=false:truncating=false:${[...cfg].map(([k, v]) => `${k}=${v}`).join(':')};`
      }
      if (parts[2] !== undefined) return line(parts[2])
      let out = ''
      for (const k of ns.sets.keys()) {
        const set = Buffer.from(k, 'latin1').toString('utf8')
        out += `ns=${ns.name}:set=${set}:${line(set)}`
      }
      return out
    }
    case 'sindex-list': {
      const want = args.get('ns') ?? parts[1]
      const b64 = args.get('b64') === 'true'
      return cluster.sindexes.filter(i => want === undefined || i.ns === want).map(i => {
        let ctx = 'null'
        if (i.context !== null) ctx = b64 ? i.context : `[${Buffer.from(i.context, 'base64').toString('hex')}]`
        const exp = i.exp == null ? 'null' : b64 ? i.exp : `[${Buffer.from(i.exp, 'base64').toString('hex')}]`
        return `ns=${i.ns}:indexname=${i.name}:set=${i.set ?? 'NULL'}:bin=${i.exp == null ? i.bin : 'null'}:type=${i.type}:indextype=${i.indexType}:context=${ctx}:exp=${exp}:state=RW`
      }).join(';')
    }
    case 'sindex': {
      const idx = cluster.sindexes.find(i => i.ns === parts[1] && i.name === parts[2])
      if (idx === undefined) return error(201, 'no index')
      const ns = cluster.namespaces.get(idx.ns)
      let entries = 0
      if (ns !== undefined) {
        const bin = Buffer.from(idx.bin, 'utf8').toString('latin1')
        const set = idx.set === null ? null : Buffer.from(idx.set, 'utf8')
        for (const part of ns.partitions) {
          for (const rec of part.values()) {
            if (!ns.alive(rec, now) || !rec.bins.has(bin)) continue
            if (set !== null && (rec.set === null || !rec.set.equals(set))) continue
            entries++
          }
        }
      }
      return `entries=${entries};used_bytes=16777216;entries_per_bval=0;entries_per_rec=0;load_pct=100;load_time=0;stat_gc_recs=0`
    }
    case 'sindex-exists': {
      const idx = cluster.sindexes.find(i => i.ns === args.get('namespace') && i.name === args.get('indexname'))
      return idx === undefined ? 'false' : 'true'
    }
    case 'sindex-create': {
      const ns = args.get('namespace') ?? args.get('ns')
      const iname = args.get('indexname')
      if (ns === undefined || !cluster.namespaces.has(ns)) return error(4, 'invalid namespace')
      if (iname === undefined || iname === '') return error(4, 'invalid indexname')
      let bin = args.get('bin')
      let type = args.get('type')
      const indexdata = args.get('indexdata')
      if (indexdata !== undefined) { const [b, ty] = indexdata.split(','); bin = b; type = ty }
      const itype = (args.get('indextype') ?? 'default').toLowerCase()
      const exp = args.get('exp')
      if (exp !== undefined && (bin !== undefined || args.has('context'))) return error(4, 'exp cannot be combined with bin or context')
      if (itype !== 'set' && ((bin === undefined && exp === undefined) || type === undefined)) return error(4, 'missing bin or type')
      const t = (type ?? '').toLowerCase()
      if (itype !== 'set' && !['numeric', 'string', 'blob', 'geo2dsphere'].includes(t)) return error(4, 'invalid type')
      if (!['default', 'list', 'mapkeys', 'mapvalues', 'set'].includes(itype)) return error(4, 'invalid indextype')
      if (cluster.sindexes.some(i => i.ns === ns && i.name === iname)) return error(200, 'index already exists')
      const set = args.get('set')
      cluster.sindexes.push({ ns, set: set === undefined || set === '' ? null : set, name: iname, bin: bin ?? '', type: t, indexType: itype, context: args.get('context') ?? null, exp: exp ?? null })
      return 'ok'
    }
    case 'sindex-delete': {
      const ns = args.get('namespace') ?? args.get('ns')
      const i = cluster.sindexes.findIndex(x => x.ns === ns && x.name === args.get('indexname'))
      if (i < 0) return error(201, 'no index')
      cluster.sindexes.splice(i, 1)
      return 'ok'
    }
    case 'udf-list': {
      let out = ''
      for (const m of cluster.udfs.values()) out += `filename=${m.name},hash=${createHash('sha1').update(m.content).digest('hex')},type=LUA;`
      return out
    }
    case 'udf-get': {
      const m = cluster.udfs.get(args.get('filename') ?? '')
      if (m === undefined) return 'error=not_found'
      return `type=LUA;content=${m.content.toString('base64')};`
    }
    case 'udf-put': {
      const fname = args.get('filename') ?? ''
      const content = args.get('content') ?? ''
      const clen = Number(args.get('content-len') ?? '-1')
      if (fname === '' || fname.includes('/')) return 'error=invalid_filename'
      if (clen !== content.length || clen % 4 !== 0) return 'error=invalid_content_len'
      cluster.udfs.set(fname, { name: fname, content: Buffer.from(content, 'base64') })
      return 'ok'
    }
    case 'udf-remove': {
      const fname = args.get('filename') ?? ''
      if (!cluster.udfs.delete(fname)) return 'error=not_found'
      return 'ok'
    }
    case 'truncate': case 'truncate-namespace': {
      const ns = cluster.namespaces.get(args.get('namespace') ?? '')
      if (ns === undefined) return error(4, 'namespace not found')
      const lutArg = args.get('lut')
      // lut is nanoseconds since the citrusleaf epoch; default: now
      const lutMs = lutArg === undefined ? now + 1 : Number(BigInt(lutArg) / 1_000_000n) + 1262304000000
      const set = name === 'truncate' ? args.get('set') : undefined
      if (set === undefined) ns.truncateLutMs = lutMs
      else {
        const k = Buffer.from(set, 'utf8').toString('latin1')
        const st = ns.sets.get(k) ?? { truncateLutMs: 0 }
        st.truncateLutMs = lutMs
        ns.sets.set(k, st)
        ns.setTruncated = true
      }
      return 'ok'
    }
    case 'user-agent-set': return 'ok'
    case 'query-show': case 'scan-show': case 'jobs': return ''
    case 'query-abort': case 'scan-abort': return 'OK'
    case 'best-practices': return 'ok'
  }
  return error(4, 'unrecognized command')
}

/** The whole INFO response body for a request body. */
export function answerInfoRequest (cluster: TestCluster, node: TestNode, body: Buffer): Buffer {
  const text = body.toString('utf8')
  let cmds: string[]
  if (text.length === 0) cmds = SUMMARY
  else {
    cmds = text.split('\n')
    cmds.pop() // a command without its '\n' is ignored
  }
  let out = ''
  for (const c of cmds) out += `${c}\t${answerInfo(cluster, node, c)}\n`
  return Buffer.from(out, 'utf8')
}

export { NS_CONFIG }
