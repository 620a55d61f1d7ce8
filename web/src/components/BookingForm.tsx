// Create or change a booking: machine, local date, start and end in the SPACE's time zone.
// Server refusals (BOOKING_CONFLICT, TRAINING_REQUIRED…) are shown in words next to it.
import { type FormEvent, useEffect, useId, useRef, useState } from 'react'
import { api } from '../api'
import { describeError } from '../lib/describe'
import { useI18n } from '../lib/i18n'
import { useSpace } from '../lib/space'
import {
  addDays,
  type CalendarDate,
  formatCalendarDate,
  formatDuration,
  formatTime,
  fromLocalFields,
  parseClock,
  toLocalFields,
} from '../lib/time'
import type { Booking } from '../lib/types'

export interface BookingDraft {
  /** Editing this booking; absent for a new one. */
  booking?: Booking
  machine: string
  start: Date
  end: Date
}

const QUARTER = 15 * 60_000

/** The instants of the form's local fields; the end on the next day when it is not after the start. */
export function rangeFromFields(
  date: CalendarDate,
  startTime: string,
  endTime: string,
  timeZone: string,
): { start: Date; end: Date } {
  const start = fromLocalFields(date, startTime, timeZone)
  let end = fromLocalFields(date, endTime, timeZone)
  if (end.getTime() <= start.getTime() && parseClock(endTime) <= parseClock(startTime)) {
    end = fromLocalFields(addDays(date, 1), endTime, timeZone)
  }
  return { start, end }
}

