// Command lines without loading yargs, when that is safe.
//
// Importing yargs costs ~0.1 s (yargs-parser, string-width and its emoji
// tables, cliui, y18n), more than half of a filter's start-up: openssl
// decrypts 257 MiB in about the time it took us to parse `-d -y aes256`.
// So baseParser() hands the binaries a recorder instead of a yargs instance:
// it records the same chained calls (.option, .command, .strict...), and
// parseAsync() first tries fastParse() below on the recorded definitions.
// fastParse() only accepts the plain cases (known long or one-letter options,
// --opt=value, --no-flag, values that read one way only, the declared
// positionals) and returns undefined for anything else: --help, --version,
// errors, short-option groups, repeats, numbers in odd notations, any option
// feature it does not model. Then yargs is imported and the recorded calls
// replayed on it, so help, error messages and every edge case stay yargs's
// own. test/args.test.ts checks, binary by binary, that whatever fastParse()
// accepts yargs parses to exactly the same object.

/** The option fields fastParse() understands; an option with any other field leaves the parse to yargs. */
const MODELLED = new Set(['alias', 'type', 'default', 'describe', 'choices', 'hidden'])
/** Recorded calls that do not change how arguments parse, or that fastParse() models. */
const KNOWN_CALLS = new Set([
  'scriptName', 'usage', 'option', 'options', 'version', 'help', 'strict', 'strictOptions',
  'strictCommands', 'exitProcess', 'wrap', 'fail', 'command', 'parserConfiguration'
])

interface OptionDef {
  alias?: string | readonly string[]
  type?: string
  default?: unknown
  choices?: readonly unknown[]
  [k: string]: unknown
}

/** What fastParse() needs from the recorded calls. */
export interface ParseSpec {
  scriptName: string
  options: Map<string, OptionDef>
  /** `$0 <a> [b]` positionals, or undefined when no default command was given (positionals go to `_`). */
  positionals?: Array<{ name: string, required: boolean }>
  camelCase: boolean
  booleanNegation: boolean
  /** Unknown options are errors. */
  strictOptions: boolean
  /** Unknown positionals are errors. */
  strictPositionals: boolean
}

export type Call = [method: string, args: unknown[]]

function camel (s: string): string {
  return s.replace(/-+([^-])/g, (_m, c: string) => c.toUpperCase())
}

/** The parse specification the recorded calls describe, or undefined if they use anything fastParse() does not model. */
export function specOf (calls: readonly Call[]): ParseSpec | undefined {
  const spec: ParseSpec = {
    scriptName: '',
    options: new Map(),
    camelCase: true,
    booleanNegation: true,
    strictOptions: false,
    strictPositionals: false
  }
  for (const [method, args] of calls) {
    if (!KNOWN_CALLS.has(method)) return undefined
    switch (method) {
      case 'scriptName': spec.scriptName = String(args[0]); break
      case 'option': spec.options.set(String(args[0]), (args[1] ?? {}) as OptionDef); break
      case 'options':
        for (const [k, v] of Object.entries(args[0] as Record<string, OptionDef>)) spec.options.set(k, v)
        break
      case 'strict':
        spec.strictOptions = spec.strictPositionals = args[0] !== false
        break
      case 'strictOptions': spec.strictOptions = args[0] !== false; break
      case 'strictCommands': break // no commands besides $0
      case 'version':
        if (!spec.options.has('version')) spec.options.set('version', { type: 'boolean' })
        break
      case 'help': spec.options.set(String(args[0] ?? 'help'), { type: 'boolean' }); break
      case 'parserConfiguration': {
        const cfg = args[0] as Record<string, unknown>
        for (const [k, v] of Object.entries(cfg)) {
          if (k === 'camel-case-expansion') spec.camelCase = v !== false
          else if (k === 'boolean-negation') spec.booleanNegation = v !== false
          else return undefined
        }
        break
      }
      case 'command': {
        const m = typeof args[0] === 'string' ? /^\$0((?:\s+(?:<[\w-]+>|\[[\w-]+\]))*)$/.exec(args[0]) : null
        if (m === null || args.length > 2 || spec.positionals !== undefined) return undefined
        spec.positionals = [...m[1].matchAll(/([<[])([\w-]+)[>\]]/g)].map((p) => ({ name: p[2], required: p[1] === '<' }))
        break
      }
    }
  }
  for (const def of spec.options.values()) {
    for (const k of Object.keys(def)) if (!MODELLED.has(k)) return undefined
    if (def.type !== undefined && def.type !== 'boolean' && def.type !== 'string' && def.type !== 'number') return undefined
    if (def.type === undefined && def.choices === undefined) return undefined
  }
  return spec
}

