/** The link to a workflow in the Temporal Web UI, for supervisors (the loader gives others no URL). */
export function TemporalLink({ url }: { url: string | null }) {
  return url ? (
    <a href={url} target="_blank" rel="noreferrer">
      在 Temporal UI 中查看
    </a>
  ) : null;
}
