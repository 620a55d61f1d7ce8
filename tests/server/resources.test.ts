// Machines, trainings, badges, agents and the audit log through the API, as staff,
// trainers and makers would use them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../server/lib/secrets.js'
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js'

let server: TestServer
let staff: TestClient
let alice: TestClient
let bob: TestClient
const api = '/api/v1/spaces/demo'

beforeAll(async () => {
  server = await startTestServer()
  ;[staff, alice, bob] = await Promise.all([
    server.as('staff@demo.fablab'),
    server.as('alice@demo.fablab'),
    server.as('bob@demo.fablab'),
  ])
})
afterAll(async () => server.close())

describe('machines', () => {
  it('lists machines with required trainings and live state to every member', async () => {
    const res = await bob.get(`${api}/machines`)
    expect(res.statusCode).toBe(200)
    const laser = res.json().find((m: { slug: string }) => m.slug === 'laser-1')
    expect(laser).toMatchObject({
      requiredTrainings: ['laser'],
      cutPolicy: 'when_idle',
      agent: 'demo-pi',
      live: { state: 'offline' },
    })
  })

  it('staff create and change machines; makers cannot', async () => {
    const created = await staff.post(`${api}/machines`, {
      slug: 'brodeuse',
      name: 'Brodeuse',
      kind: 'embroidery',
      requiredTrainings: ['cnc'],
    })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({
      slug: 'brodeuse',
      requiredTrainings: ['cnc'],
      status: 'available',
      agent: null,
    })
    const changed = await staff.patch(`${api}/machines/brodeuse`, {
      status: 'to_check',
      requiredTrainings: [],
      agent: 'demo-pi',
      cutPolicy: 'when_idle',
    })
    expect(changed.json()).toMatchObject({
      status: 'to_check',
      requiredTrainings: [],
      agent: 'demo-pi',
      cutPolicy: 'when_idle',
    })
    expect((await alice.patch(`${api}/machines/brodeuse`, { status: 'available' })).statusCode).toBe(403)
    const unknown = await staff.patch(`${api}/machines/brodeuse`, { requiredTrainings: ['soudure'] })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().message).toContain('soudure')
    expect((await staff.post(`${api}/machines`, { slug: 'brodeuse', name: 'Encore' })).json().code).toBe(
      'ALREADY_EXISTS',
    )
    const audit = (await staff.get(`${api}/audit?action=machine.status`)).json()
    expect(audit[0]).toMatchObject({
      target: 'brodeuse',
      actor: 'staff@demo.fablab',
      details: { from: 'available', to: 'to_check' },
    })
    // Deleting is for admins only.
    expect((await staff.delete(`${api}/machines/brodeuse`)).statusCode).toBe(403)
  })
})

