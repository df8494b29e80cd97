/** Chinese labels of the HIS inbox's codes, for the admin's pages (one place, no twins). */
export const INBOX_OUTCOME_LABELS: Record<string, string> = {
  received: '待处理',
  accepted: '已接受',
  duplicate: '重复',
  rejected: '已拒绝',
  ignored: '已忽略',
};

export const INBOX_SOURCE_LABELS: Record<string, string> = {
  hl7: 'HL7 v2(MLLP)',
  fhir: 'FHIR R4',
  json: 'JSON 接口',
};

export const HIS_EVENT_LABELS: Record<string, string> = {
  discharge: '出院',
  admit: '入院',
  cancel: '撤销',
  patient_update: '更新患者信息',
  ignored: '不处理',
};
