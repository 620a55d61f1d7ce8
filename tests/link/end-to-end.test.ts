// The whole chain with real parts: alice's RDM6300 frame on laser-1's reader (a pseudo-
// terminal) → the agent decides → LCUS relay bytes on the relay's pseudo-terminal →
// the session in the database → the event in a staff browser's socket.io client.
// Then staff revoke her training and her next tap is refused within a second.
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent } from '../../agent/agent.js'
import { lcusCommand } from '../../agent/devices/lcus.js'
import { rdm6300Frame } from '../../agent/devices/rdm6300.js'
import { hashSecret } from '../../server/lib/secrets.js'
import { connectLive, type LiveClient } from '../helpers/live.js'
import { type PtyPair, ptyPair, write } from '../helpers/pty.js'
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js'

let server: TestServer
let agent: Agent
let reader: PtyPair
let relay: PtyPair
let staffLive: LiveClient
let staff: TestClient
// The agent's clock: the test moves it forward to take a card away from the reader.
let offset = 0
const slug = `e2e-pi-${process.pid}`
const dataDir = mkdtempSync(join(tmpdir(), 'fablab-e2e-agent-'))
const ON = lcusCommand(1, true)
const OFF = lcusCommand(1, false)

beforeAll(async () => {
  server = await startTestServer({ broker: true })
  await server.app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`
  const db = server.database.db
  const demo = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
  const created = await db.agent.create({
    data: { spaceId: demo.id, slug, name: 'E2E Pi', credentialHash: hashSecret('e2e-agent-token') },
  })
  await db.machine.updateMany({ where: { spaceId: demo.id, slug: 'laser-1' }, data: { agentId: created.id } })
  ;[reader, relay] = await Promise.all([ptyPair('reader'), ptyPair('relay')])
  staff = await server.as('staff@demo.fablab')
  staffLive = await connectLive(base, { cookie: staff.cookie })
  agent = new Agent(
    {
      id: slug,
      server: base,
      mqtt: server.broker!.url,
      token: 'e2e-agent-token',
      dataDir,
      machines: [
        {
          machine: 'laser-1',
          reader: { type: 'rdm6300', port: reader.device },
          relay: { type: 'lcus', port: relay.device, channel: 1 },
        },
      ],
    },
    { now: () => Date.now() + offset, tickMs: 100, resendMs: 1000, log: () => {} },
  )
  const rights = once(agent, 'rights')
  await agent.start()
  await rights
})

afterAll(async () => {
  staffLive?.close()
  await agent?.stop()
  await Promise.all([reader?.close(), relay?.close()])
  await server?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('badge to relay to database to browser', () => {
  it('starts with the relay off', async () => {
    expect(await relay.waitBytes(4)).toEqual(OFF)
  })

  it("alice's card held on laser-1's reader switches the relay on once and opens her session, live", async () => {
    const frame = rdm6300Frame('0A0012AB34')
    // A held card: the reader repeats the frame; noise around it.
    await write(reader.port, Buffer.concat([Buffer.from([0x00, 0xff, 0x02, 0x41]), frame, frame, frame]))
    expect((await relay.waitBytes(8)).subarray(4)).toEqual(ON)
    const started = await staffLive.next('session.started', (d) => d.machine === 'laser-1')
    expect(started.member.name).toBe('Alice Martin')
    const session = await server.database.db.usageSession.findFirstOrThrow({
      where: { machine: { slug: 'laser-1' } },
      include: { member: { include: { person: true } } },
    })
    expect(session.member!.person.email).toBe('alice@demo.fablab')
    expect(session.endedAt).toBeNull()
    const granted = await server.database.db.accessEvent.findMany({
      where: { decision: 'granted', badgeUid: '0A0012AB34' },
    })
    expect(granted).toHaveLength(1)
  })

  it('the same card presented again ends the session and cuts the relay', async () => {
    offset += 2000 // the card was taken away, then presented again
    await write(reader.port, rdm6300Frame('0A0012AB34'))
    expect((await relay.waitBytes(12)).subarray(8)).toEqual(OFF)
    const ended = await staffLive.next('session.ended', (d) => d.machine === 'laser-1')
    expect(ended.endCause).toBe('same_badge')
  })

  it('bob, untrained, gets no power and a training_missing denial', async () => {
    await write(reader.port, rdm6300Frame('0B0056CD78'))
    const denied = await staffLive.next('access.decision', (d) => d.badgeUid === '0B0056CD78')
    expect(denied).toMatchObject({
      decision: 'denied',
      reason: 'training_missing',
      machine: 'laser-1',
      training: 'laser',
      space: 'demo',
    })
    expect(relay.bytes()).toHaveLength(12)
  })

  it("revoking alice's laser training reaches the agent within a second; her next tap is refused", async () => {
    // Other writes publish rights too (alice's session debited her credit): wait for the
    // version that carries the revocation, not merely the next one.
    const received: number[] = []
    const onRights = (version: number) => received.push(version)
    agent.on('rights', onRights)
    const started = Date.now()
    expect((await staff.delete('/api/v1/spaces/demo/members/alice@demo.fablab/trainings/laser')).statusCode).toBe(200)
    await server.app.rights.spaceChanged('*') // resolves once the resulting versions are published
    const { rightsVersion } = await server.database.db.agent.findUniqueOrThrow({ where: { slug } })
    while (!received.some((v) => v >= rightsVersion)) await once(agent, 'rights')
    agent.off('rights', onRights)
    expect(Date.now() - started).toBeLessThan(1000)
    offset += 2000
    await write(reader.port, rdm6300Frame('0A0012AB34'))
    const denied = await staffLive.next(
      'access.decision',
      (d) => d.badgeUid === '0A0012AB34' && d.decision === 'denied',
    )
    expect(denied.reason).toBe('training_missing')
    expect(relay.bytes()).toHaveLength(12)
  })
})
