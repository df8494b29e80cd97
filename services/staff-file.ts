/**
 * Reading a hospital's staff list (.xlsx or .csv) into rows keyed by our field names. Headers may be
 * Chinese (用户名, 姓名, 角色, 科室, 密码, 电话, 分机) or the REST field names; the row numbers are the
 * spreadsheet's own (header = row 1), so an error names the row the person sees.
 */
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { ServiceError } from './errors.js';

export const STAFF_FIELDS = ['username', 'displayName', 'role', 'departmentCode', 'password', 'phone', 'extension'] as const;
export type StaffField = (typeof STAFF_FIELDS)[number];

/** The column title shown back in errors, per field. */
export const STAFF_COLUMN_LABELS: Record<StaffField, string> = {
  username: '用户名',
  displayName: '姓名',
  role: '角色',
  departmentCode: '科室',
  password: '密码',
  phone: '电话',
  extension: '分机',
};

const HEADER_ALIASES: Record<string, StaffField> = {
  ...Object.fromEntries(STAFF_FIELDS.map((f) => [f.toLowerCase(), f])),
  ...Object.fromEntries(Object.entries(STAFF_COLUMN_LABELS).map(([f, label]) => [label, f as StaffField])),
  工号: 'username',
  登录名: 'username',
  科室代码: 'departmentCode',
  初始密码: 'password',
  手机: 'phone',
  分机号: 'extension',
};

export interface StaffFileRow {
  /** Row number in the file (the header is row 1). */
  row: number;
  values: Partial<Record<StaffField, string>>;
}

const MAX_ROWS = 5000;

export async function readStaffFile(fileName: string, bytes: Uint8Array): Promise<StaffFileRow[]> {
  const lower = fileName.toLowerCase();
  let table: string[][];
  if (lower.endsWith('.csv')) {
    table = parse(Buffer.from(bytes), { bom: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
  } else if (lower.endsWith('.xlsx')) {
    const book = new ExcelJS.Workbook();
    try {
      await book.xlsx.load(Buffer.from(bytes) as unknown as ExcelJS.Buffer);
    } catch {
      throw fileError('无法读取该 Excel 文件（需要 .xlsx 格式）');
    }
    const sheet = book.worksheets[0];
    if (!sheet) throw fileError('Excel 文件中没有工作表');
    table = [];
    sheet.eachRow({ includeEmpty: true }, (row, n) => {
      const cells: string[] = [];
      for (let c = 1; c <= row.cellCount; c++) cells.push(row.getCell(c).text ?? '');
      table[n - 1] = cells;
    });
    for (let i = 0; i < table.length; i++) table[i] ??= [];
  } else {
    throw fileError('请上传 .xlsx 或 .csv 文件');
  }
  const [header, ...body] = table;
  if (!header) throw fileError('文件是空的');
  const columns = header.map((h) => HEADER_ALIASES[h.trim()] ?? HEADER_ALIASES[h.trim().toLowerCase()] ?? null);
  const missing = (['username', 'displayName', 'role'] as const).filter((f) => !columns.includes(f));
  if (missing.length) throw fileError(`缺少列：${missing.map((f) => STAFF_COLUMN_LABELS[f]).join('、')}`);
  if (body.length > MAX_ROWS) throw fileError(`一次最多导入 ${MAX_ROWS} 行`);
  const rows: StaffFileRow[] = [];
  body.forEach((cells, i) => {
    const values: StaffFileRow['values'] = {};
    columns.forEach((field, c) => {
      const v = cells[c]?.trim();
      if (field && v) values[field] = v;
    });
    if (Object.keys(values).length > 0) rows.push({ row: i + 2, values });
  });
  if (rows.length === 0) throw fileError('文件中没有人员数据');
  return rows;
}

function fileError(message: string): ServiceError {
  return new ServiceError(400, 'invalid_file', message, { problems: [{ field: 'file', message }] });
}
