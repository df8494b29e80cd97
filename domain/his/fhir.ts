/**
 * FHIR R4 Encounter (+ Patient) → what the discharge service needs. Pure: the route stores the
 * raw body, calls this with the time of receipt, and answers.
 *
 * Accepted: a Bundle (transaction, batch, collection or message) holding exactly one Encounter
 * and its Patient, or an Encounter with the Patient in `contained`. Encounter.subject may be
 * `Patient/<id>` (matched to an entry's resource id or fullUrl), an absolute URL or `urn:uuid:…`
 * (matched to fullUrl), or `#id` (contained). Without a subject, the one Patient present is used.
 *
 * Status: finished → discharge, at period.end; when only hospitalization.dischargeDisposition
 * says it ended, at the time of receipt (+08:00). in-progress, arrived, triaged, onleave → admit
 * (the patient is in hospital). cancelled, entered-in-error → cancel discharge. Others → 400.
 *
 * Encounter ID: identifier with use official, else the first identifier with a value, else the
 * resource id. Patient ID: identifier with use official or usual, else the first.
 * Name: official/usual name first; its text, else family + given (no space when CJK).
 * gender male/female/other/unknown → M/F/O/U; birthDate (a year or year-month alone is dropped).
 * Phone: telecom system phone (use old skipped), use mobile preferred; spaces/dashes stripped.
 * Address: home (or first not old) address: text, else state + city + district + lines.
 * Department candidates, in order, de-duplicated: serviceProvider.identifier.value, the
 * referenced Organization's (contained or in the Bundle) first identifier, the id part of
 * serviceProvider.reference; then the same three for location[0].location; then
 * serviceType.coding[0].code. Encounter.type is not used: it classifies the encounter
 * (inpatient, emergency …), it does not name a department.
 * Ward: location[0].location.display, else the referenced Location's name.
 * Diagnosis: diagnosis[0].condition → the referenced Condition's code (coding[0].code, text or
 * coding[0].display), else the reference's display; else reasonCode[0] (coding[0] code and
 * display, or text). Attending: participant whose type has code ATND → individual.display or
 * the referenced Practitioner's name. Admission time: period.start.
 * Times: FHIR dateTime; a date alone means local midnight, and a time without offset (not valid
 * FHIR, but sent) is taken as Asia/Shanghai (+08:00).
 * Finally the rules every format shares (`encounterProblem`) apply; errors name the FHIR element.
 */
import type { Address, Bundle, CodeableConcept, Encounter, HumanName, Identifier, Patient, Reference } from 'fhir/r4';
import { compact, encounterProblem, HIS_ID, HIS_ID_RULE, HisMappingError, type HisEncounter, type HisEvent } from './event.js';
import { joinAddressParts, joinName, normalizePhone } from './person.js';

/** OperationOutcome issue types this mapping reports. */
export type FhirIssueCode = 'invalid' | 'required' | 'structure' | 'not-supported' | 'value';

export class FhirMappingError extends HisMappingError {
  constructor(
    message: string,
    /** FHIRPath of the element at fault, e.g. `Encounter.period.end`. */
    readonly expression?: string,
    readonly code: FhirIssueCode = 'invalid',
  ) {
    super(message, expression ? [{ field: expression, message }] : []);
    this.name = 'FhirMappingError';
  }
}

const BUNDLE_TYPES = new Set(['transaction', 'batch', 'collection', 'message']);
const ADMITTED = new Set(['in-progress', 'arrived', 'triaged', 'onleave']);
const CANCELLED = new Set(['cancelled', 'entered-in-error']);

type AnyResource = { resourceType: string; id?: string } & Record<string, unknown>;
interface Context {
  entries: { fullUrl?: string; resource: AnyResource }[];
  contained: AnyResource[];
}

/** The body text as received → its event; text that is not JSON is a structure error. */
export function fhirEventFromText(text: string, receivedAt: Date): HisEvent {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new FhirMappingError('不是有效的 JSON', undefined, 'structure');
  }
  return fhirEvent(body, receivedAt);
}

