/**
 * The access matrix: every role × every portal page and API route × own/other department,
 * another agent's task, a guessed id and a malformed id → the status the access rules demand
 * (services/*.ts, domain/access.ts). Every 200 is also checked for unmasked contact data, every
 * 403/404 for leaked patient names, and every view of a patient record for its audit row.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../services/auth.js';
import { followUpWorkflowId } from '../workflows/follow-up/contracts.js';
import { createShortPlan, waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, signIn, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

// ─── The data ─────────────────────────────────────────────────────────────────────────────────────

const RUN = uniq();

/** PA1–PA3 in deptA, PB in deptB. `detail` is the building/unit/room part the mask must cut off. */
const PATIENTS = {
  PA1: { name: `赵一${RUN}`, phone: '13812345678', masked: '138****5678', address: '北京市朝阳区望京街道花家地南里5号楼3单元402室', detail: '5号楼3单元402室' },
  PA2: { name: `钱二${RUN}`, phone: '13700001111', masked: '137****1111', address: '广州市天河区石牌街道华师路12号楼1单元601室', detail: '12号楼1单元601室' },
  PA3: { name: `孙三${RUN}`, phone: '13622223333', masked: '136****3333', address: '杭州市西湖区文新街道学院路7号楼4单元203室', detail: '7号楼4单元203室' },
  PB: { name: `李四${RUN}`, phone: '13987654321', masked: '139****4321', address: '上海市浦东新区张江镇碧波路8号楼2单元1103室', detail: '8号楼2单元1103室' },
} as const;
type PatientKey = keyof typeof PATIENTS;
const ALL_PATIENTS = Object.keys(PATIENTS) as PatientKey[];

type Who = 'anonymous' | 'agentA' | 'headA' | 'staffB' | 'manager' | 'admin';
const SIGNED_IN = ['agentA', 'headA', 'staffB', 'manager', 'admin'] as const;
type SignedIn = (typeof SIGNED_IN)[number];

/**
 * Placeholders in paths and expectations, filled in once the data exists:
 * {PA1}… patient ids; {TA1} deptA task, unassigned; {TA2} deptA task of another agent (agentA2);
 * {TA3} deptA task assigned to agentA; {TB} deptB task; {TKA} deptA ticket raised by agentA;
 * {TKA2} deptA ticket raised by nobody (an agent may not see it); {TKB} deptB ticket raised by agentB;
 * {DA}/{DB} department codes; {DX} a department that does not exist; {RND} a random UUID; {BAD} a malformed id;
 * {PA1.name}, {PA1.masked} … the patient's name and masked phone.
 */
const values: Record<string, string> = { RND: randomUUID(), BAD: 'not-a-uuid' };
const fill = (s: string) =>
  s.replace(/\{([A-Za-z0-9.]+)\}/g, (_, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`unknown placeholder {${key}}`);
    return v;
  });

// ─── The matrix ───────────────────────────────────────────────────────────────────────────────────

type Expect = number | { status: 302; location: string };

interface Row {
  path: string;
  /** Expected result per signed-in role; anonymous follows from the path (pages → sign-in, API → 401). */
  expect: Record<SignedIn, Expect>;
  /** Strings a 200 must contain (the patient shown, with the masked phone), per role. */
  shows?: Partial<Record<SignedIn, string[]>>;
  /** Strings a 200 must not contain (other departments' patients in a list), per role. */
  hides?: Partial<Record<SignedIn, string[]>>;
  /** A 200 here is a view of a patient record and must leave this audit row. */
  audit?: { action: 'patient.view' | 'ticket.view'; entityType: 'patient' | 'task' | 'ticket'; entity: string };
  /** A 200 here shows a list of patients and must leave a `patient.list` row of this view. */
  listAudit?: 'task_list' | 'discharge_list' | 'ticket_list' | 'alert_list';
}

const E = (agentA: Expect, headA: Expect, staffB: Expect, manager: Expect, admin: Expect): Record<SignedIn, Expect> => ({ agentA, headA, staffB, manager, admin });
const allRoles = <T>(v: T): Record<SignedIn, T> => ({ agentA: v, headA: v, staffB: v, manager: v, admin: v });
const patientShown = (p: PatientKey) => [`{${p}.name}`, `{${p}.masked}`];
const names = (...ps: PatientKey[]) => ps.map((p) => `{${p}.name}`);

