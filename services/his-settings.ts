/** The ingest pipeline's settings, read from the environment once (API process and worker alike). */
import type { Env } from '../config/env.js';
import type { IngestSettings } from './discharges.js';
import { createFhirServer } from './his-fhir-server.js';

export type HisIngestEnvKey =
  | 'HIS_HL7_VISIT_FIELDS'
  | 'HL7_CHARSETS'
  | 'HIS_FOLLOW_UP_HORIZON_DAYS'
  | 'HIS_LATE_FOLLOW_UP_DAYS'
  | 'HIS_FHIR_BASE_URL'
  | 'HIS_FHIR_TOKEN'
  | 'HIS_FHIR_USERNAME'
  | 'HIS_FHIR_PASSWORD';

export function hisIngestSettings(env: Pick<Env, HisIngestEnvKey>): IngestSettings {
  return {
    hl7: { visitFields: env.HIS_HL7_VISIT_FIELDS, fallbackCharsets: env.HL7_CHARSETS },
    dischargeAge: { horizonDays: env.HIS_FOLLOW_UP_HORIZON_DAYS, lateWindowDays: env.HIS_LATE_FOLLOW_UP_DAYS },
    fhirServer: createFhirServer(
      env.HIS_FHIR_BASE_URL
        ? { baseUrl: env.HIS_FHIR_BASE_URL, token: env.HIS_FHIR_TOKEN, username: env.HIS_FHIR_USERNAME, password: env.HIS_FHIR_PASSWORD }
        : undefined,
    ),
  };
}
