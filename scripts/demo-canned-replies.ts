/**
 * The demo hospital's 常用问题快捷回复: what patients of each demo department ask most after
 * discharge (medication, revisit, billing/insurance, reports), and hospital-wide answers.
 * Written the way an agent says it on the phone; the numbers (phone, floors) are the demo hospital's.
 */
import type { CannedReplyTopic } from '../domain/canned-replies.js';

export interface DemoCannedReply {
  /** null: hospital-wide. */
  departmentCode: string | null;
  topic: CannedReplyTopic;
  title: string;
  body: string;
}

export const DEMO_CANNED_REPLIES: readonly DemoCannedReply[] = [
  // 全院通用
  {
    departmentCode: null,
    topic: 'billing',
    title: '医保报销材料',
    body: '出院结算时医保部分已直接报销。如需异地或商业保险报销，请带身份证、出院小结、费用清单和发票，到门诊楼一楼医保办（工作日 8:00–17:00）办理；费用清单可在自助机打印。',
  },
  {
    departmentCode: null,
    topic: 'billing',
    title: '发票与费用清单补打',
    body: '电子发票已发送到您登记的手机号，也可在医院公众号“我的—电子票据”查看下载。纸质费用清单可在门诊楼一楼自助机凭身份证补打。',
  },
  {
    departmentCode: null,
    topic: 'report',
    title: '检查报告查询',
    body: '出院后出的检验、病理报告可在医院公众号“报告查询”中查看，也可凭就诊卡在门诊一楼自助机打印。病理报告一般出院后 5–7 个工作日出具。',
  },
  {
    departmentCode: null,
    topic: 'revisit',
    title: '复诊挂号方式',
    body: '复诊可通过医院公众号或拨打预约电话 0571-12345678 提前 7 天预约，就诊当天请带上出院小结和既往检查结果。',
  },
  {
    departmentCode: null,
    topic: 'other',
    title: '病历复印',
    body: '出院 7 个工作日后可复印病历：本人携带身份证到行政楼二楼病案室办理，代办需再带委托书和代办人身份证；也可在公众号申请邮寄。',
  },
  // 骨科
  {
    departmentCode: 'GK',
    topic: 'revisit',
    title: '术后复查与拆线时间',
    body: '一般术后 2 周拆线（可在社区医院拆线），术后 1 个月、3 个月回骨科门诊复查并拍片，请带上出院小结和之前的片子。',
  },
  {
    departmentCode: 'GK',
    topic: 'medication',
    title: '抗凝药（利伐沙班）服用',
    body: '关节置换术后需按出院医嘱每天固定时间口服利伐沙班，一般连续服用 2–5 周，不要自行停药；如出现牙龈出血、黑便或皮肤大片瘀斑，请及时就诊。',
  },
  {
    departmentCode: 'GK',
    topic: 'other',
    title: '伤口护理与洗澡',
    body: '拆线前保持伤口干燥，不要沾水；拆线后 3 天可以淋浴。伤口出现红肿、渗液或发热超过 38℃，请及时来院或拨打科室电话。',
  },
  // 普外科
  {
    departmentCode: 'PWK',
    topic: 'other',
    title: '胆囊切除术后饮食',
    body: '术后 1 个月内清淡低脂饮食，少量多餐，避免油炸、肥肉和饮酒；腹泻多在 1–3 个月内自行好转，持续腹痛或皮肤发黄请及时就诊。',
  },
  {
    departmentCode: 'PWK',
    topic: 'revisit',
    title: '普外科术后复诊',
    body: '术后 1–2 周回普外科门诊复查伤口，病理报告出来后医生会结合结果告知是否需要进一步治疗。',
  },
  // 内分泌科
  {
    departmentCode: 'NFM',
    topic: 'medication',
    title: '胰岛素注射与保存',
    body: '未开封的胰岛素放冰箱冷藏（2–8℃），正在使用的常温保存 4 周内用完；注射部位轮换，饭前注射的要按时进餐，出现心慌、出汗、手抖先吃糖再测血糖。',
  },
  {
    departmentCode: 'NFM',
    topic: 'report',
    title: '血糖监测记录',
    body: '出院后每天测空腹和三餐后 2 小时血糖，记在血糖本上，复诊时带给医生。空腹血糖持续高于 10 或低于 3.9 请及时就诊。',
  },
  // 妇产科
  {
    departmentCode: 'FCK',
    topic: 'revisit',
    title: '产后 42 天复查',
    body: '产后 42 天请妈妈和宝宝一起回妇产科门诊复查，可在公众号提前预约；复查包括子宫恢复、伤口和盆底功能评估。',
  },
  {
    departmentCode: 'FCK',
    topic: 'medication',
    title: '哺乳期用药',
    body: '哺乳期用药请先咨询医生或药师，出院带药中的铁剂、钙剂可以正常哺乳；自行购买的感冒药、止痛药请先电话咨询科室。',
  },
  // 心内科
  {
    departmentCode: 'XNK',
    topic: 'medication',
    title: '支架术后双抗药物',
    body: '支架术后阿司匹林和氯吡格雷（或替格瑞洛）一般要连续服用 12 个月，千万不要自行停药；拔牙或做其他手术前，请先咨询心内科医生。',
  },
  {
    departmentCode: 'XNK',
    topic: 'revisit',
    title: '心内科术后复诊',
    body: '支架术后 1 个月、3 个月、6 个月回心内科门诊复诊，复查血常规、肝功能和血脂；如有胸痛持续超过 15 分钟，请立即拨打 120。',
  },
];