describe('trainings', () => {
  it('staff grant with an expiry and revoke; the member sees it', async () => {
    const expiresAt = new Date(Date.now() + 90 * 86_400_000).toISOString()
    const granted = await staff.put(`${api}/members/bob@demo.fablab/trainings/laser`, { expiresAt })
    expect(granted.statusCode).toBe(200)
    expect(granted.json()).toMatchObject({ training: 'laser', expiresAt, grantedBy: 'Sam Staff' })
    expect(
      (await bob.get(`${api}/members/bob@demo.fablab/trainings`)).json().map((g: { training: string }) => g.training),
    ).toEqual(['laser'])
    expect((await staff.delete(`${api}/members/bob@demo.fablab/trainings/laser`)).statusCode).toBe(200)
    expect((await bob.get(`${api}/members/bob@demo.fablab/trainings`)).json()).toEqual([])
    expect((await staff.delete(`${api}/members/bob@demo.fablab/trainings/laser`)).statusCode).toBe(404)
  })

  it('a training with a validity period sets the expiry by itself', async () => {
    await staff.post(`${api}/trainings`, { slug: 'soudure', name: 'Soudure', validityDays: 365 })
    const granted = (await staff.put(`${api}/members/bob@demo.fablab/trainings/soudure`)).json()
    const days = (new Date(granted.expiresAt).getTime() - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(364)
    expect(days).toBeLessThanOrEqual(365)
  })

  it('trainers grant only the trainings they hold, makers none', async () => {
    await staff.patch(`${api}/members/alice@demo.fablab`, { role: 'trainer' })
    const trainer = await server.as('alice@demo.fablab')
    expect((await trainer.put(`${api}/members/bob@demo.fablab/trainings/laser`)).statusCode).toBe(200)
    const cnc = await trainer.put(`${api}/members/bob@demo.fablab/trainings/cnc`)
    expect(cnc.statusCode).toBe(403)
    expect(cnc.json().code).toBe('TRAINER_LACKS_TRAINING')
    expect((await bob.put(`${api}/members/alice@demo.fablab/trainings/cnc`)).statusCode).toBe(403)
    const grant = await server.database.db.trainingGrant.findFirstOrThrow({
      where: { member: { person: { email: 'bob@demo.fablab' } }, training: { slug: 'laser' } },
      include: { grantedBy: { include: { person: true } } },
    })
    expect(grant.grantedBy!.person.email).toBe('alice@demo.fablab')
    await staff.patch(`${api}/members/alice@demo.fablab`, { role: 'maker' })
  })
})

describe('badges', () => {
  it('enrols a badge upper-cased, refuses one already in use, and revokes', async () => {
    const enrolled = await staff.post(`${api}/members/bob@demo.fablab/badges`, {
      uid: '0b00aa1122',
      label: 'Porte-clés',
    })
    expect(enrolled.statusCode).toBe(201)
    expect(enrolled.json()).toMatchObject({ uid: '0B00AA1122', active: true, member: { email: 'bob@demo.fablab' } })
    const taken = await staff.post(`${api}/members/alice@demo.fablab/badges`, { uid: '0B00AA1122' })
    expect(taken.statusCode).toBe(409)
    expect(taken.json().code).toBe('BADGE_TAKEN')
    expect((await staff.post(`${api}/members/bob@demo.fablab/badges`, { uid: 'not-hex!' })).statusCode).toBe(400)
    const revoked = await staff.delete(`${api}/badges/0b00aa1122`)
    expect(revoked.json().active).toBe(false)
    // Re-activating a revoked badge for the same member is allowed.
    expect((await staff.post(`${api}/members/bob@demo.fablab/badges`, { uid: '0B00AA1122' })).json().active).toBe(true)
    expect((await bob.get(`${api}/badges`)).statusCode).toBe(403)
  })

  it('lists the last unknown badges tapped, for enrolment at a machine', async () => {
    const db = server.database.db
    const demo = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
    const laser = await db.machine.findFirstOrThrow({ where: { slug: 'laser-1' } })
    await db.accessEvent.create({
      data: {
        spaceId: demo.id,
        machineId: laser.id,
        badgeUid: 'DEAD000001',
        decision: 'denied',
        reason: 'unknown_badge',
        at: new Date(Date.now() - 60_000),
        eventId: 'e-unknown-1',
      },
    })
    await db.accessEvent.create({
      data: {
        spaceId: demo.id,
        machineId: laser.id,
        badgeUid: 'DEAD000002',
        decision: 'denied',
        reason: 'unknown_badge',
        at: new Date(),
        eventId: 'e-unknown-2',
      },
    })
    const res = await staff.get(`${api}/badges/unknown?machine=laser-1&limit=1`)
    expect(res.json()).toEqual([{ uid: 'DEAD000002', machine: 'laser-1', at: expect.any(String) }])
  })
})

describe('agents', () => {
  it('registers an agent and shows its credential once', async () => {
    const res = await staff.post(`${api}/agents`, { slug: 'atelier-bois', name: 'Pi atelier bois' })
    expect(res.statusCode).toBe(201)
    const { credential } = res.json()
    expect(credential).toMatch(/^fab_agent_/)
    const stored = await server.database.db.agent.findUniqueOrThrow({ where: { slug: 'atelier-bois' } })
    expect(stored.credentialHash).toBe(hashSecret(credential))
    const list = await staff.get(`${api}/agents`)
    expect(JSON.stringify(list.json())).not.toContain(credential)
    expect(list.json().map((a: { slug: string }) => a.slug)).toEqual(['atelier-bois', 'demo-pi'])
    expect((await staff.post(`${api}/agents`, { slug: 'demo-pi', name: 'Again' })).json().code).toBe('ALREADY_EXISTS')
    expect((await alice.get(`${api}/agents`)).statusCode).toBe(403)
  })
})
