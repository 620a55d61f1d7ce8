// The one place the web app talks to the API: JSON, the session cookie, and the CSRF
// token returned at login sent back on every write. A new tab gets the token of its
// session from GET /api/v1/web/session.
export interface ApiError {
  statusCode: number
  code: string
  message: string
  details?: Record<string, unknown>
}

let csrfToken = readStored()

function readStored(): string {
  try {
    return sessionStorage.getItem('csrf') ?? ''
  } catch {
    return ''
  }
}

export function setCsrf(token: string) {
  csrfToken = token
  try {
    sessionStorage.setItem('csrf', token)
  } catch {
    // no storage: the token lives in memory for this page
  }
}

/** Called when a request finds the session gone (401): the app shows the login page. */
let onUnauthenticated: () => void = () => {}
export function whenUnauthenticated(handler: () => void) {
  onUnauthenticated = handler
}

export const apiPath = (path: string) => `/api/v1${path}`

/** A query string from the defined values only. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}

export async function api<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
  if (method !== 'GET' && !csrfToken && !path.startsWith('/auth/login')) await refreshCsrf()
  let res: Response
  try {
    res = await fetch(apiPath(path), {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    throw { statusCode: 0, code: 'NETWORK', message: 'network error' } satisfies ApiError
  }
  const data = await res.json().catch(() => null)
  if (!res.ok) {
    const error = (data ?? { statusCode: res.status, code: 'INTERNAL', message: res.statusText }) as ApiError
    // Another tab logged in again (a new session, a new token): fetch this session's token once.
    if (error.code === 'CSRF_FAILED' && !retried) {
      await refreshCsrf()
      return api<T>(method, path, body, true)
    }
    if (res.status === 401 && !path.startsWith('/auth/')) onUnauthenticated()
    throw error
  }
  return data as T
}

/** The CSRF token of the current browser session (after a reload in a new tab). */
export async function refreshCsrf(): Promise<void> {
  const res = await fetch(apiPath('/web/session'), { credentials: 'same-origin' }).catch(() => null)
  if (!res?.ok) return
  const data = (await res.json()) as { csrfToken: string | null }
  if (data.csrfToken) setCsrf(data.csrfToken)
}

export const isApiError = (e: unknown): e is ApiError =>
  typeof e === 'object' && e !== null && 'code' in e && typeof (e as ApiError).code === 'string'
