/** The patient record as staff see it: masked contact data, encounters, and an audit row per view. */
import type { Sql } from '../db/client.js';
import { canAccessDepartment, seesAllDepartments, type Principal } from '../domain/access.js';
import { maskAddress, maskPhone } from '../domain/masking.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound } from './errors.js';

export interface PatientView {
  id: string;
  hisPatientId: string;
  name: string;
  sex: string | null;
  birthDate: string | null;
  phoneMasked: string;
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createPatientService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  return {
    /** 404 for an unknown id, 403 when none of the patient's encounters is in the user's department. */
    async view(user: Principal, patientId: string, meta: RequestMeta): Promise<PatientView> {
      if (!UUID.test(patientId)) throw notFound('患者不存在');
      const [patient] = await sql<
        { id: string; his_patient_id: string; name: string; sex: string | null; birth_date: string | null; phone: string | null; address: string | null }[]
      >`SELECT id, his_patient_id, name, sex, birth_date::text, phone, address FROM patients WHERE id = ${patientId}`;
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
      return {
        id: patient.id,
        hisPatientId: patient.his_patient_id,
        name: patient.name,
        sex: patient.sex,
        birthDate: patient.birth_date,
        phoneMasked: maskPhone(patient.phone),
        addressMasked: maskAddress(patient.address),
        encounters: encounters.map((e) => ({
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
  };
}

export type PatientService = ReturnType<typeof createPatientService>;