/** The event a FHIR Encounter (or a Bundle with one) carries; throws FhirMappingError naming the element. */
export function fhirEvent(body: unknown, receivedAt: Date): HisEvent {
  if (!isObject(body) || typeof body.resourceType !== 'string') {
    throw new FhirMappingError('不是 FHIR 资源(缺少 resourceType)', undefined, 'structure');
  }
  const { encounter, context } = findEncounter(body as AnyResource);

  const encounterId = encounterIdOf(encounter);
  const status = str(encounter.status);
  if (!status) throw new FhirMappingError('Encounter.status 缺失', 'Encounter.status', 'required');
  if (CANCELLED.has(status)) return { kind: 'cancel', encounterId, what: 'discharge' };
  if (status !== 'finished' && !ADMITTED.has(status)) {
    throw new FhirMappingError(
      `Encounter.status「${status}」不受支持:finished(出院)、in-progress/arrived/triaged/onleave(在院)、cancelled/entered-in-error(撤销)`,
      'Encounter.status',
      'not-supported',
    );
  }

  const resolve = resolver(context);
  const base = hisEncounter(encounter, encounterId, resolve);
  if (ADMITTED.has(status)) {
    check(base, false);
    return { kind: 'admit', encounter: base };
  }

  const end = str(encounter.period?.end);
  let dischargedAt: string;
  if (end) {
    const iso = fhirDateTimeToIso(end);
    if (!iso) throw new FhirMappingError(`Encounter.period.end「${end}」不是有效的 dateTime`, 'Encounter.period.end', 'invalid');
    dischargedAt = iso;
  } else if (isObject(encounter.hospitalization?.dischargeDisposition)) {
    dischargedAt = toShanghaiIso(receivedAt);
  } else {
    throw new FhirMappingError(
      'status 为 finished 的 Encounter 须有 period.end(出院时间)或 hospitalization.dischargeDisposition',
      'Encounter.period.end',
      'required',
    );
  }
  // Discharge disposition "exp" (expired, HL7 FHIR discharge-disposition code system).
  const deceased = (encounter.hospitalization?.dischargeDisposition?.coding ?? []).some((c) => c.code === 'exp');
  const discharge = { ...base, dischargedAt, ...(deceased ? { deceased: true } : {}) };
  check(discharge, true);
  return { kind: 'discharge', encounter: discharge };
}

function findEncounter(body: AnyResource): { encounter: Encounter; context: Context } {
  if (body.resourceType === 'Encounter') {
    const encounter = body as unknown as Encounter;
    return { encounter, context: { entries: [], contained: resources(encounter.contained) } };
  }
  if (body.resourceType !== 'Bundle') {
    throw new FhirMappingError(`只接受 Bundle 或 Encounter,收到 ${body.resourceType}`, 'resourceType', 'not-supported');
  }
  const bundle = body as unknown as Bundle;
  if (!BUNDLE_TYPES.has(String(bundle.type))) {
    throw new FhirMappingError(`Bundle.type 须为 transaction、batch、collection 或 message,收到「${String(bundle.type ?? '')}」`, 'Bundle.type', 'invalid');
  }
  const entries = (Array.isArray(bundle.entry) ? bundle.entry : [])
    .filter((e) => isObject(e) && isObject(e.resource) && typeof e.resource.resourceType === 'string')
    .map((e) => ({ fullUrl: str(e.fullUrl), resource: e.resource as unknown as AnyResource }));
  const encounters = entries.filter((e) => e.resource.resourceType === 'Encounter');
  if (encounters.length === 0) throw new FhirMappingError('Bundle 中没有 Encounter', 'Bundle.entry', 'required');
  if (encounters.length > 1) throw new FhirMappingError('Bundle 中只能有一个 Encounter', 'Bundle.entry', 'structure');
  const encounter = encounters[0]!.resource as unknown as Encounter;
  return { encounter, context: { entries, contained: resources(encounter.contained) } };
}

/** Finds referenced resources in the Bundle's entries and the Encounter's contained ones. */
interface Resolve {
  <T>(ref: Reference | undefined, type: string): T | undefined;
  all<T>(type: string): T[];
}

function resolver({ entries, contained }: Context): Resolve {
  const resolve = <T>(ref: Reference | undefined, type: string): T | undefined => {
    const reference = str(ref?.reference);
    if (!reference) return undefined;
    if (reference.startsWith('#')) {
      return contained.find((r) => r.resourceType === type && r.id === reference.slice(1)) as T | undefined;
    }
    const byUrl = entries.find((e) => e.fullUrl === reference && e.resource.resourceType === type);
    if (byUrl) return byUrl.resource as T;
    const id = idPart(reference, type);
    if (!id) return undefined;
    return entries.find(
      (e) => e.resource.resourceType === type && (e.resource.id === id || e.fullUrl?.endsWith(`${type}/${id}`)),
    )?.resource as T | undefined;
  };
  const all = <T>(type: string): T[] =>
    [...entries.map((e) => e.resource), ...contained].filter((r) => r.resourceType === type) as T[];
  return Object.assign(resolve, { all });
}

/** `Organization/GK`, `http://his/fhir/Organization/GK/_history/2` → `GK` (when of that type). */
function idPart(reference: string | undefined, type?: string): string | undefined {
  const m = reference ? /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference) : null;
  if (!m || (type && m[1] !== type)) return undefined;
  return m[2];
}

