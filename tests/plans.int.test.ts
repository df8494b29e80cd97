/**
 * Follow-up plans as administrators edit them (services/plans.ts) on the real Postgres:
 * versioned templates, rule validation, the admin-only guard, HIS code mappings that move what
 * waits in 未分配科室, the audit trail, and the admin pages served by the portal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import type { Question } from '../domain/questions.js';
import { isServiceError, type ServiceError, type ValidationError } from '../services/errors.js';
import { createPlanService } from '../services/plans.js';
import { createTestOrg, signIn, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

const QUESTIONS: Question[] = [
  { id: 'pain', text: '疼痛程度(1–5)', type: 'rating', redFlag: { op: 'gte', value: 5 } },
  { id: 'fever', text: '是否发热?', type: 'yes_no', redFlag: { op: 'eq', value: true } },
];
const META = { ip: '127.0.0.1', userAgent: 'plans-test' };

/** The error a rejected promise carries (fails the test if it resolves). */
async function failure(work: Promise<unknown>): Promise<ServiceError> {
  try {
    await work;
  } catch (err) {
    if (isServiceError(err)) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const fields = (err: ServiceError) => (err as ValidationError).problems.map((p) => p.field);

// Browsers send Origin with every form post; the portal takes only its own.
const SAME_ORIGIN_FORM = { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', host: 'localhost' };

describe('follow-up plans (admin)', () => {
  let stack: TestStack;
  let org: TestOrg;
  let admin: Principal;
  let agentA: Principal;
  const meta = META;

  async function principal(username: string): Promise<Principal> {
    const [row] = await stack.sql<Principal[]>`
      SELECT id, username, display_name AS "displayName", role, department_code AS "departmentCode" FROM users WHERE username = ${username}`;
    return row!;
  }

  const templateCode = () => `t-${uniq().toLowerCase()}`;

  beforeAll(async () => {
    stack = await startStack({ web: true });
    org = await createTestOrg(stack.sql);
    admin = await principal(org.users.admin.username);
    agentA = await principal(org.users.agentA.username);
  });
  afterAll(() => stack.stop());

  it('saves a template as a new version each time and keeps earlier versions unchanged', async () => {
    const code = templateCode();
    const v1 = await stack.services.plans.saveTemplate(admin, { code, name: '骨科术后随访', departmentCode: org.deptA, questions: QUESTIONS }, meta);
    expect(v1).toMatchObject({ code, version: 1, departmentCode: org.deptA, questions: QUESTIONS });

    const changed: Question[] = [{ ...QUESTIONS[0]!, text: '  伤口疼痛程度(1–5)  ' }, { id: 'comments', text: '其他意见', type: 'text' }];
    const v2 = await stack.services.plans.saveTemplate(admin, { code, name: '骨科术后随访(修订)', departmentCode: org.deptA, questions: changed }, meta);
    expect(v2.version).toBe(2);
    expect(v2.questions[0]!.text).toBe('伤口疼痛程度(1–5)');

    const detail = await stack.services.plans.template(admin, code);
    expect(detail.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(detail.versions[1]).toMatchObject({ id: v1.id, name: '骨科术后随访', questions: QUESTIONS, createdBy: admin.username });

    const listed = (await stack.services.plans.templates(admin)).find((t) => t.code === code);
    expect(listed).toMatchObject({ version: 2, name: '骨科术后随访(修订)', questionCount: 2, versions: 2, departmentCode: org.deptA });

    const audited = await stack.sql<{ entity_id: string; details: { version: number } }[]>`
      SELECT entity_id, details FROM audit_log
      WHERE action = 'plan.template_saved' AND actor_username = ${admin.username} AND details->>'code' = ${code} ORDER BY id`;
    expect(audited.map((a) => [a.entity_id, a.details.version])).toEqual([
      [v1.id, 1],
      [v2.id, 2],
    ]);
  });

  it('refuses an invalid template with the fields at fault', async () => {
    const code = templateCode();
    const err = await failure(
      stack.services.plans.saveTemplate(
        admin,
        {
          code,
          name: ' ',
          departmentCode: 'NO-SUCH-DEPT',
          questions: [
            { id: 'q1', text: '', type: 'rating' },
            { id: 'q2', text: '您的病房是?', type: 'choice', options: ['单人间'] },
            { id: 'q1', text: '体温', type: 'rating', redFlag: { op: 'gte', value: 9 } },
          ],
        },
        meta,
      ),
    );
    expect(err.status).toBe(400);
    expect(fields(err)).toEqual(expect.arrayContaining(['name', 'departmentCode', 'questions.0.text', 'questions.1.options', 'questions.2.id', 'questions.2.redFlag']));

    const tooMany = await failure(
      stack.services.plans.saveTemplate(
        admin,
        { code, name: '太长', departmentCode: null, questions: Array.from({ length: 6 }, (_, i) => ({ id: `q${i}`, text: `问题 ${i}`, type: 'yes_no' })) },
        meta,
      ),
    );
    expect(fields(tooMany)).toEqual(['questions']);
    const badDept = await failure(stack.services.plans.saveTemplate(admin, { code, name: '科室', departmentCode: 'NO-SUCH-DEPT', questions: QUESTIONS }, meta));
    expect(fields(badDept)).toEqual(['departmentCode']);
    expect(await stack.sql`SELECT 1 FROM question_templates WHERE code = ${code}`).toHaveLength(0);
  });

  it('validates rules: templates must exist, scenario kind and value go together, one active rule per department and scenario', async () => {
    const code = templateCode();
    await stack.services.plans.saveTemplate(admin, { code, name: '模板', departmentCode: null, questions: QUESTIONS }, meta);
    const base = {
      departmentCode: org.deptA,
      name: '骨科出院随访',
      scenarioKind: null,
      scenarioValue: null,
      greetingText: '祝您早日康复',
      active: true,
    };
    const missing = await failure(
      stack.services.plans.saveRule(
        admin,
        { ...base, touchpoints: [{ offsetDays: 3, templateCode: `missing-${uniq()}`, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }] },
        meta,
      ),
    );
    expect(missing.status).toBe(400);
    expect(fields(missing)).toEqual(['touchpoints.0.templateCode']);

    // A placeholder the greeting cannot fill is refused on its field, naming it.
    const unknownPlaceholder = await failure(
      stack.services.plans.saveRule(
        admin,
        { ...base, greetingText: '{姓名}您好,请于{复诊日期}来{科室}复诊', touchpoints: [{ offsetDays: 3, templateCode: code, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }] },
        meta,
      ),
    );
    expect(fields(unknownPlaceholder)).toEqual(['greetingText']);
    expect(unknownPlaceholder.message).toContain('{复诊日期}');

    const invalid = await failure(
      stack.services.plans.saveRule(
        admin,
        {
          ...base,
          scenarioKind: 'diagnosis_prefix',
          scenarioValue: null,
          greetingText: '',
          touchpoints: [
            { offsetDays: 7, templateCode: code, channel: 'fax', maxAttempts: 0, retryAfterSeconds: 0 },
            { offsetDays: 3, templateCode: code, channel: 'sms', maxAttempts: 1, retryAfterSeconds: 3600 },
          ],
        },
        meta,
      ),
    );
    expect(fields(invalid)).toEqual(
      expect.arrayContaining(['greetingText', 'scenarioValue', 'touchpoints.0.channel', 'touchpoints.0.maxAttempts', 'touchpoints.0.retryAfterSeconds', 'touchpoints.1.offsetDays']),
    );

    // Production plans in days: a time in seconds (tests and demo only) is refused there.
    const production = createPlanService({ sql: stack.sql, audit: stack.services.audit });
    expect(production.secondOffsetsAllowed).toBe(false);
    expect(stack.services.plans.secondOffsetsAllowed).toBe(true);
    const inSeconds = await failure(
      production.saveRule(admin, { ...base, touchpoints: [{ offsetSeconds: 30, templateCode: code, channel: 'phone', maxAttempts: 1, retryAfterSeconds: 60 }] }, meta),
    );
    expect(fields(inSeconds)).toEqual(['touchpoints.0.offsetSeconds']);

    const touchpoints = [
      { offsetDays: 1, templateCode: ` ${code} `, channel: 'sms', maxAttempts: 1, retryAfterSeconds: 3600, extra: 'dropped' },
      { offsetDays: 7, templateCode: code, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 86400 },
    ];
    const created = await stack.services.plans.saveRule(admin, { ...base, touchpoints }, meta);
    expect(created).toMatchObject({ departmentCode: org.deptA, active: true, touchpoints: [{ offsetDays: 1, templateCode: code, channel: 'sms' }, { offsetDays: 7 }] });
    expect(created.touchpoints[0]).not.toHaveProperty('extra');

    // A second active plain rule for the department would make the choice arbitrary.
    const clash = await failure(stack.services.plans.saveRule(admin, { ...base, name: '另一条', touchpoints }, meta));
    expect(fields(clash)).toEqual(['departmentCode']);
    const scenario = await stack.services.plans.saveRule(
      admin,
      { ...base, name: '髋关节置换', scenarioKind: 'procedure_keyword', scenarioValue: '髋关节置换', touchpoints },
      meta,
    );
    expect(scenario.scenarioKind).toBe('procedure_keyword');
    const hospitalWide = await failure(
      stack.services.plans.saveRule(admin, { ...base, departmentCode: null, scenarioKind: 'diagnosis_prefix', scenarioValue: 'S72', touchpoints }, meta),
    );
    expect(fields(hospitalWide)).toContain('scenarioKind');

    const updated = await stack.services.plans.saveRule(
      admin,
      { ...base, id: created.id, name: '骨科出院随访(修订)', active: false, touchpoints: [touchpoints[1]] },
      meta,
    );
    expect(updated).toMatchObject({ id: created.id, name: '骨科出院随访(修订)', active: false });
    expect(updated.touchpoints).toHaveLength(1);
    expect(new Date(updated.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.updatedAt).getTime());
    expect((await stack.services.plans.rules(admin)).find((r) => r.id === created.id)?.departmentName).toMatch(/^骨科/);
    expect((await failure(stack.services.plans.saveRule(admin, { ...base, id: '00000000-0000-0000-0000-000000000000', touchpoints }, meta))).status).toBe(404);

    const audited = await stack.sql<{ entity_id: string; created: boolean }[]>`
      SELECT entity_id, (details->>'created')::boolean AS created FROM audit_log
      WHERE action = 'plan.rule_saved' AND entity_id IN (${created.id}, ${scenario.id}) ORDER BY id`;
    expect(audited.map((a) => [a.entity_id, a.created])).toEqual([
      [created.id, true],
      [scenario.id, true],
      [created.id, false],
    ]);
  });

  it('refuses every plan operation to non-admins with 403', async () => {
    const head = await principal(org.users.headA.username);
    const manager = await principal(org.users.manager.username);
    for (const user of [agentA, head, manager]) {
      const calls: Promise<unknown>[] = [
        stack.services.plans.templates(user),
        stack.services.plans.template(user, 'general'),
        stack.services.plans.saveTemplate(user, { code: templateCode(), name: 'x', departmentCode: null, questions: QUESTIONS }, meta),
        stack.services.plans.rules(user),
        stack.services.plans.saveRule(
          user,
          { departmentCode: null, name: 'x', scenarioKind: null, scenarioValue: null, greetingText: 'x', active: true, touchpoints: [] },
          meta,
        ),
        stack.services.plans.mappings(user),
        stack.services.plans.unmappedCodes(user),
        stack.services.plans.saveMapping(user, { hisCode: 'X', departmentCode: org.deptA, note: null }, meta),
        stack.services.plans.deleteMapping(user, 'X', meta),
      ];
      for (const call of calls) expect((await failure(call)).status).toBe(403);
    }
  });

  it('maps an unmapped HIS code: encounters and open tasks move to the department and get its agents', async () => {
    const hisCode = `HIS-${uniq()}`;
    const otherCode = `HIS-${uniq()}`;
    // A second agent in department A, so assignment has a choice.
    const [agent2] = await stack.sql<{ id: string }[]>`
      INSERT INTO users (username, display_name, role, department_code, password_hash)
      VALUES (${'agent2_' + uniq().toLowerCase()}, '第二客服', 'agent', ${org.deptA}, 'x') RETURNING id`;
    const [template] = await stack.sql<{ id: string }[]>`
      INSERT INTO question_templates (code, version, name, questions) VALUES (${templateCode()}, 1, '测试', ${stack.sql.json(QUESTIONS as never)}) RETURNING id`;

    async function encounter(his: string) {
      const id = uniq();
      const [p] = await stack.sql<{ id: string }[]>`INSERT INTO patients (his_patient_id, name) VALUES (${'P-' + id}, '赵六') RETURNING id`;
      const [e] = await stack.sql<{ id: string }[]>`
        INSERT INTO encounters (his_encounter_id, patient_id, his_department_code, department_code, discharged_at, workflow_id)
        VALUES (${'ZY-' + id}, ${p!.id}, ${his}, NULL, now() - interval '2 days', ${'followup-ZY-' + id}) RETURNING id`;
      return { encounterId: e!.id, patientId: p!.id, workflowId: `followup-ZY-${id}` };
    }
    async function task(enc: Awaited<ReturnType<typeof encounter>>, index: number, status: string) {
      const [t] = await stack.sql<{ id: string }[]>`
        INSERT INTO follow_up_tasks (workflow_id, touchpoint_index, encounter_id, patient_id, department_code, template_id, channel, due_at, max_attempts, status)
        VALUES (${enc.workflowId}, ${index}, ${enc.encounterId}, ${enc.patientId}, NULL, ${template!.id}, 'phone', now() + ${index + ' hours'}::interval, 3, ${status})
        RETURNING id`;
      return t!.id;
    }
    const e1 = await encounter(hisCode);
    const e2 = await encounter(hisCode);
    const other = await encounter(otherCode);
    const open = [await task(e1, 0, 'open'), await task(e1, 1, 'open'), await task(e2, 0, 'open')];
    const done = await task(e2, 1, 'completed');
    const otherTask = await task(other, 0, 'open');
    await stack.sql`INSERT INTO alerts (workflow_id, step, task_id, department_code, kind) VALUES (${e2.workflowId}, ${'red-flag:' + done}, ${done}, NULL, 'red_flag')`;

    const before = (await stack.services.plans.unmappedCodes(admin)).find((u) => u.hisCode === hisCode);
    expect(before).toMatchObject({ encounters: 2, openTasks: 3, mappedTo: null });

    const bad = await failure(stack.services.plans.saveMapping(admin, { hisCode: ' ', departmentCode: 'NO-SUCH-DEPT' }, meta));
    expect(fields(bad)).toEqual(['hisCode', 'departmentCode']);
    expect(fields(await failure(stack.services.plans.saveMapping(admin, { hisCode, departmentCode: 'NO-SUCH-DEPT' }, meta)))).toEqual(['departmentCode']);

    const result = await stack.services.plans.saveMapping(admin, { hisCode, departmentCode: org.deptA, note: '骨科病区' }, meta);
    expect(result).toEqual({ hisCode, departmentCode: org.deptA, encountersMoved: 2, tasksMoved: 3, tasksAssigned: 3, alertsMoved: 1 });

    const encounters = await stack.sql<{ id: string; department_code: string | null }[]>`
      SELECT id, department_code FROM encounters WHERE id IN (${e1.encounterId}, ${e2.encounterId}, ${other.encounterId})`;
    expect(Object.fromEntries(encounters.map((e) => [e.id, e.department_code]))).toEqual({
      [e1.encounterId]: org.deptA,
      [e2.encounterId]: org.deptA,
      [other.encounterId]: null,
    });
    const tasks = await stack.sql<{ id: string; department_code: string | null; assigned_agent_id: string | null }[]>`
      SELECT id, department_code, assigned_agent_id FROM follow_up_tasks WHERE id IN ${stack.sql([...open, done, otherTask])}`;
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const agents = [agentA.id, agent2!.id];
    for (const id of open) {
      expect(byId.get(id)!.department_code).toBe(org.deptA);
      expect(agents).toContain(byId.get(id)!.assigned_agent_id);
    }
    // Least-loaded first: both agents started empty, so the three tasks are split 2 + 1.
    const loads = agents.map((a) => open.filter((id) => byId.get(id)!.assigned_agent_id === a).length).sort();
    expect(loads).toEqual([1, 2]);
    expect(byId.get(done)).toMatchObject({ department_code: null, assigned_agent_id: null });
    expect(byId.get(otherTask)).toMatchObject({ department_code: null, assigned_agent_id: null });
    const [alert] = await stack.sql<{ department_code: string | null }[]>`SELECT department_code FROM alerts WHERE task_id = ${done}`;
    expect(alert!.department_code).toBe(org.deptA);

    const after = await stack.services.plans.unmappedCodes(admin);
    expect(after.find((u) => u.hisCode === hisCode)).toBeUndefined();
    expect(after.find((u) => u.hisCode === otherCode)).toMatchObject({ encounters: 1, openTasks: 1 });
    expect((await stack.services.plans.mappings(admin)).find((m) => m.hisCode === hisCode)).toMatchObject({
      departmentCode: org.deptA,
      note: '骨科病区',
      encounters: 2,
    });

    // Saving it again moves nothing more; deleting leaves the encounters in their department.
    expect(await stack.services.plans.saveMapping(admin, { hisCode, departmentCode: org.deptB }, meta)).toMatchObject({ encountersMoved: 0, tasksMoved: 0 });
    await stack.services.plans.deleteMapping(admin, hisCode, meta);
    expect((await failure(stack.services.plans.deleteMapping(admin, hisCode, meta))).status).toBe(404);
    expect((await stack.services.plans.mappings(admin)).find((m) => m.hisCode === hisCode)).toBeUndefined();
    const [still] = await stack.sql<{ department_code: string }[]>`SELECT department_code FROM encounters WHERE id = ${e1.encounterId}`;
    expect(still!.department_code).toBe(org.deptA);

    const audited = await stack.sql<{ action: string; details: Record<string, unknown>; user_agent: string | null }[]>`
      SELECT action, details, user_agent FROM audit_log WHERE entity_type = 'department_mapping' AND entity_id = ${hisCode} ORDER BY id`;
    expect(audited.map((a) => a.action)).toEqual(['plan.mapping_saved', 'plan.mapping_saved', 'plan.mapping_deleted']);
    expect(audited[0]!.details).toMatchObject({ departmentCode: org.deptA, encountersMoved: 2, tasksMoved: 3, previousDepartmentCode: null });
    expect(audited[1]!.details).toMatchObject({ departmentCode: org.deptB, previousDepartmentCode: org.deptA });
    expect(audited[0]!.user_agent).toBe('plans-test');
  });

  it('serves the admin pages to admins only and saves through their forms', async () => {
    const cookie = await signIn(stack.app, org.users.admin.username);
    for (const [path, text] of [
      ['/admin', '用户'],
      ['/admin/rules', '随访规则'],
      ['/admin/rules?new=1', '新建随访规则'],
      ['/admin/templates', '问卷模板'],
      ['/admin/templates?code=general', '通用出院随访'],
      ['/admin/mappings', '科室映射'],
    ] as const) {
      const res = await stack.app.request(path, { headers: { cookie } });
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain(text);
    }
    const agent = await signIn(stack.app, org.users.agentA.username);
    for (const path of ['/admin/rules', '/admin/templates', '/admin/mappings']) {
      expect((await stack.app.request(path, { headers: { cookie: agent } })).status, path).toBe(403);
    }

    // A template through the form: blank rows are skipped, errors come back next to the fields.
    const code = templateCode();
    const form = new URLSearchParams({
      code,
      name: '表单模板',
      departmentCode: org.deptB,
      'q0.text': '血糖控制得好吗?',
      'q0.type': 'rating',
      'q0.flagOp': 'lte',
      'q0.flagValue': '2',
      'q1.text': '',
      'q1.type': 'rating',
      'q2.text': '饮食情况',
      'q2.type': 'choice',
      'q2.options': '良好，一般, 较差',
      'q2.flagOp': 'eq',
      'q2.flagValue': '较差',
    });
    const saved = await stack.app.request('/admin/templates', {
      method: 'POST',
      headers: { cookie, ...SAME_ORIGIN_FORM },
      body: form,
    });
    expect(saved.status).toBe(302);
    expect(saved.headers.get('location')).toContain(`code=${code}`);
    const detail = await stack.services.plans.template(admin, code);
    expect(detail.versions[0]!.questions).toEqual([
      { id: 'q1', text: '血糖控制得好吗?', type: 'rating', redFlag: { op: 'lte', value: 2 } },
      { id: 'q2', text: '饮食情况', type: 'choice', options: ['良好', '一般', '较差'], redFlag: { op: 'eq', value: '较差' } },
    ]);
    form.set('mode', 'existing');
    form.set('q2.options', '良好');
    const refused = await stack.app.request('/admin/templates', {
      method: 'POST',
      headers: { cookie, ...SAME_ORIGIN_FORM },
      body: form,
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('选择题至少需要 2 个选项');

    // A rule through the form, with a touchpoint in seconds and the retry interval in hours.
    const rule = new URLSearchParams({
      departmentCode: org.deptB,
      name: '内分泌随访',
      scenarioKind: '',
      scenarioValue: '',
      greetingText: '请按时监测血糖',
      active: 'on',
      't0.amount': '30',
      't0.unit': 'seconds',
      't0.templateCode': code,
      't0.channel': 'wechat',
      't0.maxAttempts': '2',
      't0.retryHours': '0.5',
      't1.amount': '',
      't1.templateCode': '',
    });
    const ruleSaved = await stack.app.request('/admin/rules', {
      method: 'POST',
      headers: { cookie, ...SAME_ORIGIN_FORM },
      body: rule,
    });
    expect(ruleSaved.status).toBe(302);
    const savedRule = (await stack.services.plans.rules(admin)).find((r) => r.departmentCode === org.deptB && r.name === '内分泌随访');
    expect(savedRule?.touchpoints).toEqual([{ offsetSeconds: 30, templateCode: code, channel: 'wechat', maxAttempts: 2, retryAfterSeconds: 1800 }]);

    rule.set('t0.templateCode', `missing-${uniq()}`);
    rule.set('name', '内分泌随访 2');
    const ruleRefused = await stack.app.request('/admin/rules', {
      method: 'POST',
      headers: { cookie, ...SAME_ORIGIN_FORM },
      body: rule,
    });
    expect(ruleRefused.status).toBe(400);
    expect(await ruleRefused.text()).toContain('不存在');

    // A mapping through the quick form.
    const hisCode = `HIS-${uniq()}`;
    const mapped = await stack.app.request('/admin/mappings', {
      method: 'POST',
      headers: { cookie, ...SAME_ORIGIN_FORM },
      body: new URLSearchParams({ intent: 'save', hisCode, departmentCode: org.deptB, note: '' }),
    });
    expect(mapped.status).toBe(200);
    expect(await mapped.text()).toContain(hisCode);
    expect((await stack.services.plans.mappings(admin)).find((m) => m.hisCode === hisCode)?.departmentCode).toBe(org.deptB);
    const deleted = await stack.app.request('/admin/mappings', {
      method: 'POST',
      headers: { cookie, ...SAME_ORIGIN_FORM },
      body: new URLSearchParams({ intent: 'delete', hisCode }),
    });
    expect(deleted.status).toBe(200);
    expect((await stack.services.plans.mappings(admin)).find((m) => m.hisCode === hisCode)).toBeUndefined();
  });
});