const ROWS: Row[] = [];
/** A patient-facing page and its API twin with the same expectations. */
function pageAndApi(page: string, api: string, row: Omit<Row, 'path'>) {
  ROWS.push({ path: page, ...row });
  ROWS.push({ path: api, ...row });
}

// Role landing pages.
ROWS.push({ path: '/agent', expect: E(200, 403, 403, 403, 403), shows: { agentA: names('PA1', 'PA3') }, hides: { agentA: names('PA2', 'PB') }, listAudit: 'task_list' });
// An agent's discharge list: the stays of their own tasks and their queue's unassigned ones, not another agent's.
ROWS.push({
  path: '/agent/discharges',
  expect: E(200, 403, 403, 403, 403),
  shows: { agentA: [...patientShown('PA1'), ...patientShown('PA3')] },
  hides: { agentA: names('PA2', 'PB') },
  listAudit: 'discharge_list',
});
ROWS.push({ path: '/department', expect: E(403, { status: 302, location: '/departments/{DA}' }, { status: 302, location: '/departments/{DB}' }, 403, 403) });
ROWS.push({ path: '/management', expect: E(403, 403, 403, 200, 200) });
ROWS.push({ path: '/supervisor/workflows', expect: E(403, 403, 403, 200, 200) });
// Reports: management all, a department head their department, an agent their own figures, department staff none.
pageAndApi('/reports', '/api/reports/dashboard', { expect: E(200, 200, 403, 200, 200) });
pageAndApi('/reports?department={DB}', '/api/reports/dashboard?department={DB}', { expect: E(403, 403, 403, 200, 200) });
ROWS.push({ path: '/api/reports/archive', expect: E(200, 200, 403, 200, 200) });
for (const admin of ['/admin', '/admin/users', '/admin/users/new', '/admin/users/import', '/admin/departments', '/admin/clinics', '/admin/rules', '/admin/templates', '/admin/mappings', '/admin/audit', '/api/audit/export.csv', '/api/admin/users', '/api/admin/departments', '/api/admin/experts', '/api/admin/clinic-schedules']) {
  ROWS.push({ path: admin, expect: E(403, 403, 403, 403, 200) });
}
ROWS.push({ path: '/api/auth/me', expect: allRoles(200) });
ROWS.push({ path: '/account/password', expect: allRoles(200) });
ROWS.push({ path: '/api/admin/users/{RND}', expect: E(403, 403, 403, 403, 404) });
ROWS.push({ path: '/api/tasks/today', expect: E(200, 403, 403, 200, 200), shows: { agentA: names('PA1', 'PA3') }, hides: { agentA: names('PA2', 'PB') }, listAudit: 'task_list' });

// Department discharge lists.
const deptA = { shows: [...patientShown('PA1'), ...patientShown('PA2'), ...patientShown('PA3')], hides: names('PB') };
const deptB = { shows: patientShown('PB'), hides: names('PA1', 'PA2', 'PA3') };
pageAndApi('/departments/{DA}', '/api/departments/{DA}/discharges', {
  expect: E(200, 200, 403, 200, 200),
  shows: { ...allRoles(deptA.shows), agentA: [...patientShown('PA1'), ...patientShown('PA3')] },
  hides: { ...allRoles(deptA.hides), agentA: names('PA2', 'PB') },
  listAudit: 'discharge_list',
});
pageAndApi('/departments/{DB}', '/api/departments/{DB}/discharges', {
  expect: E(403, 403, 200, 200, 200),
  shows: allRoles(deptB.shows),
  hides: allRoles(deptB.hides),
  listAudit: 'discharge_list',
});
pageAndApi('/departments/{DX}', '/api/departments/{DX}/discharges', { expect: E(403, 403, 403, 200, 200), hides: allRoles(names(...ALL_PATIENTS)) });

