// TLS options with asbackup/asrestore semantics (--tls-enable, --tls-name,
// --tls-cafile, --tls-capath, --tls-protocols, --tls-cipher-suite,
// --tls-keyfile, --tls-keyfile-password, --tls-certfile,
// --tls-cert-blacklist, --tls-crl-check, --tls-crl-check-all), turned into
// node:tls connect options. Files are read once, when the options are built.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { checkServerIdentity as defaultCheck, type ConnectionOptions, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls'
import { UsageError } from '../errors.js'

export interface TlsOptions {
  /** --tls-enable. */
  enable: boolean
  /** --tls-name: default name verified against server certificates when a host has none. */
  name?: string
  /** --tls-cafile: PEM bundle of trusted CAs. */
  cafile?: string
  /** --tls-capath: directory of PEM CA certificates (and CRLs for --tls-crl-check). */
  capath?: string
  /** --tls-protocols, e.g. "TLSv1.2", "TLSv1.2 TLSv1.3", "-all +TLSv1.2". Default TLSv1.2+. */
  protocols?: string
  /** --tls-cipher-suite: OpenSSL cipher list. */
  cipherSuite?: string
  /** --tls-keyfile: client private key (PEM). */
  keyfile?: string
  /** Resolved keyfile password (see resolveSecret). */
  keyfilePassword?: string
  /** --tls-certfile: client certificate chain (PEM). */
  certfile?: string
  /** --tls-cert-blacklist: file of revoked serial numbers (hex, one per line, optional issuer after a space). */
  certBlacklist?: string
  /** --tls-crl-check: check the leaf certificate against CRLs found in cafile/capath. */
  crlCheck?: boolean
  /** --tls-crl-check-all: check the whole chain (node:tls checks every certificate that has a CRL). */
  crlCheckAll?: boolean
}

/**
 * Resolve an asbackup password specification: `env:VAR` (looked up in `env`),
 * `file:PATH` (first line of the file), or the literal text.
 */
export function resolveSecret (spec: string, env: Record<string, string | undefined>): string {
  if (spec.startsWith('env:')) {
    const v = env[spec.slice(4)]
    if (v === undefined) throw new UsageError(`environment variable ${spec.slice(4)} is not set`)
    return v
  }
  if (spec.startsWith('file:')) {
    return readFileSync(spec.slice(5), 'utf8').split(/\r?\n/)[0]
  }
  return spec
}

const PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const
type Proto = typeof PROTOCOLS[number]

/** Parse the asbackup protocol list into a min/max version pair. */
export function parseTlsProtocols (spec: string): { minVersion: Proto, maxVersion: Proto } {
  const on = new Set<Proto>()
  for (const word of spec.trim().split(/\s+/)) {
    if (word === '') continue
    let sign = '+'
    let name = word
    if (word[0] === '+' || word[0] === '-') { sign = word[0]; name = word.slice(1) }
    const names: Proto[] = name.toLowerCase() === 'all'
      ? [...PROTOCOLS]
      : PROTOCOLS.filter(p => p.toLowerCase() === name.toLowerCase())
    if (names.length === 0) throw new UsageError(`unknown TLS protocol '${name}' in --tls-protocols`)
    for (const n of names) {
      if (sign === '+') on.add(n)
      else on.delete(n)
    }
  }
  const list = PROTOCOLS.filter(p => on.has(p))
  if (list.length === 0) throw new UsageError(`--tls-protocols '${spec}' enables no protocol`)
  for (let i = PROTOCOLS.indexOf(list[0]); i <= PROTOCOLS.indexOf(list[list.length - 1]); i++) {
    if (!on.has(PROTOCOLS[i])) throw new UsageError(`--tls-protocols '${spec}' must be a contiguous range of versions`)
  }
  return { minVersion: list[0], maxVersion: list[list.length - 1] }
}

function readBlacklist (path: string): Set<string> {
  const serials = new Set<string>()
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const t = line.trim()
    if (t === '' || t.startsWith('#')) continue
    serials.add(t.split(/\s+/)[0].replace(/:/g, '').toUpperCase().replace(/^0+/, ''))
  }
  return serials
}

