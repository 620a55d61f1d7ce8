import { type FormEvent, useState } from 'react'
import { api, isApiError, setCsrf } from '../api'
import { type Lang, useI18n } from '../lib/i18n'
import type { Me } from '../lib/types'

export function Login({ onLogin }: { onLogin: (me: Me) => void }) {
  const { t, lang, setLang } = useI18n()
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    setBusy(true)
    setError('')
    try {
      const result = await api<{ csrfToken: string; me: Me }>('POST', '/auth/login', {
        email: String(form.get('email') ?? '').trim(),
        password: form.get('password'),
      })
      setCsrf(result.csrfToken)
      onLogin(result.me)
    } catch (e) {
      setError(
        isApiError(e) && e.code === 'RATE_LIMITED'
          ? t('tooManyAttempts')
          : isApiError(e) && e.code === 'NETWORK'
            ? t('error_network')
            : t('badCredentials'),
      )
    } finally {
      setBusy(false)
    }
  }
  return (
    <main className="page login">
      <h1>{t('appName')}</h1>
      <form onSubmit={submit} aria-labelledby="login-title" className="card stack">
        <h2 id="login-title">{t('loginTitle')}</h2>
        <label>
          {t('email')}
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          {t('password')}
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {t('login')}
        </button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
      <label className="inline lang-switch">
        {t('language')}{' '}
        <select value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
          <option value="fr">Français</option>
          <option value="en">English</option>
        </select>
      </label>
    </main>
  )
}
