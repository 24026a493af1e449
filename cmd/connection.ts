// The cluster connection options every cluster-facing binary shares (as-scan,
// as-restore, as-estimate, as-ttl-audit), with asbackup's names and aliases,
// so a command line moves between the tools unchanged. Timeouts and retries
// differ by tool (scan vs write semantics) and stay in each binary.
import type { Argv } from 'yargs'

const str = { type: 'string' } as const
const bool = { type: 'boolean', default: undefined } as const

/** -h -p -U -P -A -S and the --tls-* family. `password` is the tool's -P help text. */
export function addConnectionOptions<T> (y: Argv<T>, password = 'Password: env:VAR, file:PATH or literal'): Argv<T> {
  return y
    .option('host', { ...str, alias: 'h', describe: 'Seeds: host[:tlsname][:port],... (default 127.0.0.1)' })
    .option('port', { ...str, alias: 'p', describe: 'Default port (3000)' })
    .option('user', { ...str, alias: 'U', describe: 'User name' })
    .option('password', { ...str, alias: 'P', describe: password })
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
}

/** as-scan's scan timeouts and retries, shared by the tools that scan (as-scan, as-estimate, as-ttl-audit). */
export function addScanTimeoutOptions<T> (y: Argv<T>): Argv<T> {
  return y
    .option('socket-timeout', { ...str, describe: 'Socket idle timeout, ms (10000)' })
    .option('total-timeout', { ...str, describe: 'Total scan timeout, ms (0 = none)' })
    .option('max-retries', { ...str, describe: 'Retry rounds (5)' })
    .option('sleep-between-retries', { ...str, alias: 'retry-delay', describe: 'Pause before a retry, ms (0)' })
}