// Patient records: department users see their department's, an agent the patients of their own and their
// queue's unassigned tasks (PA1 waits unassigned, PA3 is agentA's, PA2 is another agent's), management all.
for (const [p, agentA] of [['PA1', 200], ['PA2', 403], ['PA3', 200]] as const) {
  pageAndApi(`/patients/{${p}}`, `/api/patients/{${p}}`, {
    expect: E(agentA, 200, 403, 200, 200),
    shows: allRoles(patientShown(p)),
    audit: { action: 'patient.view', entityType: 'patient', entity: p },
  });
}
pageAndApi('/patients/{PB}', '/api/patients/{PB}', {
  expect: E(403, 403, 200, 200, 200),
  shows: allRoles(patientShown('PB')),
  audit: { action: 'patient.view', entityType: 'patient', entity: 'PB' },
});
// The same record by its id in capitals (Postgres reads it as the same UUID): no way around the check.
ROWS.push({ path: '/api/patients/{PB.upper}', expect: E(403, 403, 200, 200, 200), shows: allRoles(patientShown('PB')), audit: { action: 'patient.view', entityType: 'patient', entity: 'PB.upper' } });
pageAndApi('/patients/{RND}', '/api/patients/{RND}', { expect: allRoles(404) });
pageAndApi('/patients/{BAD}', '/api/patients/{BAD}', { expect: allRoles(404) });

// Follow-up tasks: agents their own and their department's unassigned ones; department users their department.
const tasks: [string, PatientKey, Record<SignedIn, Expect>][] = [
  ['TA1', 'PA1', E(200, 200, 403, 200, 200)], // deptA, unassigned
  ['TA2', 'PA2', E(403, 200, 403, 200, 200)], // deptA, another agent's
  ['TA3', 'PA3', E(200, 200, 403, 200, 200)], // deptA, agentA's own
  ['TB', 'PB', E(403, 403, 200, 200, 200)], // deptB
];
for (const [t, p, expect] of tasks) {
  pageAndApi(`/tasks/{${t}}`, `/api/tasks/{${t}}`, { expect, shows: allRoles(patientShown(p)), audit: { action: 'patient.view', entityType: 'task', entity: t } });
  // The follow-up page shows the workflow's state only: no patient data, so no patient.view row.
  ROWS.push({ path: `/tasks/{${t}}/follow-up`, expect });
  ROWS.push({ path: `/api/tasks/{${t}}/follow-up`, expect });
}
for (const id of ['RND', 'BAD']) {
  pageAndApi(`/tasks/{${id}}`, `/api/tasks/{${id}}`, { expect: allRoles(404) });
  pageAndApi(`/tasks/{${id}}/follow-up`, `/api/tasks/{${id}}/follow-up`, { expect: allRoles(404) });
}

// Tickets: department users their department's, agents the ones they raised, management all.
ROWS.push({
  path: '/tickets',
  listAudit: 'ticket_list',
  expect: allRoles(200),
  shows: { agentA: names('PA1'), headA: names('PA1', 'PA2'), staffB: names('PB') },
  hides: { agentA: names('PA2', 'PB'), headA: names('PB'), staffB: names('PA1', 'PA2') },
});
// A department filter in the address does not widen a department user's or an agent's inbox.
ROWS.push({
  path: '/tickets?dept={DB}',
  expect: allRoles(200),
  shows: { agentA: names('PA1'), headA: names('PA1', 'PA2'), staffB: names('PB') },
  hides: { agentA: names('PA2', 'PB'), headA: names('PB'), staffB: names('PA1', 'PA2') },
});
const tickets: [string, PatientKey, Record<SignedIn, Expect>][] = [
  ['TKA', 'PA1', E(200, 200, 403, 200, 200)], // deptA, raised by agentA
  ['TKA2', 'PA2', E(403, 200, 403, 200, 200)], // deptA, not raised by agentA
  ['TKB', 'PB', E(403, 403, 200, 200, 200)], // deptB, raised by agentB
];
for (const [t, p, expect] of tickets) {
  ROWS.push({ path: `/tickets/{${t}}`, expect, shows: allRoles(patientShown(p)), audit: { action: 'ticket.view', entityType: 'ticket', entity: t } });
}
ROWS.push({ path: '/tickets/{RND}', expect: allRoles(404) });
ROWS.push({ path: '/tickets/{BAD}', expect: allRoles(404) });

interface Cell {
  who: Who;
  row: Row;
  expect: Expect;
}
const CELLS: Cell[] = ROWS.flatMap((row) => [
  {
    who: 'anonymous' as Who,
    row,
    expect: row.path.startsWith('/api/') ? 401 : { status: 302 as const, location: `/login?next={@${row.path}}` },
  },
  ...SIGNED_IN.map((who) => ({ who: who as Who, row, expect: row.expect[who] })),
]);

const statusOf = (e: Expect) => (typeof e === 'number' ? e : e.status);

