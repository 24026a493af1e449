// as-test-server: run the in-repo Aerospike protocol test server (lib/server)
// standalone, e.g. `npm run server -- --nodes 3 --port 3000`.
// Prints one line per node on stdout ("<host>:<port> <node-id>"), then a
// "seeds <list>" line, and serves until SIGINT/SIGTERM or stdin closes
// (with --stdin-close).
import { readFileSync, realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { baseParser, makeLog, run } from './common.js'
import { UsageError } from '../lib/errors.js'
import { startTestCluster, type TestClusterOptions } from '../lib/server/index.js'
import type { NamespaceConfig } from '../lib/server/store.js'

/** `name[:key=value,key=value...]` -> [name, config]. */
function parseNamespace (spec: string): [string, NamespaceConfig] {
  const i = spec.indexOf(':')
  const name = i < 0 ? spec : spec.slice(0, i)
  if (name === '') throw new UsageError(`bad --namespace "${spec}": expected NAME[:key=value,...]`)
  const cfg: NamespaceConfig = {}
  if (i >= 0) {
    for (const kv of spec.slice(i + 1).split(',')) {
      if (kv === '') continue
      const eq = kv.indexOf('=')
      if (eq < 1) throw new UsageError(`bad --namespace "${spec}": "${kv}" is not key=value`)
      cfg[kv.slice(0, eq)] = kv.slice(eq + 1)
    }
  }
  return [name, cfg]
}

export async function main (argv: string[]): Promise<number> {
  const args = await baseParser('as-test-server', argv, '$0 [options]\n\nAerospike protocol test server (in-memory, loopback).')
    .option('nodes', { type: 'number', default: 1, describe: 'Number of nodes' })
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'Listen address' })
    .option('port', { type: 'number', default: 3000, describe: 'Port of the first node (node i uses port+i); 0 = ephemeral' })
    .option('namespace', { alias: 'n', type: 'string', array: true, describe: 'NAME[:key=value,...] (repeatable; default "test")' })
    .option('cluster-name', { type: 'string', describe: 'cluster-name info value' })
    .option('user', { type: 'string', array: true, describe: 'USER:PASSWORD; enables security (repeatable)' })
    .option('session-ttl', { type: 'number', describe: 'Session TTL in seconds (security)' })
    .option('tls-cert', { type: 'string', describe: 'PEM certificate file; enables TLS' })
    .option('tls-key', { type: 'string', describe: 'PEM key file (with --tls-cert)' })
    .option('tls-cafile', { type: 'string', describe: 'CA file for client certificates' })
    .option('tls-name', { type: 'string', describe: 'TLS name reported in peers-tls-std' })
    .option('stdin-close', { type: 'boolean', default: false, describe: 'Exit when stdin closes' })
    .parseAsync()
  const log = makeLog('as-test-server', args.verbose)
  if (!Number.isInteger(args.nodes) || args.nodes < 1 || args.nodes > 64) throw new UsageError('--nodes must be 1..64')
  const opts: TestClusterOptions = { nodes: args.nodes, host: args.host, port: args.port }
  if (args.namespace !== undefined) opts.namespaces = Object.fromEntries(args.namespace.map(parseNamespace))
  if (args['cluster-name'] !== undefined) opts.clusterName = args['cluster-name']
  if (args.user !== undefined) {
    const users: { [u: string]: string } = {}
    for (const u of args.user) {
      const i = u.indexOf(':')
      if (i < 1) throw new UsageError(`bad --user "${u}": expected USER:PASSWORD`)
      users[u.slice(0, i)] = u.slice(i + 1)
    }
    opts.security = { users, sessionTtlSeconds: args['session-ttl'] }
  }
  if (args['tls-cert'] !== undefined) {
    if (args['tls-key'] === undefined) throw new UsageError('--tls-cert needs --tls-key')
    opts.tls = {
      cert: readFileSync(args['tls-cert']),
      key: readFileSync(args['tls-key']),
      ca: args['tls-cafile'] === undefined ? undefined : readFileSync(args['tls-cafile']),
      requestCert: args['tls-cafile'] !== undefined,
      name: args['tls-name']
    }
  }
  const cluster = await startTestCluster(opts)
  for (const n of cluster.nodes) process.stdout.write(`${n.host}:${n.port} ${n.id}\n`)
  process.stdout.write(`seeds ${cluster.seeds}\n`)
  log.verbose(`serving ${cluster.nodes.length} node(s); namespaces ${[...cluster.namespaces.keys()].join(',')}`)
  await new Promise<void>(resolve => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
    if (args['stdin-close']) { process.stdin.resume(); process.stdin.once('end', resolve) }
  })
  await cluster.close()
  return 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) run('as-test-server', main)
