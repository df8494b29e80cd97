/** A small hospital of its own for one test: two clinical departments and one user per role. */
import type { Sql } from '../../db/client.js';
import type { Role } from '../../domain/access.js';
import { hashPassword } from '../../services/auth.js';
import { uniq } from './stack.js';

export const TEST_PASSWORD = 'test-password-123';

export interface TestOrg {
  deptA: string;
  deptB: string;
  users: Record<'agentA' | 'agentB' | 'headA' | 'staffB' | 'manager' | 'admin', { username: string; role: Role }>;
}

export async function createTestOrg(sql: Sql): Promise<TestOrg> {
  const id = uniq();
  const deptA = `A${id}`;
  const deptB = `B${id}`;
  await sql`INSERT INTO departments (code, name, kind) VALUES (${deptA}, ${'骨科' + id}, 'clinical'), (${deptB}, ${'内分泌科' + id}, 'clinical')`;
  const hash = await hashPassword(TEST_PASSWORD);
  const spec: [keyof TestOrg['users'], Role, string | null][] = [
    ['agentA', 'agent', deptA],
    ['agentB', 'agent', deptB],
    ['headA', 'dept_head', deptA],
    ['staffB', 'dept_staff', deptB],
    ['manager', 'manager', null],
    ['admin', 'admin', null],
  ];
  const users = {} as TestOrg['users'];
  for (const [key, role, dept] of spec) {
    const username = `${key.toLowerCase()}_${id.toLowerCase()}`;
    await sql`INSERT INTO users (username, display_name, role, department_code, password_hash)
              VALUES (${username}, ${key}, ${role}, ${dept}, ${hash})`;
    users[key] = { username, role };
  }
  return { deptA, deptB, users };
}

/** Signs in through the API and returns the Cookie header for later requests. */
export async function signIn(app: { request: (input: string, init?: RequestInit) => Response | Promise<Response> }, username: string, password = TEST_PASSWORD) {
  const res = await app.request('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${username} failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0]!;
}

/**
 * A valid discharge body for POST /api/his/discharges. Discharged 9 days ago by default (not a
 * fixed date): a discharge whose plan ended long ago is stored but not followed up, so a fixed
 * date would quietly stop starting workflows as the calendar moves on.
 */
export function dischargeBody(department: string, overrides: Record<string, unknown> = {}) {
  const id = uniq();
  return {
    encounterId: `ZY-${id}`,
    patient: { id: `P-${id}`, name: '王秀英', sex: 'F', birthDate: '1958-03-02', phone: '13812341234', address: '北京市朝阳区望京街道花家地南里5号楼3单元402室' },
    department,
    diagnosis: { code: 'S72.001', name: '股骨颈骨折' },
    procedure: '股骨颈骨折内固定术',
    attendingDoctor: '李明',
    dischargedAt: new Date(Date.now() - 9 * 86_400_000).toISOString(),
    ...overrides,
  };
}