function encounterIdOf(encounter: Encounter): string {
  const identifiers = arr(encounter.identifier);
  const official = identifiers.findIndex((i) => i.use === 'official' && str(i.value));
  const index = official >= 0 ? official : identifiers.findIndex((i) => str(i.value));
  const [value, expression] =
    index >= 0 ? [str(identifiers[index]!.value)!, `Encounter.identifier[${index}].value`] : [str(encounter.id), 'Encounter.id'];
  if (!value) throw new FhirMappingError('Encounter 缺少就诊号(identifier 或 id)', 'Encounter.identifier', 'required');
  if (!HIS_ID.test(value)) {
    throw new FhirMappingError(`就诊号「${value}」${HIS_ID_RULE}`, expression, 'invalid');
  }
  return value;
}

function hisEncounter(encounter: Encounter, encounterId: string, resolve: Resolve): HisEncounter {
  const patient = findPatient(encounter, resolve);
  const loc = arr(encounter.location)[0]?.location;
  const location = resolve<{ identifier?: Identifier[]; name?: string }>(loc, 'Location');
  const provider = encounter.serviceProvider;
  const organization = resolve<{ identifier?: Identifier[] }>(provider, 'Organization');
  const departmentCodes = unique([
    str(provider?.identifier?.value),
    firstIdentifier(organization?.identifier),
    idPart(str(provider?.reference), 'Organization'),
    str(loc?.identifier?.value),
    firstIdentifier(location?.identifier),
    idPart(str(loc?.reference), 'Location'),
    str(encounter.serviceType?.coding?.[0]?.code),
  ]);
  if (departmentCodes.length === 0) {
    throw new FhirMappingError('缺少科室:serviceProvider、location 或 serviceType 至少给一个', 'Encounter.serviceProvider', 'required');
  }

  const start = str(encounter.period?.start);
  const admittedAt = start ? fhirDateTimeToIso(start) : undefined;
  if (start && !admittedAt) throw new FhirMappingError(`Encounter.period.start「${start}」不是有效的 dateTime`, 'Encounter.period.start', 'invalid');

  return compact({
    encounterId,
    patient,
    departmentCodes,
    diagnosis: diagnosisOf(encounter, resolve),
    attendingDoctor: attendingOf(encounter, resolve),
    ward: str(loc?.display) ?? str(location?.name),
    admittedAt,
  }) as HisEncounter;
}

function findPatient(encounter: Encounter, resolve: Resolve): HisEncounter['patient'] {
  const subject = encounter.subject;
  let patient = resolve<Patient>(subject, 'Patient');
  if (!patient && !str(subject?.reference)) {
    const all = resolve.all<Patient>('Patient');
    if (all.length === 1) patient = all[0];
  }
  if (!patient) {
    const ref = str(subject?.reference);
    throw new FhirMappingError(
      ref ? `找不到 Encounter.subject 引用的患者「${ref}」(须在 Bundle 或 contained 中)` : 'Encounter.subject 缺失,且没有唯一的 Patient',
      'Encounter.subject',
      'required',
    );
  }

  const identifiers = arr(patient.identifier);
  const chosen =
    identifiers.find((i) => (i.use === 'official' || i.use === 'usual') && str(i.value)) ?? identifiers.find((i) => str(i.value));
  const id = str(chosen?.value);
  if (!id) throw new FhirMappingError('Patient 缺少 identifier(患者 ID)', 'Patient.identifier', 'required');
  if (!HIS_ID.test(id)) throw new FhirMappingError(`患者 ID「${id}」${HIS_ID_RULE}`, 'Patient.identifier', 'invalid');

  const name = nameOf(arr(patient.name));
  if (!name) throw new FhirMappingError('Patient 缺少姓名', 'Patient.name', 'required');

  const birth = str(patient.birthDate);
  let birthDate: string | undefined;
  if (birth && !/^\d{4}(-\d{2})?$/.test(birth)) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birth);
    if (!m || !isCalendarDate(+m[1]!, +m[2]!, +m[3]!)) {
      throw new FhirMappingError(`Patient.birthDate「${birth}」不是有效日期`, 'Patient.birthDate', 'invalid');
    }
    birthDate = birth;
  }

  return compact({
    id,
    name,
    sex: ({ male: 'M', female: 'F', other: 'O', unknown: 'U' } as const)[str(patient.gender) as 'male'],
    birthDate,
    phone: phoneOf(patient),
    address: addressOf(arr(patient.address)),
  });
}

function nameOf(names: HumanName[]): string {
  const ordered = [...names.filter((n) => n.use === 'official' || n.use === 'usual'), ...names.filter((n) => n.use !== 'old')];
  for (const n of ordered) {
    const text = str(n.text);
    if (text) return text;
    const given = arr(n.given as unknown as unknown[]).map(str).reduce<string>((acc, g) => joinName(acc, g), '');
    const joined = joinName(str(n.family), given);
    if (joined) return joined;
  }
  return '';
}

