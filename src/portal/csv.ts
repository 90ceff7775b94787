/**
 * CSV (RFC 4180) with formula injection neutralised: a cell that a spreadsheet would read
 * as a formula (starting with =, +, -, @, tab or carriage return) is prefixed with a single
 * quote (OWASP "CSV Injection"). Every cell is quoted.
 */
export function csvCell(value: string | number | null | undefined): string {
  let text = value == null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function csvLine(cells: Array<string | number | null | undefined>): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
