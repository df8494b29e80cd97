/**
 * HIS routes end to end: HL7 v2 over MLLP and FHIR R4 into real Postgres and Temporal, plus the
 * transient-failure answers with a stubbed discharge service.
 */
import type { Bundle, Encounter, OperationOutcome, Patient } from 'fhir/r4';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFhirRoutes } from '../api/his/fhir.js';
import { RETRY_LATER, startMllpListener, type MllpListener } from '../api/his/mllp-listener.js';
import { ServiceError } from '../services/errors.js';
import type { DischargeService, IngestOutcome } from '../services/discharges.js';
import type { Services } from '../services/index.js';
import { followUpWorkflowId, getFollowUpStateQuery } from '../workflows/follow-up/contracts.js';
import { readAck, sendHl7, sendMllpFrame } from './support/mllp.js';
import { createTestOrg, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';
import { waitFor } from './support/follow-up-fixtures.js';

const quiet = { info() {}, warn() {}, error: console.error };

/** Local (Asia/Shanghai) date `days` ago as HL7 YYYYMMDD and ISO YYYY-MM-DD: recent, so the follow-up still starts. */
function localDay(days: number) {
  const iso = new Date(Date.now() + 8 * 3600_000 - days * 86_400_000).toISOString().slice(0, 10);
  return { hl7: iso.replace(/-/g, ''), iso };
}
const DISCHARGED = localDay(2);
const ADMITTED = localDay(12);
const REDISCHARGED = localDay(1);


function adt(
  trigger: 'A01' | 'A03' | 'A13',
  { encounterId, patientId, department, pointOfCare = department }: { encounterId: string; patientId: string; department: string; pointOfCare?: string },
) {
  const pv1 = Array<string>(46).fill('');
  Object.assign(pv1, { 0: 'PV1', 1: '1', 2: 'I', 3: `${pointOfCare}^301^12`, 7: 'D0457^李^明', 10: department, 19: encounterId, 44: `${ADMITTED.hl7}083000`, 45: `${DISCHARGED.hl7}103000` });
  return [
    `MSH|^~\\&|HIS|BJZYY|SUIFANG|BJZYY|${DISCHARGED.hl7}103512||ADT^${trigger}^ADT_${trigger === 'A13' ? 'A01' : trigger}|C${uniq()}|P|2.5|||AL|NE||UNICODE UTF-8`,
    `EVN|${trigger}|${DISCHARGED.hl7}103500`,
    `PID|1||${patientId}^^^BJZYY^PI||王秀英||19580302|F|||望京街道花家地南里5号楼^3单元402室^北京市^北京市||^PRN^PH^^^010^12345678`,
    pv1.join('|'),
    'DG1|1|I10|S72.001^股骨颈骨折^I10',
  ].join('\r');
}

async function workflowCount(stack: TestStack, workflowId: string) {
  let n = 0;
  for await (const _ of stack.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
  return n;
}

describe('HIS ingest: HL7 v2 over MLLP and FHIR R4', () => {
  let stack: TestStack;
  let org: TestOrg;
  let mllp: MllpListener;
  let fhir: Hono;
  beforeAll(async () => {
    stack = await startStack({ worker: true });
    org = await createTestOrg(stack.sql);
    mllp = await startMllpListener({ port: 0, host: '127.0.0.1', services: stack.services, logger: quiet });
    fhir = new Hono().route('/api/his/fhir', createFhirRoutes(stack.services));
  });
  afterAll(async () => {
    await mllp?.close();
    await stack?.stop();
  });

  const postFhir = (body: unknown, contentType = 'application/fhir+json') =>
    fhir.request('/api/his/fhir', { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify(body) });

  describe('MLLP', () => {
    it('ADT^A03 → AA after the follow-up started; a resend → AA, still one workflow, inbox duplicate', async () => {
      const ids = { encounterId: `ZY${uniq()}`, patientId: `P${uniq()}`, department: org.deptA };
      const message = adt('A03', ids);
      const ack = readAck(await sendHl7(mllp.port, message));
      expect(ack).toMatchObject({ code: 'AA', controlId: message.split('|')[9] });

      const workflowId = followUpWorkflowId(ids.encounterId);
      expect(workflowId).toBe(`followup-${ids.encounterId}`);
      const description = await stack.temporal.workflow.getHandle(workflowId).describe();
      expect(description.workflowId).toBe(workflowId);

      const [encounter] = await stack.sql`
        SELECT e.department_code, e.his_department_code, e.status, e.discharged_at, e.diagnosis_name, e.attending_doctor,
               p.name, p.phone, p.address, p.birth_date::text AS birth_date
        FROM encounters e JOIN patients p ON p.id = e.patient_id WHERE e.his_encounter_id = ${ids.encounterId}`;
      expect(encounter).toMatchObject({
        department_code: org.deptA,
        his_department_code: org.deptA,
        status: 'discharged',
        diagnosis_name: '股骨颈骨折',
        attending_doctor: '李明',
        name: '王秀英',
        phone: '01012345678',
        address: '北京市望京街道花家地南里5号楼3单元402室',
        birth_date: '1958-03-02',
      });
      expect((encounter!.discharged_at as Date).toISOString()).toBe(`${DISCHARGED.iso}T02:30:00.000Z`);

      expect(readAck(await sendHl7(mllp.port, message)).code).toBe('AA');
      expect(await workflowCount(stack, workflowId)).toBe(1);
      const inbox = await stack.sql<{ source: string; outcome: string; raw: string }[]>`
        SELECT source, outcome, raw FROM inbound_messages WHERE his_encounter_id = ${ids.encounterId} ORDER BY id`;
      expect(inbox.map((r) => [r.source, r.outcome])).toEqual([
        ['hl7', 'accepted'],
        ['hl7', 'duplicate'],
      ]);
      expect(inbox[0]!.raw).toBe(message);
    });

    it('garbage → AR with a reason, stored as rejected', async () => {
      const garbage = `not hl7 at all ${uniq()} 你好`;
      const ack = readAck(await sendMllpFrame(mllp.port, garbage));
      expect(ack.code).toBe('AR');
      expect(ack.text).toContain('不是 HL7');
      const [row] = await stack.sql`SELECT source, outcome, error FROM inbound_messages WHERE raw = ${garbage}`;
      expect(row).toMatchObject({ source: 'hl7', outcome: 'rejected' });
    });

    it('a mapping error → AR (never acceptable as sent) naming the field (MSA-3, ERR), stored as rejected, nothing else stored', async () => {
      const ids = { encounterId: `ZY${uniq()}`, patientId: `P${uniq()}`, department: org.deptA };
      const message = adt('A03', ids)
        .split('\r')
        .filter((s) => !s.startsWith('EVN'))
        .map((s) => (s.startsWith('PV1') ? s.replace(new RegExp(`\\|${DISCHARGED.hl7}103000$`), '|') : s))
        .join('\r');
      const ack = readAck(await sendHl7(mllp.port, message));
      expect(ack).toMatchObject({ code: 'AR', errLocation: 'PV1^1^45', errCode: '101' });
      expect(ack.text).toContain('PV1-45');
      const [row] = await stack.sql`SELECT outcome, error FROM inbound_messages WHERE raw = ${message}`;
      expect(row).toMatchObject({ outcome: 'rejected' });
      expect(row!.error).toContain('PV1-45');
      const [n] = await stack.sql`SELECT count(*)::int AS n FROM encounters WHERE his_encounter_id = ${ids.encounterId}`;
      expect(n!.n).toBe(0);
    });

    it('an unknown department code → AA; the encounter keeps the HIS code, department NULL', async () => {
      const unknown = `Z${uniq()}`;
      const ids = { encounterId: `ZY${uniq()}`, patientId: `P${uniq()}`, department: unknown };
      expect(readAck(await sendHl7(mllp.port, adt('A03', ids))).code).toBe('AA');
      const [encounter] = await stack.sql`
        SELECT department_code, his_department_code FROM encounters WHERE his_encounter_id = ${ids.encounterId}`;
      expect(encounter).toEqual({ department_code: null, his_department_code: unknown });
      await stack.temporal.workflow.getHandle(followUpWorkflowId(ids.encounterId)).describe();
    });

    it('an unknown point of care (PV1-3) with a mapped hospital service (PV1-10) → the mapped department', async () => {
      const service = `S${uniq()}`;
      await stack.sql`INSERT INTO department_mappings (his_code, department_code) VALUES (${service}, ${org.deptB})`;
      const ids = { encounterId: `ZY${uniq()}`, patientId: `P${uniq()}`, department: service, pointOfCare: `W${uniq()}` };
      expect(readAck(await sendHl7(mllp.port, adt('A03', ids))).code).toBe('AA');
      const [encounter] = await stack.sql`
        SELECT department_code, his_department_code FROM encounters WHERE his_encounter_id = ${ids.encounterId}`;
      expect(encounter).toEqual({ department_code: org.deptB, his_department_code: ids.pointOfCare });
    });

    it('A13 for a discharged encounter → discharge_cancelled and the follow-up is cancelled', async () => {
      const ids = { encounterId: `ZY${uniq()}`, patientId: `P${uniq()}`, department: org.deptB };
      expect(readAck(await sendHl7(mllp.port, adt('A03', ids))).code).toBe('AA');
      const cancel = readAck(await sendHl7(mllp.port, adt('A13', ids)));
      expect(cancel.code).toBe('AA');

      const [encounter] = await stack.sql`SELECT status FROM encounters WHERE his_encounter_id = ${ids.encounterId}`;
      expect(encounter!.status).toBe('discharge_cancelled');
      const [inbox] = await stack.sql`
        SELECT outcome FROM inbound_messages WHERE his_encounter_id = ${ids.encounterId} ORDER BY id DESC LIMIT 1`;
      expect(inbox!.outcome).toBe('accepted');

      const handle = stack.temporal.workflow.getHandle(followUpWorkflowId(ids.encounterId));
      // Delivered: the signal is in the history (once the workflow task that was running when it came ends).
      await waitFor(async () => {
        const history = await handle.fetchHistory();
        return (history?.events ?? []).some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'cancelFollowUp') || undefined;
      });
      const state = await waitFor(async () => {
        const s = await handle.query(getFollowUpStateQuery);
        return s.status === 'cancelled' ? s : undefined;
      });
      expect(state.cancelReason).toBe('discharge_cancelled');

      // The HIS then discharges the patient again: a new follow-up run starts for the same encounter.
      const again = adt('A03', ids).replace(`${DISCHARGED.hl7}103000`, `${REDISCHARGED.hl7}150000`);
      expect(readAck(await sendHl7(mllp.port, again)).code).toBe('AA');
      const [redischarged] = await stack.sql<{ status: string; discharged_at: Date }[]>`
        SELECT status, discharged_at FROM encounters WHERE his_encounter_id = ${ids.encounterId}`;
      expect(redischarged!.status).toBe('discharged');
      expect(redischarged!.discharged_at.toISOString()).toBe(`${REDISCHARGED.iso}T07:00:00.000Z`);
      await waitFor(async () => ((await workflowCount(stack, followUpWorkflowId(ids.encounterId))) === 2 ? true : undefined));
      expect((await handle.describe()).status.name).toBe('RUNNING');
    });

    it('A13 for an encounter that was only admitted changes nothing', async () => {
      const ids = { encounterId: `ZY${uniq()}`, patientId: `P${uniq()}`, department: org.deptB };
      expect(readAck(await sendHl7(mllp.port, adt('A01', ids))).code).toBe('AA');
      expect(readAck(await sendHl7(mllp.port, adt('A13', ids))).code).toBe('AA');
      const [encounter] = await stack.sql`SELECT status FROM encounters WHERE his_encounter_id = ${ids.encounterId}`;
      expect(encounter!.status).toBe('admitted');
    });
  });

  describe('FHIR', () => {
    const patient = (id: string): Patient => ({
      resourceType: 'Patient',
      id: 'pat',
      identifier: [{ use: 'official', value: id }],
      name: [{ family: '王', given: ['秀英'] }],
      gender: 'female',
      birthDate: '1958-03-02',
      telecom: [{ system: 'phone', use: 'mobile', value: '13812341234' }],
    });
    const encounter = (encounterId: string, department: string, overrides: Partial<Encounter> = {}): Encounter => ({
      resourceType: 'Encounter',
      identifier: [{ use: 'official', value: encounterId }],
      status: 'finished',
      class: { code: 'IMP' },
      serviceProvider: { identifier: { value: department } },
      period: { start: `${ADMITTED.iso}T08:30:00+08:00`, end: `${DISCHARGED.iso}T10:30:00+08:00` },
      diagnosis: [{ condition: { display: '股骨颈骨折' } }],
      ...overrides,
    });

    it('an Encounter with a contained Patient → 202 and the follow-up workflow', async () => {
      const encounterId = `ZY${uniq()}`;
      const patientId = `P${uniq()}`;
      const res = await postFhir(encounter(encounterId, org.deptA, { subject: { reference: '#pat' }, contained: [patient(patientId)] }));
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ encounterId, workflowId: `followup-${encounterId}` });
      await stack.temporal.workflow.getHandle(`followup-${encounterId}`).describe();
      const [row] = await stack.sql`
        SELECT e.department_code, p.his_patient_id, p.name FROM encounters e JOIN patients p ON p.id = e.patient_id
        WHERE e.his_encounter_id = ${encounterId}`;
      expect(row).toEqual({ department_code: org.deptA, his_patient_id: patientId, name: '王秀英' });
      const [inbox] = await stack.sql`SELECT source, outcome FROM inbound_messages WHERE his_encounter_id = ${encounterId}`;
      expect(inbox).toEqual({ source: 'fhir', outcome: 'accepted' });
    });

    it('a transaction Bundle (application/json) → 202', async () => {
      const encounterId = `ZY${uniq()}`;
      const bundle: Bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:5a1c6b52-0000-4000-8000-000000000001', resource: encounter(encounterId, org.deptB, { subject: { reference: 'urn:uuid:5a1c6b52-0000-4000-8000-000000000002' } }) },
          { fullUrl: 'urn:uuid:5a1c6b52-0000-4000-8000-000000000002', resource: patient(`P${uniq()}`) },
        ],
      };
      const res = await postFhir(bundle, 'application/json');
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ encounterId, workflowId: `followup-${encounterId}` });
      await stack.temporal.workflow.getHandle(`followup-${encounterId}`).describe();
    });

    it('a bad resource → 400 OperationOutcome naming the element; nothing stored but the rejected message', async () => {
      const noEnd = `ZY${uniq()}`;
      const res = await postFhir(
        encounter(noEnd, org.deptA, { period: { start: '2026-11-10T08:30:00+08:00' }, subject: { reference: '#pat' }, contained: [patient(`P${uniq()}`)] }),
      );
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/fhir+json');
      const oo = (await res.json()) as OperationOutcome;
      expect(oo).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'required', expression: ['Encounter.period.end'] }] });

      const noIdentifier = `ZY${uniq()}`;
      const p = patient('x');
      delete p.identifier;
      const res2 = await postFhir(encounter(noIdentifier, org.deptA, { subject: { reference: '#pat' }, contained: [p] }));
      expect(res2.status).toBe(400);
      expect(((await res2.json()) as OperationOutcome).issue[0]).toMatchObject({ code: 'required', expression: ['Patient.identifier'] });

      for (const id of [noEnd, noIdentifier]) {
        const [n] = await stack.sql`SELECT count(*)::int AS n FROM encounters WHERE his_encounter_id = ${id}`;
        expect(n!.n).toBe(0);
        const [inbox] = await stack.sql`SELECT source, outcome, error FROM inbound_messages WHERE source = 'fhir' AND raw LIKE ${`%${id}%`}`;
        expect(inbox).toMatchObject({ source: 'fhir', outcome: 'rejected' });
      }

      const notJson = await fhir.request('/api/his/fhir', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: '{oops' });
      expect(notJson.status).toBe(400);
      expect(((await notJson.json()) as OperationOutcome).issue[0]!.code).toBe('structure');
      const xml = await fhir.request('/api/his/fhir', { method: 'POST', headers: { 'content-type': 'application/fhir+xml' }, body: '<Encounter/>' });
      expect(xml.status).toBe(415);
    });
  });
});

