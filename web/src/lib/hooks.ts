// Small data hooks: load from the API, reload on demand, keep the last good value.
import { useCallback, useEffect, useRef, useState } from 'react'

export interface Loaded<T> {
  data: T | undefined
  error: unknown
  loading: boolean
  reload: () => void
  set: (update: (value: T | undefined) => T | undefined) => void
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(null)
  const [loading, setLoading] = useState(true)
  const [tick, setTick] = useState(0)
  const loadRef = useRef(load)
  loadRef.current = load
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's, tick reloads
  useEffect(() => {
    let live = true
    setLoading(true)
    loadRef.current().then(
      (value) => {
        if (!live) return
        setData(value)
        setError(null)
        setLoading(false)
      },
      (e: unknown) => {
        if (!live) return
        setError(e)
        setLoading(false)
      },
    )
    return () => {
      live = false
    }
  }, [...deps, tick])
  const reload = useCallback(() => setTick((n) => n + 1), [])
  const set = useCallback((update: (value: T | undefined) => T | undefined) => setData(update), [])
  return { data, error, loading, reload, set }
}

/** A message that clears itself after a while (form confirmations). */
export function useFlash(ms = 6000): [string, (message: string) => void] {
  const [message, setMessage] = useState('')
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current)
    },
    [],
  )
  const show = useCallback(
    (m: string) => {
      setMessage(m)
      if (timer.current) clearTimeout(timer.current)
      timer.current = setTimeout(() => setMessage(''), ms)
    },
    [ms],
  )
  return [message, show]
}
