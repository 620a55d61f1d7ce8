// The socket.io connection to the server's live updates (server/live.ts): one per logged-in
// page; components subscribe to events with useLive(). The session cookie authenticates it.
import { createContext, useContext, useEffect, useRef, useState } from 'react'
import { io, type Socket } from 'socket.io-client'

export type LiveEventName =
  | 'machine.state'
  | 'session.started'
  | 'session.ended'
  | 'access.decision'
  | 'booking.changed'
  | 'agent.status'

export const LiveContext = createContext<Socket | null>(null)
/** The slug of the space on screen: pushes naming another space (`space` field) are ignored. */
export const LiveSpaceContext = createContext<string | null>(null)

/** Whether a pushed payload concerns this space (payloads without a `space` field are taken as such). */
export function forSpace(payload: unknown, slug: string | null): boolean {
  if (!slug || typeof payload !== 'object' || payload === null || !('space' in payload)) return true
  return (payload as { space: unknown }).space === slug
}

export function openLive(): Socket {
  return io({ path: '/socket.io', withCredentials: true, transports: ['websocket', 'polling'] })
}

/** Calls handler for every `event` pushed by the server while the component is mounted. */
export function useLive<T>(event: LiveEventName, handler: (payload: T) => void) {
  const socket = useContext(LiveContext)
  const space = useContext(LiveSpaceContext)
  const ref = useRef(handler)
  ref.current = handler
  useEffect(() => {
    if (!socket) return
    const listener = (payload: T) => {
      if (forSpace(payload, space)) ref.current(payload)
    }
    socket.on(event, listener)
    return () => {
      socket.off(event, listener)
    }
  }, [socket, space, event])
}

/** Whether the live connection is up (shown as a small badge). */
export function useLiveConnected(): boolean {
  const socket = useContext(LiveContext)
  const [connected, setConnected] = useState(socket?.connected ?? false)
  useEffect(() => {
    if (!socket) return
    const up = () => setConnected(true)
    const down = () => setConnected(false)
    setConnected(socket.connected)
    socket.on('connect', up)
    socket.on('disconnect', down)
    socket.on('connect_error', down)
    return () => {
      socket.off('connect', up)
      socket.off('disconnect', down)
      socket.off('connect_error', down)
    }
  }, [socket])
  return connected
}

/** Runs fn at most once per `ms` after bursts of calls (refetch after live events). */
export function useDebounced(fn: () => void, ms = 250): () => void {
  const ref = useRef(fn)
  ref.current = fn
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current)
    },
    [],
  )
  return useRef(() => {
    if (timer.current) clearTimeout(timer.current)
    timer.current = setTimeout(() => ref.current(), ms)
  }).current
}
