// Schema pieces shared by the route files.
import { Type } from 'typebox'

export const Slug = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  description: 'lower-case letters, digits and dashes',
})
export const Id = Type.String({ minLength: 1, maxLength: 200 })
export const IsoDateTime = Type.String({ format: 'date-time', description: 'ISO 8601 with offset; stored in UTC' })
export const Email = Type.String({ format: 'email', maxLength: 254 })
export const Name = Type.String({ minLength: 1, maxLength: 200 })
export const Role = Type.Union([
  Type.Literal('maker'),
  Type.Literal('trainer'),
  Type.Literal('staff'),
  Type.Literal('admin'),
])
/** An RDM6300/NFC badge UID: hex, 4 to 20 digits; stored upper-case. */
export const BadgeUid = Type.String({ pattern: '^[0-9A-Fa-f]{4,20}$' })

export const SpaceParams = Type.Object({ space: Slug })
export const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }))

export const errorResponses = {
  400: Type.Ref('ErrorBody'),
  401: Type.Ref('ErrorBody'),
  403: Type.Ref('ErrorBody'),
  404: Type.Ref('ErrorBody'),
}

export const Ok = Type.Object({ ok: Type.Literal(true) })

/** Parses an optional ISO query date. */
export const toDate = (value: string | undefined) => (value ? new Date(value) : undefined)
