/** A Markdown table: the header's cells, the separator, then one row of cells per item. */
export function markdownTable<T>(
  header: readonly string[],
  items: readonly T[],
  cells: (item: T) => ReadonlyArray<string | number>,
): string {
  const row = (values: ReadonlyArray<string | number>): string => `| ${values.join(' | ')} |`;
  return [row(header), `|${header.map(() => '---').join('|')}|`, ...items.map((item) => row(cells(item)))].join('\n');
}
