// The one error handler: a stable code on every error, the message for 4xx, a bare
// "Internal Server Error" for 5xx (details go to the log, never to the client).
import type { FastifyError, FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { AppError, type ErrorCode, errorCodes } from '../lib/errors.js'

export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({
      description: Object.entries(errorCodes)
        .map(([c, m]) => `${c}: ${m}`)
        .join('\n'),
    }),
    error: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'ErrorBody' },
)

const reasons: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
}

function describe(error: FastifyError): {
  status: number
  code: ErrorCode | string
  message: string
  details?: Record<string, unknown>
} {
  if (error instanceof AppError)
    return { status: error.statusCode, code: error.code, message: error.message, details: error.details }
  if (error.validation) {
    const problems = error.validation.map((v) => {
      const where = `${error.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`
      if (v.keyword === 'additionalProperties')
        return `${where}: unknown field "${(v.params as { additionalProperty: string }).additionalProperty}"`
      return `${where} ${v.message}`
    })
    return { status: 400, code: 'VALIDATION_FAILED', message: problems.join('; '), details: { problems } }
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: errorCodes.PAYLOAD_TOO_LARGE }
  if (error.statusCode === 429) return { status: 429, code: 'RATE_LIMITED', message: errorCodes.RATE_LIMITED }
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, wrong content type...): keep their message.
    return { status, code: status === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', message: error.message }
  }
  return {
    status: status >= 500 ? status : 500,
    code: status === 503 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL',
    message: errorCodes.INTERNAL,
  }
}

export function registerErrorHandling(app: FastifyInstance) {
  app.addSchema(ErrorBody)
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, code, message, details } = describe(error)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code, message }, 'request refused')
    void reply.status(status).send({ statusCode: status, code, error: reasons[status] ?? 'Error', message, details })
  })
}
