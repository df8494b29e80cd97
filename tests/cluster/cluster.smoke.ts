/**
 * The cluster mode (scripts/lib/cluster.ts) comes up and works end to end: the real Temporal
 * server as separate processes on Postgres with SQL visibility, the Temporal UI server, two
 * workers and two API processes behind the load balancer; a discharge sent as JSON and one sent
 * as HL7 get their follow-up workflows, visible in the UI; a history process killed with SIGKILL
 * is restarted and discharges keep going through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '../../db/client.js';
import { deliver } from '../../scripts/chaos/his.js';
import { generateDemoDischarges } from '../../scripts/demo-data.js';
import { startThrowawayCluster, type RunningCluster } from '../../scripts/lib/cluster.js';
import { Teardown } from '../../scripts/lib/stack.js';
import { waitUntil } from '../../scripts/lib/wait.js';
import { UNASSIGNED_DEPARTMENT } from '../../workflows/follow-up/contracts.js';

describe('cluster mode', () => {
  const teardown = new Teardown();
  let cluster: RunningCluster;
  let sql: Sql;
  const [jsonDischarge, hl7Discharge, afterKill] = generateDemoDischarges({ now: new Date(), count: 3, days: 1, seed: 4242 });
  const planned = (encounterId: string) =>
    waitUntil(
      async () => (await sql`SELECT 1 FROM follow_up_events WHERE workflow_id = ${`followup-${encounterId}`} AND step = 'planned'`).length > 0,
      120_000,
      { intervalMs: 250, what: `follow-up of ${encounterId} planned` },
    );

  beforeAll(async () => {
    cluster = await startThrowawayCluster({ name: 'cluster-smoke', workers: 2, ui: true, log: (msg) => console.log(msg), teardown });
    sql = createSql(cluster.databaseUrl, { max: 2 });
    teardown.add('sql', () => sql.end());
  });

  afterAll(() => teardown.run());

  it('runs each Temporal service, the workers and the API processes as processes of their own', () => {
    expect(cluster.temporal.map((t) => t.name)).toEqual(['temporal-frontend', 'temporal-matching', 'temporal-worker', 'temporal-history-1', 'temporal-history-2']);
    const pids = [...cluster.temporal, ...cluster.workers, ...cluster.apis.map((a) => a.supervised)].map((s) => s.current()!.pid);
    expect(new Set(pids).size).toBe(9);
  });

  it('takes discharges as JSON and as HL7 through the load balancer and plans their follow-ups', async () => {
    const target = { httpUrl: cluster.httpUrl, mllpPort: cluster.mllpPort };
    const deadline = Date.now() + 60_000;
    expect(await deliver(target, jsonDischarge!, 'json', deadline)).toMatchObject({ accepted: true, attempts: 1 });
    expect(await deliver(target, hl7Discharge!, 'hl7', deadline)).toMatchObject({ accepted: true, attempts: 1 });
    await planned(jsonDischarge!.encounterId);
    await planned(hl7Discharge!.encounterId);
    // The workers and the API processes did that as the application role, which owns no table.
    const roles = await sql<{ usename: string }[]>`SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() AND usename <> current_user`;
    expect(roles.map((r) => r.usename)).toContain('suifang_application');
  });

  it('serves the Temporal UI against the frontend, with the workflows and their search attributes', async () => {
    // No department is set up in this database: the follow-up waits under the unassigned one, searchable as such.
    const query = encodeURIComponent(`WorkflowId = 'followup-${jsonDischarge!.encounterId}' AND Department = '${UNASSIGNED_DEPARTMENT}'`);
    // Visibility is written after the fact (SQL visibility, by the history service's transfer tasks).
    const listed = await waitUntil(
      async () => {
        const res = await fetch(`${cluster.uiUrl}/api/v1/namespaces/default/workflows?query=${query}`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { executions?: { execution: { workflowId: string } }[] };
        return body.executions?.length ? body.executions : undefined;
      },
      60_000,
      { intervalMs: 500, what: 'the workflow listed by the UI server' },
    );
    expect(listed.map((e) => e.execution.workflowId)).toEqual([`followup-${jsonDischarge!.encounterId}`]);
    expect((await fetch(`${cluster.httpUrl}/login`)).status).toBe(200);
  });

  it('restarts a history process killed with SIGKILL, and discharges keep going through', async () => {
    const history = cluster.temporal.find((t) => t.name === 'temporal-history-1')!;
    const before = history.current()!;
    process.kill(before.pid, 'SIGKILL');
    await waitUntil(() => history.current() !== undefined && history.current() !== before, 120_000, { what: 'history-1 restarted' });
    expect(history.restarts()).toBe(1);
    const delivery = await deliver({ httpUrl: cluster.httpUrl, mllpPort: cluster.mllpPort }, afterKill!, 'json', Date.now() + 120_000);
    expect(delivery.accepted).toBe(true);
    await planned(afterKill!.encounterId);
  });
});
