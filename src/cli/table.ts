/** Rows as aligned columns, two spaces apart; the last column is not padded. */
export function table(rows: readonly string[][]): string {
  const shown = rows.map((r) => r.map(printable));
  const widths = shown[0]!.map((_, i) => Math.max(...shown.map((r) => r[i]!.length)));
  return shown.map((r) => `${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`).join('');
}

// A cell may come from another machine (ls -H: a console's name, a
// reason): its control characters (ESC, BEL, CR ...) are shown as \xNN,
// never sent to the user's terminal to act on.
function printable(cell: string): string {
  // eslint-disable-next-line no-control-regex
  return cell.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
