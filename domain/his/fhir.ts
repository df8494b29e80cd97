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
 * Room and bed: the location whose physicalType (on the Encounter.location entry, else on the
 * referenced Location) is `ro` / `bd` (location-physical-type), by display or the Location's name.
 * Diagnosis: diagnosis[0].condition → the referenced Condition's code (coding[0].code, text or
 * coding[0].display), else the reference's display; else reasonCode[0] (coding[0] code and
 * display, or text). Attending: participant whose type has code ATND → individual.display or
 * the referenced Practitioner's name. Admission time: period.start.
 * Times: FHIR dateTime; a date alone means local midnight, and a time without offset (not valid
 * FHIR, but sent) is taken as Asia/Shanghai (+08:00).
 * Finally the rules every format shares (`encounterProblem`) apply; errors name the FHIR element.
 */
import type { Address, Bundle, CodeableConcept, Encounter, HumanName, Identifier, Patient, Reference } from 'fhir/r4';
import { compact, encounterProblem, hisKey, HisMappingError, shortCode, type HisEncounter, type HisEvent } from './event.js';
import { isIdentityDocument, joinAddressParts, joinName, normalizePhone, pickPatientIdentifiers, type PersonIdentifier } from './person.js';

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

const BUNDLE_TYPES = new Set(['transaction', 'batch', 'collection', 'message', 'history']);
const ADMITTED = new Set(['in-progress', 'arrived', 'triaged', 'onleave']);
const CANCELLED = new Set(['cancelled', 'entered-in-error']);
/** Encounter.class codes (v3 ActCode) of visits nobody is followed up after. */
const OUTPATIENT_CLASSES = new Set(['AMB', 'VR', 'HH', 'FLD']);

type AnyResource = { resourceType: string; id?: string } & Record<string, unknown>;
interface Entry {
  fullUrl?: string;
  resource: AnyResource;
}
interface Context {
  /** The Bundle's entries, then what was read from the hospital's FHIR server. */
  entries: Entry[];
  contained: AnyResource[];
}

/** A resource read from the hospital's FHIR server, with the reference it was read for. */
export interface ExternalResource {
  reference: string;
  resource: AnyResource;
}

export interface FhirOptions {
  receivedAt: Date;
  /** Resources the message only references, read from the hospital's FHIR server. */
  external?: readonly ExternalResource[];
}

/** An R4 rest-hook notification without payload: it names nothing to read. */
export const EMPTY_NOTIFICATION: HisEvent = {
  kind: 'ignored',
  reason: '订阅通知不含资源:请在 Subscription.channel.payload 设置 application/fhir+json',
};

/** Parses the body text; text that is not JSON is a structure error. */
export function parseFhirJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new FhirMappingError('不是有效的 JSON', undefined, 'structure');
  }
}

/**
 * The events a FHIR message carries: one per stay (an Encounter that is not `partOf` another
 * one in the message). Department contacts (`partOf` a stay) give the stay its department.
 * Throws FhirMappingError naming the element at fault.
 */
export function fhirEvents(body: unknown, options: FhirOptions): HisEvent[] {
  const { encounters, context, notification } = collect(body, options.external ?? []);
  if (encounters.length === 0) {
    if (notification) return [{ kind: 'ignored', reason: `订阅通知(${notification}),不含就诊` }];
    throw new FhirMappingError('Bundle 中没有 Encounter', 'Bundle.entry', 'required');
  }
  const resolve = resolver(context);
  const parentOf = (e: Encounter) => {
    const parent = resolve<Encounter>(e.partOf, 'Encounter');
    return parent && parent !== e && encounters.includes(parent) ? parent : undefined;
  };
  const stays = encounters.filter((e) => !parentOf(e));
  // A chain (stay ← department ← ward) gives each contact to its outermost stay.
  const staysOf = (e: Encounter): Encounter => {
    let current = e;
    for (let i = 0; i < encounters.length; i++) {
      const parent = parentOf(current);
      if (!parent) break;
      current = parent;
    }
    return current;
  };
  return stays.map((stay) => stayEvent(stay, encounters.filter((e) => e !== stay && staysOf(e) === stay), resolve, options.receivedAt));
}

/** The one event of a message that must hold exactly one stay (tests, single-Encounter routes). */
export function fhirEvent(body: unknown, receivedAt: Date, external: readonly ExternalResource[] = []): HisEvent {
  const events = fhirEvents(body, { receivedAt, external });
  return events[0]!;
}

/**
 * References the message needs but does not carry, to be read from the hospital's FHIR server:
 * the Encounters a subscription notification only names, and Patients that are only
 * referenced (`Patient/123`). Already read ones (`external`) are not asked for again.
 */
