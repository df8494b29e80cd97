import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestOrg, dischargeBody, signIn, type TestOrg } from './support/org.js';
import { startStack, type TestStack } from './support/stack.js';

describe('department boundaries', () => {
  let stack: TestStack;
  let org: TestOrg;
  let patientA: string;
  let patientB: string;
  beforeAll(async () => {
    // The portal pages are served too: the checks below go through the same origin a browser uses.
    stack = await startStack({ web: true });
    org = await createTestOrg(stack.sql);
    // Stored directly: these tests are about reading, not about the workflow.
    const a = dischargeBody(org.deptA);
    const b = dischargeBody(org.deptB, { patient: { ...dischargeBody(org.deptB).patient, name: '李建国', phone: '13987654321' } });
    for (const d of [a, b]) {
      const [p] = await stack.sql<{ id: string }[]>`
        INSERT INTO patients (his_patient_id, name, phone) VALUES (${d.patient.id}, ${d.patient.name}, ${d.patient.phone}) RETURNING id`;
      await stack.sql`INSERT INTO encounters (his_encounter_id, patient_id, his_department_code, department_code, discharged_at, workflow_id)
                      VALUES (${d.encounterId}, ${p!.id}, ${d.department}, ${d.department}, now() - interval '3 days', ${'followup-' + d.encounterId})`;
    }
    [patientA, patientB] = (
      await stack.sql<{ id: string }[]>`SELECT patient_id AS id FROM encounters WHERE his_encounter_id IN (${a.encounterId}, ${b.encounterId}) ORDER BY department_code`
    ).map((r) => r.id) as [string, string];
  });
  afterAll(() => stack.stop());

  it("lists a department user's own department, masked, and refuses another department (API and portal page)", async () => {
    // An agent's list holds only the stays of their tasks (access matrix); the department boundary is the same for both.
    const agent = await signIn(stack.app, org.users.agentA.username);
    expect((await stack.app.request(`/api/departments/${org.deptB}/discharges`, { headers: { cookie: agent } })).status).toBe(403);
    const cookie = await signIn(stack.app, org.users.headA.username);
    const own = await stack.app.request(`/api/departments/${org.deptA}/discharges`, { headers: { cookie } });
    expect(own.status).toBe(200);
    const { items } = (await own.json()) as { items: { phoneMasked: string; daysSinceDischarge: number }[] };
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ phoneMasked: '138****1234', daysSinceDischarge: 3 });
    expect(JSON.stringify(items)).not.toContain('13812341234');

    expect((await stack.app.request(`/api/departments/${org.deptB}/discharges`, { headers: { cookie } })).status).toBe(403);
    const page = await stack.app.request(`/departments/${org.deptB}`, { headers: { cookie } });
    expect(page.status).toBe(403);
    expect(await page.text()).not.toContain('李建国');
    const ownPage = await stack.app.request(`/departments/${org.deptA}`, { headers: { cookie } });
    expect(ownPage.status).toBe(200);
    expect(await ownPage.text()).toContain('王秀英');
  });

  it('refuses role pages to other roles and sends strangers to sign-in', async () => {
    const agent = await signIn(stack.app, org.users.agentA.username);
    expect((await stack.app.request('/admin', { headers: { cookie: agent } })).status).toBe(403);
    expect((await stack.app.request('/management', { headers: { cookie: agent } })).status).toBe(403);
    const anonymous = await stack.app.request('/agent');
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe('/login?next=%2Fagent');
    const manager = await signIn(stack.app, org.users.manager.username);
    expect((await stack.app.request(`/departments/${org.deptB}`, { headers: { cookie: manager } })).status).toBe(200);
  });

  it('audits every view of a patient record, and refusals too', async () => {
    const cookie = await signIn(stack.app, org.users.headA.username);
    const res = await stack.app.request(`/api/patients/${patientA}`, { headers: { cookie, 'user-agent': 'audit-check' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: patientA, phoneMasked: '138****1234' });
    const page = await stack.app.request(`/patients/${patientA}`, { headers: { cookie } });
    expect(page.status).toBe(200);

    const denied = await stack.app.request(`/api/patients/${patientB}`, { headers: { cookie } });
    expect(denied.status).toBe(403);
    expect(JSON.stringify(await denied.json())).not.toContain('李建国');
    expect((await stack.app.request('/api/patients/00000000-0000-0000-0000-000000000000', { headers: { cookie } })).status).toBe(404);
    expect((await stack.app.request('/api/patients/not-a-uuid', { headers: { cookie } })).status).toBe(404);

    const rows = await stack.sql<{ action: string; patient_id: string; user_agent: string | null }[]>`
      SELECT action, patient_id, user_agent FROM audit_log WHERE actor_username = ${org.users.headA.username} AND action LIKE 'patient.view%' ORDER BY id`;
    expect(rows.map((r) => [r.action, r.patient_id])).toEqual([
      ['patient.view', patientA],
      ['patient.view', patientA],
      ['patient.view_denied', patientB],
    ]);
    expect(rows[0]!.user_agent).toBe('audit-check');
  });
});
