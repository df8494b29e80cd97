/**
 * The service layer: the one place business rules run. Hono routes and Remix loaders/actions
 * both call these; neither talks to Postgres or Temporal directly.
 */
import { createWechat } from '../activities/channels/wechat.js';
import { createWechatOAuth } from '../activities/channels/wechat-oauth.js';
import { createPatientIdentityService } from './patient-identity.js';
import { createWechatBindingService } from './wechat-binding.js';
import type { Client } from '@temporalio/client';
import type { Env } from '../config/env.js';
import type { Sql } from '../db/client.js';
import type { PasswordPolicy } from '../domain/password-policy.js';
import { createAlertService } from './alerts.js';
import { createAppointmentService } from './appointments.js';
import { createOutpatientBookingService, type OutpatientBookingDeps } from './outpatient-booking.js';
import { createRegistrationDeskService } from './registration-desk.js';
import { createAuditService } from './audit.js';
import { createAuthService } from './auth.js';
import { createClinicQueueService } from './clinic-queue.js';
import { createDirectoryService } from './directory.js';
import { createDischargeService } from './discharges.js';
import { hisIngestSettings, type HisIngestEnvKey } from './his-settings.js';
import { createHisInboxService } from './his-inbox.js';
import { createFeedbackRoutingService } from './feedback-routing.js';
import { createFeedbackInfoService } from './feedback-info.js';
import { createCannedReplyService } from './canned-replies.js';
import { createHealthService } from './health.js';
import { createOutpatientSetupService } from './outpatient-setup.js';
import { createPatientService } from './patients.js';
import { createPlanService } from './plans.js';
import { createQuotaPlanningService } from './quota-planning.js';
import { createReportService } from './reports.js';
import { createTaskService } from './tasks.js';
import { createTicketService } from './tickets.js';
import { channelsFromEnv, type ChannelEnv } from '../activities/channels/settings.js';
import { wechatPayNotifyUrls } from '../activities/payments/settings.js';
import { createWorkflowMonitorService } from './workflow-monitor.js';
import { createUserService } from './users.js';

type PasswordPolicyEnvKey = 'PASSWORD_MIN_LENGTH' | 'PASSWORD_HISTORY' | 'PASSWORD_MAX_AGE_DAYS';

/** The password policy as configured (PASSWORD_MIN_LENGTH, PASSWORD_HISTORY, PASSWORD_MAX_AGE_DAYS). */
export function passwordPolicy(env: Pick<Env, PasswordPolicyEnvKey>): PasswordPolicy {
  return { minLength: env.PASSWORD_MIN_LENGTH, history: env.PASSWORD_HISTORY, maxAgeDays: env.PASSWORD_MAX_AGE_DAYS };
}
import { createPatientContactService } from './patient-contact.js';
import { createSurveyService } from './surveys.js';
import { createStaffingService } from './staffing.js';
import { createNotificationService } from './notifications.js';
import { createDevPhoneService } from './dev-phone.js';
import { createCallService, type CallEnvKey } from './calls.js';

export interface ServiceDeps {
  sql: Sql;
  temporal: Client;
  /** Patient booking (/book, /api/outpatient): its payment adapter and SMS channels; absent = not offered. */
  outpatient?: Pick<OutpatientBookingDeps, 'payments' | 'channels' | 'holdSeconds' | 'codeIntervalSeconds'>;
  env: Pick<
    Env,
    | 'TEMPORAL_TASK_QUEUE'
    | 'TEMPORAL_UI_URL'
    | 'TEMPORAL_NAMESPACE'
    | 'SESSION_SECRET'
    | 'SESSION_TTL_HOURS'
    | 'LOGIN_MAX_FAILURES'
    | 'LOGIN_LOCK_MINUTES'
    | 'SESSION_IDLE_MINUTES'
    | PasswordPolicyEnvKey
    | 'SIGNIN_RATE_LIMIT'
    | 'HIS_API_TOKEN'
    | 'NODE_ENV'
    | 'PAYLOAD_KEYS'
    | 'PAYLOAD_KEY_ID'
    | 'CODEC_CORS_ORIGIN'
    | 'HTTP_BODY_LIMIT_BYTES'
    | 'PUBLIC_BASE_URL'
    | 'SURVEY_RATE_LIMIT'
    | 'SIMULATOR_URL'
    | 'TWILIO_AUTH_TOKEN'
    | 'WECHAT_TOKEN'
    | 'WECHAT_APP_ID'
    | 'WECHAT_APP_SECRET'
    | 'WECHAT_API_BASE_URL'
    | 'WECHAT_TEMPLATE_ID'
    | 'WECHAT_OAUTH_BASE_URL'
    | 'PATIENT_VERIFIED_MINUTES'
    | 'ALIYUN_SMS_CALLBACK_TOKEN'
    | HisIngestEnvKey
    | CallEnvKey
    | keyof ChannelEnv
  >;
}

