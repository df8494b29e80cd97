/**
 * The second line: Postgres itself hides what a user may not see even without a service check, and
 * the application connects as a role that owns no table, so it cannot switch that line off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import { asUser } from '../db/scope.js';
import { hashPassword } from '../services/auth.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, type TestStack } from './support/stack.js';

type Key = 'queued' | 'mine' | 'other' | 'noTask' | 'B';

describe('row-level security', () => {
  let stack: TestStack;
  let org: TestOrg;
  const users: Record<string, Principal> = {};
  const ids = {} as Record<Key, string>;
  beforeAll(async () => {
    stack = await startStack();
    org = await createTestOrg(stack.sql);
    for (const key of ['agentA', 'headA', 'staffB', 'manager'] as const) {
      users[key] = (await stack.services.auth.login({ username: org.users[key].username, password: TEST_PASSWORD }, {})).user;
    }
    const [other] = await stack.sql<{ id: string }[]>`
      INSERT INTO users (username, display_name, role, department_code, password_hash)
      VALUES (${`rls_other_${org.deptA.toLowerCase()}`}, '另一客服', 'agent', ${org.deptA}, ${await hashPassword(TEST_PASSWORD)}) RETURNING id`;
    const [template] = await stack.sql<{ id: string }[]>`SELECT id FROM question_templates LIMIT 1`;
    // In deptA: a task waiting unassigned in the queue, one of agentA, one of another agent, a stay without a task.
    const spec: [Key, string, string | null | undefined][] = [
      ['queued', org.deptA, null],
      ['mine', org.deptA, users.agentA!.id],
      ['other', org.deptA, other!.id],
      ['noTask', org.deptA, undefined],
      ['B', org.deptB, null],
    ];
    for (const [key, dept, agent] of spec) {
      const d = dischargeBody(dept);
      const [p] = await stack.sql<{ id: string }[]>`INSERT INTO patients (his_patient_id, name) VALUES (${d.patient.id}, ${d.patient.name}) RETURNING id`;
      const [e] = await stack.sql<{ id: string }[]>`
        INSERT INTO encounters (his_encounter_id, patient_id, his_department_code, department_code, discharged_at, workflow_id)
        VALUES (${d.encounterId}, ${p!.id}, ${dept}, ${dept}, now(), ${'followup-' + d.encounterId}) RETURNING id`;
      if (agent !== undefined) {
        await stack.sql`
          INSERT INTO follow_up_tasks (workflow_id, touchpoint_index, encounter_id, patient_id, department_code, assigned_agent_id,
                                       template_id, channel, due_at, max_attempts)
          VALUES (${'followup-' + d.encounterId}, 0, ${e!.id}, ${p!.id}, ${dept}, ${agent}, ${template!.id}, 'phone', now(), 3)`;
      }
      ids[key] = p!.id;
    }
  });
  afterAll(() => stack.stop());

  const all = () => Object.values(ids);
  const sorted = (keys: Key[]) => keys.map((k) => ids[k]).sort();
  // Queries with no condition but the ids, as a forgotten check would be.
  const visible = (user: Principal, table: 'patients' | 'encounters' | 'follow_up_tasks') =>
    asUser(stack.appSql, user, (tx) =>
      table === 'patients'
        ? tx<{ id: string }[]>`SELECT id FROM patients WHERE id IN ${tx(all())}`
        : table === 'encounters'
          ? tx<{ id: string }[]>`SELECT patient_id AS id FROM encounters WHERE patient_id IN ${tx(all())}`
          : tx<{ id: string }[]>`SELECT patient_id AS id FROM follow_up_tasks WHERE patient_id IN ${tx(all())}`,
    ).then((r) => r.map((x) => x.id).sort());

  it('shows an agent only the patients of their own and their queue’s unassigned tasks', async () => {
    for (const table of ['patients', 'encounters', 'follow_up_tasks'] as const) {
      expect(await visible(users.agentA!, table), table).toEqual(sorted(['queued', 'mine']));
    }
  });

  it('shows a department user the department and management everything', async () => {
    expect(await visible(users.headA!, 'patients')).toEqual(sorted(['queued', 'mine', 'other', 'noTask']));
    expect(await visible(users.staffB!, 'patients')).toEqual(sorted(['B']));
    expect(await visible(users.manager!, 'patients')).toEqual(sorted(['queued', 'mine', 'other', 'noTask', 'B']));
  });

  it('is read-only for the reader role', async () => {
    await expect(asUser(stack.appSql, users.manager!, (tx) => tx`UPDATE patients SET name = name WHERE id = ${ids.queued}`)).rejects.toThrow(/permission denied/);
  });

  it('runs the application as a role that owns no table and cannot switch the checks off', async () => {
    const [who] = await stack.appSql<{ user: string; owned: number; bypass: boolean }[]>`
      SELECT current_user AS user,
             (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user) AS owned,
             (SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user) AS bypass`;
    expect(who).toEqual({ user: 'suifang_application', owned: 0, bypass: false });
    await expect(stack.appSql`ALTER TABLE patients DISABLE ROW LEVEL SECURITY`).rejects.toThrow(/must be owner/);
    await expect(stack.appSql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`).rejects.toThrow(/must be owner/);
    await expect(stack.appSql`DELETE FROM audit_log WHERE false`).rejects.toThrow(/permission denied/);
    // Its own work (workflow activities, ingest) still reads every row.
    expect((await stack.appSql<{ id: string }[]>`SELECT id FROM patients WHERE id IN ${stack.appSql(all())}`).length).toBe(5);
  });
});