export function fhirReferencesToRead(body: unknown, external: readonly ExternalResource[] = []): string[] {
  if (!isObject(body) || typeof body.resourceType !== 'string') return [];
  let collected: ReturnType<typeof collect>;
  try {
    collected = collect(body, external);
  } catch {
    return []; // the mapping reports what is wrong with the message
  }
  const { encounters, context, focus } = collected;
  const resolve = resolver(context);
  const wanted = new Set<string>();
  for (const ref of focus) if (!resolve({ reference: ref }, 'Encounter')) wanted.add(ref);
  for (const e of encounters) {
    const ref = str(e.subject?.reference);
    if (ref && !ref.startsWith('#') && !ref.startsWith('urn:') && idPart(ref, 'Patient') && !resolve(e.subject, 'Patient')) wanted.add(ref);
  }
  return [...wanted];
}

function collect(body: unknown, external: readonly ExternalResource[]) {
  if (!isObject(body) || typeof body.resourceType !== 'string') {
    throw new FhirMappingError('不是 FHIR 资源(缺少 resourceType)', undefined, 'structure');
  }
  const read: Entry[] = external.map((x) => ({ fullUrl: x.reference, resource: x.resource }));
  const resource = body as AnyResource;
  if (resource.resourceType === 'Encounter') {
    const encounter = resource as unknown as Encounter;
    return { encounters: [encounter], context: { entries: read, contained: resources(encounter.contained) }, focus: [] as string[], notification: undefined };
  }
  if (resource.resourceType !== 'Bundle') {
    throw new FhirMappingError(`只接受 Bundle 或 Encounter,收到 ${resource.resourceType}`, 'resourceType', 'not-supported');
  }
  const bundle = resource as unknown as Bundle;
  if (!BUNDLE_TYPES.has(String(bundle.type))) {
    throw new FhirMappingError(
      `Bundle.type 须为 transaction、batch、collection、message 或 history(订阅通知),收到「${String(bundle.type ?? '')}」`,
      'Bundle.type',
      'invalid',
    );
  }
  // Entries without a resource (a batch's DELETE or GET, an id-only notification) carry nothing to map.
  const entries = (Array.isArray(bundle.entry) ? bundle.entry : [])
    .filter((e) => isObject(e) && isObject(e.resource) && typeof e.resource.resourceType === 'string')
    .map((e) => ({ fullUrl: str(e.fullUrl), resource: e.resource as unknown as AnyResource }));
  const { notification, focus } = subscriptionNotification(entries);
  const inMessage = entries.filter((e) => e.resource.resourceType === 'Encounter').map((e) => e.resource as unknown as Encounter);
  const fetched = read.filter((e) => e.resource.resourceType === 'Encounter' && focus.includes(e.fullUrl ?? '')).map((e) => e.resource as unknown as Encounter);
  const contained = [...inMessage, ...fetched].flatMap((e) => resources(e.contained));
  return { encounters: [...inMessage, ...fetched], context: { entries: [...entries, ...read], contained }, focus, notification };
}

/**
 * A FHIR R4 Subscription notification (the R4 backport: a `history` Bundle whose first entry is
 * a Parameters or SubscriptionStatus resource): its type and the resources it is about.
 */
function subscriptionNotification(entries: Entry[]): { notification?: string; focus: string[] } {
  const status = entries[0]?.resource;
  if (!status || (status.resourceType !== 'Parameters' && status.resourceType !== 'SubscriptionStatus')) return { focus: [] };
  const parts = (list: unknown): Record<string, unknown>[] => (Array.isArray(list) ? list.filter(isObject) : []);
  if (status.resourceType === 'SubscriptionStatus') {
    const focus = parts(status.notificationEvent).map((n) => str((n.focus as Reference | undefined)?.reference)).filter((r): r is string => !!r);
    return { notification: str(status.type) ?? 'event-notification', focus };
  }
  const parameters = parts(status.parameter);
  const type = str(parameters.find((p) => p.name === 'type')?.valueCode) ?? 'event-notification';
  const focus = parameters
    .filter((p) => p.name === 'notification-event')
    .flatMap((p) => parts(p.part))
    .filter((p) => p.name === 'focus')
    .map((p) => str((p.valueReference as Reference | undefined)?.reference))
    .filter((r): r is string => !!r);
  return { notification: type, focus };
}

