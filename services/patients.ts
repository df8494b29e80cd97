/** The patient record as staff see it: masked contact data, encounters, and an audit row per view. */
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import { asUser } from '../db/scope.js';
import { administers, canAccessDepartment, seesAllDepartments, type Principal } from '../domain/access.js';
import { maskAddress, maskPhone } from '../domain/masking.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound } from './errors.js';
import { parseOrThrow } from './validation.js';

export interface PatientView {
  id: string;
  hisPatientId: string;
  name: string;
  sex: string | null;
  birthDate: string | null;
  phoneMasked: string;
  /** Automated contact: opted out (patient-wide, every encounter) and how; WeChat binding. */
  contact: { optedOutAt: string | null; optedOutVia: string | null; wechatBound: boolean };
  /** Cut to the community/street level (`…花家地南里***`). */
  addressMasked: string;
  encounters: {
    encounterId: string;
    departmentCode: string | null;
    diagnosis: string | null;
    procedure: string | null;
    attendingDoctor: string | null;
    dischargedAt: string | null;
    workflowId: string;
  }[];
}

/** A contact field an admin may see unmasked (查看完整信息). */
export type UnmaskField = 'phone' | 'address';

export interface UnmaskInput {
  field: UnmaskField;
  reason: string;
}

/** The full value of one field, for one response only: never stored or cached by the caller. */
export interface UnmaskResult {
  field: UnmaskField;
  value: string | null;
}

const unmaskSchema = z.object({
  field: z.enum(['phone', 'address'], { errorMap: () => ({ message: '请选择要查看的字段（电话或地址）' }) }),
  reason: z
    .string({ required_error: '请填写查看原因', invalid_type_error: '请填写查看原因' })
    .trim()
    .min(4, '查看原因至少 4 个字')
    .max(200, '查看原因最多 200 个字'),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createPatientService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  return {
    /** 404 for an unknown id, 403 when none of the patient's encounters is in the user's department. */
    async view(user: Principal, patientId: string, meta: RequestMeta): Promise<PatientView> {
      if (!UUID.test(patientId)) throw notFound('患者不存在');
      const [patient] = await sql<
        {
          id: string;
          his_patient_id: string;
          name: string;
          sex: string | null;
          birth_date: string | null;
          phone: string | null;
          address: string | null;
          opted_out_at: Date | null;
          opted_out_via: string | null;
          wechat_bound: boolean;
        }[]
      >`SELECT id, his_patient_id, name, sex, birth_date::text, phone, address, opted_out_at, opted_out_via, wechat_openid IS NOT NULL AS wechat_bound
        FROM patients WHERE id = ${patientId}`;
      if (!patient) throw notFound('患者不存在');
      const encounters = await sql<
        {
          his_encounter_id: string;
          department_code: string | null;
          diagnosis_name: string | null;
          procedure_name: string | null;
          attending_doctor: string | null;
          discharged_at: Date | null;
          workflow_id: string;
        }[]
      >`SELECT his_encounter_id, department_code, diagnosis_name, procedure_name, attending_doctor, discharged_at, workflow_id
        FROM encounters WHERE patient_id = ${patientId} ORDER BY discharged_at DESC NULLS FIRST`;
      const allowed = seesAllDepartments(user.role) || encounters.some((e) => e.department_code !== null && canAccessDepartment(user, e.department_code));
      if (!allowed) {
        await audit.record({ actor: user, action: 'patient.view_denied', entityType: 'patient', entityId: patientId, patientId }, meta);
        throw forbidden('该患者不属于您的科室');
      }
      await audit.record({ actor: user, action: 'patient.view', entityType: 'patient', entityId: patientId, patientId }, meta);
      // What is shown is read again under row-level security: a department sees only its own encounters of the patient.
      const visible = new Set(
        (await asUser(sql, user, (tx) => tx<{ his_encounter_id: string }[]>`SELECT his_encounter_id FROM encounters WHERE patient_id = ${patientId}`)).map(
          (e) => e.his_encounter_id,
        ),
      );
      return {
        id: patient.id,
        hisPatientId: patient.his_patient_id,
        name: patient.name,
        sex: patient.sex,
        birthDate: patient.birth_date,
        phoneMasked: maskPhone(patient.phone),
        contact: { optedOutAt: patient.opted_out_at?.toISOString() ?? null, optedOutVia: patient.opted_out_via, wechatBound: patient.wechat_bound },
        addressMasked: maskAddress(patient.address),
        encounters: encounters.filter((e) => visible.has(e.his_encounter_id)).map((e) => ({
          encounterId: e.his_encounter_id,
          departmentCode: e.department_code,
          diagnosis: e.diagnosis_name,
          procedure: e.procedure_name,
          attendingDoctor: e.attending_doctor,
          dischargedAt: e.discharged_at?.toISOString() ?? null,
          workflowId: e.workflow_id,
        })),
      };
    },

    /**
     * 查看完整信息: the unmasked phone or address of one patient, for admins only and with a reason;
     * every look is audited (`patient.unmask`, with the field and the reason). The regular view stays masked.
     */
    async unmask(user: Principal, patientId: string, input: unknown, meta: RequestMeta): Promise<UnmaskResult> {
      if (!administers(user.role)) throw forbidden('仅管理员可查看完整信息');
      const { field, reason } = parseOrThrow(unmaskSchema, input ?? {});
      if (!UUID.test(patientId)) throw notFound('患者不存在');
      const [patient] = await sql<{ phone: string | null; address: string | null }[]>`
        SELECT phone, address FROM patients WHERE id = ${patientId}`;
      if (!patient) throw notFound('患者不存在');
      await audit.record(
        { actor: user, action: 'patient.unmask', entityType: 'patient', entityId: patientId, patientId, details: { field, reason } },
        meta,
      );
      return { field, value: patient[field] };
    },
  };
}

export type PatientService = ReturnType<typeof createPatientService>;
