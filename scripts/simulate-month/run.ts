/**
 * One simulated hospital month through the real system (`npm run simulate:month`).
 *
 * The stack is the project's own (scripts/lib/stack.ts, as scripts/bench/stack.ts assembles it):
 * a throwaway embedded Postgres and Temporal dev server, migrations, the worker as a child
 * process (`worker/main.ts`), the API over real HTTP and the HL7 MLLP listener in-process, and the
 * provider simulators (scripts/simulators/providers.ts). Time is compressed by data only: every
 * duration the system reads (touchpoint offsets in the rule editor's seconds unit, retry
 * intervals, survey-link wait, SLA, escalation, rating wait) is the scenario's hours scaled to
 * `secondsPerDay`. The actors:
 *
 *   - the HIS sends each discharge as HL7 v2 ADT^A03 over MLLP, FHIR R4 Bundle or JSON;
 *   - patients read what the simulators deliver: open survey links and answer (the survey page's
 *     service), reply 退订 by SMS, ignore, have wrong numbers, rate resolved tickets;
 *   - agents sign in and work 今日任务 through `GET /api/tasks/today` and
 *     `POST /api/tasks/:id/contact` within working hours and a calls-per-hour capacity;
 *   - department staff resolve their tickets after a log-normal delay (the ticket service the
 *     department portal calls).
 *
 * At the end the figures are read from the system's own reports (`GET /api/reports/dashboard`,
 * after the report rollup ran) and compared with what the simulator did; the month's report is
 * exported as .xlsx and PDF through `GET /api/reports/dashboard/export.*`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { Hono } from 'hono';
import { startMllpListener } from '../../api/his/mllp-listener.js';
import { createApi } from '../../api/app.js';
import { loadEnv, type Env } from '../../config/env.js';
import { createSql } from '../../db/client.js';
import type { Principal } from '../../domain/access.js';
import { mulberry32 } from '../../domain/quota.js';
import type { ReportData } from '../../domain/reports/data.js';
import { hashPassword } from '../../services/auth.js';
import { isServiceError } from '../../services/errors.js';
import { createServices } from '../../services/index.js';
import { REPORT_ROLLUP_SCHEDULE_ID } from '../../worker/report-schedules.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';
import { hl7Discharge } from '../chaos/his.js';
import type { DemoDischarge } from '../demo-data.js';
import { freePort } from '../lib/free-port.js';
import { sendMllpFrame } from '../lib/mllp-client.js';
import { makeTempDir, runMigrations, startThrowawayServers, startWorker, Teardown } from '../lib/stack.js';
import { DEV_SIMULATOR_CREDENTIALS, startSimulators, type SimMessage } from '../simulators/providers.js';
import { realSeconds, type Scenario } from './scenario.js';

const PASSWORD = 'simulate-month-pw-1';
/** How long the system may take after the month to open every task that fell due (loaded machines). */
const CATCH_UP_MS = Number(process.env.SIM_CATCH_UP_SECONDS ?? 120) * 1000;
/** Connections the HIS interface engine keeps per channel. */
const HIS_CONNECTIONS = 6;
const TEMPLATE_QUESTIONS = [
  { id: 'satisfaction', text: '您对本次住院的总体满意度(1–5)', type: 'rating' },
  { id: 'pain', text: '疼痛程度(1–5)', type: 'rating', redFlag: { op: 'gte', value: 5 } },
  { id: 'wound', text: '伤口有无红肿渗液?', type: 'yes_no' },
  { id: 'comments', text: '其他意见', type: 'text' },
];

export interface Figure {
  name: string;
  value: number | null;
  target: number;
  /** Display: a share (0–1) or a plain number. */
  kind: 'share' | 'number';
}

export interface MonthResult {
  scenario: string;
  agents: number;
  discharges: number;
  figures: Figure[];
  /** Open due phone tasks at the end of each working day (the backlog the agents left). */
  backlogEndOfDay: number[];
  /** Hours per agent per day the backlog would have needed on top of the working hours. */
  overtimeHoursPerAgentDay: number;
  /** Differences between the simulator's own bookkeeping and the reports, and soak failures. */
  problems: string[];
  checks: string[];
  rssMiB: number[];
  files: string[];
  wallSeconds: number;
}

interface Patient {
  discharge: DemoDischarge;
  index: number;
  day: number;
  /** Real instant (ms) at which the HIS sends the discharge. */
  sendAt: number;
  via: 'hl7' | 'json' | 'fhir';
  ageBand: Scenario['ageBands'][number];
  wechat: boolean;
  wrongNumber: boolean;
  rng: () => number;
  optedOut: boolean;
  /** Refused the follow-up on the phone (its later touchpoints never fall due). */
  refused?: boolean;
  /** On the phone with an agent: answers the survey link only after the call. */
  busy?: boolean;
  /** Real instant (ms) the platform accepted the discharge. */
  acceptedAt?: number;
}

const lognormal = (rng: () => number, median: number, p90: number) => {
  const sigma = Math.log(p90 / median) / 1.2816;
  const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return median * Math.exp(sigma * z);
};
const pickWeighted = <T>(rng: () => number, items: readonly T[], weight: (t: T) => number): T => {
  let r = rng() * items.reduce((s, i) => s + weight(i), 0);
  for (const i of items) if ((r -= weight(i)) < 0) return i;
  return items[items.length - 1]!;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shanghaiMonth = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 7);
const digits = (s: string) => s.replace(/\D/g, '').slice(-11);