describe('FHIR with HIS_API_TOKEN set', () => {
  let stack: TestStack;
  const token = 'his-token-0123456789abcdef';
  beforeAll(async () => {
    stack = await startStack({ env: { HIS_API_TOKEN: token } });
  });
  afterAll(() => stack?.stop());

  it('refuses a request without the right token (OperationOutcome) and stores nothing', async () => {
    const app = new Hono().route('/api/his/fhir', createFhirRoutes(stack.services));
    const body = JSON.stringify({ resourceType: 'Encounter', id: `T${uniq()}`, status: 'finished' });
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789ab']) {
      const res = await app.request('/api/his/fhir', {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', ...(authorization ? { authorization } : {}) },
        body,
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as OperationOutcome).issue[0]!.code).toBe('login');
    }
    const [row] = await stack.sql`SELECT count(*)::int AS n FROM inbound_messages WHERE raw = ${body}`;
    expect(row!.n).toBe(0);
    const ok = await app.request('/api/his/fhir', {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
      body,
    });
    expect(ok.status).toBe(400); // past the token check: no identifier/subject, but stored and rejected
  });
});

describe('Temporal unavailable (stubbed service)', () => {
  const stored: string[] = [];
  const discharges = {
    ingest: async (_source: string, raw: string | Uint8Array): Promise<IngestOutcome> => {
      stored.push(Buffer.from(raw).toString('utf8'));
      return { status: 'retry', inboxId: String(stored.length), error: new ServiceError(503, 'temporal_unavailable', '出院记录已保存,但随访流程暂时无法启动,请稍后重发') };
    },
  } as unknown as DischargeService;

  it('MLLP answers AE "暂时无法处理,请重发" after storing the message', async () => {
    const listener = await startMllpListener({ port: 0, services: { discharges }, logger: quiet });
    try {
      const message = adt('A03', { encounterId: `ZY${uniq()}`, patientId: `P${uniq()}`, department: 'GK' });
      const ack = readAck(await sendHl7(listener.port, message));
      expect(ack).toMatchObject({ code: 'AE', text: RETRY_LATER });
      expect(stored).toContain(message);
    } finally {
      await listener.close();
    }
  });

  it('FHIR answers 503 with a transient OperationOutcome and Retry-After', async () => {
    const services = { env: { HIS_API_TOKEN: undefined }, discharges } as unknown as Pick<Services, 'env' | 'discharges'>;
    const app = createFhirRoutes(services);
    const res = await app.request('/', {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Encounter',
        identifier: [{ value: `ZY${uniq()}` }],
        status: 'finished',
        class: { code: 'IMP' },
        serviceProvider: { identifier: { value: 'GK' } },
        period: { end: `${DISCHARGED.iso}T10:30:00+08:00` },
        contained: [{ resourceType: 'Patient', id: 'p', identifier: [{ value: 'P1' }], name: [{ text: '王秀英' }] }],
        subject: { reference: '#p' },
      }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(((await res.json()) as OperationOutcome).issue[0]).toMatchObject({ severity: 'error', code: 'transient' });
  });
});
