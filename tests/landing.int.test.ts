/**
 * Department users land where their work is: a functional department (总务科 and the like) on the
 * ticket inbox, a clinical department on its dashboard, which lists its open tickets beside the
 * alerts and discharges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestOrg, signIn, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

describe('where a department user lands', () => {
  let stack: TestStack;
  let org: TestOrg;
  const functionalHead = `zwk-${uniq()}`.toLowerCase();

  beforeAll(async () => {
    stack = await startStack({ web: true });
    org = await createTestOrg(stack.sql);
    const code = `F${uniq()}`;
    await stack.sql`INSERT INTO departments (code, name, kind) VALUES (${code}, ${'总务科' + code}, 'functional')`;
    // Same password as the test org's users.
    await stack.sql`
      INSERT INTO users (username, display_name, role, department_code, password_hash)
      SELECT ${functionalHead}, '郑海涛', 'dept_head', ${code}, password_hash FROM users WHERE username = ${org.users.headA.username}`;
  });
  afterAll(() => stack?.stop());

  const landing = async (username: string) => {
    const cookie = await signIn(stack.app, username);
    const res = await stack.app.request('/', { headers: { cookie } });
    return { status: res.status, location: res.headers.get('location'), cookie };
  };

  it('a functional department head lands on the ticket inbox', async () => {
    expect(await landing(functionalHead)).toMatchObject({ status: 302, location: '/tickets' });
  });

  it('a clinical department head lands on the department dashboard, which shows its open tickets', async () => {
    const number = `T${uniq()}`;
    const [patient] = await stack.sql<{ id: string }[]>`INSERT INTO patients (his_patient_id, name) VALUES (${`P-${uniq()}`}, '王秀英') RETURNING id`;
    await stack.sql`
      INSERT INTO tickets (number, source_key, patient_id, category, description, department_code, sla_seconds, escalate_seconds, rating_wait_seconds, sla_due_at)
      VALUES (${number}, ${`landing-${number}`}, ${patient!.id}, 'environment', '病房空调不制冷', ${org.deptA}, 86400, 172800, 259200, now() + interval '1 day')`;
    const { status, location, cookie } = await landing(org.users.headA.username);
    expect(status).toBe(302);
    expect(location).toBe('/department');
    const page = await stack.app.request(`/departments/${org.deptA}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('待处理工单');
    expect(html).toContain('查看全部工单');
    const section = html.slice(html.indexOf('data-testid="department-tickets"'));
    expect(section).toContain(number);
    expect(section).toContain('环境设施');
  });
});