/** The hospital month's patients, the same for a seed whatever the staffing. */
export function generatePatients(s: Scenario, startMs: number): Patient[] {
  const rng = mulberry32(s.seed);
  const out: Patient[] = [];
  const dayMs = s.secondsPerDay * 1000;
  for (let day = 0; day < s.days; day++) {
    // Normal-ish daily count (sum of uniforms) around dischargesPerDay with the scenario's CV.
    const z = rng() + rng() + rng() + rng() - 2;
    const n = Math.max(0, Math.round(s.dischargesPerDay * (1 + s.dischargesCv * z * 1.73)));
    for (let i = 0; i < n; i++) {
      const index = out.length;
      const prng = mulberry32((s.seed * 7919 + index * 104_729) >>> 0);
      const dept = pickWeighted(prng, s.departments, (d) => d.share);
      const band = pickWeighted(prng, s.ageBands, (b) => b.share);
      const age = Math.round(band.from + prng() * (band.to - band.from));
      const sex = prng() < 0.5 ? 'F' : 'M';
      // Discharges between 10:00 and 16:00 of the simulated day.
      const sendAt = startMs + day * dayMs + (10 / 24 + (prng() * 6) / 24) * dayMs;
      const via = pickWeighted(prng, ['hl7', 'json', 'fhir'] as const, (v) => s.hisVia[v]);
      const wechat = prng() < s.wechatBound;
      const wrongNumber = prng() < s.wrongNumber;
      const year = 2026 - age;
      out.push({
        index,
        day,
        sendAt,
        via,
        ageBand: band,
        wechat,
        wrongNumber,
        rng: prng,
        optedOut: false,
        discharge: {
          encounterId: `SIM${s.seed}D${String(day).padStart(2, '0')}N${String(i).padStart(4, '0')}`,
          patient: {
            id: `SIMP${s.seed}-${index}`,
            name: `${'王李张刘陈杨赵黄周吴'[index % 10]}${'秀英明华建国桂兰志强'[Math.floor(index / 10) % 10]}${index}`,
            sex,
            birthDate: `${year}-0${1 + (index % 9)}-1${index % 9}`,
            phone: `139${String(10_000_000 + index).slice(-8)}`,
            address: '北京市朝阳区模拟路1号',
          },
          department: dept.code,
          diagnosis: { code: 'Z09.8', name: '出院后随访' },
          attendingDoctor: '李明',
          ward: `${dept.name}病区`,
          room: String(101 + (index % 20)),
          bed: String(1 + (index % 3)),
          dischargedAt: new Date(sendAt).toISOString(),
        },
      });
    }
  }
  return out;
}

/** A FHIR R4 transaction Bundle (Encounter + Patient) as a hospital's FHIR facade sends it. */
function fhirBundle(d: DemoDischarge, departmentName: string) {
  const patientUrl = `urn:uuid:${crypto.randomUUID()}`;
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: `urn:uuid:${crypto.randomUUID()}`,
        resource: {
          resourceType: 'Encounter',
          identifier: [{ value: d.encounterId }],
          status: 'finished',
          class: { code: 'IMP' },
          subject: { reference: patientUrl },
          serviceProvider: { display: departmentName },
          period: { start: d.dischargedAt, end: d.dischargedAt },
        },
        request: { method: 'POST', url: 'Encounter' },
      },
      {
        fullUrl: patientUrl,
        resource: {
          resourceType: 'Patient',
          identifier: [{ use: 'official', value: d.patient.id }],
          name: [{ text: d.patient.name }],
          gender: d.patient.sex === 'F' ? 'female' : 'male',
          birthDate: d.patient.birthDate,
          telecom: [{ system: 'phone', value: d.patient.phone }],
        },
        request: { method: 'POST', url: 'Patient' },
      },
    ],
  };
}

