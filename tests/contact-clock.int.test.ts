/**
 * The contact clock (CONTACT_DAY_SECONDS, CONTACT_CLOCK_ORIGIN) on the real worker: with a
 * compressed day the quiet hours are read on that clock, and the outbox waits until their end as
 * a real instant (npm run simulate:month keeps the hospital's rules on this way).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactClockOf } from '../config/env.js';
import { toContactTime } from '../domain/contact-rules.js';
import { dischargeWithSurvey, setContactRules, startChannelStack } from './support/channels.js';
import { waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, type TestOrg } from './support/org.js';
import type { TestStack } from './support/stack.js';
import type { Simulators } from '../scripts/simulators/providers.js';

/** One contact day is 40 real minutes: a local minute is 1⅔ real seconds. */
const DAY_SECONDS = 2400;
const STRETCH = 86_400 / DAY_SECONDS;

let stack: TestStack;
let sims: Simulators;
let org: TestOrg;
let originMs: number;

beforeAll(async () => {
  // The origin is 11:00 ago on the contact clock: its local time is late morning while the test runs,
  // whatever the real time of day (the discharge a minute ago is then daytime on it too).
  originMs = Date.now() - (11 * 3600 * 1000) / STRETCH;
  const env = { CONTACT_DAY_SECONDS: DAY_SECONDS, CONTACT_CLOCK_ORIGIN: new Date(originMs).toISOString() };
  ({ stack, sims } = await startChannelStack({ env }));
  org = await createTestOrg(stack.sql);
});
afterAll(() => stack?.stop());

const hhmmss = (local: Date) => new Date(local.getTime() + 8 * 3_600_000).toISOString().slice(11, 19);

describe('contact clock with a compressed day', () => {
  it('holds messages through quiet hours counted on the compressed day and sends them when those end', async () => {
    const clock = contactClockOf({ CONTACT_DAY_SECONDS: DAY_SECONDS, CONTACT_CLOCK_ORIGIN: new Date(originMs).toISOString() });
    const localNow = toContactTime(clock, new Date());
    // Quiet from 2 local minutes ago to 6 local minutes from now: 10 real seconds.
    await setContactRules(stack.sql, org.deptA, {
      quietStart: hhmmss(new Date(localNow.getTime() - 2 * 60_000)),
      quietEnd: hhmmss(new Date(localNow.getTime() + 6 * 60_000)),
    });
    const quietEnds = Date.now() + (6 * 60_000) / STRETCH;
    const { phone } = await dischargeWithSurvey(stack, org.deptA, { afterSeconds: 1 });
    const received = () => sims.messages.filter((m) => m.address === phone && m.direction === 'outbound');
    const greeting = await waitFor(async () => received().find((m) => m.body.includes('伤口保持干燥')), 60_000, 'greeting after the quiet hours');
    const survey = await waitFor(async () => received().find((m) => m.link), 60_000, 'survey after the quiet hours');
    // Nothing went out in the compressed night; both went out once it ended, seconds later (not at a real 08:00).
    expect(Date.parse(greeting.at)).toBeGreaterThanOrEqual(quietEnds - 1000);
    expect(Date.parse(survey.at)).toBeGreaterThanOrEqual(quietEnds - 1000);
    expect(Date.parse(survey.at)).toBeLessThan(quietEnds + 40_000);
  });
});
