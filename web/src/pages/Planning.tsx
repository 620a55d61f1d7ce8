// The planning: machines as columns, bookings as blocks, in the space's time zone.
// Day view on the real hours of the day (23 or 25 on DST days), week view on the wall
// clock. Select a slot by clicking or dragging on a column; move or resize your own
// bookings by dragging them, or with the form (keyboard). Updates live.
import { type PointerEvent as ReactPointerEvent, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import { api, query } from '../api'
import { type BookingDraft, BookingForm } from '../components/BookingForm'
import { Notices } from '../components/Notices.js'
import { describeError, statusKey } from '../lib/describe'
import { useFlash, useLoad } from '../lib/hooks'
import { useI18n } from '../lib/i18n'
import { useDebounced, useLive, useLiveConnected } from '../lib/live'
import { blockOnDay, type DayModel, dayModel, snap } from '../lib/planning'
import { useSpace } from '../lib/space'
import {
  addDays,
  type CalendarDate,
  formatCalendarDate,
  formatTime,
  fromLocalFields,
  localDate,
  weekStart,
  zoneLabel,
} from '../lib/time'
import type { Booking, Machine } from '../lib/types'

type View = 'day' | 'week'
/** Pixels per minute of the grid. */
const PPM = 0.8
const HOUR = 3_600_000

function initialView(): View {
  try {
    const saved = localStorage.getItem('planning.view')
    if (saved === 'day' || saved === 'week') return saved
    return window.matchMedia?.('(max-width: 700px)').matches ? 'day' : 'week'
  } catch {
    return 'day'
  }
}

export function Planning(props: { initialDate?: CalendarDate; initialView?: View } = {}) {
  const { t, locale } = useI18n()
  const space = useSpace()
  const tz = space.timeZone
  const [view, setViewState] = useState<View>(props.initialView ?? initialView)
  const setView = (v: View) => {
    setViewState(v)
    localStorage.setItem('planning.view', v)
  }
  const today = localDate(new Date(), tz)
  const [date, setDate] = useState<CalendarDate>(props.initialDate ?? today)
  const days = useMemo(() => {
    if (view === 'day') return [date]
    const monday = weekStart(date)
    return Array.from({ length: 7 }, (_, i) => addDays(monday, i))
  }, [view, date])
  const scale = view === 'day' ? 'elapsed' : 'wall'
  const models = useMemo(() => days.map((d) => dayModel(d, tz, scale)), [days, tz, scale])
  const from = models[0]!.start
  const to = models[models.length - 1]!.end

  const bookings = useLoad(
    () =>
      api<Booking[]>(
        'GET',
        `/spaces/${space.slug}/bookings${query({ from: from.toISOString(), to: to.toISOString() })}`,
      ),
    [space.slug, from.getTime(), to.getTime()],
  )
  const reloadSoon = useDebounced(bookings.reload, 200)
  useLive('booking.changed', reloadSoon)
  const connected = useLiveConnected()
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload what was missed while offline
  useEffect(() => {
    if (connected) reloadSoon()
  }, [connected])

  const [draft, setDraft] = useState<BookingDraft | null>(null)
  const [flash, showFlash] = useFlash()
  const [dragError, setDragError] = useState('')

  const step = view === 'day' ? 1 : 7
  const label =
    view === 'day'
      ? t('planningOf', { day: formatCalendarDate(date, locale) })
      : t('planningWeek', {
          day: formatCalendarDate(days[0]!, locale, { day: 'numeric', month: 'long', year: 'numeric' }),
        })

  const openNew = (machine: string, start: Date, end: Date) => {
    setDragError('')
    setDraft({ machine, start, end })
  }
  const canEdit = (b: Booking) => (b.mine || space.isStaff) && b.status === 'confirmed'

  async function moveBooking(b: Booking, start: Date, end: Date) {
    setDragError('')
    try {
      await api('PATCH', `/spaces/${space.slug}/bookings/${b.id}`, {
        start: start.toISOString(),
        end: end.toISOString(),
      })
      showFlash(
        t('bookingMoved', {
          machine: space.machineName(b.machine),
          when: `${formatTime(start, tz)}–${formatTime(end, tz)}`,
        }),
      )
    } catch (e) {
      setDragError(describeError(e, t, { training: space.trainingName, timeZone: tz }))
    }
    bookings.reload()
  }

  /** A new booking starts at the next full hour today, or at 09:00 on another day shown. */
  const suggestedSlot = () => {
    const start =
      date === today || view === 'week'
        ? new Date(Math.ceil(Date.now() / HOUR) * HOUR)
        : fromLocalFields(date, '09:00', tz)
    return { start, end: new Date(start.getTime() + HOUR) }
  }

  const scroller = useRef<HTMLDivElement>(null)
  // Open on the morning: 08:00 of the first day shown.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when the view or days change
  useLayoutEffect(() => {
    const m = models[0]!
    if (scroller.current) scroller.current.scrollTop = Math.max(0, m.position(m.instantAt(8 * 60)) * PPM - 8)
  }, [view, days[0], space.machines.length > 0])

  const dst = view === 'day' && models[0]!.hours !== 24

  return (
    <div className="planning">
      <div className="page-head">
        <h1>{t('navPlanning')}</h1>
        <p className="muted">{t('timesIn', { zone: `${tz} (${zoneLabel(from, tz)})` })}</p>
      </div>
      <div className="toolbar">
        <fieldset className="segmented">
          <legend className="sr-only">{t('view')}</legend>
          <button type="button" aria-pressed={view === 'day'} onClick={() => setView('day')}>
            {t('day')}
          </button>
          <button type="button" aria-pressed={view === 'week'} onClick={() => setView('week')}>
            {t('week')}
          </button>
        </fieldset>
        <div className="nav-buttons">
          <button
            type="button"
            onClick={() => setDate(addDays(date, -step))}
            aria-label={t(view === 'day' ? 'previousDay' : 'previousWeek')}
          >
            ‹
          </button>
          <button type="button" onClick={() => setDate(today)}>
            {t('today')}
          </button>
          <button
            type="button"
            onClick={() => setDate(addDays(date, step))}
            aria-label={t(view === 'day' ? 'nextDay' : 'nextWeek')}
          >
            ›
          </button>
        </div>
        <label className="inline">
          <span className="sr-only">{t('date')}</span>
          <input type="date" value={date} onChange={(e) => e.target.value && setDate(e.target.value)} />
        </label>
        <button
          type="button"
          className="primary"
          onClick={() => {
            const r = suggestedSlot()
            const machine = space.machines[0]?.slug
            if (machine) openNew(machine, r.start, r.end)
          }}
          disabled={!space.machines.length}
        >
          {t('newBooking')}
        </button>
      </div>
      <h2 className="planning-title" aria-live="polite">
        {label}
        {dst && <small className="dst-note"> — {t('hoursOfDay', { count: models[0]!.hours })}</small>}
      </h2>
      <Notices flash={flash} error={dragError} />
      {draft && (
        <BookingForm
          key={`${draft.booking?.id ?? 'new'}-${draft.machine}-${draft.start.getTime()}-${draft.end.getTime()}`}
          draft={draft}
          onClose={() => setDraft(null)}
          onDone={(_, message) => {
            setDraft(null)
            showFlash(message)
            bookings.reload()
          }}
        />
      )}
      {bookings.error ? (
        <p className="error" role="alert">
          {describeError(bookings.error, t)}
        </p>
      ) : null}
      {space.machines.length === 0 ? (
        <p>{t('noMachines')}</p>
      ) : (
        <div
          className={`grid-scroll view-${view}`}
          ref={scroller}
          aria-busy={bookings.loading}
          style={{ ['--machines' as string]: space.machines.length }}
        >
          <div className="grid">
            <div className="axis" aria-hidden="true">
              <div className="col-head">
                <div className="day-head">&nbsp;</div>
                <div className="machine-head">&nbsp;</div>
              </div>
              <div className="axis-body" style={{ height: models[0]!.total * PPM }}>
                {models[0]!.rows.map((r) => (
                  <div
                    key={`${r.offset}`}
                    className="axis-label"
                    style={{ top: r.offset * PPM, height: r.length * PPM }}
                  >
                    {r.label}
                    {r.detail && view === 'day' && <small> {r.detail}</small>}
                  </div>
                ))}
              </div>
            </div>
            {models.map((m) => (
              <div className={`day${m.date === today ? ' today' : ''}`} key={m.date}>
                <div className="col-head">
                  <div className="day-head">
                    {view === 'week' ? (
                      <button
                        type="button"
                        className="link"
                        onClick={() => {
                          setDate(m.date)
                          setView('day')
                        }}
                      >
                        {formatCalendarDate(m.date, locale, { weekday: 'short', day: 'numeric', month: 'short' })}
                      </button>
                    ) : (
                      formatCalendarDate(m.date, locale, { weekday: 'long', day: 'numeric', month: 'long' })
                    )}
                  </div>
                  <div className="machine-heads">
                    {space.machines.map((machine) => (
                      <div className="machine-head" key={machine.slug} title={machine.name}>
                        {machine.name}
                        {machine.status !== 'available' && (
                          <span className="tag warn">{t(statusKey(machine.status))}</span>
                        )}
                      </div>
                    ))}
                  </div>
                </div>
                <div className="machine-cols">
                  {space.machines.map((machine) => (
                    <MachineColumn
                      key={machine.slug}
                      day={m}
                      machine={machine}
                      bookings={(bookings.data ?? []).filter((b) => b.machine === machine.slug)}
                      focusable={view === 'day'}
                      canEdit={canEdit}
                      onSelect={(start, end) => openNew(machine.slug, start, end)}
                      onOpen={(b) => {
                        setDragError('')
                        setDraft({ booking: b, machine: b.machine, start: new Date(b.start), end: new Date(b.end) })
                      }}
                      onMove={moveBooking}
                    />
                  ))}
                </div>
              </div>
            ))}
          </div>
        </div>
      )}
      <p className="legend">
        <span className="swatch mine" aria-hidden="true" /> {t('legendMine')}{' '}
        <span className="swatch other" aria-hidden="true" /> {t('legendOther')}
      </p>
    </div>
  )
}

interface Drag {
  kind: 'select' | 'move' | 'resize'
  pointerId: number
  /** Minutes from the top where the pointer went down. */
  origin: number
  current: number
  booking?: Booking
  moved: boolean
}

function MachineColumn({
  day,
  machine,
  bookings,
  focusable,
  canEdit,
  onSelect,
  onOpen,
  onMove,
}: {
  day: DayModel
  machine: Machine
  bookings: Booking[]
  focusable: boolean
  canEdit: (b: Booking) => boolean
  onSelect: (start: Date, end: Date) => void
  onOpen: (b: Booking) => void
  onMove: (b: Booking, start: Date, end: Date) => void
}) {
  const { t, locale } = useI18n()
  const space = useSpace()
  const tz = space.timeZone
  const ref = useRef<HTMLDivElement>(null)
  const [drag, setDrag] = useState<Drag | null>(null)
  const suppressClick = useRef(false)
  const dayLabel = formatCalendarDate(day.date, locale, { weekday: 'long', day: 'numeric', month: 'long' })

  const minutesAt = (clientY: number) => {
    const rect = ref.current!.getBoundingClientRect()
    return (clientY - rect.top) / PPM
  }
  useEffect(() => {
    if (!drag) return
    const cancel = (e: KeyboardEvent) => e.key === 'Escape' && setDrag(null)
    window.addEventListener('keydown', cancel)
    return () => window.removeEventListener('keydown', cancel)
  }, [drag])

  const begin = (e: ReactPointerEvent, kind: Drag['kind'], booking?: Booking) => {
    if (e.button !== 0 || e.pointerType === 'touch') return // touch scrolls; tapping still selects
    const at = minutesAt(e.clientY)
    setDrag({ kind, pointerId: e.pointerId, origin: at, current: at, booking, moved: false })
    if (kind !== 'select') e.stopPropagation()
  }
  const move = (e: ReactPointerEvent) => {
    if (!drag || e.pointerId !== drag.pointerId) return
    const at = minutesAt(e.clientY)
    const moved = drag.moved || Math.abs(at - drag.origin) >= 10
    // Captured only once it is a drag: a plain click must still reach the slot's button.
    if (moved && !drag.moved) ref.current!.setPointerCapture?.(e.pointerId)
    setDrag({ ...drag, current: at, moved })
  }
  const end = (e: ReactPointerEvent) => {
    if (!drag || e.pointerId !== drag.pointerId) return
    setDrag(null)
    if (!drag.moved) return
    suppressClick.current = true
    setTimeout(() => {
      suppressClick.current = false
    }, 0)
    const result = dragResult(drag)
    if (!result) return
    if (drag.kind === 'select') onSelect(result.start, result.end)
    else if (drag.booking) onMove(drag.booking, result.start, result.end)
  }

  const dragResult = (d: Drag): { start: Date; end: Date } | null => {
    if (d.kind === 'select') {
      const a = snap(Math.min(d.origin, d.current), day.total)
      const b = snap(Math.max(d.origin, d.current), day.total)
      if (b - a < 15) return null
      return { start: day.instantAt(a), end: day.instantAt(b) }
    }
    const b = d.booking!
    const delta = Math.round((d.current - d.origin) / 15) * 15 * 60_000
    if (!delta) return null
    const start = new Date(b.start)
    const endAt = new Date(b.end)
    if (d.kind === 'move') return { start: new Date(start.getTime() + delta), end: new Date(endAt.getTime() + delta) }
    const newEnd = new Date(endAt.getTime() + delta)
    return newEnd.getTime() - start.getTime() >= 15 * 60_000 ? { start, end: newEnd } : null
  }

  const preview = drag?.moved ? dragResult(drag) : null
  const previewBlock = preview ? blockOnDay(day, preview.start, preview.end) : null
  const available = machine.status === 'available'

  return (
    <div
      className={`machine-col${available ? '' : ' unavailable'}`}
      ref={ref}
      style={{ height: day.total * PPM }}
      onPointerMove={move}
      onPointerUp={end}
      onPointerCancel={() => setDrag(null)}
      data-machine={machine.slug}
      data-date={day.date}
    >
      {day.rows.map((r) => {
        if (r.mark === 'gap' || !r.start) {
          return (
            <div
              key={r.offset}
              className="slot gap"
              style={{ top: r.offset * PPM, height: r.length * PPM }}
              title={t('dstGap')}
            />
          )
        }
        const start = r.start
        const time = r.detail ? `${r.label} (${r.detail})` : r.label
        return (
          <button
            type="button"
            key={r.offset}
            className={`slot${r.mark === 'repeat' ? ' repeat' : ''}`}
            style={{ top: r.offset * PPM, height: r.length * PPM }}
            tabIndex={focusable ? 0 : -1}
            aria-label={t('bookSlot', { machine: machine.name, day: dayLabel, time })}
            title={r.mark === 'repeat' ? t('dstRepeat') : undefined}
            onPointerDown={(e) => begin(e, 'select')}
            onClick={() => {
              if (suppressClick.current) return
              onSelect(start, new Date(start.getTime() + HOUR))
            }}
          />
        )
      })}
      {bookings.map((b) => {
        const block = blockOnDay(day, new Date(b.start), new Date(b.end))
        if (!block) return null
        const editable = canEdit(b)
        const who = b.mine ? t('myBooking') : b.member ? b.member.name : t('booked')
        const times = `${formatTime(b.start, tz)}–${formatTime(b.end, tz)}`
        const dragging = drag?.booking?.id === b.id && drag.moved
        const style = { top: block.top * PPM, height: Math.max(block.height * PPM, 18) }
        const className = `booking${b.mine ? ' mine' : ' other'}${b.status === 'checked_in' ? ' checked-in' : ''}${dragging ? ' dragging' : ''}`
        const label = `${machine.name}, ${times}, ${who}`
        return editable ? (
          <div key={b.id} className={className} style={style} data-booking={b.id}>
            <button
              type="button"
              className="booking-body"
              aria-label={`${label} — ${t('editBooking')}`}
              onPointerDown={(e) => begin(e, 'move', b)}
              onClick={() => {
                if (!suppressClick.current) onOpen(b)
              }}
            >
              <span className="booking-time">{times}</span> <span className="booking-who">{who}</span>
            </button>
            <span
              className="resize"
              aria-hidden="true"
              onPointerDown={(e) => begin(e, 'resize', b)}
              title={t('longer')}
            />
          </div>
        ) : (
          <div key={b.id} className={className} style={style} data-booking={b.id} role="note" aria-label={label}>
            <span className="booking-time">{times}</span> <span className="booking-who">{who}</span>
          </div>
        )
      })}
      {drag?.kind === 'select' && previewBlock && preview && (
        <div
          className="selection"
          style={{ top: previewBlock.top * PPM, height: previewBlock.height * PPM }}
          aria-hidden="true"
        >
          {formatTime(preview.start, tz)}–{formatTime(preview.end, tz)}
        </div>
      )}
      {drag && drag.kind !== 'select' && previewBlock && preview && (
        <div
          className="selection move"
          style={{ top: previewBlock.top * PPM, height: previewBlock.height * PPM }}
          aria-hidden="true"
        >
          {formatTime(preview.start, tz)}–{formatTime(preview.end, tz)}
        </div>
      )}
    </div>
  )
}
