// Admin / security messages (proto type 2, wire-protocol.md §11):
// proto header + 16-byte admin header (scheme, result, command, n_fields,
// 12 zero bytes) + fields (u32 BE len = 1 + data, u8 id, data).
import bcrypt from 'bcryptjs'
import { AsbError, ErrorCode } from '../errors.js'
import { PROTO_HEADER_SIZE, ProtoType, writeProtoHeader } from './header.js'

export const ADMIN_HEADER_SIZE = 16

/** The fixed salt every client hashes passwords with (JAVA AdminCommand.hashPassword). */
export const PASSWORD_SALT = '$2a$10$7EqJtq98hPqEX7fNZaFWoO'

export const AdminCommand = {
  AUTHENTICATE: 0,
  CREATE_USER: 1,
  DROP_USER: 2,
  SET_PASSWORD: 3,
  CHANGE_PASSWORD: 4,
  GRANT_ROLES: 5,
  REVOKE_ROLES: 6,
  QUERY_USERS: 9,
  CREATE_ROLE: 10,
  DROP_ROLE: 11,
  GRANT_PRIVILEGES: 12,
  REVOKE_PRIVILEGES: 13,
  SET_WHITELIST: 14,
  SET_QUOTAS: 15,
  QUERY_ROLES: 16,
  LOGIN: 20
} as const

export const AdminField = {
  USER: 0,
  PASSWORD: 1,
  OLD_PASSWORD: 2,
  CREDENTIAL: 3,
  CLEAR_PASSWORD: 4,
  SESSION_TOKEN: 5,
  SESSION_TTL: 6,
  ROLES: 10,
  ROLE: 11,
  PRIVILEGES: 12,
  WHITELIST: 13,
  READ_QUOTA: 14,
  WRITE_QUOTA: 15,
  READ_INFO: 16,
  WRITE_INFO: 17,
  CONNECTIONS: 18
} as const

export interface AdminFieldData {
  id: number
  data: Buffer
}

export interface AdminMessage {
  command: number
  resultCode: number
  fields: AdminFieldData[]
}

/** bcrypt(password, fixed salt): the 60-character credential sent on LOGIN. */
export function hashPassword (password: string): string {
  return bcrypt.hashSync(password, PASSWORD_SALT)
}

/** A whole admin message (proto header included). */
export function encodeAdminMessage (m: AdminMessage): Buffer {
  let size = ADMIN_HEADER_SIZE
  for (const f of m.fields) size += 5 + f.data.length
  const buf = Buffer.alloc(PROTO_HEADER_SIZE + size)
  writeProtoHeader(buf, 0, ProtoType.ADMIN, size)
  buf[8] = 0 // scheme
  buf[9] = m.resultCode
  buf[10] = m.command
  buf[11] = m.fields.length
  let off = PROTO_HEADER_SIZE + ADMIN_HEADER_SIZE
  for (const f of m.fields) {
    buf.writeUInt32BE(f.data.length + 1, off)
    buf[off + 4] = f.id
    f.data.copy(buf, off + 5)
    off += 5 + f.data.length
  }
  return buf
}

/** Decodes an admin message body (after the proto header). Field data are subarrays. */
export function decodeAdminMessage (body: Buffer): AdminMessage {
  if (body.length < ADMIN_HEADER_SIZE) throw new AsbError(ErrorCode.PROTOCOL, `admin message of ${body.length} bytes (header is 16)`)
  const n = body[3]!
  const fields: AdminFieldData[] = []
  let off = ADMIN_HEADER_SIZE
  for (let i = 0; i < n; i++) {
    if (off + 5 > body.length) throw new AsbError(ErrorCode.PROTOCOL, `admin field ${i} truncated at body offset ${off}`)
    const len = body.readUInt32BE(off)
    if (len < 1 || off + 4 + len > body.length) throw new AsbError(ErrorCode.PROTOCOL, `admin field ${i} of ${len} bytes overruns the message`)
    fields.push({ id: body[off + 4]!, data: body.subarray(off + 5, off + 4 + len) })
    off += 4 + len
  }
  return { resultCode: body[1]!, command: body[2]!, fields }
}

export function getAdminField (m: AdminMessage, id: number): Buffer | undefined {
  for (const f of m.fields) if (f.id === id) return f.data
  return undefined
}

export type AuthMode = 'INTERNAL' | 'EXTERNAL' | 'EXTERNAL_INSECURE' | 'PKI'

/**
 * LOGIN request. INTERNAL: USER + CREDENTIAL; EXTERNAL(_INSECURE): also
 * CLEAR_PASSWORD; PKI: no fields (the TLS client certificate identifies the user).
 */
export function encodeLogin (mode: AuthMode, user: string, password: string, credential = hashPassword(password)): Buffer {
  const fields: AdminFieldData[] = []
  if (mode !== 'PKI') {
    fields.push({ id: AdminField.USER, data: Buffer.from(user, 'utf8') })
    fields.push({ id: AdminField.CREDENTIAL, data: Buffer.from(credential, 'utf8') })
    if (mode === 'EXTERNAL' || mode === 'EXTERNAL_INSECURE') {
      fields.push({ id: AdminField.CLEAR_PASSWORD, data: Buffer.from(password, 'utf8') })
    }
  }
  return encodeAdminMessage({ command: AdminCommand.LOGIN, resultCode: 0, fields })
}

/** AUTHENTICATE request for a new connection: USER (omitted for PKI when null) + SESSION_TOKEN. */
export function encodeAuthenticate (user: string | null, token: Buffer): Buffer {
  const fields: AdminFieldData[] = []
  if (user !== null) fields.push({ id: AdminField.USER, data: Buffer.from(user, 'utf8') })
  fields.push({ id: AdminField.SESSION_TOKEN, data: token })
  return encodeAdminMessage({ command: AdminCommand.AUTHENTICATE, resultCode: 0, fields })
}

export interface LoginResult {
  resultCode: number
  /** Session token, when the server issued one. */
  token: Buffer | null
  /** Session TTL in seconds, when given. */
  ttlSeconds: number | null
}

/** Reads a LOGIN response body. */
export function parseLoginResponse (body: Buffer): LoginResult {
  const m = decodeAdminMessage(body)
  const tok = getAdminField(m, AdminField.SESSION_TOKEN)
  const ttl = getAdminField(m, AdminField.SESSION_TTL)
  return {
    resultCode: m.resultCode,
    token: tok === undefined ? null : Buffer.from(tok),
    ttlSeconds: ttl !== undefined && ttl.length >= 4 ? ttl.readUInt32BE(0) : null
  }
}