function phoneOf(patient: Patient): string | undefined {
  const phones = arr(patient.telecom).filter((t) => t.system === 'phone' && t.use !== 'old');
  const ordered = [...phones.filter((t) => t.use === 'mobile'), ...phones];
  for (const t of ordered) {
    const phone = normalizePhone(str(t.value));
    if (phone) return phone;
  }
  return undefined;
}

function addressOf(addresses: Address[]): string | undefined {
  const current = addresses.filter((a) => a.use !== 'old');
  const ordered = [...current.filter((a) => a.use === 'home'), ...current];
  for (const a of ordered) {
    const text = str(a.text) ?? joinAddressParts([str(a.state), str(a.city), str(a.district), ...arr(a.line as unknown as unknown[]).map(str)]);
    if (text) return text;
  }
  return undefined;
}

function diagnosisOf(encounter: Encounter, resolve: Resolve): HisEncounter['diagnosis'] {
  const condition = arr(encounter.diagnosis)[0]?.condition;
  if (condition) {
    const resource = resolve<{ code?: CodeableConcept }>(condition, 'Condition');
    const code = str(resource?.code?.coding?.[0]?.code);
    const name = str(resource?.code?.text) ?? str(resource?.code?.coding?.[0]?.display) ?? str(condition.display);
    if (code || name) return compact({ code, name });
  }
  const reason = arr(encounter.reasonCode)[0];
  const code = str(reason?.coding?.[0]?.code);
  const name = str(reason?.coding?.[0]?.display) ?? str(reason?.text);
  return code || name ? compact({ code, name }) : undefined;
}

function attendingOf(encounter: Encounter, resolve: Resolve): string | undefined {
  const attending = arr(encounter.participant).find((p) => arr(p.type).some((t) => arr(t.coding).some((c) => c.code === 'ATND')));
  if (!attending) return undefined;
  const display = str(attending.individual?.display);
  if (display) return display;
  const practitioner = resolve<{ name?: HumanName[] }>(attending.individual, 'Practitioner');
  return nameOf(arr(practitioner?.name)) || undefined;
}

/** FHIR dateTime → ISO 8601 with offset (date alone: local midnight; no offset: +08:00). */
export function fhirDateTimeToIso(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', tz = '+08:00'] = m;
  if (!isCalendarDate(+y!, +mo!, +d!) || +h > 23 || +mi > 59 || +s > 59) return undefined;
  if (tz !== 'Z' && (+tz.slice(1, 3) > 14 || +tz.slice(4, 6) > 59)) return undefined;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${tz}`;
}

/** The instant in Asia/Shanghai wall time with +08:00 (no DST there since 1991). */
export function toShanghaiIso(date: Date): string {
  return new Date(date.getTime() + 8 * 3600_000).toISOString().replace('Z', '+08:00');
}

function isCalendarDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return m >= 1 && m <= 12 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const EXPRESSION_OF: Record<string, string> = {
  encounterId: 'Encounter.identifier',
  'patient.id': 'Patient.identifier',
  'patient.name': 'Patient.name',
  'patient.sex': 'Patient.gender',
  'patient.birthDate': 'Patient.birthDate',
  'patient.phone': 'Patient.telecom',
  'patient.address': 'Patient.address',
  department: 'Encounter.serviceProvider',
  'diagnosis.code': 'Encounter.diagnosis',
  'diagnosis.name': 'Encounter.diagnosis',
  attendingDoctor: 'Encounter.participant',
  dischargedAt: 'Encounter.period.end',
};

function check(e: HisEncounter, withDischarge: boolean) {
  const problem = encounterProblem(e, withDischarge);
  if (!problem) return;
  const expression = EXPRESSION_OF[problem.path] ?? problem.path;
  throw new FhirMappingError(`${expression}: ${problem.message}`, expression, 'invalid');
}

function firstIdentifier(identifiers: Identifier[] | undefined): string | undefined {
  return arr(identifiers).map((i) => str(i.value)).find(Boolean);
}

function resources(list: unknown): AnyResource[] {
  return (Array.isArray(list) ? list : []).filter((r): r is AnyResource => isObject(r) && typeof r.resourceType === 'string');
}

function unique(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => !!v))];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Only objects from a list that should hold objects (input is untrusted JSON). */
function arr<T>(list: T[] | undefined): T[] {
  return Array.isArray(list) ? list.filter((x) => x !== null && x !== undefined) : [];
}

/** A trimmed non-empty string, or undefined for anything else. */
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}
