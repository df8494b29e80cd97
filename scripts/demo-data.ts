/**
 * Demo data for the follow-up platform: departments, users and HIS discharge messages.
 *
 * Pure and deterministic: no I/O, no clock. The current time comes in through `now`.
 *
 * Stability across runs: every patient's attributes (name, sex, diagnosis, phone, address,
 * department, time of day, how many days before `now`) come from a PRNG seeded with
 * (seed, index) only, and encounter/patient IDs are built from seed and index alone.
 * Re-running the seed with the same seed therefore resends the same encounters and
 * patients (the HIS endpoint treats them as duplicates) instead of creating new ones.
 * Only `dischargedAt` and `birthDate` move with `now`.
 */

export interface DemoDepartment {
  code: string;
  name: string;
  kind: 'clinical' | 'functional';
}

export interface DemoUser {
  username: string;
  displayName: string;
  role: 'agent' | 'dept_head' | 'dept_staff' | 'manager' | 'admin';
  departmentCode: string | null;
  /** The phone click-to-call rings first (agents; the 模拟手机 page answers it in `npm start`). */
  callPhone?: string;
}

/** Exactly the JSON body accepted by POST /api/his/discharges. */
export interface DemoDischarge {
  encounterId: string;
  patient: { id: string; name: string; sex: 'M' | 'F'; birthDate: string; phone: string; address: string };
  department: string;
  diagnosis: { code: string; name: string };
  procedure?: string;
  attendingDoctor: string;
  /** 病区, 房间, 床位 (HL7 PV1-3.1–3), so a facilities complaint says where. */
  ward: string;
  room: string;
  bed: string;
  dischargedAt: string;
}

/** Each clinical department's wards (病区) in the demo hospital. */
const DEMO_WARDS: Record<string, readonly string[]> = {
  GK: ['骨科一病区', '骨科二病区'],
  PWK: ['普外科病区'],
  NFM: ['内分泌科病区'],
  FCK: ['产科病区', '妇科病区'],
  XNK: ['心内科一病区', 'CCU'],
};

export const DEMO_DEPARTMENTS: DemoDepartment[] = [
  { code: 'GK', name: '骨科', kind: 'clinical' },
  { code: 'PWK', name: '普外科', kind: 'clinical' },
  { code: 'NFM', name: '内分泌科', kind: 'clinical' },
  { code: 'FCK', name: '妇产科', kind: 'clinical' },
  { code: 'XNK', name: '心内科', kind: 'clinical' },
  { code: 'HLB', name: '护理部', kind: 'functional' },
  { code: 'YWK', name: '医务科', kind: 'functional' },
  { code: 'ZWK', name: '总务科', kind: 'functional' },
  { code: 'MZB', name: '门诊部', kind: 'functional' },
];

export const DEMO_USERS: DemoUser[] = [
  { username: 'admin', displayName: '王建华', role: 'admin', departmentCode: null },
  { username: 'manager', displayName: '李淑芬', role: 'manager', departmentCode: null },
  { username: 'agent1', displayName: '周晓梅', role: 'agent', departmentCode: 'GK', callPhone: '+861088880001' },
  { username: 'agent2', displayName: '陈思雨', role: 'agent', departmentCode: 'NFM', callPhone: '+861088880002' },
  { username: 'agent3', displayName: '刘婷婷', role: 'agent', departmentCode: 'FCK', callPhone: '+861088880003' },
  { username: 'head_gk', displayName: '赵国栋', role: 'dept_head', departmentCode: 'GK' },
  { username: 'staff_gk', displayName: '孙丽娜', role: 'dept_staff', departmentCode: 'GK' },
  { username: 'head_hlb', displayName: '吴秀英', role: 'dept_head', departmentCode: 'HLB' },
  { username: 'head_zwk', displayName: '郑海涛', role: 'dept_head', departmentCode: 'ZWK' },
  { username: 'staff_nfm', displayName: '黄佳琪', role: 'dept_staff', departmentCode: 'NFM' },
  // Every clinical department has an agent, so no demo task waits without one.
  { username: 'agent4', displayName: '马文静', role: 'agent', departmentCode: 'PWK', callPhone: '+861088880004' },
  { username: 'agent5', displayName: '林雪', role: 'agent', departmentCode: 'XNK', callPhone: '+861088880005' },
  // Every department a complaint category routes to has someone who can act on it.
  { username: 'head_ywk', displayName: '高志强', role: 'dept_head', departmentCode: 'YWK' },
  { username: 'head_mzb', displayName: '何静', role: 'dept_head', departmentCode: 'MZB' },
];

