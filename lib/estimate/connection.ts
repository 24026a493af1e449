// Cluster options and scan timeouts from the parsed connection options that
// cmd/connection.ts defines (as-scan's names, defaults and messages), for
// as-estimate and as-ttl-audit. Values come in from the parsed arguments and
// the environment the binary passes; nothing here reads process.*.
import type { ClusterOptions } from '../client/cluster.js'
import { resolveSecret, tlsOptionsFromArgs } from '../client/tls.js'
import { UsageError } from '../errors.js'
import { parseAuthMode, parseIntOption } from '../scan/parse.js'

export interface Connection {
  cluster: ClusterOptions
  socketTimeoutMs: number
  totalTimeoutMs: number
  maxRetries: number
  retryDelayMs: number
}

type Args = { [k: string]: unknown }

/**
 * ClusterOptions and scan timeouts from the parsed options (as-scan's defaults
 * and messages). `promptPassword` reads a password from the terminal for -U
 * with -P given no value or not at all, as asbackup does; without it that is a
 * usage error.
 */
export function connectionFrom (a: Args, env: Record<string, string | undefined>, promptPassword?: () => string): Connection {
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
    if (p === undefined || p === '') {
      if (promptPassword === undefined) throw new UsageError('-U needs a password: -P env:VAR, -P file:PATH or -P PASSWORD')
      password = promptPassword()
    } else {
      password = resolveSecret(p, env)
    }
  }
  const tls = tlsOptionsFromArgs(a, env)
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
