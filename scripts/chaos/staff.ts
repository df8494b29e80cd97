/**
 * The chaos run's hospital staff, over HTTP through the load balancer like a browser: an agent
 * records each due call (the JSON API), an admin resolves each ticket (the portal's form post).
 * Each action is retried until the platform confirms it; a 409 after a failed try means an
 * earlier try went through (the task or ticket has moved on), which the final count checks.
 */
import { sleep } from '../lib/wait.js';

export interface StaffAction {
  /** Confirmed by the platform (directly, or as a 409 after a try whose answer was lost). */
  done: boolean;
  attempts: number;
  /** The confirmation was a 409 after an earlier try failed. */
  viaConflict: boolean;
}

export class StaffSession {
  private cookie = '';

  constructor(
    private readonly httpUrl: string,
    private readonly username: string,
    private readonly password: string,
  ) {}

  private async login(): Promise<void> {
    const res = await fetch(`${this.httpUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: this.username, password: this.password }),
      signal: AbortSignal.timeout(30_000),
    });
    await res.text();
    const cookie = res.headers.get('set-cookie');
    if (res.status !== 200 || !cookie) throw new Error(`sign-in of ${this.username} answered ${res.status}`);
    this.cookie = cookie.split(';')[0]!;
  }

  /**
   * Repeats `request` until it answers `ok` or, after a failed try, 409; signs in again on 401.
   * Gives up (done: false) at `deadline`.
   */
  private async until(request: () => Promise<Response>, ok: (status: number) => boolean, deadline: number): Promise<StaffAction> {
    let failedBefore = false;
    for (let attempts = 1; ; attempts++) {
      try {
        if (!this.cookie) await this.login();
        const res = await request();
        await res.text();
        if (ok(res.status)) return { done: true, attempts, viaConflict: false };
        if (res.status === 409 && failedBefore) return { done: true, attempts, viaConflict: true };
        if (res.status === 401) this.cookie = '';
        else if (res.status < 500 && res.status !== 409) throw new Error(`answered ${res.status}`);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('answered')) throw err;
      }
      failedBefore = true;
      if (Date.now() > deadline) return { done: false, attempts, viaConflict: false };
      await sleep(Math.min(500 * attempts, 5000));
    }
  }

  /** A completed call with good answers; `feedback` adds a complaint, which opens a ticket. */
  recordContact(taskId: string, feedback: boolean, deadline: number): Promise<StaffAction> {
    const body = JSON.stringify({
      outcome: 'completed',
      answers: { pain: 2, wound_exudate: false },
      ...(feedback ? { feedback: { category: 'process', description: '出院结账排队时间太长' } } : {}),
    });
    return this.until(
      () =>
        fetch(`${this.httpUrl}/api/tasks/${taskId}/contact`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: this.cookie },
          body,
          signal: AbortSignal.timeout(30_000),
        }),
      (status) => status === 200,
      deadline,
    );
  }

  /** 解决 on the ticket page: the portal's form post, answered with a redirect. */
  resolveTicket(ticketId: string, deadline: number): Promise<StaffAction> {
    const origin = new URL(this.httpUrl).origin;
    return this.until(
      () =>
        fetch(`${this.httpUrl}/tickets/${ticketId}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookie, origin },
          body: new URLSearchParams({ intent: 'resolve', resolution: '已与患者沟通,优化出院结算流程' }).toString(),
          redirect: 'manual',
          signal: AbortSignal.timeout(30_000),
        }),
      (status) => status === 302 || status === 303,
      deadline,
    );
  }
}
