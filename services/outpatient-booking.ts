/**
 * Outpatient booking by the patient (/book, the REST API for the hospital's app or mini-program)
 * and at the registration desk: sessions of a date with the numbers left per slot, identity by an
 * SMS code sent through the channel adapters, a number held while the patient prepays through
 * the payment adapter (WeChat Pay v3), the verified payment notification handed to the
 * appointment's workflow, and cancellation with a refund until walk-in registration opens.
 *
 * Refusals are 4xx ServiceErrors whose `code` an integrator can rely on: `blacklisted` (with until
 * when, and that walk-in registration stays open), `full`, `closed`, `unpaid`, `not_yours`,
 * `bad_code`.
 *
 * Once verified (an SMS code, or the WeChat identity of services/patient-identity.ts), the patient
 * books, views and cancels without another code for a short while (`verified`, the session cookie).
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import type { Channels } from '../activities/channels/settings.js';
import { e164 } from '../activities/channels/settings.js';
import type { PaymentAdapter } from '../activities/payments/types.js';
import { appointmentWorkflowId, cancelAppointmentUpdate, paymentReceivedSignal } from '../workflows/appointment/contracts.js';
import { outRefundNoFor, paymentRefundStart } from '../workflows/refund/contracts.js';
import { startOnce } from '../workflows/shared/start.js';
import { REFUND_STATE_LABELS, refundStateOf, type RefundState } from '../domain/payment-refund.js';
import { createRefundNotificationHandler, verifiedOr401 } from './payment-refunds.js';
import { startAppointmentWorkflow } from './workflow-reconcile.js';
import { notFound, refusedUpdate, ServiceError, ValidationError, type FieldProblem } from './errors.js';
import type { VerifiedPatient } from './patient-identity.js';

export interface OutpatientBookingDeps {
  sql: Sql;
  temporal: Client;
  taskQueue: string;
  channels: Channels | null;
  payments: PaymentAdapter;
  /** Where the payment provider posts its notification (…/api/outpatient/payments/wechat/notify). */
  notifyUrl: string;
  /** Where the patient's phone returns after paying (the booking's confirmation page). */
  returnUrl?: (number: string, shortCode: string) => string;
  /** Minutes a number is held while the patient pays (default 10). */
  holdSeconds?: number;
  /** Seconds an SMS code is valid (default 300). */
  codeTtlSeconds?: number;
  /** Seconds between two codes to one mobile (default 60). */
  codeIntervalSeconds?: number;
}

export interface SessionSlotView {
  slotIndex: number;
  startsAt: string;
  endsAt: string;
  /** Appointment numbers still free in this slot. */
  left: number;
}

export interface BookableSession {
  sessionId: string;
  departmentCode: string;
  departmentName: string;
  expertName: string;
  expertTitle: string | null;
  date: string;
  startsAt: string;
  endsAt: string;
  registrationOpensAt: string;
  /** Booking closes when walk-in registration opens. */
  open: boolean;
  prepayFen: number;
  slots: SessionSlotView[];
}

export interface BookingInput {
  sessionId: unknown;
  slotIndex: unknown;
  name: unknown;
  idNumber: unknown;
  mobile: unknown;
  /** The SMS code (patients); the registration desk books without one. */
  code?: unknown;
}