export const DEFAULT_DEMO_SEED = 2026;
const MAX_COUNT = 99_999; // the index is padded to 5 digits; more would make IDs ambiguous

// ---------------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------------

type Rng = () => number;

/** mulberry32: tiny, fast, good enough for demo data. Returns floats in [0, 1). */
function mulberry32(a: number): Rng {
  let state = a >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes seed and index into one 32-bit state (murmur3 finaliser), so each patient has its own stream. */
function streamSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.floor(seed / 4294967296)) >>> 0;
  h = (h ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from empty list');
  return items[Math.floor(rng() * items.length)] as T;
}

function weighted<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((sum, [, w]) => sum + w, 0);
  let r = rng() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  const last = items[items.length - 1];
  if (!last) throw new Error('weighted pick from empty list');
  return last[0];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

// ---------------------------------------------------------------------------------------------
// Clinical content
// ---------------------------------------------------------------------------------------------

interface DiagnosisSpec {
  code: string;
  name: string;
  weight: number;
  ages: readonly [number, number];
  /** Probability the patient is female. */
  female: number;
  procedures?: readonly string[];
  /** Probability a procedure is recorded (default 1 when procedures are given). */
  procedureRate?: number;
}

interface ClinicalSpec {
  code: string;
  weight: number;
  doctors: readonly string[];
  diagnoses: readonly DiagnosisSpec[];
}

