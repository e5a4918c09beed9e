import { isMap, isScalar, isSeq, LineCounter, type Document, type Node as YamlNode } from 'yaml';

/**
 * Maps a key path (as zod reports it) to a 1-based line in the YAML source. When the path goes
 * deeper than the document (a missing key), the line of the deepest existing ancestor is used, so
 * every error still points somewhere useful.
 */
export function lineOfPath(doc: Document, lines: LineCounter, path: readonly PropertyKey[], key?: string): number {
  let node: unknown = doc.contents;
  let offset = nodeOffset(node) ?? 0;
  const steps = key === undefined ? [...path] : [...path, key];
  for (const [index, step] of steps.entries()) {
    const isLastKey = key !== undefined && index === steps.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      // For an unknown key the key itself is the interesting place, not its value.
      const keyOffset = nodeOffset(pair.key);
      if (isLastKey || pair.value === null) {
        offset = keyOffset ?? offset;
        break;
      }
      node = pair.value;
      offset = nodeOffset(node) ?? keyOffset ?? offset;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step];
      if (item === undefined) break;
      node = item;
      offset = nodeOffset(node) ?? offset;
    } else {
      break;
    }
  }
  return lines.linePos(offset).line;
}

function nodeOffset(node: unknown): number | undefined {
  const range = (node as YamlNode | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