/** A decimal number yargs reads the same way: no hex, exponents, blanks or signs. */
const PLAIN_NUMBER = /^(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?$/

/**
 * Parse `argv` the way yargs would under `spec`, or return undefined if this
 * is not a case fastParse() is sure of (then yargs decides, including errors).
 */
export function fastParse (spec: ParseSpec, argv: readonly string[]): Record<string, unknown> | undefined {
  const byName = new Map<string, [string, OptionDef]>()
  for (const [name, def] of spec.options) {
    byName.set(name, [name, def])
    if (spec.camelCase && name.includes('-')) byName.set(camel(name), [name, def])
    for (const a of typeof def.alias === 'string' ? [def.alias] : def.alias ?? []) {
      byName.set(a, [name, def])
      if (spec.camelCase && a.includes('-')) byName.set(camel(a), [name, def])
    }
  }
  const values = new Map<string, unknown>()
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]
    if (tok === '-' || tok === '--' || tok === '') return undefined
    if (tok[0] !== '-') {
      // yargs turns number-like positionals into numbers and `-` into true
      if (/^[\d.+-]|^0x/i.test(tok) || /^\s|\s$/.test(tok)) return undefined
      positional.push(tok)
      continue
    }
    let key: string
    let inline: string | undefined
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=')
      key = eq < 0 ? tok.slice(2) : tok.slice(2, eq)
      inline = eq < 0 ? undefined : tok.slice(eq + 1)
    } else {
      if (tok.length !== 2) return undefined // -abc groups, -n5, -x=1
      key = tok.slice(1)
    }
    let entry = byName.get(key)
    let negated = false
    if (entry === undefined && spec.booleanNegation && key.startsWith('no-')) {
      entry = byName.get(key.slice(3))
      negated = true
      if (entry === undefined || entry[1].type !== 'boolean' || inline !== undefined) return undefined
    }
    if (entry === undefined) return undefined
    const [name, def] = entry
    if (name === 'help' || name === 'version' || values.has(name)) return undefined
    if (def.type === 'boolean') {
      if (inline !== undefined) return undefined
      const next = argv[i + 1]
      if (next === 'true' || next === 'false') return undefined
      values.set(name, !negated)
      continue
    }
    let value = inline
    if (value === undefined) {
      value = argv[i + 1]
      if (value === undefined || value === '' || value[0] === '-') return undefined
      i++
    }
    if (def.type === 'number') {
      if (!PLAIN_NUMBER.test(value)) return undefined
      values.set(name, Number(value))
    } else {
      if (def.choices !== undefined && !def.choices.includes(value)) return undefined
      if (def.type === undefined && !/^[A-Za-z][\w-]*$/.test(value)) return undefined
      values.set(name, value)
    }
  }
  const out: Record<string, unknown> = { _: [], $0: spec.scriptName }
  if (spec.positionals === undefined) {
    if (spec.strictPositionals && positional.length > 0) return undefined
    out._ = positional
  } else {
    if (positional.length > spec.positionals.length) return undefined
    for (const [j, p] of spec.positionals.entries()) {
      if (j < positional.length) out[p.name] = positional[j]
      else if (p.required) return undefined
    }
  }
  for (const [name, def] of spec.options) {
    // an explicit `default: undefined` still creates the keys, as in yargs
    if (!values.has(name) && !('default' in def)) continue
    const v = values.has(name) ? values.get(name) : def.default
    const keys = [name, ...(typeof def.alias === 'string' ? [def.alias] : def.alias ?? [])]
    for (const k of keys) {
      out[k] = v
      if (spec.camelCase && k.includes('-')) out[camel(k)] = v
    }
  }
  return out
}
