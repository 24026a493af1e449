// The connection options of as-scan (cmd/as-scan.ts), shared by as-estimate and
// as-ttl-audit: same names, aliases and meanings, so a command line moves
// between the tools unchanged. Values come in from the parsed arguments and
// the environment the binary passes; nothing here reads process.*.
import type { Argv } from 'yargs'
import type { ClusterOptions } from '../client/cluster.js'
import { resolveSecret, type TlsOptions } from '../client/tls.js'
import { UsageError } from '../errors.js'
import { parseAuthMode, parseIntOption } from '../scan/parse.js'

const str = { type: 'string' } as const
const bool = { type: 'boolean', default: undefined } as const

/** -h -p -U -P -A -S, the --tls-* family and the timeouts, exactly as as-scan defines them. */
export function addConnectionOptions<T> (y: Argv<T>): Argv<T> {
  return y
    .option('host', { ...str, alias: 'h', describe: 'Seeds: host[:tlsname][:port],... (default 127.0.0.1)' })
    .option('port', { ...str, alias: 'p', describe: 'Default port (3000)' })
    .option('user', { ...str, alias: 'U', describe: 'User name' })
    .option('password', { ...str, alias: 'P', describe: 'Password; env:VAR, file:PATH or literal' })
    .option('auth', { ...str, alias: 'A', describe: 'INTERNAL | EXTERNAL | EXTERNAL_INSECURE | PKI' })
    .option('services-alternate', { ...bool, alias: 'S', describe: 'Use alternate access addresses' })
    .option('tls-enable', { ...bool, describe: 'Use TLS' })
    .option('tls-name', { ...str, describe: 'Default TLS name' })
    .option('tls-cafile', { ...str, describe: 'Trusted CA file' })
    .option('tls-capath', { ...str, describe: 'Trusted CA directory' })
    .option('tls-protocols', { ...str, describe: 'TLS protocols' })
    .option('tls-cipher-suite', { ...str, describe: 'TLS cipher list' })
    .option('tls-crl-check', { ...bool, describe: 'Check the leaf certificate against CRLs' })
    .option('tls-crl-check-all', { ...bool, describe: 'Check the chain against CRLs' })
    .option('tls-keyfile', { ...str, describe: 'Client key' })
    .option('tls-keyfile-password', { ...str, describe: 'Client key password (env:VAR, file:PATH or literal)' })
    .option('tls-certfile', { ...str, describe: 'Client certificate chain' })
    .option('tls-cert-blacklist', { ...str, describe: 'Revoked serial numbers file (deprecated)' })
    .option('socket-timeout', { ...str, describe: 'Socket idle timeout, ms (10000)' })
    .option('total-timeout', { ...str, describe: 'Total scan timeout, ms (0 = none)' })
    .option('max-retries', { ...str, describe: 'Retry rounds (5)' })
    .option('sleep-between-retries', { ...str, alias: 'retry-delay', describe: 'Pause before a retry, ms (0)' })
}

export interface Connection {
  cluster: ClusterOptions
  socketTimeoutMs: number
  totalTimeoutMs: number
  maxRetries: number
  retryDelayMs: number
}

type Args = { [k: string]: unknown }

/** ClusterOptions and scan timeouts from the parsed options (as-scan's defaults and messages). */
export function connectionFrom (a: Args, env: Record<string, string | undefined>): Connection {
  const s = (k: string): string | undefined => typeof a[k] === 'string' ? a[k] as string : undefined
  const b = (k: string): boolean => a[k] === true
  const int = (k: string, what: string, min: number, dflt: number): number => {
    const v = s(k)
    return v === undefined ? dflt : parseIntOption(v, what, min, 4294967295)
  }
  const port = s('port') === undefined ? 3000 : parseIntOption(s('port')!, 'port', 1, 65535)
  const socketTimeoutMs = int('socket-timeout', 'socket timeout', 0, 10000)
  const auth = s('auth') !== undefined ? parseAuthMode(s('auth')!) : null
  const user = s('user')
  let password: string | undefined
  if (user !== undefined) {
    const p = s('password')
    if (p === undefined || p === '') throw new UsageError('-U needs a password: -P env:VAR, -P file:PATH or -P PASSWORD')
    password = resolveSecret(p, env)
  }
  const tls: TlsOptions | undefined = b('tls-enable')
    ? {
        enable: true,
        name: s('tls-name'),
        cafile: s('tls-cafile'),
        capath: s('tls-capath'),
        protocols: s('tls-protocols'),
        cipherSuite: s('tls-cipher-suite'),
        keyfile: s('tls-keyfile'),
        keyfilePassword: s('tls-keyfile-password') === undefined ? undefined : resolveSecret(s('tls-keyfile-password')!, env),
        certfile: s('tls-certfile'),
        certBlacklist: s('tls-cert-blacklist'),
        crlCheck: b('tls-crl-check'),
        crlCheckAll: b('tls-crl-check-all')
      }
    : undefined
  return {
    cluster: {
      hosts: s('host') ?? '127.0.0.1',
      defaultPort: port,
      tls,
      auth: user !== undefined || auth === 'PKI' ? { mode: auth ?? 'INTERNAL', user, password } : undefined,
      servicesAlternate: b('services-alternate'),
      connectTimeoutMs: socketTimeoutMs > 0 ? socketTimeoutMs : undefined
    },
    socketTimeoutMs,
    totalTimeoutMs: int('total-timeout', 'total timeout', 0, 0),
    maxRetries: int('max-retries', 'max retries', 0, 5),
    retryDelayMs: int('sleep-between-retries', 'retry delay', 0, 0)
  }
}
