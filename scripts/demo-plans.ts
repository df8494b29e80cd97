/**
 * The demo hospital's follow-up practice as data: question templates per clinical department
 * and the rules that pick them (surgery day 3, chronic medicine day 7, postpartum day 14).
 */
import type { TouchpointSpec } from '../domain/follow-up-plan.js';
import type { Question } from '../domain/questions.js';

export interface DemoTemplate {
  code: string;
  departmentCode: string;
  name: string;
  questions: Question[];
}

export interface DemoRule {
  departmentCode: string;
  name: string;
  scenarioKind: 'diagnosis_prefix' | 'procedure_keyword' | null;
  scenarioValue: string | null;
  greetingText: string;
  touchpoints: TouchpointSpec[];
}

const phone = (offsetDays: number, templateCode: string): TouchpointSpec => ({
  offsetDays,
  templateCode,
  channel: 'phone',
  maxAttempts: 3,
  retryAfterSeconds: 86_400,
});

const SURGERY: Question[] = [
  { id: 'wound_exudate', text: '伤口有无渗液、红肿?', type: 'yes_no', redFlag: { op: 'eq', value: true } },
  { id: 'pain', text: '目前疼痛程度(1 无痛 – 5 剧痛)', type: 'rating', redFlag: { op: 'gte', value: 5 } },
  { id: 'fever', text: '有无发热?', type: 'choice', options: ['无', '37.3–38℃', '38℃以上'], redFlag: { op: 'in', value: ['38℃以上'] } },
  { id: 'rehab', text: '是否按要求进行康复锻炼?', type: 'yes_no' },
  { id: 'comments', text: '其他问题或建议', type: 'text' },
];

export const DEMO_TEMPLATES: DemoTemplate[] = [
  { code: 'gk-postop', departmentCode: 'GK', name: '骨科术后随访', questions: SURGERY },
  { code: 'pwk-postop', departmentCode: 'PWK', name: '普外科术后随访', questions: SURGERY },
  {
    code: 'nfm-diabetes',
    departmentCode: 'NFM',
    name: '糖尿病出院随访',
    questions: [
      { id: 'adherence', text: '是否按时服药/注射胰岛素?', type: 'yes_no', redFlag: { op: 'eq', value: false } },
      { id: 'glucose_monitoring', text: '每天监测血糖吗?', type: 'choice', options: ['每天', '偶尔', '从不'] },
      { id: 'hypoglycemia', text: '有无心慌、出汗、手抖等低血糖症状?', type: 'yes_no', redFlag: { op: 'eq', value: true } },
      { id: 'diet', text: '饮食控制情况(1 很差 – 5 很好)', type: 'rating' },
      { id: 'comments', text: '其他问题或建议', type: 'text' },
    ],
  },
  {
    code: 'fck-postpartum',
    departmentCode: 'FCK',
    name: '产后随访',
    questions: [
      { id: 'lactation', text: '母乳喂养是否顺利?', type: 'choice', options: ['顺利', '奶量不足', '乳房胀痛/红肿'], redFlag: { op: 'in', value: ['乳房胀痛/红肿'] } },
      { id: 'wound', text: '伤口(侧切/剖宫产)愈合情况(1 很差 – 5 很好)', type: 'rating', redFlag: { op: 'lte', value: 1 } },
      { id: 'lochia', text: '恶露是否异常(量多、异味)?', type: 'yes_no', redFlag: { op: 'eq', value: true } },
      { id: 'mood', text: '近期情绪状况(1 很低落 – 5 很好)', type: 'rating', redFlag: { op: 'lte', value: 1 } },
      { id: 'comments', text: '其他问题或建议', type: 'text' },
    ],
  },
  {
    code: 'xnk-cardiac',
    departmentCode: 'XNK',
    name: '心内科出院随访',
    questions: [
      { id: 'chest_pain', text: '出院后是否再次出现胸痛、胸闷?', type: 'yes_no', redFlag: { op: 'eq', value: true } },
      { id: 'medication', text: '是否按时服用抗血小板/降压药物?', type: 'yes_no', redFlag: { op: 'eq', value: false } },
      { id: 'blood_pressure', text: '血压控制情况', type: 'choice', options: ['正常', '偏高', '未测量'] },
      { id: 'activity', text: '日常活动耐受情况(1 很差 – 5 很好)', type: 'rating' },
      { id: 'comments', text: '其他问题或建议', type: 'text' },
    ],
  },
];

const CARE = '出院后请按医嘱服药、定期复查,如有不适请及时就医。';

export const DEMO_RULES: DemoRule[] = [
  { departmentCode: 'GK', name: '骨科术后第 3 天', scenarioKind: null, scenarioValue: null, greetingText: `{姓名}您好,{科室}祝您早日康复!{医生}医生提醒:{手术}后伤口保持干燥,按要求进行康复锻炼。${CARE}`, touchpoints: [phone(3, 'gk-postop')] },
  { departmentCode: 'GK', name: '关节置换术后第 3、14 天', scenarioKind: 'procedure_keyword', scenarioValue: '置换', greetingText: `{姓名}您好,{科室}祝您早日康复!{医生}医生提醒:{手术}后注意防跌倒,按计划进行功能锻炼。${CARE}`, touchpoints: [phone(3, 'gk-postop'), phone(14, 'gk-postop')] },
  { departmentCode: 'PWK', name: '普外科术后第 3 天', scenarioKind: null, scenarioValue: null, greetingText: `{姓名}您好,{科室}祝您早日康复!{医生}医生提醒:{手术}后注意伤口护理,饮食循序渐进。${CARE}`, touchpoints: [phone(3, 'pwk-postop')] },
  { departmentCode: 'NFM', name: '内分泌科第 7 天', scenarioKind: null, scenarioValue: null, greetingText: `{姓名}您好,您已于{出院日期}从{科室}出院。{医生}医生提醒:请按时用药、监测血糖、控制饮食。${CARE}`, touchpoints: [phone(7, 'nfm-diabetes')] },
  { departmentCode: 'NFM', name: '2 型糖尿病第 7、30 天', scenarioKind: 'diagnosis_prefix', scenarioValue: 'E11', greetingText: `{姓名}您好,您已于{出院日期}从{科室}出院。{医生}医生提醒:{诊断}需每天监测血糖并记录,按时用药。${CARE}`, touchpoints: [phone(7, 'nfm-diabetes'), phone(30, 'nfm-diabetes')] },
  { departmentCode: 'FCK', name: '产后第 14 天', scenarioKind: null, scenarioValue: null, greetingText: `{姓名}您好,{科室}祝贺您和宝宝!{医生}医生提醒:注意休息,坚持母乳喂养,产后 42 天来院复查。${CARE}`, touchpoints: [phone(14, 'fck-postpartum')] },
  { departmentCode: 'XNK', name: '心内科第 7、30 天', scenarioKind: null, scenarioValue: null, greetingText: `{姓名}您好,{科室}祝您早日康复!{医生}医生提醒:请坚持服药,低盐低脂饮食,胸痛时立即就医。${CARE}`, touchpoints: [phone(7, 'xnk-cardiac'), phone(30, 'xnk-cardiac')] },
];