function splitPem (text: string): { certs: string[], crls: string[] } {
  const certs: string[] = []
  const crls: string[] = []
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g
  for (const m of text.matchAll(re)) {
    if (m[1] === 'CERTIFICATE' || m[1] === 'TRUSTED CERTIFICATE') certs.push(m[0])
    else if (m[1] === 'X509 CRL') crls.push(m[0])
  }
  return { certs, crls }
}

/**
 * Build the node:tls options shared by every connection. The per-connection
 * `servername` (the host's TLS name) is added by the connection itself.
 */
export function buildTlsConnectOptions (o: TlsOptions): ConnectionOptions {
  const ca: string[] = []
  const crl: string[] = []
  const load = (file: string): void => {
    const { certs, crls } = splitPem(readFileSync(file, 'utf8'))
    ca.push(...certs)
    crl.push(...crls)
  }
  if (o.cafile !== undefined) load(o.cafile)
  if (o.capath !== undefined) {
    for (const f of readdirSync(o.capath).sort()) {
      const p = join(o.capath, f)
      if (statSync(p).isFile()) load(p)
    }
  }
  const opts: ConnectionOptions = { rejectUnauthorized: true }
  if (ca.length > 0) opts.ca = ca
  if ((o.crlCheck === true || o.crlCheckAll === true)) {
    if (crl.length === 0) throw new UsageError('--tls-crl-check needs CRLs in --tls-cafile or --tls-capath')
    opts.crl = crl
  }
  const { minVersion, maxVersion } = parseTlsProtocols(o.protocols ?? 'TLSv1.2 TLSv1.3')
  opts.minVersion = minVersion
  opts.maxVersion = maxVersion
  if (o.cipherSuite !== undefined) opts.ciphers = o.cipherSuite
  if (o.keyfile !== undefined) {
    opts.key = readFileSync(o.keyfile)
    if (o.keyfilePassword !== undefined) opts.passphrase = o.keyfilePassword
  }
  if (o.certfile !== undefined) opts.cert = readFileSync(o.certfile)
  const blacklist = o.certBlacklist !== undefined ? readBlacklist(o.certBlacklist) : null
  opts.checkServerIdentity = (host: string, cert: PeerCertificate): Error | undefined => {
    if (blacklist !== null) {
      // The C client checks every certificate of the chain in its verify callback.
      for (let c: DetailedPeerCertificate | undefined = cert as DetailedPeerCertificate; c !== undefined && c !== null; c = c.issuerCertificate === c ? undefined : c.issuerCertificate) {
        const serial = (c.serialNumber ?? '').toUpperCase().replace(/^0+/, '')
        if (blacklist.has(serial)) return new Error(`certificate serial ${c.serialNumber} is blacklisted`)
      }
    }
    return defaultCheck(host, cert)
  }
  return opts
}

/**
 * TlsOptions from parsed command-line options named as asbackup names them
 * (`tls-enable`, `tls-name`, `tls-cafile`, ...); undefined without
 * `tls-enable`. Secrets (`tls-keyfile-password`) resolve through `env`.
 */
export function tlsOptionsFromArgs (a: { [k: string]: unknown }, env: Record<string, string | undefined>): TlsOptions | undefined {
  if (a['tls-enable'] !== true) return undefined
  const s = (k: string): string | undefined => typeof a[k] === 'string' ? a[k] as string : undefined
  const password = s('tls-keyfile-password')
  return {
    enable: true,
    name: s('tls-name'),
    cafile: s('tls-cafile'),
    capath: s('tls-capath'),
    protocols: s('tls-protocols'),
    cipherSuite: s('tls-cipher-suite'),
    keyfile: s('tls-keyfile'),
    keyfilePassword: password === undefined ? undefined : resolveSecret(password, env),
    certfile: s('tls-certfile'),
    certBlacklist: s('tls-cert-blacklist'),
    crlCheck: a['tls-crl-check'] === true,
    crlCheckAll: a['tls-crl-check-all'] === true
  }
}
