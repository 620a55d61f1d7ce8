/** The outcome of the last action on a page: a success note and/or an error, announced to screen readers. */
export function Notices({ flash, error }: { flash?: string | null; error?: string | null }) {
  return (
    <>
      {flash && (
        <p className="notice success" role="status">
          {flash}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </>
  )
}
