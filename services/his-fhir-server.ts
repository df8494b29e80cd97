/**
 * The hospital's FHIR server, read when a message only references a resource (an Encounter
 * whose Patient is `Patient/123`, a subscription notification that names its Encounter).
 * Configured by HIS_FHIR_BASE_URL with a bearer token or basic credentials.
 *
 * Plain fetch with `Accept: application/fhir+json` rather than a FHIR client library: a read
 * by reference is one GET, and the clients on npm (e.g. MedplumClient) carry their own server's
 * login flows. Only references on the configured server are read: an absolute URL elsewhere is
 * never fetched (a message must not make this server call arbitrary hosts).
 */
import type { ExternalResource } from '../domain/his/fhir.js';

export interface FhirServerConfig {
  baseUrl: string;
  token?: string;
  username?: string;
  password?: string;
  timeoutMs?: number;
}

/** The server could not be asked (down, timed out, refused our credentials): try again later. */
export class FhirServerUnavailable extends Error {
  override name = 'FhirServerUnavailable';
}

export interface FhirServer {
  readonly configured: boolean;
  /** Reads what it can; references it cannot resolve are left out (the mapping names them). */
  read(references: readonly string[]): Promise<ExternalResource[]>;
}

export function createFhirServer(config: FhirServerConfig | undefined): FhirServer {
  if (!config) return { configured: false, read: async () => [] };
  const base = config.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/fhir+json' };
  if (config.token) headers.authorization = `Bearer ${config.token}`;
  else if (config.username) headers.authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;

  /** The URL to read for a reference, or undefined when it points elsewhere. */
  const urlOf = (reference: string): string | undefined => {
    if (/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]+)?$/.test(reference)) return `${base}/${reference}`;
    return reference.startsWith(`${base}/`) ? reference : undefined;
  };

  return {
    configured: true,
    async read(references) {
      const found: ExternalResource[] = [];
      for (const reference of references) {
        const url = urlOf(reference);
        if (!url) continue;
        let res: Response;
        try {
          res = await fetch(url, { headers, signal: AbortSignal.timeout(config.timeoutMs ?? 10_000) });
        } catch (err) {
          throw new FhirServerUnavailable(`医院 FHIR 服务器无法访问(${reference}):${err instanceof Error ? err.message : String(err)}`);
        }
        if (res.status === 404 || res.status === 410) continue;
        if (!res.ok) throw new FhirServerUnavailable(`医院 FHIR 服务器读取 ${reference} 失败:HTTP ${res.status}`);
        const resource = (await res.json().catch(() => undefined)) as ExternalResource['resource'] | undefined;
        if (resource && typeof resource.resourceType === 'string') found.push({ reference, resource });
      }
      return found;
    },
  };
}
