/**
 * Loads the demo hospital: departments, one login per role, and discharges sent through the
 * same ingest path a HIS uses (so each gets its real follow-up workflow). Idempotent: what is
 * already there is left alone.
 */
import type { Sql } from '../db/client.js';
import { hashPassword } from '../services/auth.js';
import type { Services } from '../services/index.js';
import { DEMO_DEPARTMENTS, DEMO_USERS, generateDemoDischarges } from './demo-data.js';
import { DEMO_RULES, DEMO_TEMPLATES } from './demo-plans.js';
import { DEMO_CANNED_REPLIES } from './demo-canned-replies.js';

/** The demo departments (those already there are left alone). */
export async function seedDemoDepartments(sql: Sql): Promise<void> {
  for (const d of DEMO_DEPARTMENTS) {
    await sql`INSERT INTO departments (code, name, kind) VALUES (${d.code}, ${d.name}, ${d.kind}) ON CONFLICT (code) DO NOTHING`;
  }
}

export async function seedDemoData({
  sql,
  services,
  password,
  now = new Date(),
  count,
}: {
  sql: Sql;
  services: Services;
  password: string;
  now?: Date;
  count?: number;
}): Promise<{ discharges: number }> {
  await seedDemoDepartments(sql);
  const passwordHash = await hashPassword(password);
  for (const u of DEMO_USERS) {
    await sql`
      INSERT INTO users (username, display_name, role, department_code, password_hash, call_phone)
      VALUES (${u.username}, ${u.displayName}, ${u.role}, ${u.departmentCode}, ${passwordHash}, ${u.callPhone ?? null})
      ON CONFLICT (lower(username)) DO NOTHING`;
    // A demo database seeded before agents had a call phone gets one (an administrator's choice is kept).
    if (u.callPhone) await sql`UPDATE users SET call_phone = ${u.callPhone} WHERE lower(username) = lower(${u.username}) AND call_phone IS NULL`;
  }

  for (const t of DEMO_TEMPLATES) {
    await sql`
      INSERT INTO question_templates (code, version, department_code, name, questions)
      VALUES (${t.code}, 1, ${t.departmentCode}, ${t.name}, ${sql.json(t.questions as never)})
      ON CONFLICT (code, version) DO NOTHING`;
  }
  const [{ rules } = { rules: 0 }] = await sql<{ rules: number }[]>`SELECT count(*)::int AS rules FROM follow_up_rules WHERE department_code IS NOT NULL`;
  if (rules === 0) {
    for (const r of DEMO_RULES) {
      await sql`
        INSERT INTO follow_up_rules (department_code, name, scenario_kind, scenario_value, greeting_text, touchpoints)
        VALUES (${r.departmentCode}, ${r.name}, ${r.scenarioKind}, ${r.scenarioValue}, ${r.greetingText}, ${sql.json(r.touchpoints as never)})`;
    }
  }

  for (const r of DEMO_CANNED_REPLIES) {
    await sql`
      INSERT INTO canned_replies (department_code, topic, title, body) VALUES (${r.departmentCode}, ${r.topic}, ${r.title}, ${r.body})
      ON CONFLICT (coalesce(department_code, ''), title) DO NOTHING`;
  }

  const discharges = generateDemoDischarges({ now, count });
  const known = new Set(
    (await sql<{ id: string }[]>`SELECT his_encounter_id AS id FROM encounters WHERE his_encounter_id = ANY(${discharges.map((d) => d.encounterId)})`).map(
      (r) => r.id,
    ),
  );
  const missing = discharges.filter((d) => !known.has(d.encounterId));
  // A few at a time: quick, without flooding a two-core machine.
  for (let i = 0; i < missing.length; i += 20) {
    await Promise.all(missing.slice(i, i + 20).map((d) => services.discharges.ingestJson(JSON.stringify(d))));
  }
  return { discharges: missing.length };
}