export interface HeldBooking {
  number: string;
  shortCode: string;
  status: 'pending_payment';
  holdExpiresAt: string;
  amountFen: number;
  payUrl: string;
  outTradeNo: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MOBILE = /^1\d{10}$/;
/** 18-digit resident ID (last may be X), or a passport-like number. */
const ID_NUMBER = /^(\d{17}[\dX]|[A-Z0-9]{6,20})$/;
/** Where a booking's prepayment refund stands (see domain/payment-refund.ts). */
export interface RefundView {
  state: RefundState;
  /** 退款处理中 / 已退款. */
  label: string;
  outRefundNo: string;
}

const localDateTime = (d: Date) => d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
const hash = (phone: string, code: string) => createHash('sha256').update(`${phone}:${code}`).digest('hex');
const normalMobile = (mobile: unknown) => (typeof mobile === 'string' ? mobile.replace(/[\s-]/g, '') : '');

export function createOutpatientBookingService(deps: OutpatientBookingDeps) {
  const { sql, temporal, taskQueue, payments } = deps;
  const holdSeconds = deps.holdSeconds ?? 600;
  const codeTtlSeconds = deps.codeTtlSeconds ?? 300;
  const codeIntervalSeconds = deps.codeIntervalSeconds ?? 60;

  async function checkCode(mobile: string, code: unknown): Promise<void> {
    const wanted = typeof code === 'string' ? code.trim() : '';
    const [row] = await sql<{ id: string; code_hash: string; attempts: number }[]>`
      SELECT id, code_hash, attempts FROM sms_codes
      WHERE phone = ${mobile} AND used_at IS NULL AND expires_at > now() ORDER BY created_at DESC LIMIT 1`;
    if (!row || row.attempts >= 5) throw new ServiceError(400, 'bad_code', '验证码已失效,请重新获取');
    if (!/^\d{6}$/.test(wanted) || hash(mobile, wanted) !== row.code_hash) {
      await sql`UPDATE sms_codes SET attempts = attempts + 1 WHERE id = ${row.id}`;
      throw new ServiceError(400, 'bad_code', '验证码不正确');
    }
    await sql`UPDATE sms_codes SET used_at = now() WHERE id = ${row.id}`;
  }

  /**
   * The patient behind a request: the verified patient (session cookie) when the mobile is theirs
   * or not given, else the mobile proven by its SMS code now (400 `bad_code`).
   */
  async function prove(input: { mobile: unknown; code: unknown; verified?: VerifiedPatient | null }): Promise<VerifiedPatient> {
    const phone = normalMobile(input.mobile);
    if (input.verified && (phone === '' || phone === input.verified.mobile)) return input.verified;
    if (!MOBILE.test(phone)) throw new ValidationError([{ field: 'mobile', message: '请填写 11 位手机号' }]);
    await checkCode(phone, input.code);
    return { mobile: phone, patientId: null, via: 'sms' };
  }

  /** A WeChat-identified patient books as their own record: name, ID number and mobile from it, not from the form. */
  async function ownIdentity(who: VerifiedPatient | null | undefined): Promise<Pick<BookingInput, 'name' | 'idNumber' | 'mobile'> | null> {
    if (!who?.patientId) return null;
    const [p] = await sql<{ name: string; id_number: string | null }[]>`SELECT name, id_number FROM patients WHERE id = ${who.patientId}`;
    return p?.id_number ? { name: p.name, idNumber: p.id_number, mobile: who.mobile } : null;
  }

  function readBooking(input: BookingInput) {
    const problems: FieldProblem[] = [];
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    const idNumber = typeof input.idNumber === 'string' ? input.idNumber.trim().toUpperCase() : '';
    const mobile = typeof input.mobile === 'string' ? input.mobile.replace(/[\s-]/g, '') : '';
    const sessionId = typeof input.sessionId === 'string' ? input.sessionId : '';
    const slotIndex = typeof input.slotIndex === 'number' ? input.slotIndex : Number(input.slotIndex);
    if (!name || name.length > 40) problems.push({ field: 'name', message: '请填写姓名' });
    if (!ID_NUMBER.test(idNumber)) problems.push({ field: 'idNumber', message: '证件号码格式不正确' });
    if (!MOBILE.test(mobile)) problems.push({ field: 'mobile', message: '请填写 11 位手机号' });
    if (!UUID.test(sessionId)) problems.push({ field: 'sessionId', message: '请选择门诊' });
    if (!Number.isInteger(slotIndex) || slotIndex < 0) problems.push({ field: 'slotIndex', message: '请选择时段' });
    if (problems.length) throw new ValidationError(problems);
    return { name, idNumber, mobile, sessionId, slotIndex };
  }

  /** The refund of an order (by its number, or the appointment's latest), or null when none is due. */
  async function refundOf(of: { outTradeNo: string } | { appointmentId: string }): Promise<RefundView | null> {
    const [o] = await sql<{ out_trade_no: string; status: string; out_refund_no: string | null; refund_status: string | null; appointment_status: string }[]>`
      SELECT o.out_trade_no, o.status, o.out_refund_no, o.refund_status, a.status AS appointment_status
      FROM payment_orders o JOIN appointments a ON a.id = o.appointment_id
      WHERE ${'outTradeNo' in of ? sql`o.out_trade_no = ${of.outTradeNo}` : sql`o.appointment_id = ${of.appointmentId}`}
      ORDER BY o.created_at DESC LIMIT 1`;
    const state = o ? refundStateOf({ status: o.status, outRefundNo: o.out_refund_no, refundStatus: o.refund_status }, o.appointment_status) : null;
    return o && state ? { state, label: REFUND_STATE_LABELS[state], outRefundNo: o.out_refund_no ?? outRefundNoFor(o.out_trade_no) } : null;
  }

  /** Finds the patient by ID number (created on first booking); the mobile must match theirs when stored. */
  async function patientFor(b: { name: string; idNumber: string; mobile: string }): Promise<string> {
    const [found] = await sql<{ id: string; name: string; phone: string | null }[]>`
      SELECT id, name, phone FROM patients WHERE id_number = ${b.idNumber} ORDER BY created_at LIMIT 1`;
    if (found) {
      if (found.name !== b.name) throw new ServiceError(400, 'identity_mismatch', '姓名与证件号码不符');
      if (!found.phone) await sql`UPDATE patients SET phone = ${b.mobile} WHERE id = ${found.id}`;
      return found.id;
    }
    const [created] = await sql<{ id: string }[]>`
      INSERT INTO patients (his_patient_id, name, phone, id_number) VALUES (${`OPD-${randomUUID()}`}, ${b.name}, ${b.mobile}, ${b.idNumber}) RETURNING id`;
    return created!.id;
  }

  return {
    /** Sessions on a date (YYYY-MM-DD, Asia/Shanghai) with appointment numbers left per slot. */
    async sessions(date: unknown, now: Date = new Date()): Promise<BookableSession[]> {
      if (typeof date !== 'string' || !DATE.test(date) || Number.isNaN(Date.parse(date))) throw new ValidationError([{ field: 'date', message: '日期格式应为 YYYY-MM-DD' }]);
      const sessions = await sql<{ id: string; department_code: string; department_name: string; expert_name: string; title: string | null; session_date: string; starts_at: Date; ends_at: Date; registration_opens_at: Date; prepay_fen: number }[]>`
        SELECT s.id, s.department_code, d.name AS department_name, s.expert_name, e.title, s.session_date::text AS session_date,
               s.starts_at, s.ends_at, s.registration_opens_at, s.prepay_fen
        FROM clinic_sessions s JOIN departments d ON d.code = s.department_code
        LEFT JOIN experts e ON e.department_code = s.department_code AND e.name = s.expert_name
        WHERE s.session_date = ${date}::date ORDER BY d.name, s.expert_name, s.starts_at`;
      if (sessions.length === 0) return [];
      const slots = await sql<{ session_id: string; slot_index: number; starts_at: Date; ends_at: Date; left: number }[]>`
        SELECT session_id, slot_index, starts_at, ends_at, greatest(appointment_quota - booked, 0)::int AS left
        FROM clinic_slots WHERE session_id IN ${sql(sessions.map((s) => s.id))} ORDER BY session_id, slot_index`;
      return sessions.map((s) => ({
        sessionId: s.id,
        departmentCode: s.department_code,
        departmentName: s.department_name,
        expertName: s.expert_name,
        expertTitle: s.title,
        date: s.session_date,
        startsAt: s.starts_at.toISOString(),
        endsAt: s.ends_at.toISOString(),
        registrationOpensAt: s.registration_opens_at.toISOString(),
        open: s.registration_opens_at.getTime() > now.getTime() && s.ends_at.getTime() > now.getTime(),
        prepayFen: s.prepay_fen,
        slots: slots
          .filter((sl) => sl.session_id === s.id)
          .map((sl) => ({ slotIndex: sl.slot_index, startsAt: sl.starts_at.toISOString(), endsAt: sl.ends_at.toISOString(), left: sl.left })),
      }));
    },

    /** Sends a 6-digit code to the mobile through the SMS adapter (one a minute per number). */
    async sendCode(mobile: unknown): Promise<{ expiresInSeconds: number }> {
      const phone = typeof mobile === 'string' ? mobile.replace(/[\s-]/g, '') : '';
      if (!MOBILE.test(phone)) throw new ValidationError([{ field: 'mobile', message: '请填写 11 位手机号' }]);
      const [recent] = await sql`SELECT 1 FROM sms_codes WHERE phone = ${phone} AND created_at > now() - make_interval(secs => ${codeIntervalSeconds})`;
      if (recent) throw new ServiceError(429, 'too_many_codes', '验证码已发送,请 1 分钟后再试');
      const adapter = deps.channels?.smsFor(e164(phone));
      if (!adapter) throw new ServiceError(503, 'sms_unavailable', '短信通道暂不可用,请到挂号窗口办理');
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      await sql`INSERT INTO sms_codes (phone, code_hash, expires_at) VALUES (${phone}, ${hash(phone, code)}, now() + make_interval(secs => ${codeTtlSeconds}))`;
      const minutes = Math.round(codeTtlSeconds / 60);
      await adapter.send({ to: e164(phone), text: `您的预约验证码 ${code},${minutes} 分钟内有效。如非本人操作请忽略。`, kind: 'notice', params: { code, minutes: String(minutes) } });
      return { expiresInSeconds: codeTtlSeconds };
    },

    /**
     * Holds a number for the patient and opens the payment: 409 `blacklisted` / `full` / `closed`,
     * 400 `bad_code`. `byDesk` skips the SMS code (the registration desk has seen the patient), and
     * so does `verified` for its own mobile (a WeChat-identified patient books as their record).
     */
    async book(input: BookingInput, options: { byDesk?: boolean; verified?: VerifiedPatient | null } = {}): Promise<HeldBooking> {
      const own = await ownIdentity(options.verified);
      const b = readBooking(own ? { ...input, ...own } : input);
      if (!options.byDesk) await prove({ mobile: b.mobile, code: input.code, verified: options.verified });
      const patientId = await patientFor(b);
      const [blocked] = await sql<{ blacklisted_until: Date }[]>`
        SELECT blacklisted_until FROM noshow_ledger WHERE patient_id = ${patientId} AND blacklisted_until > now()`;
      if (blocked) {
        throw new ServiceError(
          409,
          'blacklisted',
          `您近期多次预约未就诊(爽约),已暂停预约至 ${localDateTime(blocked.blacklisted_until)}。现场挂号不受影响,可在开诊当天到窗口挂号。`,
          { blacklistedUntil: blocked.blacklisted_until.toISOString(), walkInOpen: true },
        );
      }
      const number = `AP${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
      const workflowId = appointmentWorkflowId(number);
      const holdExpiresAt = new Date(Date.now() + holdSeconds * 1000);
      const held = await sql.begin(async (tx) => {
        const [session] = await tx<{ ends_at: Date; registration_opens_at: Date; prepay_fen: number; expert_name: string; department_name: string }[]>`
          SELECT s.ends_at, s.registration_opens_at, s.prepay_fen, s.expert_name, d.name AS department_name
          FROM clinic_sessions s JOIN departments d ON d.code = s.department_code WHERE s.id = ${b.sessionId} FOR UPDATE OF s`;
        if (!session) throw notFound('门诊不存在');
        if (session.registration_opens_at.getTime() <= Date.now() || session.ends_at.getTime() <= Date.now()) {
          throw new ServiceError(409, 'closed', '该门诊预约已截止(现场挂号已开始),请到窗口现场挂号');
        }
        const [dup] = await tx`SELECT 1 FROM appointments WHERE session_id = ${b.sessionId} AND patient_id = ${patientId} AND status IN ('pending_payment', 'booked')`;
        if (dup) throw new ServiceError(409, 'already_booked', '您已预约该门诊');
        const [slot] = await tx`
          UPDATE clinic_slots SET booked = booked + 1
          WHERE session_id = ${b.sessionId} AND slot_index = ${b.slotIndex} AND booked < appointment_quota RETURNING slot_index`;
        if (!slot) {
          const [exists] = await tx`SELECT 1 FROM clinic_slots WHERE session_id = ${b.sessionId} AND slot_index = ${b.slotIndex}`;
          if (!exists) throw notFound('预约时段不存在');
          throw new ServiceError(409, 'full', '该时段预约号已满,请选择其他时段');
        }
        const [row] = await tx<{ id: string; short_code: string }[]>`
          INSERT INTO appointments (number, session_id, slot_index, patient_id, status, prepaid, workflow_id, workflow_pending, hold_expires_at)
          VALUES (${number}, ${b.sessionId}, ${b.slotIndex}, ${patientId}, 'pending_payment', false, ${workflowId}, true, ${holdExpiresAt})
          RETURNING id, short_code`;
        return { appointmentId: row!.id, shortCode: row!.short_code, session };
      });
      const outTradeNo = `OPD${number.slice(2)}`;
      const amountFen = held.session.prepay_fen;
      await sql`INSERT INTO payment_orders (out_trade_no, appointment_id, provider, amount_fen) VALUES (${outTradeNo}, ${held.appointmentId}, ${payments.provider}, ${amountFen})`;
      // The hold's timer runs in the workflow: started before the payment opens, it releases the number even if the provider fails.
      await startAppointmentWorkflow({ sql, temporal, taskQueue }, { appointmentId: held.appointmentId, number });
      const created = await payments.createPayment({
        outTradeNo,
        amountFen,
        description: `${held.session.department_name} ${held.session.expert_name} 预约挂号`,
        notifyUrl: deps.notifyUrl,
        expiresAt: holdExpiresAt,
      });
      const payUrl = deps.returnUrl ? `${created.payUrl}&redirect_url=${encodeURIComponent(deps.returnUrl(number, held.shortCode))}` : created.payUrl;
      await sql`UPDATE payment_orders SET pay_url = ${payUrl} WHERE out_trade_no = ${outTradeNo}`;
      return { number, shortCode: held.shortCode, status: 'pending_payment', holdExpiresAt: holdExpiresAt.toISOString(), amountFen, payUrl, outTradeNo };
    },

    /**
     * The provider's payment notification: verified first (a forged or stale one is refused with
     * 401 and changes nothing), idempotent on the order, then handed to the appointment's workflow.
     * Paid after the hold was released: refunded at once.
     */
    /** WeChat Pay's refund result notification (services/payment-refunds.ts). */
    refundNotification: createRefundNotificationHandler({ sql, payments }),

    async paymentNotification(headers: Headers | Record<string, string | undefined>, rawBody: string): Promise<{ outTradeNo: string; result: 'booked' | 'refunded' | 'ignored' }> {
      const n = verifiedOr401(() => payments.verifyNotification(headers, rawBody));
      if (n.tradeState !== 'SUCCESS') return { outTradeNo: n.outTradeNo, result: 'ignored' };
      const [order] = await sql<{ appointment_id: string; amount_fen: number; status: string; workflow_id: string; appointment_status: string }[]>`
        UPDATE payment_orders o SET status = CASE WHEN o.status = 'created' THEN 'paid' ELSE o.status END,
               transaction_id = coalesce(o.transaction_id, ${n.transactionId}), notification_id = coalesce(o.notification_id, ${n.notificationId}),
               paid_at = coalesce(o.paid_at, now())
        FROM appointments a WHERE o.out_trade_no = ${n.outTradeNo} AND a.id = o.appointment_id
        RETURNING o.appointment_id, o.amount_fen, o.status, a.workflow_id, a.status AS appointment_status`;
      if (!order) throw notFound('订单不存在');
      if (n.amountFen !== order.amount_fen) throw new ServiceError(400, 'amount_mismatch', '支付金额与订单不符');
      if (order.appointment_status === 'cancelled') {
        // Answered 2xx only once the refund's workflow exists: otherwise WeChat Pay sends the notification again.
        await this.requestRefund(n.outTradeNo, '号源已释放,自动退款');
        return { outTradeNo: n.outTradeNo, result: 'refunded' };
      }
      await temporal.workflow.getHandle(order.workflow_id).signal(paymentReceivedSignal, { outTradeNo: n.outTradeNo, transactionId: n.transactionId });
      return { outTradeNo: n.outTradeNo, result: 'booked' };
    },

    /**
     * Starts the order's refund workflow (`refund-<outTradeNo>`, retried until the provider accepts
     * it; one already started or finished is the same refund) and answers where the refund stands.
     */
    async requestRefund(outTradeNo: string, reason: string): Promise<RefundView | null> {
      await startOnce(temporal, taskQueue, paymentRefundStart({ outTradeNo, reason }));
      return refundOf({ outTradeNo });
    },

    /** Checks the mobile's SMS code (used once): the verified patient the pages then remember for a while. */
    verify(mobile: unknown, code: unknown): Promise<VerifiedPatient> {
      return prove({ mobile, code });
    },

    /** The verified patient's appointments (by their mobile; a WeChat-identified patient also by their record). */
    async mine(who: VerifiedPatient) {
      const rows = await sql<{ number: string; short_code: string; status: string; expert_name: string; department_name: string; slot_starts_at: Date; registration_opens_at: Date; order_status: string | null; out_refund_no: string | null; refund_status: string | null }[]>`
        SELECT a.number, a.short_code, a.status, s.expert_name, d.name AS department_name, sl.starts_at AS slot_starts_at, s.registration_opens_at,
               o.status AS order_status, o.out_refund_no, o.refund_status
        FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN clinic_sessions s ON s.id = a.session_id
        JOIN departments d ON d.code = s.department_code JOIN clinic_slots sl ON sl.session_id = a.session_id AND sl.slot_index = a.slot_index
        LEFT JOIN LATERAL (SELECT status, out_refund_no, refund_status FROM payment_orders WHERE appointment_id = a.id ORDER BY created_at DESC LIMIT 1) o ON true
        WHERE p.phone = ${who.mobile} OR p.id = ${who.patientId} ORDER BY sl.starts_at DESC LIMIT 50`;
      // The prepayment refund of each (退款处理中 / 已退款), null where none is due.
      const now = Date.now();
      return rows.map(({ order_status, out_refund_no, refund_status, ...r }) => ({
        ...r,
        // What cancel() accepts: booked, and walk-in registration not yet open.
        cancellable: r.status === 'booked' && r.registration_opens_at.getTime() > now,
        refund: refundStateOf(order_status ? { status: order_status, outRefundNo: out_refund_no, refundStatus: refund_status } : null, r.status),
      }));
    },

    /**
     * Cancels by number for the patient who verified the booking's mobile (403 `not_yours`
     * otherwise), until walk-in registration opens (409 `closed`); a paid booking is refunded
     * through the adapter and its number goes back to booking. 409 `unpaid` while still unpaid.
     * Verified: its SMS code now, or `verified` (the session cookie) for its own mobile or record.
     * `refund` says where the refund stands (处理中 until the provider accepts it; `refunded` is true
     * whenever one is due).
     */
    async cancel(
      number: unknown,
      input: { mobile: unknown; code: unknown; reason?: string; verified?: VerifiedPatient | null },
    ): Promise<{ number: string; status: 'cancelled'; refunded: boolean; refund: RefundView | null }> {
      const wanted = typeof number === 'string' ? number.trim().toUpperCase() : '';
      const who = await prove(input);
      const [a] = await sql<{ id: string; workflow_id: string; status: string; phone: string | null; patient_id: string; registration_opens_at: Date; paid: boolean }[]>`
        SELECT a.id, a.workflow_id, a.status, p.phone, a.patient_id, s.registration_opens_at,
               EXISTS (SELECT 1 FROM payment_orders o WHERE o.appointment_id = a.id AND o.status = 'paid') AS paid
        FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN clinic_sessions s ON s.id = a.session_id WHERE a.number = ${wanted}`;
      if (!a) throw notFound('预约不存在');
      if (a.phone !== who.mobile && a.patient_id !== who.patientId) throw new ServiceError(403, 'not_yours', '该预约不属于此手机号');
      // Paid but not yet recorded as booked: the appointment's workflow takes the cancellation once it is.
      if (a.status === 'pending_payment' && !a.paid) throw new ServiceError(409, 'unpaid', '该预约尚未支付,未支付的号源将自动释放');
      if (a.registration_opens_at.getTime() <= Date.now()) throw new ServiceError(409, 'closed', '现场挂号已开始,不能再取消预约');
      try {
        await temporal.workflow.getHandle(a.workflow_id).executeUpdate(cancelAppointmentUpdate, { args: [{ reason: input.reason ?? '患者取消' }] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw refusedUpdate('appointment_action_refused', err);
        throw err;
      }
      // The appointment's workflow started the refund with the cancellation: it runs on (retried) even if this process
      // dies now. Asking again here is the same refund (one workflow ID), and covers a workflow that never saw the payment.
      const [paid] = await sql<{ out_trade_no: string }[]>`SELECT out_trade_no FROM payment_orders WHERE appointment_id = ${a.id} AND status = 'paid'`;
      const refund = paid ? await this.requestRefund(paid.out_trade_no, input.reason ?? '患者取消预约') : await refundOf({ appointmentId: a.id });
      return { number: wanted, status: 'cancelled', refunded: refund !== null, refund };
    },
  };
}

export type OutpatientBookingService = ReturnType<typeof createOutpatientBookingService>;
