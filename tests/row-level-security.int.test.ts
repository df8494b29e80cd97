/** The second line: rows of other departments stay hidden from a user's reads even without a service check. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import { asUser } from '../db/scope.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, type TestStack } from './support/stack.js';

describe('row-level security', () => {
  let stack: TestStack;
  let org: TestOrg;
  const users: Record<string, Principal> = {};
  const ids: Record<'A' | 'B', string> = { A: '', B: '' };
  beforeAll(async () => {
    stack = await startStack();
    org = await createTestOrg(stack.sql);
    for (const key of ['agentA', 'staffB', 'manager'] as const) {
      users[key] = (await stack.services.auth.login({ username: org.users[key].username, password: TEST_PASSWORD }, {})).user;
    }
    for (const [key, dept] of [['A', org.deptA], ['B', org.deptB]] as const) {
      const d = dischargeBody(dept);
      const [p] = await stack.sql<{ id: string }[]>`INSERT INTO patients (his_patient_id, name) VALUES (${d.patient.id}, ${d.patient.name}) RETURNING id`;
      await stack.sql`INSERT INTO encounters (his_encounter_id, patient_id, his_department_code, department_code, discharged_at, workflow_id)
                      VALUES (${d.encounterId}, ${p!.id}, ${dept}, ${dept}, now(), ${'followup-' + d.encounterId})`;
      ids[key] = p!.id;
    }
  });
  afterAll(() => stack.stop());

  // A query with no WHERE clause at all, as a forgotten check would be.
  const unfiltered = (user: Principal) =>
    asUser(stack.sql, user, (tx) => tx<{ id: string }[]>`SELECT id FROM patients WHERE id IN (${ids.A}, ${ids.B})`).then((r) => r.map((x) => x.id).sort());

  it("hides another department's patients and encounters from an unfiltered query", async () => {
    expect(await unfiltered(users.agentA!)).toEqual([ids.A]);
    expect(await unfiltered(users.staffB!)).toEqual([ids.B]);
    expect(await unfiltered(users.manager!)).toEqual([ids.A, ids.B].sort());
    const encounters = await asUser(stack.sql, users.agentA!, (tx) => tx`SELECT department_code FROM encounters WHERE patient_id IN (${ids.A}, ${ids.B})`);
    expect(encounters.map((e) => e.department_code)).toEqual([org.deptA]);
  });

  it('is read-only for the reader role, and leaves the application role unaffected', async () => {
    await expect(asUser(stack.sql, users.manager!, (tx) => tx`UPDATE patients SET name = name WHERE id = ${ids.A}`)).rejects.toThrow(/permission denied/);
    const all = await stack.sql`SELECT id FROM patients WHERE id IN (${ids.A}, ${ids.B})`;
    expect(all).toHaveLength(2);
  });
});
