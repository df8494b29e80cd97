/**
 * The complaint routing table (services/feedback-routing.ts) on the real Postgres: validation with
 * field names, the admin-only guard, audited route saves and sub-tags, and the /admin/routing page.
 *
 * feedback_routes is shared with every other test file: a save here is undone in `finally`, and
 * the refusals asserted on change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import { isServiceError, type ServiceError, type ValidationError } from '../services/errors.js';
import { createTestOrg, signIn, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

const META = { ip: '127.0.0.1', userAgent: 'routing-test' };
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

const fields = (err: ServiceError) => (err as ValidationError).problems.map((p) => p.field);

interface RouteRow {
  category: string;
  department_code: string | null;
  sla_seconds: number;
  escalate_seconds: number;
  rating_wait_seconds: number;
  updated_at: Date;
}

describe('complaint routing table (admin)', () => {
  let stack: TestStack;
  let org: TestOrg;
  let admin: Principal;
  const meta = META;

  async function principal(username: string): Promise<Principal> {
    const [row] = await stack.sql<Principal[]>`
      SELECT id, username, display_name AS "displayName", role, department_code AS "departmentCode" FROM users WHERE username = ${username}`;
    return row!;
  }
  // 'process' is pointed at a test department by tests/tickets.int.test.ts, which may run meanwhile.
  const routeRows = () =>
    stack.sql<RouteRow[]>`SELECT category, department_code, sla_seconds, escalate_seconds, rating_wait_seconds, updated_at
                          FROM feedback_routes WHERE category <> 'process' ORDER BY category`;

  beforeAll(async () => {
    stack = await startStack({ web: true });
    org = await createTestOrg(stack.sql);
    admin = await principal(org.users.admin.username);
  });
  afterAll(() => stack.stop());

  it('lists the five categories with their department and timings', async () => {
    const routes = await stack.services.routing.routes(admin);
    expect(routes.map((r) => [r.category, r.categoryLabel])).toEqual([
      ['service_attitude', '服务态度'],
      ['medical_quality', '医疗质量'],
      ['environment', '环境设施'],
      ['process', '流程问题'],
      ['red_flag', '红旗预警'],
    ]);
    for (const r of routes) {
      expect(r.slaSeconds).toBeGreaterThan(0);
      expect(r.escalateSeconds).toBeGreaterThan(0);
      expect(r.ratingWaitSeconds).toBeGreaterThan(0);
      if (r.departmentCode === null) expect(r.departmentName).toBeNull();
    }
  });

  it('refuses invalid routes with the fields at fault and changes nothing', async () => {
    const before = await routeRows();
    const base = { category: 'environment', departmentCode: null, slaHours: 24, escalateHours: 48, ratingWaitHours: 72 };

    const unknownDept = await failure(stack.services.routing.saveRoute(admin, { ...base, departmentCode: `NO-SUCH-${uniq()}` }, meta));
    expect(unknownDept.status).toBe(400);
    expect(fields(unknownDept)).toEqual(['departmentCode']);

    const badHours = await failure(stack.services.routing.saveRoute(admin, { ...base, slaHours: -1, escalateHours: 0, ratingWaitHours: 721 }, meta));
    expect(badHours.status).toBe(400);
    expect(fields(badHours)).toEqual(['slaHours', 'escalateHours', 'ratingWaitHours']);

    const text = await failure(stack.services.routing.saveRoute(admin, { ...base, slaHours: 'abc', escalateHours: '', ratingWaitHours: Number.NaN }, meta));
    expect(fields(text)).toEqual(['slaHours', 'escalateHours', 'ratingWaitHours']);

    const all = await failure(
      stack.services.routing.saveRoute(admin, { category: 'parking', departmentCode: `NO-SUCH-${uniq()}`, slaHours: 0, escalateHours: 1, ratingWaitHours: 1 }, meta),
    );
    expect(fields(all)).toEqual(expect.arrayContaining(['category', 'slaHours', 'departmentCode']));

    expect(await routeRows()).toEqual(before);
  });

  it('saves a route in seconds with an audited before/after, then is restored', async () => {
    const [original] = await stack.sql<RouteRow[]>`
      SELECT category, department_code, sla_seconds, escalate_seconds, rating_wait_seconds, updated_at FROM feedback_routes WHERE category = 'environment'`;
    expect(original).toBeDefined();
    try {
      const saved = await stack.services.routing.saveRoute(
        admin,
        {
          category: 'environment',
          departmentCode: original!.department_code,
          slaHours: original!.sla_seconds / 3600,
          escalateHours: original!.escalate_seconds / 3600,
          // Half an hour more to rate: a change nobody else's test depends on, undone below.
          ratingWaitHours: `${original!.rating_wait_seconds / 3600 + 0.5}`,
        },
        meta,
      );
      expect(saved).toMatchObject({
        category: 'environment',
        departmentCode: original!.department_code,
        slaSeconds: original!.sla_seconds,
        escalateSeconds: original!.escalate_seconds,
        ratingWaitSeconds: original!.rating_wait_seconds + 1800,
      });
      const [audited] = await stack.sql<{ entity_id: string; details: Record<string, unknown>; user_agent: string }[]>`
        SELECT entity_id, details, user_agent FROM audit_log
        WHERE action = 'routing.route_saved' AND actor_username = ${admin.username} ORDER BY id DESC LIMIT 1`;
      expect(audited).toMatchObject({
        entity_id: 'environment',
        user_agent: 'routing-test',
        details: {
          before: { departmentCode: original!.department_code, ratingWaitSeconds: original!.rating_wait_seconds },
          after: { departmentCode: original!.department_code, ratingWaitSeconds: original!.rating_wait_seconds + 1800 },
        },
      });
    } finally {
      await stack.sql`
        UPDATE feedback_routes SET department_code = ${original!.department_code}, sla_seconds = ${original!.sla_seconds},
          escalate_seconds = ${original!.escalate_seconds}, rating_wait_seconds = ${original!.rating_wait_seconds}
        WHERE category = 'environment'`;
    }
  });

  it('adds sub-tags unique per category, and disables and re-enables them', async () => {
    const label = `测试标签${uniq()}`;
    const added = await stack.services.routing.saveSubtag(admin, { category: 'process', label: `  ${label}  ` }, meta);
    try {
      expect(added).toMatchObject({ category: 'process', label, active: true, ticketCount: 0 });

      expect(fields(await failure(stack.services.routing.saveSubtag(admin, { category: 'process', label }, meta)))).toEqual(['label']);
      expect(fields(await failure(stack.services.routing.saveSubtag(admin, { category: 'process', label: ' ' }, meta)))).toEqual(['label']);
      expect(fields(await failure(stack.services.routing.saveSubtag(admin, { category: 'process', label: '长'.repeat(31) }, meta)))).toEqual(['label']);
      expect(fields(await failure(stack.services.routing.saveSubtag(admin, { category: 'parking', label }, meta)))).toEqual(['category']);

      const disabled = await stack.services.routing.setSubtagActive(admin, added.id, false, meta);
      expect(disabled.active).toBe(false);
      expect((await stack.services.tickets.subtags()).some((s) => s.label === label)).toBe(false);
      expect((await stack.services.routing.subtags(admin)).find((s) => s.id === added.id)).toMatchObject({ label, active: false });
      const again = await failure(stack.services.routing.saveSubtag(admin, { category: 'process', label }, meta));
      expect(fields(again)).toEqual(['label']);
      expect(again.message).toContain('已停用');

      expect((await stack.services.routing.setSubtagActive(admin, added.id, true, meta)).active).toBe(true);
      expect((await failure(stack.services.routing.setSubtagActive(admin, 2_000_000_000, false, meta))).status).toBe(404);

      const audited = await stack.sql<{ action: string }[]>`
        SELECT action FROM audit_log WHERE entity_type = 'feedback_subtag' AND entity_id = ${String(added.id)} ORDER BY id`;
      expect(audited.map((a) => a.action)).toEqual(['routing.subtag_saved', 'routing.subtag_active_set', 'routing.subtag_active_set']);
    } finally {
      await stack.sql`UPDATE feedback_subtags SET active = false WHERE id = ${added.id}`;
    }
  });

  it('warns when a route would reach a department where nobody can act on tickets', async () => {
    const id = uniq();
    const nobody = { code: `N${id}`, name: `无人科${id}` };
    await stack.sql`INSERT INTO departments (code, name, kind) VALUES (${nobody.code}, ${nobody.name}, 'clinical')`;
    const unstaffed = await stack.services.routing.unstaffedDepartments(admin);
    expect(unstaffed.map((d) => d.code)).toContain(nobody.code);
    // headA and staffB make the test org's departments actionable.
    expect(unstaffed.map((d) => d.code)).not.toContain(org.deptA);
    expect(unstaffed.map((d) => d.code)).not.toContain(org.deptB);
    expect((await failure(stack.services.routing.unstaffedDepartments(await principal(org.users.manager.username)))).status).toBe(403);

    const cookie = await signIn(stack.app, org.users.admin.username);
    const html = (await (await stack.app.request('/admin/routing', { headers: { cookie } })).text()).replaceAll('<!-- -->', '');
    expect(html).toMatch(new RegExp(`没有在岗的科室人员[^<]*${nobody.name}`));
  });

  it('refuses every routing operation to non-admins with 403', async () => {
    const before = await routeRows();
    const label = `不应保存${uniq()}`;
    for (const key of ['agentA', 'headA', 'staffB', 'manager'] as const) {
      const user = await principal(org.users[key].username);
      const calls: Promise<unknown>[] = [
        stack.services.routing.routes(user),
        stack.services.routing.saveRoute(user, { category: 'process', departmentCode: null, slaHours: 1, escalateHours: 1, ratingWaitHours: 1 }, meta),
        stack.services.routing.subtags(user),
        stack.services.routing.saveSubtag(user, { category: 'process', label }, meta),
        stack.services.routing.setSubtagActive(user, 1, false, meta),
      ];
      for (const call of calls) expect((await failure(call)).status).toBe(403);
    }
    expect(await routeRows()).toEqual(before);
    expect(await stack.sql`SELECT 1 FROM feedback_subtags WHERE label = ${label}`).toHaveLength(0);
  });

  it('serves /admin/routing to admins only and reports form errors next to the fields', async () => {
    const cookie = await signIn(stack.app, org.users.admin.username);
    const page = await stack.app.request('/admin/routing', { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const text of ['投诉分派', '随访所在科室', '服务态度', '医疗质量', '环境设施', '流程问题', '红旗预警', 'SLA 小时', '二次升级 小时', '评价等待 小时', '只影响之后新建的工单']) {
      expect(html).toContain(text);
    }
    const agent = await signIn(stack.app, org.users.agentA.username);
    expect((await stack.app.request('/admin/routing', { headers: { cookie: agent } })).status).toBe(403);

    const before = await routeRows();
    const refused = await stack.app.request('/admin/routing', {
      method: 'POST',
      headers: { cookie, ...SAME_ORIGIN_FORM },
      body: new URLSearchParams({ intent: 'route', category: 'process', departmentCode: `NO-SUCH-${uniq()}`, slaHours: '-2', escalateHours: '48', ratingWaitHours: '72' }),
    });
    expect(refused.status).toBe(400);
    const refusedHtml = await refused.text();
    expect(refusedHtml).toContain('不存在');
    expect(refusedHtml).toContain('SLA 时限须大于 0 小时');
    expect(refusedHtml).toContain('aria-invalid="true"');
    const forbidden = await stack.app.request('/admin/routing', {
      method: 'POST',
      headers: { cookie: agent, ...SAME_ORIGIN_FORM },
      body: new URLSearchParams({ intent: 'route', category: 'process', departmentCode: '', slaHours: '1', escalateHours: '1', ratingWaitHours: '1' }),
    });
    expect(forbidden.status).toBe(403);
    expect(await routeRows()).toEqual(before);

    // A sub-tag through the form, then disabled through its toggle.
    const label = `表单标签${uniq()}`;
    const added = await stack.app.request('/admin/routing', {
      method: 'POST',
      headers: { cookie, ...SAME_ORIGIN_FORM },
      body: new URLSearchParams({ intent: 'subtag', category: 'environment', label }),
    });
    expect(added.status).toBe(200);
    expect(await added.text()).toContain(label);
    const [row] = await stack.sql<{ id: number; active: boolean }[]>`SELECT id, active FROM feedback_subtags WHERE category = 'environment' AND label = ${label}`;
    try {
      expect(row?.active).toBe(true);
      const duplicate = await stack.app.request('/admin/routing', {
        method: 'POST',
        headers: { cookie, ...SAME_ORIGIN_FORM },
        body: new URLSearchParams({ intent: 'subtag', category: 'environment', label }),
      });
      expect(duplicate.status).toBe(400);
      expect(await duplicate.text()).toContain('已有子标签');
      const toggled = await stack.app.request('/admin/routing', {
        method: 'POST',
        headers: { cookie, ...SAME_ORIGIN_FORM },
        body: new URLSearchParams({ intent: 'toggle', id: String(row!.id), active: 'false' }),
      });
      expect(toggled.status).toBe(200);
      const [after] = await stack.sql<{ active: boolean }[]>`SELECT active FROM feedback_subtags WHERE id = ${row!.id}`;
      expect(after!.active).toBe(false);
    } finally {
      if (row) await stack.sql`UPDATE feedback_subtags SET active = false WHERE id = ${row.id}`;
    }
  });
});
