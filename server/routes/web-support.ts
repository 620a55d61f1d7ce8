// Read-only endpoints the web application needs beyond the resource routes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

export const webSupportRoutes: FastifyPluginAsyncTypebox = async () => {}
