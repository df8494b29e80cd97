/**
 * 查看完整信息: admins see a patient's full phone or address for one response, after giving a
 * reason; every look is audited. Everyone else gets 403, and the regular view stays masked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import { isServiceError, type ServiceError, type ValidationError } from '../services/errors.js';
import { createTestOrg, dischargeBody, signIn, type TestOrg } from './support/org.js';
import { startStack, type TestStack } from './support/stack.js';

const META = { ip: '127.0.0.1', userAgent: 'unmask-test' };
const PHONE = '13812341234';
const ADDRESS = '北京市朝阳区望京街道花家地南里5号楼3单元402室';
// Browsers send Origin with every form post; the portal takes only its own.
const SAME_ORIGIN_FORM = { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', host: 'localhost' };

async function failure(work: Promise<unknown>): Promise<ServiceError> {
  try {
    await work;
  } catch (err) {
    if (isServiceError(err)) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('查看完整信息 (unmask)', () => {
  let stack: TestStack;
  let org: TestOrg;
  let patientId: string;
  let admin: Principal;
  let manager: Principal;
  let agent: Principal;

  async function principal(username: string): Promise<Principal> {
    const [row] = await stack.sql<Principal[]>`
      SELECT id, username, display_name AS "displayName", role, department_code AS "departmentCode" FROM users WHERE username = ${username}`;
    return row!;
  }

  const auditRows = (username: string) =>
    stack.sql<{ action: string; patient_id: string; details: Record<string, unknown> }[]>`
      SELECT action, patient_id::text AS patient_id, details FROM audit_log
      WHERE actor_username = ${username} AND action = 'patient.unmask' ORDER BY id`;

  const post = (cookie: string, fields: Record<string, string>) =>
    stack.app.request(`/patients/${patientId}`, {
      method: 'POST',
      headers: { cookie, ...SAME_ORIGIN_FORM },
      body: new URLSearchParams(fields).toString(),
    });

  beforeAll(async () => {
    stack = await startStack({ web: true });
    org = await createTestOrg(stack.sql);
    const d = dischargeBody(org.deptA);
    const [p] = await stack.sql<{ id: string }[]>`
      INSERT INTO patients (his_patient_id, name, phone, address) VALUES (${d.patient.id}, ${d.patient.name}, ${PHONE}, ${ADDRESS}) RETURNING id`;
    patientId = p!.id;
    await stack.sql`INSERT INTO encounters (his_encounter_id, patient_id, his_department_code, department_code, discharged_at, workflow_id)
                    VALUES (${d.encounterId}, ${patientId}, ${d.department}, ${d.department}, now() - interval '3 days', ${'followup-' + d.encounterId})`;
    admin = await principal(org.users.admin.username);
    manager = await principal(org.users.manager.username);
    agent = await principal(org.users.agentA.username);
  });
  afterAll(() => stack?.stop());

  it('gives an admin the full phone and address, audited with the reason', async () => {
    const phone = await stack.services.patients.unmask(admin, patientId, { field: 'phone', reason: '  核实联系方式  ' }, META);
    expect(phone).toEqual({ field: 'phone', value: PHONE });
    const address = await stack.services.patients.unmask(admin, patientId, { field: 'address', reason: '上门随访需要地址' }, META);
    expect(address).toEqual({ field: 'address', value: ADDRESS });

    const rows = await auditRows(admin.username);
    expect(rows.map((r) => [r.action, r.patient_id, r.details])).toEqual([
      ['patient.unmask', patientId, { field: 'phone', reason: '核实联系方式' }],
      ['patient.unmask', patientId, { field: 'address', reason: '上门随访需要地址' }],
    ]);
    // The regular view stays masked, for admins too.
    const view = await stack.services.patients.view(admin, patientId, META);
    expect(view.phoneMasked).toBe('138****1234');
    expect(JSON.stringify(view)).not.toContain(PHONE);
  });

  it('wants a reason of 4–200 characters and a known field', async () => {
    const missing = await failure(stack.services.patients.unmask(admin, patientId, { field: 'phone' } as never, META));
    expect(missing.status).toBe(400);
    expect((missing as ValidationError).problems.map((p) => p.field)).toEqual(['reason']);
    const short = await failure(stack.services.patients.unmask(admin, patientId, { field: 'phone', reason: '  看看 ' }, META));
    expect((short as ValidationError).problems.map((p) => p.field)).toEqual(['reason']);
    const long = await failure(stack.services.patients.unmask(admin, patientId, { field: 'phone', reason: '因'.repeat(201) }, META));
    expect((long as ValidationError).problems.map((p) => p.field)).toEqual(['reason']);
    const field = await failure(stack.services.patients.unmask(admin, patientId, { field: 'name', reason: '核实身份信息' } as never, META));
    expect((field as ValidationError).problems.map((p) => p.field)).toEqual(['field']);
    for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid']) {
      expect((await failure(stack.services.patients.unmask(admin, id, { field: 'phone', reason: '核实联系方式' }, META))).status).toBe(404);
    }
  });

  it('refuses managers and agents', async () => {
    for (const user of [manager, agent]) {
      const err = await failure(stack.services.patients.unmask(user, patientId, { field: 'phone', reason: '核实联系方式' }, META));
      expect(err.status).toBe(403);
      expect(err.message).toBe('仅管理员可查看完整信息');
      expect(await auditRows(user.username)).toEqual([]);
    }
  });

  it('shows the full value on the page only in the response to the reason form', async () => {
    const cookie = await signIn(stack.app, admin.username);
    const before = await stack.app.request(`/patients/${patientId}`, { headers: { cookie } });
    expect(before.status).toBe(200);
    const html = await before.text();
    expect(html).toContain('138****1234');
    expect(html).toContain('查看完整信息');
    expect(html).not.toContain(PHONE);

    const revealed = await post(cookie, { intent: 'unmask', field: 'phone', reason: '核实联系方式（页面）' });
    expect(revealed.status).toBe(200);
    expect(await revealed.text()).toContain(PHONE);
    const last = (await auditRows(admin.username)).at(-1);
    expect(last?.details).toEqual({ field: 'phone', reason: '核实联系方式（页面）' });

    const noReason = await post(cookie, { intent: 'unmask', field: 'phone', reason: '' });
    expect(noReason.status).toBe(400);
    const noReasonHtml = await noReason.text();
    expect(noReasonHtml).not.toContain(PHONE);
    expect(noReasonHtml).toContain('查看原因至少 4 个字');

    // Reloading shows the masked value again.
    const again = await stack.app.request(`/patients/${patientId}`, { headers: { cookie } });
    expect(await again.text()).not.toContain(PHONE);
  });

  it('gives managers no button and refuses their form post', async () => {
    const cookie = await signIn(stack.app, manager.username);
    const page = await stack.app.request(`/patients/${patientId}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('查看完整信息');
    const refused = await post(cookie, { intent: 'unmask', field: 'phone', reason: '核实联系方式' });
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain(PHONE);
    expect(await auditRows(manager.username)).toEqual([]);
  });
});