const CLINICAL: readonly ClinicalSpec[] = [
  {
    code: 'GK',
    weight: 25,
    doctors: ['张建军', '王立新', '刘志勇', '陈国强'],
    diagnoses: [
      { code: 'S72.001', name: '股骨颈骨折', weight: 4, ages: [62, 90], female: 0.65, procedures: ['股骨颈骨折内固定术', '人工股骨头置换术', '全髋关节置换术'] },
      { code: 'M16.1', name: '髋关节骨关节炎', weight: 3, ages: [52, 85], female: 0.55, procedures: ['全髋关节置换术'] },
      { code: 'M17.1', name: '膝关节骨关节炎', weight: 4, ages: [55, 85], female: 0.65, procedures: ['全膝关节置换术', '单髁膝关节置换术'] },
      { code: 'M48.0', name: '腰椎管狭窄症', weight: 2, ages: [50, 82], female: 0.45, procedures: ['腰椎后路减压植骨融合内固定术'] },
      { code: 'S52.5', name: '桡骨远端骨折', weight: 2, ages: [35, 85], female: 0.6, procedures: ['桡骨远端骨折切开复位内固定术'] },
    ],
  },
  {
    code: 'PWK',
    weight: 25,
    doctors: ['李卫东', '杨振华', '何明', '徐海波'],
    diagnoses: [
      { code: 'K80.1', name: '胆囊结石伴胆囊炎', weight: 4, ages: [30, 78], female: 0.6, procedures: ['腹腔镜胆囊切除术'] },
      { code: 'K35.8', name: '急性阑尾炎', weight: 3, ages: [18, 65], female: 0.45, procedures: ['腹腔镜阑尾切除术'] },
      { code: 'K40.9', name: '腹股沟疝', weight: 3, ages: [40, 85], female: 0.15, procedures: ['腹股沟疝无张力修补术', '腹腔镜腹股沟疝修补术'] },
      { code: 'K56.7', name: '肠梗阻', weight: 1, ages: [35, 85], female: 0.45, procedures: ['肠粘连松解术'], procedureRate: 0.3 },
    ],
  },
  {
    code: 'NFM',
    weight: 20,
    doctors: ['林雪梅', '高静', '马晓红'],
    diagnoses: [
      { code: 'E11.9', name: '2型糖尿病', weight: 4, ages: [40, 85], female: 0.45 },
      { code: 'E11.6', name: '2型糖尿病伴并发症', weight: 3, ages: [48, 88], female: 0.45 },
      { code: 'E05.0', name: '甲状腺功能亢进症', weight: 2, ages: [20, 60], female: 0.78 },
      { code: 'E03.9', name: '甲状腺功能减退症', weight: 1, ages: [30, 75], female: 0.8 },
    ],
  },
  {
    code: 'FCK',
    weight: 15,
    doctors: ['罗丽华', '郭敏', '胡春燕', '朱玉洁'],
    diagnoses: [
      { code: 'O80.0', name: '单胎顺产', weight: 5, ages: [22, 40], female: 1 },
      { code: 'O82.0', name: '择期剖宫产', weight: 3, ages: [24, 42], female: 1, procedures: ['剖宫产术'] },
      { code: 'O82.1', name: '急诊剖宫产', weight: 1, ages: [22, 42], female: 1, procedures: ['剖宫产术'] },
      { code: 'O42.9', name: '胎膜早破', weight: 1, ages: [22, 40], female: 1 },
    ],
  },
  {
    code: 'XNK',
    weight: 15,
    doctors: ['赵永刚', '孙宏伟', '吴晓峰'],
    diagnoses: [
      { code: 'I20.0', name: '不稳定型心绞痛', weight: 4, ages: [50, 86], female: 0.35, procedures: ['冠状动脉支架植入术'], procedureRate: 0.7 },
      { code: 'I21.9', name: '急性心肌梗死', weight: 2, ages: [45, 88], female: 0.3, procedures: ['冠状动脉支架植入术'], procedureRate: 0.85 },
      { code: 'I50.9', name: '心力衰竭', weight: 3, ages: [60, 90], female: 0.5 },
      { code: 'I10', name: '原发性高血压', weight: 3, ages: [40, 85], female: 0.45 },
      { code: 'I48', name: '心房颤动', weight: 2, ages: [55, 88], female: 0.45, procedures: ['心房颤动射频消融术'], procedureRate: 0.4 },
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// People
// ---------------------------------------------------------------------------------------------

/** Common surnames, roughly by frequency. */
const SURNAMES: readonly (readonly [string, number])[] = [
  ['王', 10], ['李', 10], ['张', 9], ['刘', 8], ['陈', 7], ['杨', 5], ['黄', 4], ['赵', 4], ['吴', 3], ['周', 3],
  ['徐', 2], ['孙', 2], ['马', 2], ['朱', 2], ['胡', 2], ['郭', 2], ['何', 2], ['高', 2], ['林', 2], ['罗', 2],
  ['郑', 1], ['梁', 1], ['谢', 1], ['宋', 1], ['唐', 1], ['许', 1], ['韩', 1], ['冯', 1], ['邓', 1], ['曹', 1],
  ['彭', 1], ['曾', 1], ['肖', 1], ['田', 1], ['董', 1], ['袁', 1], ['潘', 1], ['于', 1], ['蒋', 1], ['蔡', 1],
];

/** Given names by sex and generation, so an 80-year-old is not called 子轩. */
const GIVEN_NAMES = {
  M: {
    old: ['建国', '国华', '志强', '卫东', '建军', '德明', '振华', '永福', '长青', '保国', '文明', '庆祥', '树林', '玉山', '福', '军', '忠'],
    mid: ['伟', '强', '磊', '军', '勇', '涛', '斌', '海涛', '志刚', '建平', '红军', '晓东', '立新', '国庆', '宏伟', '春生', '海波', '明'],
    young: ['浩然', '子轩', '宇航', '俊杰', '博文', '一鸣', '思远', '嘉豪', '浩', '鹏', '超', '杰', '宇', '晨阳', '泽宇', '天昊'],
  },
  F: {
    old: ['桂兰', '秀英', '淑珍', '玉兰', '凤英', '秀兰', '桂芳', '丽华', '素芬', '玉珍', '桂英', '淑华', '兰', '英'],
    mid: ['丽娟', '海燕', '晓燕', '红梅', '静', '敏', '芳', '丽', '艳', '娟', '秀梅', '春燕', '雪梅', '丽萍', '玉梅', '霞'],
    young: ['欣怡', '雨婷', '思琪', '佳怡', '梦瑶', '婉清', '诗涵', '晓雯', '婷', '颖', '悦', '雪', '佳琪', '子涵', '雨欣', '琳'],
  },
} as const;

/** By age rather than birth year, so a patient's name does not change when `now` moves. */
function givenName(rng: Rng, sex: 'M' | 'F', age: number): string {
  const byGen = GIVEN_NAMES[sex];
  const gen = age >= 64 ? byGen.old : age >= 38 ? byGen.mid : byGen.young;
  return pick(rng, gen);
}

/** Mobile prefixes of the three big carriers (13x/15x/17x/18x/19x). */
const PHONE_PREFIXES = [
  '130', '131', '132', '133', '134', '135', '136', '137', '138', '139',
  '150', '151', '152', '153', '155', '156', '157', '158', '159',
  '176', '177', '178', '180', '181', '182', '183', '185', '186', '187', '188', '189',
  '191', '198', '199',
] as const;

function phone(rng: Rng): string {
  return pick(rng, PHONE_PREFIXES) + pad(int(rng, 0, 99_999_999), 8);
}

interface Community {
  /** Province/city + district. */
  area: string;
  /** Street/town + community. */
  place: string;
  style: 'building' | 'tower' | 'village';
  floors: number;
}

const COMMUNITIES: readonly (readonly [Community, number])[] = [
  [{ area: '北京市朝阳区', place: '望京街道花家地南里', style: 'building', floors: 6 }, 3],
  [{ area: '北京市朝阳区', place: '双井街道九龙花园', style: 'building', floors: 18 }, 2],
  [{ area: '北京市朝阳区', place: '劲松街道劲松八区', style: 'building', floors: 6 }, 2],
  [{ area: '北京市海淀区', place: '中关村街道黄庄小区', style: 'building', floors: 14 }, 2],
  [{ area: '北京市海淀区', place: '学院路街道石油大院', style: 'building', floors: 6 }, 2],
  [{ area: '北京市东城区', place: '和平里街道和平里七区', style: 'building', floors: 6 }, 2],
  [{ area: '北京市西城区', place: '展览路街道百万庄北里', style: 'building', floors: 5 }, 1],
  [{ area: '北京市丰台区', place: '方庄街道芳古园一区', style: 'building', floors: 16 }, 2],
  [{ area: '北京市丰台区', place: '卢沟桥街道万柳园', style: 'building', floors: 20 }, 1],
  [{ area: '北京市石景山区', place: '八角街道八角北里', style: 'building', floors: 6 }, 1],
  [{ area: '北京市通州区', place: '永顺镇新华联家园', style: 'tower', floors: 26 }, 2],
  [{ area: '北京市昌平区', place: '回龙观街道龙泽苑', style: 'building', floors: 6 }, 2],
  [{ area: '北京市昌平区', place: '天通苑北街道天通苑北一区', style: 'building', floors: 12 }, 2],
  [{ area: '北京市大兴区', place: '黄村镇兴华园', style: 'building', floors: 6 }, 1],
  [{ area: '北京市顺义区', place: '胜利街道建新南区', style: 'building', floors: 6 }, 1],
  [{ area: '北京市房山区', place: '长阳镇半岛家园', style: 'tower', floors: 24 }, 1],
  [{ area: '天津市河西区', place: '友谊路街道新城花园', style: 'building', floors: 7 }, 1],
  [{ area: '河北省廊坊市广阳区', place: '新开路街道金泰小区', style: 'tower', floors: 18 }, 1],
  [{ area: '河北省廊坊市三河市', place: '燕郊镇天洋城四代', style: 'tower', floors: 30 }, 1],
  [{ area: '河北省保定市涿州市', place: '码头镇西码头村', style: 'village', floors: 1 }, 1],
  [{ area: '河北省张家口市怀来县', place: '沙城镇东园村', style: 'village', floors: 1 }, 1],
];

function address(rng: Rng): string {
  const c = weighted(rng, COMMUNITIES);
  if (c.style === 'village') return `${c.area}${c.place}${int(rng, 1, 320)}号`;
  const room = `${int(rng, 1, c.floors)}${pad(int(rng, 1, c.style === 'tower' ? 6 : 4))}`;
  if (c.style === 'tower') return `${c.area}${c.place}${int(rng, 1, 32)}栋${int(rng, 1, 3)}单元${room}室`;
  return `${c.area}${c.place}${int(rng, 1, 40)}号楼${int(rng, 1, 6)}单元${room}室`;
}

// ---------------------------------------------------------------------------------------------
// Time (Asia/Shanghai has no DST: always +08:00)
// ---------------------------------------------------------------------------------------------

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SHANGHAI_OFFSET = 8 * HOUR;

/** Discharge-time density over the Shanghai day: mostly mornings, some afternoons, a few evenings. */
const TIME_BANDS: readonly { from: number; to: number; density: number }[] = [
  { from: 8 * HOUR, to: 12 * HOUR, density: 3 },
  { from: 12 * HOUR, to: 18 * HOUR, density: 1.2 },
  { from: 18 * HOUR, to: 20 * HOUR, density: 0.8 },
];

/**
 * Picks a whole-minute instant in [now - days, now] that falls between 08:00 and 20:00 Shanghai time,
 * using the patient's own stream (so it never depends on other patients).
 */
function dischargeInstant(rng: Rng, nowMs: number, days: number): number {
  const lo = nowMs - days * DAY;
  const intervals: { from: number; to: number; weight: number }[] = [];
  // Shanghai midnight (as a UTC instant) of the day containing `now`.
  const todayStart = Math.floor((nowMs + SHANGHAI_OFFSET) / DAY) * DAY - SHANGHAI_OFFSET;
  for (let dayStart = todayStart; dayStart + 20 * HOUR >= lo; dayStart -= DAY) {
    for (const band of TIME_BANDS) {
      // Whole minutes only, inclusive on both ends.
      const from = Math.ceil(Math.max(dayStart + band.from, lo) / MINUTE);
      const to = Math.floor(Math.min(dayStart + band.to - (band.to === 20 * HOUR ? 0 : MINUTE), nowMs) / MINUTE);
      if (to >= from) intervals.push({ from, to, weight: (to - from + 1) * band.density });
    }
  }
  if (intervals.length === 0) throw new RangeError('no time between 08:00 and 20:00 in the requested window; increase `days`');
  const chosen = weighted(
    rng,
    intervals.map((i) => [i, i.weight] as const),
  );
  return int(rng, chosen.from, chosen.to) * MINUTE;
}

function shanghaiParts(ms: number) {
  const d = new Date(ms + SHANGHAI_OFFSET);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth(), d: d.getUTCDate(), hh: d.getUTCHours(), mm: d.getUTCMinutes() };
}

function isoShanghai(ms: number): string {
  const p = shanghaiParts(ms);
  return `${p.y}-${pad(p.m + 1)}-${pad(p.d)}T${pad(p.hh)}:${pad(p.mm)}:00+08:00`;
}

/** A birth date such that the patient is exactly `age` on the (Shanghai) discharge day. */
function birthDate(rng: Rng, dischargeMs: number, age: number): string {
  const p = shanghaiParts(dischargeMs);
  // Subtract 1..364 days from the `age`-th birthday-equivalent; avoids the Feb 29 edge.
  const ms = Date.UTC(p.y - age, p.m, p.d) - int(rng, 1, 364) * DAY;
  const b = new Date(ms);
  return `${b.getUTCFullYear()}-${pad(b.getUTCMonth() + 1)}-${pad(b.getUTCDate())}`;
}

// ---------------------------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------------------------

export function demoEncounterId(seed: number, index: number): string {
  return `ZY${seed}${pad(index, 5)}`;
}

export function demoPatientId(seed: number, index: number): string {
  return `P${seed}${pad(index, 5)}`;
}

export function generateDemoDischarges(options: { now: Date; count?: number; days?: number; seed?: number }): DemoDischarge[] {
  const { now, count = 200, days = 60, seed = DEFAULT_DEMO_SEED } = options;
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) throw new RangeError('`now` is not a valid date');
  if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) throw new RangeError(`count must be an integer in 0..${MAX_COUNT}`);
  if (!Number.isFinite(days) || days <= 0) throw new RangeError('days must be a positive number');
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError('seed must be a non-negative safe integer');

  const out: DemoDischarge[] = [];
  for (let i = 0; i < count; i++) {
    const rng = mulberry32(streamSeed(seed, i));
    // The first five patients cover every clinical department; after that, weighted by volume.
    const dept = i < CLINICAL.length ? (CLINICAL[i] as ClinicalSpec) : weighted(rng, CLINICAL.map((c) => [c, c.weight] as const));
    const dx = weighted(rng, dept.diagnoses.map((d) => [d, d.weight] as const));
    // Two-dice average: ages bunch towards the middle of the range.
    const [minAge, maxAge] = dx.ages;
    const age = Math.round(minAge + ((rng() + rng()) / 2) * (maxAge - minAge));
    const sex: 'M' | 'F' = rng() < dx.female ? 'F' : 'M';
    const procedure =
      dx.procedures && dx.procedures.length > 0 && rng() < (dx.procedureRate ?? 1) ? pick(rng, dx.procedures) : undefined;

    // Draw everything that does not depend on `now` first, so patients stay the same between runs.
    const name = weighted(rng, SURNAMES) + givenName(rng, sex, age);
    const phoneNo = phone(rng);
    const addr = address(rng);
    const doctor = pick(rng, dept.doctors);
    const timeRng = mulberry32(streamSeed(seed, i) ^ 0x27d4eb2d); // own stream, kept apart from the patient attributes
    const placeRng = mulberry32(streamSeed(seed, i) ^ 0x165667b1); // ward and bed: their own stream, so earlier draws stay the same
    const ward = pick(placeRng, DEMO_WARDS[dept.code] ?? ['综合病区']);
    const room = String(int(placeRng, 1, 24) + 100 * (1 + (DEMO_WARDS[dept.code] ?? []).indexOf(ward)));
    const bed = String(int(placeRng, 1, 3));

    const dischargedMs = dischargeInstant(timeRng, nowMs, days);
    const birth = birthDate(rng, dischargedMs, age);

    const discharge: DemoDischarge = {
      encounterId: demoEncounterId(seed, i),
      patient: { id: demoPatientId(seed, i), name, sex, birthDate: birth, phone: phoneNo, address: addr },
      department: dept.code,
      diagnosis: { code: dx.code, name: dx.name },
      attendingDoctor: doctor,
      ward,
      room,
      bed,
      dischargedAt: isoShanghai(dischargedMs),
    };
    if (procedure) discharge.procedure = procedure;
    out.push(discharge);
  }
  return out;
}