/** The event of one stay; `contacts` are its department contacts (partOf it), newest last. */
function stayEvent(stay: Encounter, contacts: Encounter[], resolve: Resolve, receivedAt: Date): HisEvent {
  const encounterId = encounterIdOf(stay);
  const status = str(stay.status);
  if (!status) throw new FhirMappingError('Encounter.status 缺失', 'Encounter.status', 'required');
  if (CANCELLED.has(status)) return { kind: 'cancel', encounterId, what: 'discharge' };
  if (status !== 'finished' && !ADMITTED.has(status)) {
    throw new FhirMappingError(
      `Encounter.status「${status}」不受支持:finished(出院)、in-progress/arrived/triaged/onleave(在院)、cancelled/entered-in-error(撤销)`,
      'Encounter.status',
      'not-supported',
    );
  }
  const visitClass = str(stay.class?.code)?.toUpperCase();
  if (visitClass && OUTPATIENT_CLASSES.has(visitClass)) {
    return { kind: 'ignored', reason: `就诊 ${encounterId} 不是住院(Encounter.class ${visitClass}),不随访` };
  }

  // The latest department contact names the department the patient left from.
  const byEnd = [...contacts].sort((a, b) => (str(a.period?.end) ?? str(a.period?.start) ?? '').localeCompare(str(b.period?.end) ?? str(b.period?.start) ?? ''));
  const base = hisEncounter(stay, [...byEnd.reverse(), stay], encounterId, resolve);
  if (ADMITTED.has(status)) {
    check(base, false);
    return { kind: 'admit', encounter: base };
  }

  const end = str(stay.period?.end);
  let dischargedAt: string;
  if (end) {
    const iso = fhirDateTimeToIso(end);
    if (!iso) throw new FhirMappingError(`Encounter.period.end「${end}」不是有效的 dateTime`, 'Encounter.period.end', 'invalid');
    dischargedAt = iso;
  } else if (isObject(stay.hospitalization?.dischargeDisposition)) {
    dischargedAt = toShanghaiIso(receivedAt);
  } else {
    throw new FhirMappingError(
      'status 为 finished 的 Encounter 须有 period.end(出院时间)或 hospitalization.dischargeDisposition',
      'Encounter.period.end',
      'required',
    );
  }
  // Discharge disposition "exp" (expired, HL7 FHIR discharge-disposition code system).
  const deceased = (stay.hospitalization?.dischargeDisposition?.coding ?? []).some((c) => c.code === 'exp');
  const discharge = { ...base, dischargedAt, ...(deceased ? { deceased: true } : {}) };
  check(discharge, true);
  return { kind: 'discharge', encounter: discharge };
}

/** Finds referenced resources in the Bundle's entries, what was read from the server, and the contained ones. */
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

/** `Organization/GK`, `http://his/fhir/Organization/GK/_history/2` → `GK` (when of that type). FHIR ids are at most 64 characters. */
function idPart(reference: string | undefined, type?: string): string | undefined {
  const m = reference ? /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference) : null;
  if (!m || (type && m[1] !== type)) return undefined;
  return m[2];
}

/** Identifier with use official, else the first with a value, else the id; any length (hisKey). */
function encounterIdOf(encounter: Encounter): string {
  const identifiers = arr(encounter.identifier);
  const official = identifiers.findIndex((i) => i.use === 'official' && str(i.value));
  const index = official >= 0 ? official : identifiers.findIndex((i) => str(i.value));
  const chosen = index >= 0 ? identifiers[index] : undefined;
  const value = chosen ? str(chosen.value) : str(encounter.id);
  if (!value) throw new FhirMappingError('Encounter 缺少就诊号(identifier 或 id)', 'Encounter.identifier', 'required');
  return hisKey(value, str(chosen?.system));
}

/** Department codes and names, in order: each contact's (newest first), then the stay's own. */
function departmentsOf(contacts: Encounter[], resolve: Resolve): { codes: string[]; names: string[] } {
  const codes: (string | undefined)[] = [];
  const names: (string | undefined)[] = [];
  for (const e of contacts) {
    const provider = e.serviceProvider;
    const organization = resolve<{ identifier?: Identifier[]; name?: string }>(provider, 'Organization');
    codes.push(str(provider?.identifier?.value), firstIdentifier(organization?.identifier), idPart(str(provider?.reference), 'Organization'));
    names.push(str(provider?.display), str(organization?.name));
    for (const { location: loc } of arr(e.location)) {
      const location = resolve<{ identifier?: Identifier[]; name?: string }>(loc, 'Location');
      codes.push(str(loc?.identifier?.value), firstIdentifier(location?.identifier), idPart(str(loc?.reference), 'Location'));
      names.push(str(loc?.display), str(location?.name));
    }
    codes.push(str(e.serviceType?.coding?.[0]?.code));
    names.push(str(e.serviceType?.coding?.[0]?.display), str(e.serviceType?.text));
  }
  return { codes: unique(codes).map((c) => shortCode(c)), names: unique(names) };
}