export function createServices({ sql, temporal, env, outpatient }: ServiceDeps) {
  const audit = createAuditService({ sql });
  const discharges = createDischargeService({ sql, temporal, taskQueue: env.TEMPORAL_TASK_QUEUE, settings: hisIngestSettings(env) });
  const appointments = createAppointmentService({ sql, temporal, audit, taskQueue: env.TEMPORAL_TASK_QUEUE });
  const clinicQueue = createClinicQueueService({ sql, audit });
  const outpatientBooking = outpatient
    ? createOutpatientBookingService({
        sql,
        temporal,
        taskQueue: env.TEMPORAL_TASK_QUEUE,
        ...outpatient,
        notifyUrl: wechatPayNotifyUrls(env.PUBLIC_BASE_URL).payment,
        returnUrl: (number, shortCode) => `${env.PUBLIC_BASE_URL.replace(/\/$/, '')}/book/done/${encodeURIComponent(number)}?code=${encodeURIComponent(shortCode)}`,
      })
    : null;
  return {
    env,
    audit,
    auth: createAuthService({
      sql,
      audit,
      settings: {
        sessionSecret: env.SESSION_SECRET,
        sessionTtlHours: env.SESSION_TTL_HOURS,
        sessionIdleMinutes: env.SESSION_IDLE_MINUTES,
        maxFailures: env.LOGIN_MAX_FAILURES,
        lockMinutes: env.LOGIN_LOCK_MINUTES,
        passwordMaxAgeDays: env.PASSWORD_MAX_AGE_DAYS,
      },
    }),
    alerts: createAlertService({ sql, audit }),
    directory: createDirectoryService({ sql, audit }),
    discharges,
    hisInbox: createHisInboxService({ sql, audit, reprocess: discharges.reprocess }),
    patients: createPatientService({ sql, audit }),
    plans: createPlanService({ sql, audit, temporal, secondOffsetsAllowed: env.NODE_ENV !== 'production' }),
    routing: createFeedbackRoutingService({ sql, audit }),
    tasks: createTaskService({ sql, temporal, audit }),
    users: createUserService({ sql, audit, policy: passwordPolicy(env) }),
    tickets: createTicketService({ sql, temporal, audit, taskQueue: env.TEMPORAL_TASK_QUEUE, staffDispatch: channelsFromEnv(env) !== null }),
    health: createHealthService({ sql, temporal }),
    appointments,
    clinicQueue,
    outpatientBooking,
    patientIdentity: createPatientIdentityService({
      sql,
      secret: env.SESSION_SECRET,
      verifiedMinutes: env.PATIENT_VERIFIED_MINUTES,
      secure: env.NODE_ENV === 'production',
      publicBaseUrl: env.PUBLIC_BASE_URL,
      oauth:
        env.WECHAT_APP_ID && env.WECHAT_APP_SECRET
          ? createWechatOAuth({ appId: env.WECHAT_APP_ID, appSecret: env.WECHAT_APP_SECRET, apiBaseUrl: env.WECHAT_API_BASE_URL, authorizeBaseUrl: env.WECHAT_OAUTH_BASE_URL })
          : null,
    }),
    registrationDesk: createRegistrationDeskService({ sql, temporal, audit, appointments, clinicQueue, booking: outpatientBooking }),
    quotaPlanning: createQuotaPlanningService({ sql, audit }),
    workflowMonitor: createWorkflowMonitorService({ sql, temporal, env }),
    reports: createReportService({ sql, temporal, taskQueue: env.TEMPORAL_TASK_QUEUE, audit }),
    outpatientSetup: createOutpatientSetupService({ sql, audit }),
    patientContact: createPatientContactService({ sql, temporal, audit }),
    surveys: createSurveyService({ sql, temporal }),
    notifications: createNotificationService({ sql, audit }),
    devPhone: createDevPhoneService({ sql, simulatorUrl: env.SIMULATOR_URL }),
    feedbackInfo: createFeedbackInfoService({ sql, audit }),
    cannedReplies: createCannedReplyService({ sql, audit }),
    wechatBinding: createWechatBindingService({
      sql,
      audit,
      wechat:
        env.WECHAT_APP_ID && env.WECHAT_APP_SECRET && env.WECHAT_TEMPLATE_ID
          ? createWechat({ appId: env.WECHAT_APP_ID, appSecret: env.WECHAT_APP_SECRET, apiBaseUrl: env.WECHAT_API_BASE_URL, templateId: env.WECHAT_TEMPLATE_ID })
          : null,
    }),
    calls: createCallService({ sql, temporal, audit, env }),
    staffing: createStaffingService({ sql }),
  };
}

export type Services = ReturnType<typeof createServices>;