// ─── The run ──────────────────────────────────────────────────────────────────────────────────────

let stack: TestStack;
let org: TestOrg;
const cookies: Partial<Record<Who, string>> = {};

beforeAll(async () => {
  stack = await startStack({ worker: true, web: true });
  org = await createTestOrg(stack.sql);
  values.DA = org.deptA;
  values.DB = org.deptB;
  values.DX = `X${RUN}`;

  for (const dept of [org.deptA, org.deptB]) {
    await createShortPlan(stack.sql, dept, [{ offsetSeconds: 0, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }]);
  }
  const encounters: Partial<Record<PatientKey, string>> = {};
  for (const key of ALL_PATIENTS) {
    const p = PATIENTS[key];
    const body = dischargeBody(key === 'PB' ? org.deptB : org.deptA, {
      dischargedAt: new Date().toISOString(),
      patient: { id: `P-${uniq()}`, name: p.name, sex: 'F', birthDate: '1958-03-02', phone: p.phone, address: p.address },
    });
    await stack.services.discharges.ingestJson(JSON.stringify(body));
    encounters[key] = body.encounterId;
  }
  const taskOf: Partial<Record<PatientKey, { id: string; patient_id: string }>> = {};
  for (const key of ALL_PATIENTS) {
    const [task] = await waitFor(
      async () => {
        const rows = await stack.sql<{ id: string; patient_id: string }[]>`
          SELECT id, patient_id FROM follow_up_tasks WHERE workflow_id = ${followUpWorkflowId(encounters[key]!)}`;
        return rows.length ? rows : undefined;
      },
      30_000,
      `follow-up task of ${key}`,
    );
    taskOf[key] = task!;
    values[key] = task!.patient_id;
    values[`${key}.name`] = PATIENTS[key].name;
    values[`${key}.masked`] = PATIENTS[key].masked;
    values[`${key}.upper`] = task!.patient_id.toUpperCase();
  }

  // Assignment is data: one unassigned task, one of another agent of deptA, one of agentA.
  const hash = await hashPassword(TEST_PASSWORD);
  const [agentA2] = await stack.sql<{ id: string }[]>`
    INSERT INTO users (username, display_name, role, department_code, password_hash)
    VALUES (${`agenta2_${RUN.toLowerCase()}`}, 'agentA2', 'agent', ${org.deptA}, ${hash}) RETURNING id`;
  const idOf = async (key: keyof TestOrg['users']) =>
    (await stack.sql<{ id: string }[]>`SELECT id FROM users WHERE username = ${org.users[key].username}`)[0]!.id;
  const agentA = await idOf('agentA');
  const agentB = await idOf('agentB');
  const assign: [PatientKey, string, string | null][] = [
    ['PA1', 'TA1', null],
    ['PA2', 'TA2', agentA2!.id],
    ['PA3', 'TA3', agentA],
    ['PB', 'TB', agentB],
  ];
  for (const [p, t, agent] of assign) {
    await stack.sql`UPDATE follow_up_tasks SET assigned_agent_id = ${agent} WHERE id = ${taskOf[p]!.id}`;
    values[t] = taskOf[p]!.id;
  }

  // Tickets stored directly (reading needs no workflow).
  const ticketSpec: [string, PatientKey, string, string | null][] = [
    ['TKA', 'PA1', org.deptA, agentA],
    ['TKA2', 'PA2', org.deptA, null],
    ['TKB', 'PB', org.deptB, agentB],
  ];
  for (const [key, p, dept, createdBy] of ticketSpec) {
    const id = uniq();
    const [ticket] = await stack.sql<{ id: string }[]>`
      INSERT INTO tickets (number, source_key, patient_id, category, description, department_code,
                           sla_seconds, escalate_seconds, rating_wait_seconds, sla_due_at, created_by)
      VALUES (${`T${id}`}, ${`matrix:${id}`}, ${values[p]!}, 'environment', '病房空调坏了 3 天没人修', ${dept},
              3600, 3600, 3600, now() + interval '1 hour', ${createdBy})
      RETURNING id`;
    values[key] = ticket!.id;
  }

  for (const who of SIGNED_IN) cookies[who] = await signIn(stack.app, org.users[who].username);
});
afterAll(() => stack?.stop());