export async function runMonth(s: Scenario, o: { agents?: number; outDir?: string; log?: (m: string) => void; exportFiles?: boolean } = {}): Promise<MonthResult> {
  const log = o.log ?? ((m: string) => console.log(m));
  const agentCount = o.agents ?? s.agents.count;
  const wallStart = Date.now();
  const teardown = new Teardown((m) => console.error(`[simulate] ${m}`));
  const problems: string[] = [];
  const checks: string[] = [];
  const files: string[] = [];
  // Where the run's wall time goes (printed with the checks).
  const phases: string[] = [];
  let phaseStarted = wallStart;
  const phase = (name: string) => {
    phases.push(`${name} ${((Date.now() - phaseStarted) / 1000).toFixed(0)} s`);
    phaseStarted = Date.now();
  };
  try {
    const tmpDir = makeTempDir('suifang-month-');
    teardown.add('temp folder', () => rmSync(tmpDir, { recursive: true, force: true }));
    const { postgres, temporal: temporalServer } = await startThrowawayServers({ dir: tmpDir, database: 'suifang_month', namespace: 'default', log: () => {}, teardown });
    await runMigrations(postgres.url);
    const apiPort = await freePort();
    const publicBaseUrl = `http://127.0.0.1:${apiPort}`;
    let closed = false; // after the run the API is gone: late provider callbacks are dropped quietly
    const sims = await startSimulators({
      ...DEV_SIMULATOR_CREDENTIALS,
      publicBaseUrl,
      reportDelayMs: 20,
      deliver: (url, init) => (closed ? Promise.resolve(new Response(null, { status: 503 })) : fetch(url, init)),
    });
    teardown.add('simulators', () => sims.close());
    const taskQueue = `month-${randomBytes(3).toString('hex')}`;
    // Quiet hours and caps are counted on the compressed day: it starts at this instant (simulated day 0 is one of its midnights).
    const clockOrigin = Date.now();
    const settings: Record<string, string> = {
      ...sims.env,
      NODE_ENV: 'test',
      PUBLIC_BASE_URL: publicBaseUrl,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: taskQueue,
      // A phone task nobody worked escalates after the scenario's hours (scaled).
      FOLLOW_UP_ESCALATE_AFTER_SECONDS: String(realSeconds(s, s.plan.escalateAfterHours)),
      CONTACT_DAY_SECONDS: String(s.secondsPerDay),
      CONTACT_CLOCK_ORIGIN: new Date(clockOrigin).toISOString(),
      // The run triggers the rollup itself before reading the reports.
      REPORT_ROLLUP_SECONDS: '3600',
      SURVEY_RATE_LIMIT: '100000',
      SIGNIN_RATE_LIMIT: '100000',
    };
    const worker = startWorker({
      script: 'worker/main.ts',
      // e.g. SIM_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where the worker spends the month.
      nodeArgs: process.env.SIM_WORKER_NODE_ARGS?.split(' ').filter(Boolean),
      env: { ...process.env, ...settings, DATABASE_URL: postgres.url },
      onUnexpectedExit: (info) => problems.push(`worker exited unexpectedly (${info})`),
      teardown,
    });
    const env: Env = { ...loadEnv(settings), DATABASE_URL: postgres.url };
    const sql = createSql(postgres.url);
    const probe = createSql(postgres.url, { max: 2 });
    teardown.add('sql pools', async () => {
      await sql.end({ timeout: 5 });
      await probe.end({ timeout: 5 });
    });
    const connection = await Connection.connect({ address: temporalServer.address });
    teardown.add('temporal client', () => connection.close());
    const temporal = new Client({ connection, namespace: 'default', dataConverter: payloadDataConverter(env) });
    const services = createServices({ sql, temporal, env });
    const app = new Hono();
    app.route('/api', createApi(services));
    const server = await new Promise<ServerType>((resolve) => {
      const srv = serve({ fetch: app.fetch, port: apiPort, hostname: '127.0.0.1' }, () => resolve(srv));
    });
    teardown.add('http server', () => {
      closed = true;
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const mllp = await startMllpListener({ port: 0, host: '127.0.0.1', services, logger: { info() {}, warn() {}, error: console.error } });
    teardown.add('mllp listener', () => mllp.close());
    const api = `${publicBaseUrl}/api`;
    await worker.ready;

    // --- the hospital: departments, staff, rules, routing, contact rules --------------------------
    const hash = await hashPassword(PASSWORD);
    for (const d of s.departments) {
      await probe`INSERT INTO departments (code, name, kind) VALUES (${d.code}, ${d.name}, 'clinical') ON CONFLICT (code) DO NOTHING`;
      await probe`INSERT INTO users (username, display_name, role, department_code, password_hash)
                  VALUES (${`staff_${d.code.toLowerCase()}`}, ${d.name + '处理人'}, 'dept_staff', ${d.code}, ${hash})`;
      await probe`INSERT INTO question_templates (code, version, department_code, name, questions)
                  VALUES (${`month-${d.code.toLowerCase()}`}, 1, ${d.code}, ${d.name + '出院随访'}, ${probe.json(TEMPLATE_QUESTIONS as never)})`;
      const touchpoints = s.plan.touchpoints.map((t) => ({
        offsetSeconds: realSeconds(s, t.day * 24),
        channel: t.channel,
        maxAttempts: t.maxAttempts,
        retryAfterSeconds: realSeconds(s, t.retryHours),
        templateCode: `month-${d.code.toLowerCase()}`,
      }));
      await probe`INSERT INTO follow_up_rules (department_code, name, greeting_text, touchpoints)
                  VALUES (${d.code}, '出院随访(模拟月)', '祝您早日康复', ${probe.json(touchpoints as never)})`;
    }
    // Agents: person h covers the departments assigned to them (one account per department,
    // since a user belongs to one department); with more people than departments, several share one.
    const D = s.departments.length;
    const people: { name: string; accounts: string[] }[] = [];
    for (let h = 0; h < agentCount; h++) {
      const accounts: string[] = [];
      s.departments.forEach((d, i) => {
        if (agentCount >= D ? h % D === i : i % agentCount === h) accounts.push(`agent${h}_${d.code.toLowerCase()}`);
      });
      for (const username of accounts) {
        const dept = username.split('_')[1]!.toUpperCase();
        await probe`INSERT INTO users (username, display_name, role, department_code, password_hash)
                    VALUES (${username}, ${`客服${h + 1}`}, 'agent', ${dept}, ${hash})`;
      }
      people.push({ name: `客服${h + 1}`, accounts });
    }
    await probe`INSERT INTO users (username, display_name, role, department_code, password_hash) VALUES ('month_manager', '院办', 'manager', NULL, ${hash})`;
    await probe`UPDATE feedback_routes SET sla_seconds = ${realSeconds(s, category_sla(s, false))}, escalate_seconds = ${realSeconds(s, 2 * s.slaHours)},
                rating_wait_seconds = ${realSeconds(s, s.ratingWaitHours)} WHERE category <> 'red_flag'`;
    await probe`UPDATE feedback_routes SET sla_seconds = ${realSeconds(s, category_sla(s, true))}, escalate_seconds = ${realSeconds(s, 2 * s.redFlagSlaHours)},
                rating_wait_seconds = ${realSeconds(s, s.ratingWaitHours)} WHERE category = 'red_flag'`;
    // The hospital's quiet hours and caps stay (counted on the compressed day, CONTACT_DAY_SECONDS); only durations scale.
    await probe`UPDATE contact_rules SET link_unanswered_seconds = ${realSeconds(s, s.plan.linkUnansweredHours)}, delivery_wait_seconds = ${realSeconds(s, 1)},
                survey_link_ttl_seconds = ${realSeconds(s, 24 * 7)}`;

    const login = async (username: string) => {
      const res = await fetch(`${api}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
      if (res.status !== 200) throw new Error(`login ${username}: HTTP ${res.status} ${await res.text()}`);
      return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    };
    const managerCookie = await login('month_manager');
    const agentCookies = new Map<string, string>();
    for (const p of people) for (const a of p.accounts) agentCookies.set(a, await login(a));
    const staff = new Map<string, Principal>();
    for (const d of s.departments) {
      const { user } = await services.auth.login({ username: `staff_${d.code.toLowerCase()}`, password: PASSWORD }, {});
      staff.set(d.code, user);
    }

    // --- the month -------------------------------------------------------------------------------
    const dayMs = s.secondsPerDay * 1000;
    phase('stack and hospital set up');
    const startMs = clockOrigin + Math.ceil((Date.now() + 2000 - clockOrigin) / dayMs) * dayMs;
    const endMs = startMs + (s.days + s.tailDays) * dayMs;
    const simHour = (ms: number) => (((ms - startMs) / dayMs) * 24) % 24;
    const patients = generatePatients(s, startMs);
    const byPhone = new Map(patients.map((p) => [digits(p.discharge.patient.phone), p]));
    const byOpenid = new Map(patients.filter((p) => p.wechat).map((p) => [`o_sim_${p.index}`, p]));
    const deptName = new Map(s.departments.map((d) => [d.code, d.name]));
    log(`[simulate] ${s.name}: ${patients.length} discharges over ${s.days} days, ${agentCount} agents, 1 day = ${s.secondsPerDay} s (stack up in ${((Date.now() - wallStart) / 1000).toFixed(0)} s)`);

    const tally = {
      accepted: 0,
      rejected: 0,
      surveyCompleted: 0,
      callCompleted: 0,
      refused: 0,
      wrongNumber: 0,
      noAnswer: 0,
      satisfactionAnswers: 0,
      satisfactionPositive: 0,
      complaints: 0,
      redFlags: 0,
      resolved: new Set<string>(),
      ratings: 0,
      optOuts: 0,
      serverErrors: 0,
      hisRetries: 0,
      notSent: 0,
    };
    const complaintTasks: string[] = [];
    const inFlight = new Set<Promise<unknown>>();
    const track = (p: Promise<unknown>) => {
      const q = p.catch((err: unknown) => problems.push(`action failed: ${err instanceof Error ? err.message : String(err)}`)).finally(() => inFlight.delete(q));
      inFlight.add(q);
    };
    let stopping = false;
    // Actions planned past the month's end are dropped when it ends, not waited for.
    const wakeAtStop = new Set<() => void>();
    const sleepUnlessStopped = (ms: number) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          wakeAtStop.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        wakeAtStop.add(wake);
      });
    const at = (ms: number, fn: () => Promise<unknown>) => {
      track(sleepUnlessStopped(Math.max(0, ms - Date.now())).then(() => (stopping ? undefined : fn())));
    };

    // Answers of a completed follow-up (the same questions by phone or by link).
    const answersFor = (p: Patient) => {
      const satisfied = p.rng() < s.satisfiedShare;
      const redFlag = p.rng() < s.redFlagRate;
      return { satisfaction: satisfied ? 4 + Math.floor(p.rng() * 2) : 1 + Math.floor(p.rng() * 3), pain: redFlag ? 5 : 1 + Math.floor(p.rng() * 3), wound: false, satisfied, redFlag };
    };

    // HIS: an interface engine per channel (HL7/MLLP, JSON, FHIR) sends the discharges in order,
    // a few connections at a time, each at its time and resent until the platform accepts it.
    const sendOnce = async (p: Patient, attempt: number): Promise<boolean> => {
      const d = p.discharge;
      if (p.via === 'hl7') {
        const ack = await sendMllpFrame(mllp.port, hl7Discharge(d, `M${p.index}A${attempt}`), { timeoutMs: 60_000 }).catch(() => '');
        return /MSA\|AA/.test(ack);
      }
      const res =
        p.via === 'json'
          ? await fetch(`${api}/his/discharges`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(d) }).catch(() => null)
          : await fetch(`${api}/his/fhir`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(fhirBundle(d, deptName.get(d.department)!)) }).catch(() => null);
      await res?.text();
      return res?.status === 202;
    };
    const hisLanes = (['hl7', 'json', 'fhir'] as const).flatMap((via) => {
      const queue = patients.filter((p) => p.via === via);
      let next = 0;
      return Array.from({ length: HIS_CONNECTIONS }, async () => {
        while (!stopping && next < queue.length) {
          const p = queue[next++]!;
          await sleep(Math.max(0, p.sendAt - Date.now()));
          // The discharge time is when the HIS sends it (it may run late on a loaded machine).
          p.discharge.dischargedAt = new Date().toISOString();
          for (let attempt = 1; !stopping; attempt++) {
            if (await sendOnce(p, attempt)) {
              tally.accepted++;
              p.acceptedAt = Date.now();
              // Bound at the bedside (the QR scan): the system sends this patient WeChat messages.
              if (p.wechat) await probe`UPDATE patients SET wechat_openid = ${`o_sim_${p.index}`}, wechat_bound_at = now() WHERE his_patient_id = ${p.discharge.patient.id}`;
              break;
            }
            tally.hisRetries++;
            await sleep(Math.min(5000, 500 * attempt));
          }
        }
        for (const p of queue.slice(next)) if (!p.acceptedAt) tally.notSent++;
      });
    });

    // Patients: read what reaches their phones.
    let cursor = 0;
    const patientLoop = (async () => {
      while (!stopping) {
        const batch: SimMessage[] = sims.messages.slice(cursor);
        cursor += batch.length;
        for (const m of batch) {
          if (m.direction !== 'outbound') continue;
          const p = m.provider === 'wechat' ? byOpenid.get(m.address) : byPhone.get(digits(m.address));
          if (!p || p.optedOut) continue;
          if (m.provider !== 'wechat' && !p.wrongNumber && p.rng() < s.optOutBySms) {
            p.optedOut = true;
            const address = m.address;
            at(Date.now() + realSeconds(s, 1) * 1000, async () => {
              const res = await sims.replySms(address, 'TD');
              if (res.status < 300) tally.optOuts++;
            });
            continue;
          }
          if (!m.link || p.wrongNumber) continue;
          const token = m.link.split('/s/')[1]!;
          const openP = m.provider === 'wechat' ? s.wechatOpen : p.ageBand.linkOpen;
          const answerP = m.provider === 'wechat' ? s.wechatAnswerOnceOpen : p.ageBand.answerOnceOpen;
          const delay = lognormal(p.rng, 3, 20) * (dayMs / 24);
          const opens = p.rng() < openP;
          const answers = p.rng() < answerP;
          const a = answersFor(p);
          const rateP = p.rng();
          const answerLink = async (): Promise<void> => {
            if (p.busy) return at(Date.now() + dayMs / 24, answerLink); // on the phone: opens it an hour later
            const page = await services.surveys.view(token);
            if (page.state === 'survey') {
              if (!opens || !answers) return;
              await services.surveys.submit(token, { 'answers.satisfaction': String(a.satisfaction), 'answers.pain': String(a.pain), 'answers.wound': 'false', 'answers.comments': '' });
              tally.surveyCompleted++;
              tally.satisfactionAnswers++;
              if (a.satisfaction >= 4) tally.satisfactionPositive++;
              if (a.pain >= 5) tally.redFlags++;
            } else if (page.state === 'rating') {
              if (rateP >= s.ratingAnswer) return;
              const rating = p.rng() < s.ratingSatisfied ? 5 : 2;
              await services.surveys.submit(token, { rating: String(rating), comment: rating < 3 ? '问题没有解决' : '' });
              tally.ratings++;
              if (rating < 3) {
                const [t] = await probe<{ id: string }[]>`SELECT id FROM tickets WHERE number = ${page.ticketNumber}`;
                if (t) tally.resolved.delete(t.id);
              }
            }
          };
          at(Date.now() + delay, answerLink);
        }
        await sleep(100);
      }
    })();

    // Agents: within working hours, as many calls as the capacity allows, from 今日任务.
    const backlogEndOfDay: number[] = [];
    const inCall = new Set<string>(); // tasks whose call's answer has not come back yet
    const agentLoops = people.map(async (person, h) => {
      let budget = 0;
      let last = Date.now();
      while (!stopping) {
        const now = Date.now();
        const hour = simHour(now);
        const working = now >= startMs && now < endMs && hour >= s.agents.hours[0] && hour < s.agents.hours[1];
        if (working) budget = Math.min(budget + ((now - last) / dayMs) * 24 * s.agents.callsPerHour, s.agents.callsPerHour);
        else budget = 0;
        last = now;
        if (budget >= 1) {
          for (const account of person.accounts) {
            const res = await fetch(`${api}/tasks/today?channel=phone`, { headers: { cookie: agentCookies.get(account)! } });
            if (res.status !== 200) {
              problems.push(`GET /api/tasks/today (${account}): HTTP ${res.status}`);
              continue;
            }
            const { items } = (await res.json()) as { items: { id: string; channel: string; dueAt: string; attempts: number }[] };
            if (stopping) break;
            // A real call takes minutes of the agent's hour; on the compressed clock the calls of
            // the budget go out without waiting for each other, so the system's answer time does
            // not cap the agent's speed (a loaded system shows as slow answers, not fewer calls).
            const due = items.filter((t) => Date.parse(t.dueAt) <= Date.now() && !inCall.has(t.id)).slice(0, Math.floor(budget));
            budget -= due.length;
            for (const task of due) {
              inCall.add(task.id);
              track(call(account, task.id, task.attempts).finally(() => inCall.delete(task.id)));
            }
          }
        }
        await sleep(150 + h * 7);
      }
    });
    const patientOfTask = async (taskId: string) => {
      const [row] = await probe<{ his_patient_id: string }[]>`SELECT p.his_patient_id FROM follow_up_tasks t JOIN patients p ON p.id = t.patient_id WHERE t.id = ${taskId}`;
      return patients.find((p) => p.discharge.patient.id === row?.his_patient_id);
    };
    async function call(account: string, taskId: string, attemptsBefore: number): Promise<void> {
      const p = await patientOfTask(taskId);
      if (!p) return;
      let body: Record<string, unknown>;
      let kind: 'completed' | 'refused' | 'wrong' | 'none';
      let a: ReturnType<typeof answersFor> | undefined;
      let complaint = false;
      if (p.wrongNumber) {
        body = { outcome: 'wrong_number', note: '空号/非本人' };
        kind = 'wrong';
      } else if (p.rng() >= s.phoneAnswer) {
        body = { outcome: 'no_answer' };
        kind = 'none';
      } else if (p.rng() < s.refuseWhenReached) {
        body = { outcome: 'refused', note: '患者不愿接受随访' };
        kind = 'refused';
      } else {
        a = answersFor(p);
        complaint = p.rng() < s.complaintRate;
        body = {
          outcome: 'completed',
          answers: { satisfaction: a.satisfaction, pain: a.pain, wound: a.wound },
          ...(complaint ? { feedback: { category: pickWeighted(p.rng, ['service_attitude', 'process', 'environment', 'medical_quality'] as const, () => 1), description: '患者反映出院手续办理等候时间过长' } } : {}),
        };
        kind = 'completed';
      }
      const headers = { 'content-type': 'application/json', cookie: agentCookies.get(account)! };
      p.busy = true;
      const res = await fetch(`${api}/tasks/${taskId}/contact`, { method: 'POST', headers, body: JSON.stringify(body) })
        .catch(async (err: unknown) => {
          // The answer was lost on the way (a reset connection): the agent opens the task again to see whether the call was saved.
          const task = await fetch(`${api}/tasks/${taskId}`, { headers });
          const saved = task.status === 200 && ((await task.json()) as { attempts: number }).attempts > attemptsBefore;
          if (!saved) throw err;
          return new Response('{}', { status: 200 });
        })
        .finally(() => (p.busy = false));
      const text = await res.text();
      if (res.status === 409) return; // the patient answered the link meanwhile, or the task closed
      if (res.status >= 500) {
        // The portal shows 服务器内部错误; the agent tries the task again later (it stays in the list).
        tally.serverErrors++;
        return;
      }
      if (res.status !== 200) {
        problems.push(`POST /api/tasks/:id/contact: HTTP ${res.status} ${text.slice(0, 200)}`);
        return;
      }
      if (kind === 'completed') {
        tally.callCompleted++;
        tally.satisfactionAnswers++;
        if (a!.satisfaction >= 4) tally.satisfactionPositive++;
        if (a!.pain >= 5) tally.redFlags++;
        if (complaint) {
          tally.complaints++;
          complaintTasks.push(taskId);
        }
      } else if (kind === 'refused') {
        tally.refused++;
        p.refused = true; // a refusal ends the follow-up: its later touchpoints are cancelled
      }
      else if (kind === 'wrong') tally.wrongNumber++;
      else tally.noAnswer++;
    }

    // Departments: resolve their open tickets after a realistic delay.
    const scheduled = new Set<string>();
    const rrng = mulberry32(s.seed ^ 0x5eed);
    const departmentLoop = (async () => {
      while (!stopping) {
        for (const d of s.departments) {
          const user = staff.get(d.code)!;
          for (const status of ['open', 'in_progress'] as const) {
            const items = await services.tickets.list(user, { status, departmentCode: d.code, limit: 500 });
            for (const t of items) {
              // One pending resolution per ticket; a ticket reopened by a low rating is taken up again.
              const key = t.id;
              if (scheduled.has(key)) continue;
              scheduled.add(key);
              const redFlag = t.category === 'red_flag';
              const scale = redFlag ? s.redFlagSlaHours / s.slaHours : 1;
              const hours = lognormal(rrng, s.resolution.medianHours * scale, s.resolution.p90Hours * scale);
              at(Date.now() + hours * (dayMs / 24), async () => {
                if (t.status === 'open') await services.tickets.act(user, t.id, 'accept', {}, {}).catch(() => undefined);
                try {
                  await services.tickets.act(user, t.id, 'resolve', { resolution: '已与患者沟通并处理完毕' }, {});
                  tally.resolved.add(t.id);
                } catch (err) {
                  // Refused (409: resolved or transferred meanwhile) is the department's answer, not a failure.
                  if (!(isServiceError(err) && err.status === 409)) throw err;
                } finally {
                  scheduled.delete(key);
                }
              });
            }
          }
        }
        await sleep(300);
      }
    })();

    // Clock: worker memory and the backlog at the end of every working day.
    const rssMiB: number[] = [];
    const readRss = () => {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${worker.pid}/status`, 'utf8'));
      return m ? Math.round(Number(m[1]) / 1024) : 0;
    };
    for (let day = 0; day < s.days + s.tailDays; day++) {
      const endOfWork = startMs + day * dayMs + (s.agents.hours[1] / 24) * dayMs;
      await sleep(Math.max(0, endOfWork - Date.now()));
      const [b] = await probe<{ n: number }[]>`SELECT count(*)::int AS n FROM follow_up_tasks WHERE status = 'open' AND channel = 'phone' AND due_at <= now()`;
      backlogEndOfDay.push(b!.n);
      try {
        rssMiB.push(readRss());
      } catch {
        /* the worker is gone: reported by its exit */
      }
      if (day % 5 === 4 || day === s.days + s.tailDays - 1 || process.env.SIM_DEBUG) {
        const byStatus = await probe<{ k: string; n: number }[]>`SELECT status || '/' || channel AS k, count(*)::int AS n FROM follow_up_tasks GROUP BY 1 ORDER BY 1`;
        log(`[simulate]   tasks: ${byStatus.map((r) => `${r.k} ${r.n}`).join(', ')}; calls ${tally.callCompleted + tally.noAnswer + tally.refused + tally.wrongNumber}`);
        log(`[simulate] day ${day + 1}: accepted ${tally.accepted}, completed ${tally.surveyCompleted} by link + ${tally.callCompleted} by phone, backlog ${b!.n}, worker RSS ${rssMiB.at(-1)} MiB`);
      }
    }
    await sleep(Math.max(0, endMs - Date.now()));
    phase('the month');
    stopping = true;
    for (const wake of [...wakeAtStop]) wake();
    await Promise.all([patientLoop, departmentLoop, ...agentLoops, ...hisLanes]);
    await Promise.all([...inFlight]);
    // A survey answer reaches its workflow as a signal: the task is recorded completed a moment
    // after the patient's page answered. Wait for those before the figures are read.
    const settleStarted = Date.now();
    for (;;) {
      const [done] = await probe<{ n: number }[]>`SELECT count(*)::int AS n FROM follow_up_tasks WHERE status = 'completed'`;
      if (done!.n >= tally.surveyCompleted + tally.callCompleted || Date.now() - settleStarted > CATCH_UP_MS) break;
      await sleep(500);
    }

    phase('answers in flight recorded');
    // --- the system's own figures ------------------------------------------------------------------
    const triggered = new Date();
    await temporal.schedule.getHandle(REPORT_ROLLUP_SCHEDULE_ID).trigger();
    for (let i = 0; i < 600; i++) {
      const [st] = await probe<{ refreshed_at: Date | null }[]>`SELECT refreshed_at FROM report_rollup_state`;
      if (st?.refreshed_at && st.refreshed_at.getTime() >= triggered.getTime() - 1000) break;
      await sleep(500);
    }
    phase('report rollup');
    const period = `from=${shanghaiMonth(startMs)}&to=${shanghaiMonth(Date.now())}`;
    const reportRes = await fetch(`${api}/reports/dashboard?${period}`, { headers: { cookie: managerCookie } });
    if (reportRes.status !== 200) throw new Error(`GET /api/reports/dashboard: HTTP ${reportRes.status}`);
    const report = (await reportRes.json()) as ReportData;
    const fu = report.followUps.total;
    const tk = report.tickets!.total;
    const sat = report.satisfaction.find((x) => x.departmentCode === null)?.total ?? { share: null, n: 0 };
    const agentDays = agentCount * s.days;
    const figures: Figure[] = [
      { name: 'coverage', value: fu.coverage, target: s.targets.coverage, kind: 'share' },
      { name: 'completeness', value: fu.completeness, target: s.targets.completeness, kind: 'share' },
      { name: 'processing', value: tk.processingRate, target: s.targets.processing, kind: 'share' },
      { name: 'timeliness', value: tk.timelinessRate, target: s.targets.timeliness, kind: 'share' },
      { name: 'satisfaction', value: sat.share, target: s.targets.satisfaction, kind: 'share' },
      { name: 'follow_ups_per_agent_day', value: fu.completed / agentDays, target: s.targets.followUpsPerAgentDay, kind: 'number' },
      { name: 'calls_per_agent_day', value: report.agents.reduce((n, a) => n + a.calls, 0) / agentDays, target: s.targets.followUpsPerAgentDay, kind: 'number' },
      { name: 'mean_time_to_resolve_hours', value: tk.meanResolveHours === null ? null : (tk.meanResolveHours * 86_400) / s.secondsPerDay, target: s.targets.meanResolveHours, kind: 'number' },
    ];

    // --- the simulator's bookkeeping against the reports ------------------------------------------
    const expect = (what: string, simulator: number, reported: number) => {
      const line = `${what}: simulator ${simulator}, report ${reported}`;
      if (simulator !== reported) problems.push(`MISMATCH ${line}`);
      else checks.push(`ok ${line}`);
    };
    expect('follow-ups completed', tally.surveyCompleted + tally.callCompleted, fu.completed);
    expect('patients reached (completed + refused)', tally.surveyCompleted + tally.callCompleted + tally.refused, fu.reached);
    expect('satisfaction answers', tally.satisfactionAnswers, sat.n);
    expect('tickets received (complaints + red flags)', tally.complaints + tally.redFlags, tk.received);
    expect('tickets resolved', tally.resolved.size, tk.resolved);
    expect('calls recorded by agents', tally.callCompleted + tally.refused + tally.wrongNumber + tally.noAnswer, report.agents.reduce((n, a) => n + a.calls, 0));

    // --- soak: nothing lost or duplicated ---------------------------------------------------------
    const [enc] = await probe<{ n: number; wf: number; dup: number }[]>`
      SELECT count(*)::int AS n, count(workflow_id)::int AS wf, (count(*) - count(DISTINCT his_encounter_id))::int AS dup FROM encounters`;
    expect('discharges the HIS sent that the platform accepted by the end of the month', patients.length, tally.accepted);
    if (tally.hisRetries) checks.push(`note: the HIS resent ${tally.hisRetries} times (timeouts or retryable errors) before discharges were accepted`);
    // Stored first: a discharge whose answer timed out when the month ended is stored without the HIS knowing.
    if (enc!.n < tally.accepted) problems.push(`MISMATCH discharges accepted ${tally.accepted}, encounters stored only ${enc!.n}`);
    else checks.push(`ok discharges stored: ${enc!.n} encounters for ${tally.accepted} accepted (${enc!.n - tally.accepted} stored while their answer timed out)`);
    expect('duplicate encounters', 0, enc!.dup);
    const followUps = await temporal.workflow.count(`WorkflowType = 'followUpWorkflow'`);
    expect('follow-up workflows (one per stored discharge)', enc!.wf, followUps.count);
    const failed = await temporal.workflow.count(`ExecutionStatus = 'Failed' OR ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut'`);
    expect('failed workflows', 0, failed.count);
    // Every touchpoint due by the end of the month has its task, unless the patient opted out. A
    // loaded machine fires timers late: the system gets a while to catch up, and the lag is shown.
    const cutoff = endMs;
    const dueExpected = patients
      .filter((p) => !p.optedOut && !p.refused && p.acceptedAt)
      .reduce((n, p) => n + s.plan.touchpoints.filter((t) => Date.parse(p.discharge.dischargedAt) + realSeconds(s, t.day * 24) * 1000 < cutoff).length, 0);
    const dueTasks = async () =>
      (await probe<{ n: number }[]>`
        SELECT count(*)::int AS n FROM follow_up_tasks t JOIN patients p ON p.id = t.patient_id
        WHERE p.opted_out_at IS NULL`)[0]!.n; // a row exists only once due; 未接通 moves its due_at later
    let found = await dueTasks();
    const catchUpStarted = Date.now();
    while (found < dueExpected && Date.now() - catchUpStarted < CATCH_UP_MS) {
      await sleep(1000);
      found = await dueTasks();
    }
    const lag = ((Date.now() - catchUpStarted) / 1000).toFixed(0);
    if (found < dueExpected) problems.push(`MISMATCH due touchpoints with a task: expected ${dueExpected}, found ${found} (after waiting ${lag} s)`);
    else checks.push(`ok due touchpoints with a task: ${found} (expected ${dueExpected}; the system caught up ${lag} s after the month ended)`);
    if (tally.serverErrors) checks.push(`note: agents saw 服务器内部错误 ${tally.serverErrors} times and retried those tasks later`);
    const [stale] = await probe<{ n: number }[]>`
      SELECT count(*)::int AS n FROM follow_up_tasks WHERE status = 'open' AND channel <> 'phone'
        AND due_at < now() - ${`${realSeconds(s, s.plan.linkUnansweredHours + 24 * 4)} seconds`}::interval`;
    expect('survey tasks left without an outcome long past their retries', 0, stale!.n);
    const [orphans] = await probe<{ n: number }[]>`
      SELECT count(*)::int AS n FROM unnest(${complaintTasks}::uuid[]) t(id) WHERE NOT EXISTS (SELECT 1 FROM tickets k WHERE k.source_task_id = t.id)`;
    expect('complaints without a ticket', 0, orphans!.n);
    if (rssMiB.length >= 9) {
      const third = Math.floor(rssMiB.length / 3);
      const mid = rssMiB.slice(third, 2 * third).reduce((a, b) => a + b, 0) / third;
      const end = rssMiB.slice(-third).reduce((a, b) => a + b, 0) / third;
      const line = `worker RSS ${Math.round(mid)} MiB (middle third) → ${Math.round(end)} MiB (last third)`;
      if (end > mid * 1.3 + 20) problems.push(`MEMORY ${line}`);
      else checks.push(`ok ${line}`);
    } else checks.push(`worker RSS per day: ${rssMiB.join(', ')} MiB (too few days to judge the trend)`);

    phase('reports read and soak checks');
    // --- the month's management report through the normal export ---------------------------------
    if (o.exportFiles !== false && o.outDir) {
      mkdirSync(o.outDir, { recursive: true });
      for (const format of ['xlsx', 'pdf'] as const) {
        const res = await fetch(`${api}/reports/dashboard/export.${format}?${period}`, { headers: { cookie: managerCookie } });
        if (res.status !== 200) {
          problems.push(`export ${format}: HTTP ${res.status}`);
          continue;
        }
        const file = join(o.outDir, `month-report-${s.seed}-${agentCount}agents.${format}`);
        writeFileSync(file, Buffer.from(await res.arrayBuffer()));
        files.push(file);
      }
    }

    if (files.length) phase('export');
    checks.push(`time: ${phases.join(', ')}`);
    const overtime = backlogEndOfDay.slice(0, s.days).reduce((n, b) => n + b / (s.agents.callsPerHour * agentCount), 0) / Math.max(1, Math.min(s.days, backlogEndOfDay.length));
    return {
      scenario: s.name,
      agents: agentCount,
      discharges: tally.accepted,
      figures,
      backlogEndOfDay,
      overtimeHoursPerAgentDay: overtime,
      problems,
      checks,
      rssMiB,
      files,
      wallSeconds: (Date.now() - wallStart) / 1000,
    };
  } finally {
    await teardown.run();
  }
}

function category_sla(s: Scenario, redFlag: boolean): number {
  return redFlag ? s.redFlagSlaHours : s.slaHours;
}

/** `<figure>=<value>  (target …)` lines. */
export function figureLines(r: MonthResult): string[] {
  return r.figures.map((f) => {
    const v = f.value === null ? 'null' : f.kind === 'share' ? f.value.toFixed(4) : f.value.toFixed(2);
    const t = f.kind === 'share' ? f.target.toFixed(2) : String(f.target);
    return `${f.name}=${v}  (target ${f.name === 'mean_time_to_resolve_hours' ? '≤ ' : '≥ '}${t})`;
  });
}
