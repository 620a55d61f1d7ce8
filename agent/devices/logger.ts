// Where devices report what they dropped (a malformed MQTT payload, a refused subscription).
// `console` fits; so does any logger with info and warn.
export interface DeviceLogger {
  info(message: string): void
  warn(message: string): void
}

export const silentLogger: DeviceLogger = { info() {}, warn() {} }

/** Adapts a plain `(message) => void` function (warnings only). */
export const warnLogger = (warn: (message: string) => void): DeviceLogger => ({ info() {}, warn })

/** A logger, or a plain function taken as the warning sink. */
export type LoggerLike = DeviceLogger | ((message: string) => void)

export const toLogger = (logger: LoggerLike | undefined): DeviceLogger =>
  !logger ? silentLogger : typeof logger === 'function' ? warnLogger(logger) : logger
