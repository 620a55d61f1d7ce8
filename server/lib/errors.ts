// Every error the API returns carries a stable code. This is the one list of them;
// the OpenAPI document and the error handler read it.
export const errorCodes = {
  VALIDATION_FAILED: 'The request does not match the schema (see message).',
  PAYLOAD_TOO_LARGE: 'The request body is larger than the server accepts.',
  UNAUTHENTICATED: 'Log in, or send a valid API token.',
  INVALID_CREDENTIALS: 'Wrong email or password.',
  CSRF_FAILED: 'Cookie-authenticated writes need the x-csrf-token header from login.',
  RATE_LIMITED: 'Too many attempts; wait and try again.',
  FORBIDDEN: 'Your role in this space does not allow this.',
  NOT_FOUND: 'No such resource in this space.',
  ALREADY_EXISTS: 'A resource with this identifier already exists.',
  BOOKING_CONFLICT: 'The machine is already booked during part of this slot.',
  TRAINING_REQUIRED: 'The member lacks a valid training the machine requires.',
  MACHINE_OUT_OF_SERVICE: 'The machine is out of service or waiting for a check.',
  MEMBER_SUSPENDED: 'The member is suspended in this space.',
  BOOKING_IN_PAST: 'The booking would start in the past.',
  BOOKING_TOO_SOON: "The booking starts before the machine's minimum notice.",
  BOOKING_TOO_FAR_AHEAD: "The booking starts beyond the space's booking window.",
  BOOKING_TOO_LONG: "The booking is longer than the machine's maximum.",
  BOOKING_INVALID_RANGE: 'The booking must end after it starts.',
  OUTSIDE_OPENING_HOURS: "The slot is outside the space's opening hours (local time).",
  BOOKING_NOT_ACTIVE: 'Only confirmed bookings can be moved or cancelled.',
  TRAINER_LACKS_TRAINING: 'Trainers may grant only the trainings they hold themselves.',
  BADGE_TAKEN: 'This badge is already enrolled for someone else in this space.',
  LAST_ADMIN: 'A space keeps at least one admin.',
  SERVICE_UNAVAILABLE: 'A dependency (database or broker) is not available.',
  MACHINE_NOT_CONNECTED: 'The machine is not driven by any agent.',
  NOTHING_TO_INVOICE: 'The member has nothing left to invoice in this period.',
  INVOICE_NOT_CORRECTABLE: 'Only an invoice without a credit note can be corrected by one.',
  INVALID_PERIOD: 'Give either month (YYYY-MM) or from and to, with from before to.',
  INTERNAL: 'Internal Server Error',
} as const

export type ErrorCode = keyof typeof errorCodes

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message ?? errorCodes[code])
    this.name = 'AppError'
  }
}

export const notFound = (what: string) => new AppError(404, 'NOT_FOUND', `${what} not found`)
export const forbidden = (message?: string) => new AppError(403, 'FORBIDDEN', message)
