// The one place the web app talks to the API: JSON, the session cookie, and the CSRF
// token returned at login sent back on every write.
export interface ApiError {
  statusCode: number
  code: string
  message: string
}

let csrfToken = sessionStorage.getItem('csrf') ?? ''

export function setCsrf(token: string) {
  csrfToken = token
  sessionStorage.setItem('csrf', token)
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const data = await res.json().catch(() => null)
  if (!res.ok) throw (data ?? { statusCode: res.status, code: 'INTERNAL', message: res.statusText }) as ApiError
  return data as T
}
