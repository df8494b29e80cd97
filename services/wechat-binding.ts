/**
 * 微信绑定二维码: a parametrised WeChat QR code (qrcode/create with a scene string) for one
 * patient, printed at discharge or on the discharge summary. Scanning it follows the Official
 * Account and WeChat pushes subscribe (qrscene_<scene>) or SCAN (<scene>) to /api/webhooks/wechat,
 * which binds the scanner's openid to the patient (patient-contact bindWechat). The scene is
 * random (unguessable); a code still valid for a day or more is shown again instead of a new one.
 */
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import type { WechatClient } from '../activities/channels/wechat.js';
import type { Sql } from '../db/client.js';
import { canViewPatient, type Principal } from '../domain/access.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, ServiceError } from './errors.js';
import { patientAccessFacts } from './patients.js';

/** WeChat's longest lifetime for a temporary QR code: 30 days. */
export const BIND_QR_TTL_SECONDS = 2_592_000;
const REUSE_MARGIN_MS = 86_400_000;

export interface WechatBindingQr {
  patientName: string;
  departmentName: string | null;
  dischargedAt: string | null;
  bound: boolean;
  /** What the code encodes (WeChat's ticket URL). */
  qrContent: string;
  /** The code as an SVG image. */
  qrSvg: string;
  expiresAt: string;
}

export function createWechatBindingService({ sql, audit, wechat }: { sql: Sql; audit: AuditService; wechat: WechatClient | null }) {
  return {
    enabled: () => wechat !== null,

    async bindingQr(user: Principal, patientId: string, meta: RequestMeta = {}): Promise<WechatBindingQr> {
      const facts = /^[0-9a-f-]{36}$/.test(patientId) ? await patientAccessFacts(sql, patientId) : undefined;
      if (!facts) throw notFound('患者不存在');
      if (!canViewPatient(user, facts)) throw forbidden('该患者不在您负责的范围内');
      if (!wechat) throw new ServiceError(409, 'wechat_not_configured', '未配置微信公众号,无法生成绑定二维码');
      const [p] = await sql<{ name: string; wechat_bound: boolean; department_name: string | null; discharged_at: Date | null }[]>`
        SELECT p.name, p.wechat_openid IS NOT NULL AS wechat_bound, d.name AS department_name, e.discharged_at
        FROM patients p
        LEFT JOIN LATERAL (SELECT department_code, discharged_at FROM encounters WHERE patient_id = p.id ORDER BY discharged_at DESC NULLS LAST LIMIT 1) e ON true
        LEFT JOIN departments d ON d.code = e.department_code
        WHERE p.id = ${patientId}`;
      if (!p) throw notFound('患者不存在');

      let [code] = await sql<{ qr_url: string; expires_at: Date }[]>`
        SELECT qr_url, expires_at FROM wechat_bind_scenes
        WHERE patient_id = ${patientId} AND bound_at IS NULL AND qr_url IS NOT NULL AND expires_at > ${new Date(Date.now() + REUSE_MARGIN_MS)}
        ORDER BY expires_at DESC LIMIT 1`;
      if (!code) {
        const scene = `bind-${randomBytes(18).toString('base64url')}`;
        // The scene row first: a scan can never arrive for a scene we do not know.
        await sql`INSERT INTO wechat_bind_scenes (scene, patient_id) VALUES (${scene}, ${patientId})`;
        const qr = await wechat.createSceneQrCode(scene, BIND_QR_TTL_SECONDS);
        [code] = await sql<{ qr_url: string; expires_at: Date }[]>`
          UPDATE wechat_bind_scenes SET qr_url = ${qr.url}, expires_at = now() + make_interval(secs => ${BIND_QR_TTL_SECONDS})
          WHERE scene = ${scene} RETURNING qr_url, expires_at`;
        await audit.record({ actor: user, action: 'patient.wechat_qr', entityType: 'patient', entityId: patientId, patientId }, meta);
      }
      return {
        patientName: p.name,
        departmentName: p.department_name,
        dischargedAt: p.discharged_at?.toISOString() ?? null,
        bound: p.wechat_bound,
        qrContent: code!.qr_url,
        qrSvg: await QRCode.toString(code!.qr_url, { type: 'svg', margin: 2, width: 240, errorCorrectionLevel: 'M' }),
        expiresAt: code!.expires_at.toISOString(),
      };
    },
  };
}

export type WechatBindingService = ReturnType<typeof createWechatBindingService>;