describe('access matrix', () => {
  it.each(CELLS.map((c) => [c.who, c.row.path, JSON.stringify(c.expect), c] as const))('%s GET %s → %s', async (_who, _path, _e, cell) => {
    const path = fill(cell.row.path);
    const cookie = cookies[cell.who];
    const res = await stack.app.request(path, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
    const body = await res.text();
    const ctx = `${cell.who} GET ${path}`;
    expect(res.status, `${ctx}: ${body.slice(0, 300)}`).toBe(statusOf(cell.expect));
    if (typeof cell.expect === 'object') {
      const location = fill(cell.expect.location.replace(/\{@(.*)\}$/, (_, p: string) => encodeURIComponent(fill(p))));
      expect(res.headers.get('location'), ctx).toBe(location);
    }

    // Unmasked contact data never reaches any browser, whatever the status.
    for (const key of ALL_PATIENTS) {
      expect(body, `${ctx}: full phone of ${key}`).not.toContain(PATIENTS[key].phone);
      expect(body, `${ctx}: full address of ${key}`).not.toContain(PATIENTS[key].detail);
    }
    if (res.status === 200 && cell.who !== 'anonymous') {
      const who = cell.who as SignedIn;
      for (const s of cell.row.shows?.[who] ?? []) expect(body, `${ctx}: shows ${s}`).toContain(fill(s));
      for (const s of cell.row.hides?.[who] ?? []) expect(body, `${ctx}: hides ${s}`).not.toContain(fill(s));
    }
    // IDOR: a refusal or a miss names no patient.
    if (res.status === 403 || res.status === 404 || res.status === 401 || res.status === 302) {
      for (const key of ALL_PATIENTS) expect(body, `${ctx}: leaks the name of ${key}`).not.toContain(PATIENTS[key].name);
    }
  });

  it('left an audit row for every view of a patient record (and none for a refusal)', async () => {
    const expected = new Map<string, number>();
    for (const cell of CELLS) {
      const audit = cell.row.audit;
      if (!audit || cell.who === 'anonymous' || statusOf(cell.expect) !== 200) continue;
      const k = [org.users[cell.who as SignedIn].username, audit.action, audit.entityType, values[audit.entity]].join(' ');
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    const usernames = SIGNED_IN.map((w) => org.users[w].username);
    const rows = await stack.sql<{ actor_username: string; action: string; entity_type: string; entity_id: string; n: number }[]>`
      SELECT actor_username, action, entity_type, entity_id, count(*)::int AS n FROM audit_log
      WHERE actor_username IN ${stack.sql(usernames)} AND action IN ('patient.view', 'ticket.view')
      GROUP BY 1, 2, 3, 4`;
    const actual = new Map(rows.map((r) => [[r.actor_username, r.action, r.entity_type, r.entity_id].join(' '), r.n]));
    expect(Object.fromEntries([...actual].sort())).toEqual(Object.fromEntries([...expected].sort()));
  });

  it('left a patient.list row for every list of patients shown', async () => {
    for (const cell of CELLS) {
      const view = cell.row.listAudit;
      if (!view || cell.who === 'anonymous' || statusOf(cell.expect) !== 200) continue;
      const [row] = await stack.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM audit_log
        WHERE actor_username = ${org.users[cell.who as SignedIn].username} AND action = 'patient.list' AND entity_type = ${view}`;
      expect(row!.n, `${cell.who} ${cell.row.path}`).toBeGreaterThanOrEqual(1);
    }
  });

  it('audited the refused attempts: another agent’s patient and task, another department’s list', async () => {
    const rows = await stack.sql<{ action: string; entity_type: string; entity_id: string | null }[]>`
      SELECT DISTINCT action, entity_type, entity_id FROM audit_log
      WHERE actor_username = ${org.users.agentA.username} AND action LIKE '%denied'`;
    expect(rows).toEqual(
      expect.arrayContaining([
        { action: 'patient.view_denied', entity_type: 'patient', entity_id: values.PA2 },
        { action: 'task.view_denied', entity_type: 'task', entity_id: values.TA2 },
        { action: 'patient.list_denied', entity_type: 'discharge_list', entity_id: null },
      ]),
    );
  });

  it('recorded the sign-in of every user', async () => {
    for (const who of SIGNED_IN) {
      const [row] = await stack.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM audit_log WHERE actor_username = ${org.users[who].username} AND action = 'auth.login'`;
      expect(row!.n, who).toBeGreaterThanOrEqual(1);
    }
  });
});