export function BookingForm({
  draft,
  onDone,
  onClose,
}: {
  draft: BookingDraft
  onDone: (booking: Booking, message: string) => void
  onClose: () => void
}) {
  const { t, locale } = useI18n()
  const space = useSpace()
  const tz = space.timeZone
  const id = useId()
  const editing = draft.booking
  const [machine, setMachine] = useState(draft.machine)
  const initial = toLocalFields(draft.start, tz)
  const [date, setDate] = useState(initial.date)
  const [startTime, setStartTime] = useState(initial.time)
  const [endTime, setEndTime] = useState(toLocalFields(draft.end, tz).time)
  const [note, setNote] = useState(editing?.note ?? '')
  // The exact instants while the fields are untouched: the second 02:00 of an autumn night stays itself.
  const [exact, setExact] = useState<{ start: Date; end: Date } | null>({ start: draft.start, end: draft.end })
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const first = useRef<HTMLSelectElement & HTMLInputElement>(null)

  useEffect(() => {
    first.current?.focus()
  }, [])

  const range = (): { start: Date; end: Date } => exact ?? rangeFromFields(date, startTime, endTime, tz)
  const setRange = (r: { start: Date; end: Date }) => {
    const s = toLocalFields(r.start, tz)
    setDate(s.date)
    setStartTime(s.time)
    setEndTime(toLocalFields(r.end, tz).time)
    setExact(r)
  }
  const shift = (startBy: number, endBy: number) => {
    const r = range()
    setRange({ start: new Date(r.start.getTime() + startBy), end: new Date(r.end.getTime() + endBy) })
  }
  const edited = () => setExact(null)

  const describe = (e: unknown) =>
    describeError(e, t, { training: space.trainingName, machine: space.machineName, timeZone: tz })

  async function submit(event: FormEvent) {
    event.preventDefault()
    setError('')
    let r: { start: Date; end: Date }
    try {
      r = range()
    } catch {
      setError(t('error_BOOKING_INVALID_RANGE'))
      return
    }
    setBusy(true)
    try {
      const body = { start: r.start.toISOString(), end: r.end.toISOString(), note: note || undefined }
      const saved = editing
        ? await api<Booking>('PATCH', `/spaces/${space.slug}/bookings/${editing.id}`, body)
        : await api<Booking>('POST', `/spaces/${space.slug}/bookings`, { machine, ...body })
      const when = `${formatCalendarDate(toLocalFields(new Date(saved.start), tz).date, locale, {
        weekday: 'short',
        day: 'numeric',
        month: 'short',
      })} ${formatTime(saved.start, tz)}–${formatTime(saved.end, tz)}`
      onDone(saved, t(editing ? 'bookingMoved' : 'bookingCreated', { machine: space.machineName(saved.machine), when }))
    } catch (e) {
      setError(describe(e))
    } finally {
      setBusy(false)
    }
  }

  async function cancelBooking() {
    if (!editing) return
    if (!window.confirm(t('confirmCancelBooking'))) return
    setBusy(true)
    setError('')
    try {
      const cancelled = await api<Booking>('DELETE', `/spaces/${space.slug}/bookings/${editing.id}`)
      onDone(cancelled, t('bookingCancelled'))
    } catch (e) {
      setError(describe(e))
    } finally {
      setBusy(false)
    }
  }

  const m = space.machines.find((x) => x.slug === machine)
  const needs = m?.requiredTrainings.map(space.trainingName) ?? []
  return (
    <section className="card booking-form" aria-labelledby={`${id}-title`}>
      <form onSubmit={submit} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
        <h2 id={`${id}-title`}>{t(editing ? 'editBooking' : 'newBooking')}</h2>
        <div className="fields">
          {editing ? (
            <p>
              <strong>{space.machineName(editing.machine)}</strong>
              {editing.member && !editing.mine && <> · {editing.member.name}</>}
            </p>
          ) : (
            <label>
              {t('machine')}
              <select
                ref={first}
                name="machine"
                value={machine}
                onChange={(e) => {
                  setMachine(e.target.value)
                  setError('')
                }}
              >
                {space.machines.map((x) => (
                  <option key={x.slug} value={x.slug}>
                    {x.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            {t('date')}
            <input
              ref={editing ? first : undefined}
              type="date"
              name="date"
              required
              value={date}
              onChange={(e) => {
                setDate(e.target.value)
                edited()
              }}
            />
          </label>
          <label>
            {t('start')}
            <input
              type="time"
              name="start"
              step={900}
              required
              value={startTime}
              onChange={(e) => {
                setStartTime(e.target.value)
                edited()
              }}
            />
          </label>
          <label>
            {t('end')}
            <input
              type="time"
              name="end"
              step={900}
              required
              value={endTime}
              onChange={(e) => {
                setEndTime(e.target.value)
                edited()
              }}
            />
          </label>
          <label className="wide">
            {t('note')}
            <input type="text" name="note" maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
        </div>
        {needs.length > 0 && !editing && <p className="hint">{t('requiresTraining', { list: needs.join(', ') })}</p>}
        {m && (
          <p className="hint">
            {t('bookingMaxLength', { max: formatDuration(m.maxBookingMinutes * 60) })}
            {m.minNoticeMinutes > 0 && (
              <> · {t('bookingNotice', { notice: formatDuration(m.minNoticeMinutes * 60) })}</>
            )}
          </p>
        )}
        <fieldset className="nudges">
          <legend className="sr-only">{t('editBooking')}</legend>
          <button type="button" onClick={() => shift(-QUARTER, -QUARTER)}>
            {t('moveEarlier')}
          </button>
          <button type="button" onClick={() => shift(QUARTER, QUARTER)}>
            {t('moveLater')}
          </button>
          <button type="button" onClick={() => shift(0, -QUARTER)}>
            {t('shorter')}
          </button>
          <button type="button" onClick={() => shift(0, QUARTER)}>
            {t('longer')}
          </button>
        </fieldset>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {t(editing ? 'save' : 'book')}
          </button>
          {editing && (
            <button type="button" className="danger" onClick={cancelBooking} disabled={busy}>
              {t('cancelBooking')}
            </button>
          )}
          <button type="button" onClick={onClose}>
            {t('close')}
          </button>
        </div>
      </form>
    </section>
  )
}