function hisEncounter(stay: Encounter, contacts: Encounter[], encounterId: string, resolve: Resolve): HisEncounter {
  const patient = findPatient(stay, resolve);
  const { codes: departmentCodes, names: departmentNames } = departmentsOf(contacts, resolve);
  if (departmentCodes.length === 0 && departmentNames.length === 0) {
    throw new FhirMappingError(
      '缺少科室:serviceProvider、location 或 serviceType 都没有代码或名称(display)',
      'Encounter.serviceProvider',
      'required',
    );
  }

  const start = str(stay.period?.start);
  const admittedAt = start ? fhirDateTimeToIso(start) : undefined;
  if (start && !admittedAt) throw new FhirMappingError(`Encounter.period.start「${start}」不是有效的 dateTime`, 'Encounter.period.start', 'invalid');
  const ward = contacts.map((e) => arr(e.location)[0]?.location).find(Boolean);

  return compact({
    encounterId,
    patient,
    departmentCodes,
    departmentNames: departmentNames.length ? departmentNames : undefined,
    diagnosis: diagnosisOf(stay, resolve) ?? contacts.map((e) => diagnosisOf(e, resolve)).find(Boolean),
    attendingDoctor: contacts.map((e) => attendingOf(e, resolve)).find(Boolean),
    ward: str(ward?.display) ?? str(resolve<{ name?: string }>(ward, 'Location')?.name),
    room: placeOfType(contacts, resolve, 'ro'),
    bed: placeOfType(contacts, resolve, 'bd'),
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
      ref
        ? `找不到 Encounter.subject 引用的患者「${ref}」(Bundle、contained 中没有,医院 FHIR 服务器也没有提供)`
        : 'Encounter.subject 缺失,且没有唯一的 Patient',
      'Encounter.subject',
      'required',
    );
  }

  const identifiers = arr(patient.identifier).filter((i) => str(i.value));
  const typed: PersonIdentifier[] = identifiers.map((i) => ({ value: str(i.value) ?? '', type: identifierType(i) }));
  const { patientId: key, idNumber } = pickPatientIdentifiers(typed);
  // Without a 病案号 typed MR, an official or usual identifier is the key, as FHIR intends.
  const preferred = key?.type === 'MR' ? key : typed.find((t, n) => !isIdentityDocument(t) && ['official', 'usual'].includes(identifiers[n]!.use ?? '')) ?? key;
  const chosen = preferred ? identifiers[typed.indexOf(preferred)] : undefined;
  const value = str(chosen?.value);
  if (!value) throw new FhirMappingError('Patient 缺少 identifier(患者 ID)', 'Patient.identifier', 'required');
  const id = hisKey(value, str(chosen?.system));

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
    idNumber,
  });
}

/** 居民身份证号码's OID in the Chinese health information standards (WS 363 / WS 364). */
const CHINESE_RESIDENT_ID_SYSTEM = 'urn:oid:2.16.156.10011.1.3';

/** The HL7 v2-0203 code of an identifier's type (MR, NI, PPN …), if it says; NNCHN for the Chinese resident ID system. */
function identifierType(identifier: Identifier): string | undefined {
  if (identifier.system === CHINESE_RESIDENT_ID_SYSTEM) return 'NNCHN';
  return arr(identifier.type?.coding).map((c) => str(c.code)?.toUpperCase()).find(Boolean);
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
/** The display (or Location name) of the first location of physical type `code` (ro room, bd bed). */
function placeOfType(contacts: { location?: unknown }[], resolve: Resolve, code: string): string | undefined {
  type Coded = { coding?: { code?: unknown }[] };
  const isType = (t: Coded | undefined) => arr(t?.coding).some((c) => str(c.code) === code);
  for (const e of contacts) {
    for (const entry of arr(e.location as { location?: { display?: unknown }; physicalType?: Coded }[] | undefined)) {
      const location = resolve<{ name?: string; physicalType?: Coded }>(entry.location as never, 'Location');
      if (isType(entry.physicalType) || isType(location?.physicalType)) {
        const name = str(entry.location?.display) ?? str(location?.name);
        if (name) return name;
      }
    }
  }
  return undefined;
}

function arr<T>(list: T[] | undefined): T[] {
  return Array.isArray(list) ? list.filter((x) => x !== null && x !== undefined) : [];
}

/** A trimmed non-empty string, or undefined for anything else. */
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}
