/**
 * Chaos: Temporal goes down while the HIS keeps sending, and while agents, patients and admins
 * keep writing rows whose workflows must be told (tickets, bookings, department mappings). Runs
 * against a Temporal dev server of its own (a SQLite file, so it comes back with its state), never
 * the shared one. Discharges posted while it is down are stored and answered with a retryable
 * error (503 / AE); tickets and bookings are stored and accepted, their workflow pending. Once it
 * is back, the reconciler's Schedule takes every one up without anybody sending anything again.
 * (One file, one Temporal: a second reconciler on the same database would take these rows up on
 * its own Temporal.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../api/app.js';
import { RETRY_LATER, startMllpListener, type MllpListener } from '../api/his/mllp-listener.js';
import type { Principal } from '../domain/access.js';
import { createServices } from '../services/index.js';
import { appointmentWorkflowId } from '../workflows/appointment/contracts.js';
import { ticketWorkflowId } from '../workflows/feedback-ticket/contracts.js';
import { DepartmentKey, followUpWorkflowId, getFollowUpStateQuery, UNASSIGNED_DEPARTMENT } from '../workflows/follow-up/contracts.js';
import { startChaosTemporal, type ChaosTemporal } from './support/chaos-temporal.js';
import { waitFor } from './support/follow-up-fixtures.js';
import { readAck, sendHl7 } from './support/mllp.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD } from './support/org.js';
import { uniq } from './support/stack.js';

const quiet = { info() {}, warn() {}, error() {} };

describe('Temporal down while work arrives', () => {
  let chaos: ChaosTemporal;
  let mllp: MllpListener;

  beforeAll(async () => {
    chaos = await startChaosTemporal('chaos');
  }, 240_000);

  afterAll(async () => {
    await mllp?.close();
    await chaos?.stop();
  });

  it('stored and answered 503 / AE while Temporal is down; every one has its workflow once it is back, without a resend', async () => {
    const { sql, client } = chaos;
    const services = createServices({ sql, temporal: client, env: chaos.env });
    const api = createApi(services);
    const org = await createTestOrg(sql);
    mllp = await startMllpListener({ port: 0, host: '127.0.0.1', services, logger: quiet });
    const post = async (body: unknown) => api.request('/his/discharges', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const before = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString() });
    expect((await post(before)).status).toBe(202);

    await chaos.stopTemporal();

    const bodies = [0, 1, 2].map(() => dischargeBody(org.deptA, { dischargedAt: new Date().toISOString() }));
    const answers = await Promise.all(bodies.map(post));
    expect(answers.map((r) => r.status)).toEqual([503, 503, 503]);
    const hl7Encounter = `ZY${uniq()}`;
    const pv1 = Array<string>(46).fill('');
    Object.assign(pv1, { 0: 'PV1', 1: '1', 2: 'I', 3: org.deptA, 19: hl7Encounter, 45: new Date(Date.now() + 8 * 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14) });
    const hl7 = [`MSH|^~\\&|HIS|H|FU|H|20261129||ADT^A03^ADT_A03|C${uniq()}|P|2.5`, `PID|1||P${uniq()}||王秀英`, pv1.join('|')].join('\r');
    expect(readAck(await sendHl7(mllp.port, hl7))).toMatchObject({ code: 'AE', text: RETRY_LATER });

    const encounterIds = [...bodies.map((b) => b.encounterId), hl7Encounter];
    const stored = await sql<{ his_encounter_id: string; outcome: string }[]>`
      SELECT his_encounter_id, outcome FROM inbound_messages WHERE his_encounter_id = ANY(${encounterIds})`;
    expect(stored.map((r) => r.outcome)).toEqual(['received', 'received', 'received', 'received']);

    await chaos.startTemporal();

    // Nothing is sent again: the reconciler's Schedule finds the stored messages and processes them.
    for (const encounterId of encounterIds) {
      await waitFor(() => client.workflow.getHandle(followUpWorkflowId(encounterId)).describe(), 120_000, `workflow of ${encounterId}`);
    }
    const settled = await waitFor(async () => {
      const rows = await sql<{ outcome: string }[]>`SELECT outcome FROM inbound_messages WHERE his_encounter_id = ANY(${encounterIds})`;
      return rows.every((r) => r.outcome === 'accepted') ? rows : undefined;
    }, 30_000, 'inbox settled');
    expect(settled).toHaveLength(4);
  }, 240_000);

  it('stores each and answers accepted; once Temporal is back every workflow is started or told, without a resend', async () => {
    const { sql, client } = chaos;
    const services = createServices({ sql, temporal: client, env: chaos.env });
    const org = await createTestOrg(sql);
    const users = {} as Record<'agentA' | 'admin', Principal>;
    for (const key of ['agentA', 'admin'] as const) {
      users[key] = (await services.auth.login({ username: org.users[key].username, password: TEST_PASSWORD }, {})).user;
    }
    const [patient] = await sql<{ id: string }[]>`
      INSERT INTO patients (his_patient_id, name, phone) VALUES (${`RC-${uniq()}`}, '李桂兰', '13800138000') RETURNING id`;
    const soon = (s: number) => new Date(Date.now() + s * 1000);
    const [session] = await sql<{ id: string }[]>`
      INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, grace_minutes)
      VALUES ('张主任', ${org.deptA}, current_date, ${soon(3600)}, ${soon(3700)}, ${soon(7200)}, 30, 0) RETURNING id`;
    await sql`INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
              VALUES (${session!.id}, 0, ${soon(3700)}, ${soon(7200)}, 5)`;
    // A follow-up waiting in 未分配科室 under a HIS code nobody has mapped yet.
    const hisCode = `HX${uniq()}`;
    const discharge = dischargeBody(hisCode, { dischargedAt: new Date().toISOString() });
    await services.discharges.ingestJson(JSON.stringify(discharge));
    const followUp = client.workflow.getHandle(followUpWorkflowId(discharge.encounterId));
    await waitFor(async () => (await followUp.query(getFollowUpStateQuery)).touchpoints.length > 0, 20_000, 'follow-up planned');
    expect((await followUp.describe()).typedSearchAttributes.get(DepartmentKey)).toBe(UNASSIGNED_DEPARTMENT);

    await chaos.stopTemporal();

    const ticket = await services.tickets.open(
      users.agentA,
      { sourceKey: `rc:${uniq()}`, patientId: patient!.id, category: 'service_attitude', description: '护士态度生硬' },
      {},
    );
    expect(ticket.workflowPending).toBe(true);
    const booking = await services.appointments.book(patient!.id, session!.id, 0, { prepaid: true, prepaymentRef: 'PAY-RC-1' });
    expect(booking.workflowPending).toBe(true);
    const mapped = await services.plans.saveMapping(users.admin, { hisCode, departmentCode: org.deptA }, {});
    expect(mapped.encountersMoved).toBe(1);
    const markers = async () => {
      const [row] = await sql<{ ticket: boolean; appointment: boolean; encounter: boolean }[]>`
        SELECT (SELECT workflow_pending FROM tickets WHERE id = ${ticket.ticketId}) AS ticket,
               (SELECT workflow_pending FROM appointments WHERE id = ${booking.appointmentId}) AS appointment,
               (SELECT department_signal_pending FROM encounters WHERE his_encounter_id = ${discharge.encounterId}) AS encounter`;
      return row!;
    };

    // Stored, and marked until their workflows have been told.
    expect(await markers()).toEqual({ ticket: true, appointment: true, encounter: true });

    await chaos.startTemporal();

    // Nobody sends anything again: the reconciler's Schedule finds the rows and tells their workflows.
    await waitFor(() => client.workflow.getHandle(ticketWorkflowId(ticket.number)).describe(), 120_000, 'ticket workflow');
    await waitFor(() => client.workflow.getHandle(appointmentWorkflowId(booking.number)).describe(), 120_000, 'appointment workflow');
    await waitFor(async () => (await followUp.query(getFollowUpStateQuery)).departmentCode === org.deptA, 120_000, 'follow-up told its department');
    await waitFor(async () => Object.values(await markers()).every((pending) => !pending) || undefined, 30_000, 'markers cleared');
    expect((await followUp.describe()).typedSearchAttributes.get(DepartmentKey)).toBe(org.deptA);
    const [stored] = await sql`SELECT count(*)::int AS n FROM tickets WHERE patient_id = ${patient!.id}`;
    expect(stored!.n).toBe(1);
  }, 240_000);
});
