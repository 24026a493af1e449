// Login and per-connection authentication (wire-protocol.md §11).
//
// The first connection to a node logs in (LOGIN with the bcrypt credential;
// EXTERNAL modes add the clear password; PKI sends no fields) and keeps the
// session token; every later connection sends AUTHENTICATE with that token.
// A token is dropped 60 s before its TTL ends (as the Java client does), and
// an AUTHENTICATE answered with EXPIRED_SESSION (or any other refusal) falls
// back to a fresh LOGIN on that connection. SECURITY_NOT_ENABLED (52) means
// no login is needed.
import { AsbError, ErrorCode } from '../errors.js'
import { encodeAuthenticate, encodeLogin, hashPassword, decodeAdminMessage, parseLoginResponse, type AuthMode } from '../proto/admin.js'
import { ProtoType } from '../proto/header.js'
import { describeResultCode, ResultCode } from '../proto/result-codes.js'
import type { Connection } from './connection.js'

export type { AuthMode }

export interface AuthOptions {
  /** Default INTERNAL. */
  mode?: AuthMode
  /** Required except for PKI. */
  user?: string
  /** Clear password (hashed with the fixed bcrypt salt for the credential). */
  password?: string
}

/** Seconds shaved off the session TTL before a token is considered stale. */
export const SESSION_MARGIN_S = 60

export interface Session {
  token: Buffer
  /** Date.now() after which the token is not used any more; Infinity = no TTL given. */
  expiresAt: number
}

export class Authenticator {
  readonly mode: AuthMode
  readonly user: string | null
  readonly #password: string
  #credential: string | null = null

  constructor (o: AuthOptions) {
    this.mode = o.mode ?? 'INTERNAL'
    if (this.mode !== 'PKI' && (o.user === undefined || o.user === '')) {
      throw new AsbError(ErrorCode.USAGE, `auth mode ${this.mode} needs a user name`)
    }
    this.user = this.mode === 'PKI' ? null : o.user!
    this.#password = o.password ?? ''
  }

  /** The bcrypt credential, computed once (bcrypt cost 10 takes ~100 ms). */
  get credential (): string {
    if (this.#credential === null) this.#credential = hashPassword(this.#password)
    return this.#credential
  }

  /**
   * Authenticates a fresh connection, reusing `session` when it is still
   * valid. Returns the session to keep (new, same, or null when the server has
   * security disabled). Throws AsbError(AUTH) when the server refuses.
   */
  async authenticate (conn: Connection, session: Session | null, timeoutMs: number, now = Date.now()): Promise<Session | null> {
    if (session !== null && session.expiresAt > now) {
      const m = await conn.request(encodeAuthenticate(this.user, session.token), timeoutMs)
      if (m.type !== ProtoType.ADMIN) throw new AsbError(ErrorCode.PROTOCOL, `expected an admin answer to AUTHENTICATE, got proto type ${m.type}`)
      const rc = decodeAdminMessage(m.body).resultCode
      if (rc === ResultCode.OK) return session
      if (rc === ResultCode.SECURITY_NOT_ENABLED) return null
      // EXPIRED_SESSION or a token the server no longer knows: log in again below
    }
    const m = await conn.request(encodeLogin(this.mode, this.user ?? '', this.#password, this.mode === 'PKI' ? '' : this.credential), timeoutMs)
    if (m.type !== ProtoType.ADMIN) throw new AsbError(ErrorCode.PROTOCOL, `expected an admin answer to LOGIN, got proto type ${m.type}`)
    const r = parseLoginResponse(m.body)
    if (r.resultCode === ResultCode.SECURITY_NOT_ENABLED) return null
    if (r.resultCode !== ResultCode.OK) {
      throw new AsbError(ErrorCode.AUTH, `login as '${this.user ?? '(pki)'}' failed: ${describeResultCode(r.resultCode)}`)
    }
    if (r.token === null) return null
    const ttl = r.ttlSeconds
    const expiresAt = ttl === null || ttl === 0
      ? Infinity
      : now + 1000 * (ttl > 2 * SESSION_MARGIN_S ? ttl - SESSION_MARGIN_S : ttl / 2)
    return { token: r.token, expiresAt }
  }
}
