/** A collected report as an .xlsx workbook (exceljs): one sheet per table, numbers as numbers, percentages formatted, header row frozen. */
import ExcelJS from 'exceljs';
import type { ReportData } from '../../domain/reports/data.js';
import { NO_VALUE } from '../../domain/reports/format.js';
import { periodLabel } from '../../domain/reports/period.js';
import { reportTables, type ColumnType } from '../../domain/reports/tables.js';
import { REPORT_LABELS } from '../../workflows/reports/contracts.js';

const NUMBER_FORMATS: Record<ColumnType, string | undefined> = { text: undefined, int: '0', percent: '0.0%', decimal: '0.0' };

/** Excel refuses these characters in sheet names, and more than 31 characters. */
const sheetName = (title: string) => title.replace(/[[\]:*?/\\]/g, '-').slice(0, 31);

export async function renderXlsx(data: ReportData): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = data.hospitalName;
  book.title = `${data.hospitalName} ${REPORT_LABELS[data.report]} ${periodLabel(data.period)}`;
  for (const table of reportTables(data)) {
    const sheet = book.addWorksheet(sheetName(table.title), { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = table.columns.map((c) => ({
      header: c.header,
      width: Math.max(10, [...c.header].length * 2 + 2),
      style: NUMBER_FORMATS[c.type] ? { numFmt: NUMBER_FORMATS[c.type] } : {},
    }));
    sheet.getRow(1).font = { bold: true };
    for (const row of table.rows) {
      // An undefined figure is "—" (text), never 0 or an empty cell that reads as 0.
      const added = sheet.addRow(row.map((cell) => (cell === null ? NO_VALUE : cell)));
      row.forEach((cell, i) => {
        if (cell === null) added.getCell(i + 1).alignment = { horizontal: 'right' };
      });
    }
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}
