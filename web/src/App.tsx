// The web app's shell: login, then the person's spaces. The planning, live workshop and
// staff screens arrive with the web issue (#5); this is the entry they hang from.
import { type FormEvent, useEffect, useState } from 'react'
import { type ApiError, api, setCsrf } from './api'

interface Me {
  id: string
  email: string
  name: string
  memberships: { id: string; role: string; space: { slug: string; name: string; timeZone: string } }[]
}

const roleLabel: Record<string, string> = {
  maker: 'membre',
  trainer: 'formateur',
  staff: 'équipe',
  admin: 'administrateur',
}

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined)
  useEffect(() => {
    api<Me>('GET', '/auth/me').then(setMe, () => setMe(null))
  }, [])
  if (me === undefined) return <main aria-busy="true" />
  if (me === null) return <Login onLogin={setMe} />
  return (
    <main>
      <header>
        <h1>FabLab</h1>
        <span>
          {me.name} ·{' '}
          <button type="button" onClick={() => api('POST', '/auth/logout').finally(() => setMe(null))}>
            Se déconnecter
          </button>
        </span>
      </header>
      <h2>Mes espaces</h2>
      <ul>
        {me.memberships.map((m) => (
          <li key={m.id}>
            <strong>{m.space.name}</strong> — {roleLabel[m.role] ?? m.role}
          </li>
        ))}
      </ul>
      <p>
        <a href="/api/docs">Documentation de l’API</a>
      </p>
    </main>
  )
}

function Login({ onLogin }: { onLogin: (me: Me) => void }) {
  const [error, setError] = useState('')
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    try {
      const result = await api<{ csrfToken: string; me: Me }>('POST', '/auth/login', {
        email: form.get('email'),
        password: form.get('password'),
      })
      setCsrf(result.csrfToken)
      onLogin(result.me)
    } catch (e) {
      const code = (e as ApiError).code
      setError(
        code === 'RATE_LIMITED' ? 'Trop d’essais : réessayez dans une minute.' : 'Email ou mot de passe incorrect.',
      )
    }
  }
  return (
    <main>
      <h1>FabLab</h1>
      <form onSubmit={submit} aria-label="Connexion">
        <label>
          Email <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          Mot de passe <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit">Se connecter</button>
        {error && <p role="alert">{error}</p>}
      </form>
    </main>
  )
}
