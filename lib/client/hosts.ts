// Seed and peer address parsing.
//
// Seeds use the asbackup/asrestore `--host` syntax: `host[:tlsname][:port]`,
// comma separated, IPv6 addresses in brackets (`[::1]:3000`,
// `[fe80::1]:tls1:4333`). Peers come from the `peers-*` info commands
// (wire-protocol.md §2.1):
//   <gen>,<default-port>,[[<NODEID>,<tls-name>,[<addr>[:port],...]],...]
import { UsageError } from '../errors.js'

export interface HostAddress {
  host: string
  port: number
  /** TLS name to verify the server certificate against (and send as SNI). */
  tlsName?: string
}

/**
 * Parse `host[:tlsname][:port],...`. `defaultPort` applies when a host has no
 * port. A single middle part that is numeric is the port; `host:name:port` has
 * both. Throws UsageError on an empty list or a bad port.
 */
export function parseHosts (spec: string, defaultPort = 3000): HostAddress[] {
  const out: HostAddress[] = []
  for (const raw of spec.split(/[,;]/)) {
    const item = raw.trim()
    if (item === '') continue
    let host: string
    let rest: string[]
    if (item.startsWith('[')) {
      const close = item.indexOf(']')
      if (close < 0) throw new UsageError(`bad host '${item}': missing ']'`)
      host = item.slice(1, close)
      const tail = item.slice(close + 1)
      if (tail !== '' && !tail.startsWith(':')) throw new UsageError(`bad host '${item}'`)
      rest = tail === '' ? [] : tail.slice(1).split(':')
    } else {
      const parts = item.split(':')
      host = parts[0]
      rest = parts.slice(1)
    }
    if (host === '') throw new UsageError(`bad host '${item}': empty host name`)
    let tlsName: string | undefined
    let port = defaultPort
    if (rest.length === 1) {
      if (/^\d+$/.test(rest[0])) port = parsePort(rest[0], item)
      else tlsName = rest[0]
    } else if (rest.length === 2) {
      tlsName = rest[0] === '' ? undefined : rest[0]
      port = parsePort(rest[1], item)
    } else if (rest.length > 2) {
      throw new UsageError(`bad host '${item}': expected host[:tlsname][:port]`)
    }
    out.push(tlsName === undefined ? { host, port } : { host, port, tlsName })
  }
  if (out.length === 0) throw new UsageError('no seed host given')
  return out
}

function parsePort (s: string, item: string): number {
  const n = Number(s)
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new UsageError(`bad port in host '${item}'`)
  return n
}

export interface PeerEntry {
  nodeName: string
  tlsName: string | undefined
  addresses: HostAddress[]
}

export interface PeersInfo {
  generation: number
  peers: PeerEntry[]
}

/** Parse a `peers-clear-std` (or -alt, -tls-*) value. Throws on malformed text. */
export function parsePeers (value: string): PeersInfo {
  const p = new PeersParser(value)
  const generation = p.number()
  p.expect(',')
  const defaultPort = p.number()
  p.expect(',')
  p.expect('[')
  const peers: PeerEntry[] = []
  while (p.peek() !== ']') {
    p.expect('[')
    const nodeName = p.token()
    p.expect(',')
    const tls = p.token()
    p.expect(',')
    p.expect('[')
    const addresses: HostAddress[] = []
    while (p.peek() !== ']') {
      addresses.push(p.address(defaultPort, tls === '' ? undefined : tls))
      if (p.peek() === ',') p.expect(',')
    }
    p.expect(']')
    p.expect(']')
    peers.push({ nodeName, tlsName: tls === '' ? undefined : tls, addresses })
    if (p.peek() === ',') p.expect(',')
  }
  p.expect(']')
  return { generation, peers }
}

class PeersParser {
  #s: string
  #i = 0
  constructor (s: string) { this.#s = s.trim() }
  peek (): string {
    if (this.#i >= this.#s.length) throw new Error(`truncated peers list '${this.#s}'`)
    return this.#s[this.#i]
  }

  expect (c: string): void {
    if (this.peek() !== c) throw new Error(`bad peers list '${this.#s}': expected '${c}' at ${this.#i}`)
    this.#i++
  }

  token (): string {
    const start = this.#i
    while (this.#i < this.#s.length && !',[]'.includes(this.#s[this.#i])) this.#i++
    return this.#s.slice(start, this.#i)
  }

  number (): number {
    const t = this.token()
    if (!/^-?\d+$/.test(t)) throw new Error(`bad peers list '${this.#s}': expected a number, got '${t}'`)
    return Number(t)
  }

  address (defaultPort: number, tlsName: string | undefined): HostAddress {
    let host: string
    if (this.peek() === '[') {
      this.#i++
      const close = this.#s.indexOf(']', this.#i)
      if (close < 0) throw new Error(`bad peers list '${this.#s}': unclosed IPv6 address`)
      host = this.#s.slice(this.#i, close)
      this.#i = close + 1
    } else {
      const start = this.#i
      while (this.#i < this.#s.length && !',[]:'.includes(this.#s[this.#i])) this.#i++
      host = this.#s.slice(start, this.#i)
    }
    let port = defaultPort
    if (this.peek() === ':') {
      this.#i++
      port = this.number()
    }
    return tlsName === undefined ? { host, port } : { host, port, tlsName }
  }
}
