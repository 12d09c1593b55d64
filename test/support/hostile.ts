/** Hostile request bodies shared by the bound and fuzz tests. */

/** "Billion laughs": `levels` anchors, each a list of `fanout` aliases of the previous one. */
export function yamlBomb(levels = 9, fanout = 9, flow = false): string {
  const lines = [`l0: &l0 [${Array(fanout).fill('lol').join(',')}]`];
  for (let i = 1; i < levels; i++)
    lines.push(
      `l${i}: &l${i} [${Array(fanout)
        .fill(`*l${i - 1}`)
        .join(',')}]`,
    );
  return flow ? `{${lines.join(', ')}}` : `${lines.join('\n')}\n`;
}

/** `depth` nested JSON (and YAML flow) arrays around `1`. */
export const deepJson = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
