// Builds the real server on a throw-away database, and logs people in over app.inject()
// exactly as a browser would (session cookie + x-csrf-token on writes).
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { type BuildOptions, buildApp } from '../../server/app.js'
import { type AppConfig, loadConfig } from '../../server/config.js'
import { startTestBroker, type TestBroker } from './broker.js'
import { createTestDatabase, type TestDatabase } from './database.js'

/** Resolves once the server's MQTT client is connected. */
export async function mqttConnected(app: FastifyInstance) {
  const client = app.mqttLink.client
  if (!client || client.connected) return
  await new Promise<void>((resolve) => client.once('connect', () => resolve()))
}

export interface TestServer {
  app: FastifyInstance
  database: TestDatabase
  /** With `broker: true`: the real broker the server is connected to. */
  broker: TestBroker | null
  as(email: string, password?: string): Promise<TestClient>
  anonymous: TestClient
  close(): Promise<void>
}

export interface TestClient {
  csrfToken: string
  /** The Cookie header of this login, for real HTTP or socket.io clients. */
  cookie: string
  get(url: string): Promise<LightMyRequestResponse>
  post(url: string, body?: unknown): Promise<LightMyRequestResponse>
  put(url: string, body?: unknown): Promise<LightMyRequestResponse>
  patch(url: string, body?: unknown): Promise<LightMyRequestResponse>
  delete(url: string): Promise<LightMyRequestResponse>
}

export const testSecret = 'test-secret-test-secret-test-secret-42'

export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return loadConfig({}, { sessionSecret: testSecret, logLevel: 'silent', webDist: null, ...overrides })
}

function client(app: FastifyInstance, cookie: string | undefined, csrfToken: string): TestClient {
  const send = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
    app.inject({
      method,
      url,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(csrfToken && method !== 'GET' ? { 'x-csrf-token': csrfToken } : {}),
      },
      ...(body === undefined ? {} : { payload: body as object }),
    })
  return {
    csrfToken,
    cookie: cookie ?? '',
    get: (url) => send('GET', url),
    post: (url, body) => send('POST', url, body ?? {}),
    put: (url, body) => send('PUT', url, body ?? {}),
    patch: (url, body) => send('PATCH', url, body ?? {}),
    delete: (url) => send('DELETE', url),
  }
}

export async function login(app: FastifyInstance, email: string, password = 'demo1234'): Promise<TestClient> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })
  if (res.statusCode !== 200) throw new Error(`login ${email} failed: ${res.statusCode} ${res.body}`)
  const cookie = res.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
  return client(app, cookie, res.json().csrfToken)
}

export async function startTestServer(
  options: { config?: Partial<AppConfig>; seed?: boolean; mqtt?: BuildOptions['mqtt']; broker?: boolean } = {},
): Promise<TestServer> {
  const database = await createTestDatabase({ seed: options.seed })
  // The embedded broker checks agents' credentials in this test's database.
  const broker = options.broker ? await startTestBroker(database.db) : null
  const app = await buildApp(testConfig({ databaseUrl: database.url, ...options.config }), {
    db: database.db,
    mqtt: broker ? { url: broker.url, mode: 'external', ...broker.server } : options.mqtt,
  })
  await app.ready()
  if (broker) await mqttConnected(app)
  return {
    app,
    database,
    broker,
    as: (email, password) => login(app, email, password),
    anonymous: client(app, undefined, ''),
    close: async () => {
      await app.close()
      await broker?.close()
      await database.drop()
    },
  }
}
