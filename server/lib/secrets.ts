// Passwords (scrypt) and random bearer secrets (session cookies, API tokens, agent
// credentials). Only hashes are stored; a secret is shown once, when it is made.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>
const N = 16384
const r = 8
const p = 1

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scryptAsync(password, salt, 32, { N, r, p })
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  // Unknown users still pay for one scrypt, so timing does not reveal which emails exist.
  const parts = (stored ?? `scrypt$${N}$${r}$${p}$AAAAAAAAAAAAAAAAAAAAAA==$`).split('$')
  const [, n, rr, pp, salt, hash] = parts
  const expected = Buffer.from(hash ?? '', 'base64')
  const actual = await scryptAsync(password, Buffer.from(salt ?? '', 'base64'), 32, {
    N: Number(n),
    r: Number(rr),
    p: Number(pp),
  })
  return stored !== null && expected.length === actual.length && timingSafeEqual(expected, actual)
}

/** A new random secret with a readable prefix, e.g. fab_tok_…, fab_agent_… */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`
}

/** Bearer secrets are long and random: a plain SHA-256 is the right hash for them. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}
