// The REST API under /api/v1: one file per domain.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { agentApiRoutes } from './agent-api.js'
import { agentRoutes } from './agents.js'
import { authRoutes } from './auth.js'
import { badgeRoutes } from './badges.js'
import { billingRoutes } from './billing.js'
import { bookingRoutes } from './bookings.js'
import { commandRoutes } from './commands.js'
import { healthRoutes } from './health.js'
import { machineRoutes } from './machines.js'
import { memberRoutes } from './members.js'
import { simulatorRoutes } from './simulator.js'
import { spaceRoutes } from './spaces.js'
import { trainingRoutes } from './trainings.js'
import { usageLogRoutes } from './usage-log.js'
import { webSupportRoutes } from './web-support.js'

export const apiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(healthRoutes)
  await app.register(authRoutes)
  await app.register(agentApiRoutes)
  await app.register(spaceRoutes)
  await app.register(memberRoutes)
  await app.register(bookingRoutes)
  await app.register(commandRoutes)
  await app.register(machineRoutes)
  await app.register(trainingRoutes)
  await app.register(badgeRoutes)
  await app.register(usageLogRoutes)
  await app.register(billingRoutes)
  await app.register(agentRoutes)
  await app.register(simulatorRoutes)
  await app.register(webSupportRoutes)
}
