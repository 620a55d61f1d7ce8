// The demo fablab of ../shared/DESIGN.md, seeded by `npm start` on an empty database only.
// Demo credentials live here and in the README, nowhere else.
import { hashPassword, hashSecret } from '../lib/secrets.js'
import type { Db } from './client.js'

export const DEMO = {
  space: 'demo',
  password: 'demo1234',
  agent: { slug: 'demo-pi', token: 'demo-agent-token' },
  people: {
    staff: { email: 'staff@demo.fablab', name: 'Sam Staff', badge: '0F00AA0001' },
    alice: { email: 'alice@demo.fablab', name: 'Alice Martin', badge: '0A0012AB34' },
    bob: { email: 'bob@demo.fablab', name: 'Bob Durand', badge: '0B0056CD78' },
  },
} as const

/** Seeds the demo when the database has no space yet; returns whether it did. */
export async function seedDemoIfEmpty(db: Db): Promise<boolean> {
  if ((await db.space.count()) > 0) return false
  const passwordHash = await hashPassword(DEMO.password)
  await db.$transaction(async (tx) => {
    const space = await tx.space.create({
      data: {
        slug: DEMO.space,
        name: 'FabLab Démo',
        timeZone: 'Europe/Paris',
        settings: {},
        // Invented seller details, so demo invoices look like real ones.
        legalName: 'Association FabLab Démo',
        legalAddress: '1 rue de la Fabrique\n75011 Paris',
        siret: '00000000000000',
      },
    })
    const groups = Object.fromEntries(
      await Promise.all(
        [
          ['membre', 'Membre'],
          ['etudiant', 'Étudiant'],
          ['professionnel', 'Professionnel'],
        ].map(async ([slug, name]) => [
          slug,
          await tx.priceGroup.create({ data: { spaceId: space.id, slug: slug!, name: name! } }),
        ]),
      ),
    )
    const laser = await tx.training.create({ data: { spaceId: space.id, slug: 'laser', name: 'Découpe laser' } })
    const cnc = await tx.training.create({ data: { spaceId: space.id, slug: 'cnc', name: 'Fraiseuse CNC' } })
    const agent = await tx.agent.create({
      data: {
        spaceId: space.id,
        slug: DEMO.agent.slug,
        name: 'Raspberry Pi de l’atelier',
        credentialHash: hashSecret(DEMO.agent.token),
      },
    })
    const machines = [
      {
        slug: 'laser-1',
        name: 'Découpeuse laser',
        kind: 'laser',
        cutPolicy: 'when_idle',
        idleThresholdWatts: 40,
        training: laser.id,
      },
      {
        slug: 'printer-1',
        name: 'Imprimante 3D',
        kind: 'printer',
        cutPolicy: 'when_idle',
        idleThresholdWatts: 15,
        training: null,
      },
      {
        slug: 'cnc-1',
        name: 'Fraiseuse CNC',
        kind: 'cnc',
        cutPolicy: 'immediate',
        idleThresholdWatts: null,
        training: cnc.id,
      },
    ]
    for (const { training, ...m } of machines) {
      const machine = await tx.machine.create({
        data: { ...m, spaceId: space.id, agentId: agent.id, walkInAllowed: true },
      })
      if (training) await tx.machineTraining.create({ data: { machineId: machine.id, trainingId: training } })
      for (const [slug, cents] of [
        ['membre', 600],
        ['etudiant', 400],
        ['professionnel', 1500],
      ] as const) {
        await tx.rate.create({
          data: {
            spaceId: space.id,
            machineId: machine.id,
            priceGroupId: groups[slug]!.id,
            centsPerHour: m.kind === 'printer' ? cents / 2 : cents,
          },
        })
      }
    }
    const people = [
      { ...DEMO.people.staff, role: 'staff', group: 'membre', trainings: [] as string[] },
      { ...DEMO.people.alice, role: 'maker', group: 'membre', trainings: [laser.id] },
      { ...DEMO.people.bob, role: 'maker', group: 'etudiant', trainings: [] as string[] },
    ]
    let staffMembership: string | undefined
    for (const p of people) {
      const person = await tx.person.create({ data: { email: p.email, name: p.name, passwordHash } })
      const membership = await tx.membership.create({
        data: { spaceId: space.id, personId: person.id, role: p.role, priceGroupId: groups[p.group]!.id },
      })
      staffMembership ??= membership.id
      await tx.badge.create({ data: { spaceId: space.id, membershipId: membership.id, uid: p.badge, label: 'Badge' } })
      for (const trainingId of p.trainings) {
        await tx.trainingGrant.create({
          data: { spaceId: space.id, membershipId: membership.id, trainingId, grantedById: staffMembership },
        })
      }
    }
  })
  return true
}
