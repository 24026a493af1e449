// One cluster node: its address, a small connection pool (each connection
// authenticated when security is on) and the generations the tender tracks.
import { AsbError, ErrorCode } from '../errors.js'
import { ProtoType } from '../proto/header.js'
import { encodeInfoRequest, parseInfoResponse } from '../proto/info.js'
import type { Authenticator, Session } from './auth.js'
import { Connection } from './connection.js'
import type { HostAddress } from './hosts.js'
import type { ConnectionOptions } from 'node:tls'

export interface NodeOptions {
  tls?: ConnectionOptions
  auth?: Authenticator
  /** Connect timeout, ms (default 10000). */
  connectTimeoutMs?: number
  /** Timeout of info and admin requests, ms (default 10000). */
  infoTimeoutMs?: number
  /** Pool size: connections kept and opened at most per node (default 16). */
  maxConnections?: number
}

export class ClusterNode {
  readonly name: string
  readonly address: HostAddress
  readonly #opts: NodeOptions
  readonly #idle: Connection[] = []
  readonly #waiters: Array<(c: Connection | null) => void> = []
  #open = 0
  #closed = false
  #session: Session | null = null
  /** Tender state. */
  partitionGeneration = -2
  peersGeneration = -2
  failures = 0
  active = true

  /** `first`: an authenticated connection (and its session) to start the pool with. */
  constructor (name: string, address: HostAddress, opts: NodeOptions, first?: { conn: Connection, session: Session | null }) {
    this.name = name
    this.address = address
    this.#opts = opts
    if (first !== undefined) {
      this.#session = first.session
      this.#open = 1
      this.#idle.push(first.conn)
    }
  }

  toString (): string {
    return `${this.name} ${this.address.host}:${this.address.port}`
  }

  get maxConnections (): number { return this.#opts.maxConnections ?? 16 }
  get infoTimeoutMs (): number { return this.#opts.infoTimeoutMs ?? 10_000 }
  /** Connections currently open (idle + in use). */
  get openConnections (): number { return this.#open }

  /** Open and authenticate a connection to an address (used for seeds and peers before the node is known). */
  static async connect (address: HostAddress, opts: NodeOptions, session: Session | null = null): Promise<{ conn: Connection, session: Session | null }> {
    const conn = await Connection.open({
      host: address.host,
      port: address.port,
      tlsName: address.tlsName,
      tls: opts.tls,
      connectTimeoutMs: opts.connectTimeoutMs
    })
    if (opts.auth === undefined) return { conn, session: null }
    try {
      const s = await opts.auth.authenticate(conn, session, opts.infoTimeoutMs ?? 10_000)
      return { conn, session: s }
    } catch (err) {
      conn.close()
      throw err
    }
  }

  /** A connection from the pool, opening one when under the limit, else waiting for one. */
  async acquire (): Promise<Connection> {
    for (;;) {
      if (this.#closed) throw new AsbError(ErrorCode.CONNECTION, `node ${this.name} is closed`)
      const c = this.#idle.pop()
      if (c !== undefined) {
        if (c.usable) return c
        this.#open--
        continue
      }
      if (this.#open < this.maxConnections) {
        this.#open++
        try {
          const { conn, session } = await ClusterNode.connect(this.address, this.#opts, this.#session)
          this.#session = session
          return conn
        } catch (err) {
          this.#open--
          this.#wakeOne()
          throw err
        }
      }
      const got = await new Promise<Connection | null>(resolve => this.#waiters.push(resolve))
      if (got !== null) return got
    }
  }

  /** Give a connection back; `reusable` false (or an unusable socket) closes it. */
  release (conn: Connection, reusable = true): void {
    if (!reusable || !conn.usable || this.#closed) {
      conn.close()
      this.#open--
      this.#wakeOne()
      return
    }
    conn.lastUsed = Date.now()
    const w = this.#waiters.shift()
    if (w !== undefined) w(conn)
    else this.#idle.push(conn)
  }

  #wakeOne (): void {
    const w = this.#waiters.shift()
    if (w !== undefined) w(null)
  }

  /** Run info commands on a pooled connection. */
  async info (commands: string[], timeoutMs = this.infoTimeoutMs): Promise<Map<string, string>> {
    const conn = await this.acquire()
    let ok = false
    try {
      const m = await conn.request(encodeInfoRequest(commands), timeoutMs)
      if (m.type !== ProtoType.INFO) throw new AsbError(ErrorCode.PROTOCOL, `expected an info answer from ${this}, got proto type ${m.type}`)
      ok = true
      return parseInfoResponse(m.body)
    } finally {
      this.release(conn, ok)
    }
  }

  close (): void {
    this.#closed = true
    this.active = false
    for (const c of this.#idle.splice(0)) c.close()
    for (const w of this.#waiters.splice(0)) w(null)
  }
}
