/**
 * FHIR R4 as hospitals send it, into real Postgres and Temporal: departments named only by
 * display text, Bundles with a stay and its department contacts, identifiers of any length,
 * Patients only referenced (read from a local stand-in for the hospital's FHIR server),
 * subscription notifications (rest-hook PUT and the R4 backport's history Bundle), and the
 * HTTP body limit. The MII encounters are public samples (tests/fixtures/his/SOURCES.md).
 */
import { readFileSync } from 'node:fs';
import type { Bundle, Encounter, OperationOutcome, Patient } from 'fhir/r4';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFhirRoutes } from '../api/his/fhir.js';
import type { Principal } from '../domain/access.js';
import { createServices } from '../services/index.js';
import { DepartmentKey, UNASSIGNED_DEPARTMENT, followUpWorkflowId } from '../workflows/follow-up/contracts.js';
import { startFhirServerStub, type FhirServerStub } from './support/fhir-server.js';
import { createTestOrg, dischargeBody, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/his/fhir/${name}`, import.meta.url), 'utf8')) as Encounter;
const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

describe('FHIR R4 as hospitals send it', () => {
  let stack: TestStack;
  let org: TestOrg;
  let fhirServer: FhirServerStub;
  let fhir: Hono;
  let deptAName: string;

  beforeAll(async () => {
    fhirServer = await startFhirServerStub();
    stack = await startStack({ worker: true, env: { HIS_FHIR_BASE_URL: fhirServer.baseUrl, HIS_FHIR_TOKEN: fhirServer.token } });
    org = await createTestOrg(stack.sql);
    const [dept] = await stack.sql<{ name: string }[]>`SELECT name FROM departments WHERE code = ${org.deptA}`;
    deptAName = dept!.name;
    fhir = new Hono().route('/api/his/fhir', createFhirRoutes(stack.services));
  });
  afterAll(async () => {
    await stack?.stop();
    await fhirServer?.close();
  });

  const post = (body: unknown, init: RequestInit = {}) =>
    fhir.request('/api/his/fhir', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body), ...init });
  const patient = (id: string): Patient => ({ resourceType: 'Patient', id: `pat-${id}`, identifier: [{ use: 'official', value: id }], name: [{ text: '王秀英' }], telecom: [{ system: 'phone', value: '13812341234' }] });
  const departmentOf = async (encounterId: string) => {
    const description = await stack.temporal.workflow.getHandle(followUpWorkflowId(encounterId)).describe();
    const [row] = await stack.sql<{ department_code: string | null; his_department_code: string }[]>`
      SELECT department_code, his_department_code FROM encounters WHERE his_encounter_id = ${encounterId}`;
    return { searchAttribute: description.typedSearchAttributes.get(DepartmentKey), ...row! };
  };
  const workflowCount = async (encounterId: string) => {
    let n = 0;
    for await (const _ of stack.temporal.workflow.list({ query: `WorkflowId = '${followUpWorkflowId(encounterId)}'` })) n++;
    return n;
  };
  /** An Encounter Bundle whose department is only a display text, as several vendors send it. */
  const byDisplay = (encounterId: string, display: string): Bundle => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: `urn:uuid:${crypto.randomUUID()}`,
        resource: {
          resourceType: 'Encounter',
          identifier: [{ value: encounterId }],
          status: 'finished',
          class: { code: 'IMP' },
          subject: { reference: 'urn:uuid:00000000-0000-4000-8000-0000000000aa' },
          serviceProvider: { display },
          location: [{ location: { display: `${display}病区` } }],
          period: { start: yesterday(), end: yesterday() },
        } satisfies Encounter,
        request: { method: 'POST', url: 'Encounter' },
      },
      { fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000aa', resource: patient(`P${uniq()}`), request: { method: 'POST', url: 'Patient' } },
    ],
  });

  describe('departments named only by display text', () => {
    it('a known department name → one workflow, that department', async () => {
      const encounterId = `ZY${uniq()}`;
      const res = await post(byDisplay(encounterId, deptAName));
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ encounterId, workflowId: followUpWorkflowId(encounterId) });
      expect(await departmentOf(encounterId)).toEqual({ searchAttribute: org.deptA, department_code: org.deptA, his_department_code: deptAName });
      expect(await workflowCount(encounterId)).toBe(1);
    });

    it('an unknown name → one workflow in 未分配科室, kept under that text; mapping the text once moves the next ones', async () => {
      const text = `外科${uniq()}`;
      const encounterId = `ZY${uniq()}`;
      expect((await post(byDisplay(encounterId, text))).status).toBe(202);
      expect(await departmentOf(encounterId)).toEqual({ searchAttribute: UNASSIGNED_DEPARTMENT, department_code: null, his_department_code: text });
      expect(await workflowCount(encounterId)).toBe(1);
      await stack.sql`INSERT INTO department_mappings (his_code, department_code) VALUES (${text}, ${org.deptB})`;
      const next = `ZY${uniq()}`;
      expect((await post(byDisplay(next, text))).status).toBe(202);
      expect((await departmentOf(next)).department_code).toBe(org.deptB);
    });
  });

  it('a 身份证号 beside the 病案号: the MR identifier is the key, the ID number is stored apart and shown masked', async () => {
    const encounterId = `ZY${uniq()}`;
    const record = `BA${uniq()}`;
    const bundle = byDisplay(encounterId, deptAName);
    bundle.entry![1]!.resource = {
      ...patient(record),
      identifier: [
        { use: 'official', system: 'urn:oid:2.16.156.10011.1.3', value: '110105199001011232' },
        { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, value: record },
      ],
    };
    expect((await post(bundle)).status).toBe(202);
    const [row] = await stack.sql<{ id: string; his_patient_id: string; id_number: string }[]>`
      SELECT p.id, p.his_patient_id, p.id_number FROM patients p JOIN encounters e ON e.patient_id = p.id WHERE e.his_encounter_id = ${encounterId}`;
    expect(row).toMatchObject({ his_patient_id: record, id_number: '110105199001011232' });
    const [admin] = await stack.sql<Principal[]>`
      SELECT id, username, display_name AS "displayName", role, department_code AS "departmentCode" FROM users WHERE username = ${org.users.admin.username}`;
    const view = await stack.services.patients.view(admin!, row!.id, { ip: '127.0.0.1', userAgent: 'fhir-test' });
    expect(view).toMatchObject({ hisPatientId: record, idNumberMasked: '110***********1232' });
    expect(JSON.stringify(view)).not.toContain('110105199001011232');
  });

  describe('Bundles, identifiers and dates as other systems write them', () => {
    it('MII stay + department contact (partOf) in a transaction Bundle, Patient only referenced → read from the hospital FHIR server; one follow-up', async () => {
      const stay = fixture('mii-fall-einrichtungskontakt.json');
      const contact = fixture('mii-fall-abteilungskontakt.json');
      const suffix = uniq();
      const stayId = `F_${suffix}`;
      const patientId = `P-MII-${suffix}`;
      stay.identifier![0]!.value = stayId;
      stay.period = { start: yesterday(), end: yesterday() };
      const patientRef = `Patient/mii-${suffix.toLowerCase()}`;
      stay.subject = { reference: patientRef };
      fhirServer.resources.set(patientRef, { resourceType: 'Patient', id: `mii-${suffix.toLowerCase()}`, identifier: [{ value: patientId }], name: [{ family: 'Musterfrau', given: ['Erika'] }] });
      await stack.sql`INSERT INTO department_mappings (his_code, department_code) VALUES (${'1500_ACHI'}, ${org.deptB}) ON CONFLICT DO NOTHING`;
      const bundle: Bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: stay, request: { method: 'PUT', url: `Encounter/${stay.id}` } },
          { fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: { ...contact, subject: stay.subject, partOf: { reference: `Encounter/${stay.id}` } }, request: { method: 'PUT', url: `Encounter/${contact.id}` } },
          { request: { method: 'DELETE', url: 'Encounter/obsolete-1' } },
        ],
      };
      const res = await post(bundle);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ encounterId: stayId, workflowId: followUpWorkflowId(stayId) });
      expect(fhirServer.requests).toContain(patientRef);
      const [row] = await stack.sql`
        SELECT e.department_code, p.name FROM encounters e JOIN patients p ON p.id = e.patient_id WHERE e.his_encounter_id = ${stayId}`;
      expect(row).toEqual({ department_code: org.deptB, name: 'Musterfrau Erika' });
      expect(await workflowCount(stayId)).toBe(1);
      const [contactRow] = await stack.sql`SELECT count(*)::int AS n FROM encounters WHERE his_encounter_id = 'F_0000001'`;
      expect(contactRow!.n).toBe(0); // the department contact is part of the stay, not a discharge of its own
    });

    it('several stays in one batch Bundle, identifiers and organisation references longer than 32 characters, date-only periods', async () => {
      const oid = `urn:oid:1.2.156.112604.1.2.9.${uniq()}.${'7'.repeat(40)}`;
      const orgUuid = crypto.randomUUID();
      const short = `ZY${uniq()}`;
      const encounter = (value: string): Encounter => ({
        resourceType: 'Encounter',
        identifier: [{ system: 'urn:oid:1.2.156.112604.1.2.9', value }],
        status: 'finished',
        class: { code: 'IMP' },
        subject: { reference: '#p' },
        contained: [{ ...patient(`P${uniq()}`), id: 'p' }],
        serviceProvider: { reference: `Organization/${orgUuid}` },
        period: { start: yesterday(), end: yesterday() },
      });
      const res = await post({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: encounter(oid) }, { resource: encounter(short) }] });
      expect(res.status).toBe(202);
      const { encounters } = (await res.json()) as { encounters: { encounterId: string; workflowId: string }[] };
      expect(encounters).toHaveLength(2);
      expect(encounters[0]!.encounterId).toMatch(/^h-[0-9a-f]{40}$/);
      expect(encounters[1]!.encounterId).toBe(short);
      for (const e of encounters) expect(await workflowCount(e.encounterId)).toBe(1);
      const [row] = await stack.sql`SELECT his_department_code FROM encounters WHERE his_encounter_id = ${short}`;
      expect(row!.his_department_code).toMatch(new RegExp(`^${orgUuid.slice(0, 23)}~[0-9a-f]{8}$`));
      // The same message again: the same keys, no second workflow.
      expect((await post({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: encounter(oid) }] })).status).toBe(202);
      expect(await workflowCount(encounters[0]!.encounterId)).toBe(1);
    });

    it('a Patient the FHIR server does not have → 400 naming Encounter.subject; the server down → 503 transient, stored for later', async () => {
      const encounterId = `ZY${uniq()}`;
      const missing: Encounter = {
        resourceType: 'Encounter',
        identifier: [{ value: encounterId }],
        status: 'finished',
        class: { code: 'IMP' },
        subject: { reference: `Patient/nobody-${uniq().toLowerCase()}` },
        serviceProvider: { identifier: { value: org.deptA } },
        period: { end: yesterday() },
      };
      const res = await post(missing);
      expect(res.status).toBe(400);
      expect(((await res.json()) as OperationOutcome).issue[0]).toMatchObject({ code: 'required', expression: ['Encounter.subject'] });

      fhirServer.down = true;
      try {
        const later = await post({ ...missing, identifier: [{ value: `ZY${uniq()}` }] });
        expect(later.status).toBe(503);
        expect(later.headers.get('retry-after')).toBe('30');
        expect(((await later.json()) as OperationOutcome).issue[0]!.code).toBe('transient');
      } finally {
        fhirServer.down = false;
      }
    });
  });

  describe('subscription notifications', () => {
    const encounterOnServer = (encounterId: string, patientRef: string): Encounter => ({
      resourceType: 'Encounter',
      id: encounterId.toLowerCase(),
      identifier: [{ value: encounterId }],
      status: 'finished',
      class: { code: 'IMP' },
      subject: { reference: patientRef },
      serviceProvider: { identifier: { value: org.deptA } },
      period: { end: `${yesterday()}T10:30:00+08:00` },
    });

    it('R4 rest-hook with payload: PUT [endpoint]/Encounter/[id] → 202 and the follow-up; its Patient read from the server', async () => {
      const encounterId = `ZY${uniq()}`;
      const patientRef = `Patient/p-${uniq().toLowerCase()}`;
      fhirServer.resources.set(patientRef, { ...patient(`P${uniq()}`), id: patientRef.split('/')[1] });
      const body = encounterOnServer(encounterId, patientRef);
      const res = await fhir.request(`/api/his/fhir/Encounter/${body.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ encounterId, workflowId: followUpWorkflowId(encounterId) });
      const wrong = await fhir.request('/api/his/fhir/Encounter/other-id', { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
      expect(wrong.status).toBe(400);
    });

    it('R4 backport id-only notification (history Bundle): the Encounter and its Patient are read from the server; a handshake is acknowledged and ignored', async () => {
      const encounterId = `ZY${uniq()}`;
      const patientRef = `Patient/p-${uniq().toLowerCase()}`;
      const encounter = encounterOnServer(encounterId, patientRef);
      fhirServer.resources.set(`Encounter/${encounter.id}`, encounter as unknown as Record<string, unknown>);
      fhirServer.resources.set(patientRef, { ...patient(`P${uniq()}`), id: patientRef.split('/')[1] });
      const notification = (type: string, focus?: string) => ({
        resourceType: 'Bundle',
        type: 'history',
        entry: [
          {
            fullUrl: 'urn:uuid:9e41ff6d-0000-4000-8000-000000000001',
            resource: {
              resourceType: 'Parameters',
              parameter: [
                { name: 'subscription', valueReference: { reference: 'Subscription/discharges' } },
                { name: 'status', valueCode: 'active' },
                { name: 'type', valueCode: type },
                ...(focus ? [{ name: 'notification-event', part: [{ name: 'event-number', valueString: '1' }, { name: 'focus', valueReference: { reference: focus } }] }] : []),
              ],
            },
          },
          ...(focus ? [{ fullUrl: `${fhirServer.baseUrl}/${focus}`, request: { method: 'PUT', url: focus } }] : []),
        ],
      });
      const res = await post(notification('event-notification', `Encounter/${encounter.id}`));
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ encounterId, workflowId: followUpWorkflowId(encounterId) });
      expect(fhirServer.requests).toEqual(expect.arrayContaining([`Encounter/${encounter.id}`, patientRef]));

      const handshake = await post(notification('handshake'));
      expect(handshake.status).toBe(200);
      expect(await handshake.json()).toMatchObject({ outcome: 'ignored' });
      const empty = await fhir.request('/api/his/fhir', { method: 'POST', body: '' });
      expect(empty.status).toBe(200);
    });
  });

  it('the reconciler processes stored messages again; one that fails unexpectedly does not hold back the next', async () => {
    const { createDischargeService } = await import('../services/discharges.js');
    const broken = createDischargeService({
      sql: stack.sql,
      temporal: stack.temporal,
      taskQueue: stack.taskQueue,
      settings: { fhirServer: { configured: true, read: async () => Promise.reject(new Error('bug in a FHIR client')) } },
    });
    const poison = await broken.receive('fhir', JSON.stringify({ resourceType: 'Encounter', identifier: [{ value: `ZY${uniq()}` }], status: 'finished', subject: { reference: 'Patient/x1' }, serviceProvider: { identifier: { value: org.deptA } }, period: { end: yesterday() } }));
    const good = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString() });
    const waiting = await broken.receive('json', JSON.stringify(good));
    const counts = await broken.reprocessPending({ olderThanSeconds: 0, limit: 1000 });
    expect(counts.failed).toBeGreaterThanOrEqual(1);
    const rows = await stack.sql<{ id: string; outcome: string; error: string | null; attempts: number }[]>`
      SELECT id, outcome, error, attempts FROM inbound_messages WHERE id IN (${poison.id}, ${waiting.id}) ORDER BY id`;
    expect(rows).toEqual([
      { id: poison.id, outcome: 'received', error: 'bug in a FHIR client', attempts: 1 },
      { id: waiting.id, outcome: 'accepted', error: null, attempts: 1 },
    ]);
    await stack.temporal.workflow.getHandle(followUpWorkflowId(good.encounterId)).describe();
  });

  it('every HTTP endpoint has a body limit: 413 before the body is read whole', async () => {
    const limited = createServices({ sql: stack.sql, temporal: stack.temporal, env: { ...stack.env, HTTP_BODY_LIMIT_BYTES: 64 * 1024 } });
    const { createApi } = await import('../api/app.js');
    const api = createApi(limited);
    const big = JSON.stringify({ ...dischargeBody(org.deptA), procedure: 'x'.repeat(100 * 1024) });
    const res = await api.request('/his/discharges', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(res.status).toBe(413);
    const login = await api.request('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(login.status).toBe(413);
    const [stored] = await stack.sql`SELECT count(*)::int AS n FROM inbound_messages WHERE raw = ${big}`;
    expect(stored!.n).toBe(0);
  });
});
