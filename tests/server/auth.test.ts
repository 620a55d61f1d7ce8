import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer({ config: { loginAttemptsPerMinute: 5 } })
})
afterAll(async () => server.close())

describe('login and sessions', () => {
  it('logs in with the demo password, sets an httpOnly cookie and returns a CSRF token', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'Alice@demo.fablab', password: 'demo1234' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().csrfToken).toMatch(/^fab_csrf_/)
    expect(res.json().me.memberships[0].space.slug).toBe('demo')
    const cookie = res.cookies.find((c) => c.name === 'fablab_session')
    expect(cookie?.httpOnly).toBe(true)
    expect(cookie?.sameSite).toBe('Lax')
  })

  it('refuses a wrong password and an unknown email alike', async () => {
    for (const payload of [
      { email: 'alice@demo.fablab', password: 'wrong-password' },
      { email: 'nobody@demo.fablab', password: 'demo1234' },
    ]) {
      const res = await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload })
      expect(res.statusCode).toBe(401)
      expect(res.json().code).toBe('INVALID_CREDENTIALS')
    }
  })

  it('rate-limits repeated attempts on one account', async () => {
    const attempt = () =>
      server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'bob@demo.fablab', password: 'guess' },
      })
    for (let i = 0; i < 5; i++) expect((await attempt()).statusCode).toBe(401)
    const limited = await attempt()
    expect(limited.statusCode).toBe(429)
    expect(limited.json().code).toBe('RATE_LIMITED')
    // Another account from the same address is not locked out.
    expect((await server.as('staff@demo.fablab')).csrfToken).toBeTruthy()
  })

  it('needs the CSRF header on cookie-authenticated writes', async () => {
    const alice = await server.as('alice@demo.fablab')
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/tokens',
      headers: { cookie: await cookieOf('alice@demo.fablab') },
      payload: { name: 'no csrf' },
    })
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('CSRF_FAILED')
    expect((await alice.post('/api/v1/auth/tokens', { name: 'with csrf' })).statusCode).toBe(201)
  })

  it('logout invalidates the session on the server, not only in the browser', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'alice@demo.fablab', password: 'demo1234' },
    })
    const cookie = res.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
    const headers = { cookie, 'x-csrf-token': res.json().csrfToken }
    expect((await server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers })).statusCode).toBe(200)
    expect(
      (await server.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers, payload: {} })).statusCode,
    ).toBe(200)
    // Replaying the old cookie after logout is refused.
    const after = await server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers })
    expect(after.statusCode).toBe(401)
  })

  it('a token records its last use, to the minute; an expired session is refused', async () => {
    const staff = await server.as('staff@demo.fablab')
    const db = server.database.db
    const { token, id } = (await staff.post('/api/v1/auth/tokens', { name: 'last use' })).json()
    const call = () =>
      server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })
    expect((await call()).statusCode).toBe(200)
    await expect.poll(async () => (await db.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt).not.toBeNull()
    const used = (await db.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt!
    await call() // within the minute: not written again
    expect((await db.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt).toEqual(used)
    const longAgo = new Date(Date.now() - 3_600_000)
    await db.apiToken.update({ where: { id }, data: { lastUsedAt: longAgo } })
    await call()
    await expect
      .poll(async () => (await db.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt!.getTime())
      .toBeGreaterThan(longAgo.getTime())

    const me = () => server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: staff.cookie } })
    expect((await me()).statusCode).toBe(200)
    const person = await db.person.findUniqueOrThrow({ where: { email: 'staff@demo.fablab' } })
    await db.authSession.updateMany({
      where: { personId: person.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    })
    expect((await me()).statusCode).toBe(401)
  })

  it('API tokens authenticate without CSRF, act with their owner rights, and can be revoked', async () => {
    const staff = await server.as('staff@demo.fablab')
    const created = await staff.post('/api/v1/auth/tokens', { name: 'export script' })
    expect(created.statusCode).toBe(201)
    const { token, id } = created.json()
    const bearer = { authorization: `Bearer ${token}` }
    const members = await server.app.inject({ method: 'GET', url: '/api/v1/spaces/demo/members', headers: bearer })
    expect(members.statusCode).toBe(200)
    expect(members.json().length).toBe(3)
    // Writes need no CSRF header with a token.
    const group = await server.app.inject({
      method: 'POST',
      url: '/api/v1/spaces/demo/price-groups',
      headers: bearer,
      payload: { slug: 'association', name: 'Association' },
    })
    expect(group.statusCode).toBe(201)
    const listed = (await staff.get('/api/v1/auth/tokens')).json()
    expect(listed.map((t: { name: string }) => t.name)).toContain('export script')
    expect(JSON.stringify(listed)).not.toContain(token)
    expect((await staff.delete(`/api/v1/auth/tokens/${id}`)).statusCode).toBe(200)
    const revoked = await server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer })
    expect(revoked.statusCode).toBe(401)
  })

  it('stores no password, session or token in clear', async () => {
    const people = await server.database.db.person.findMany()
    expect(people.every((p) => p.passwordHash?.startsWith('scrypt$'))).toBe(true)
    const sessions = await server.database.db.authSession.findMany()
    expect(sessions.every((s) => /^[0-9a-f]{64}$/.test(s.id))).toBe(true)
  })
})

async function cookieOf(email: string) {
  const res = await server.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: 'demo1234' },
  })
  return res.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
}
