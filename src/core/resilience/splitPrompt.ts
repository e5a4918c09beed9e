/**
 * Splits a prompt into at most `maxParts` pieces for the `decompose` fallback, along the most natural
 * seams it has: paragraphs, else lines, else sentences. Pieces are grouped greedily to similar sizes
 * and keep their order; nothing is dropped (joining the pieces gives back every unit).
 */
export function splitPrompt(prompt: string, maxParts: number): string[] {
  const text = prompt.trim();
  const { units, seam } = firstWithSeveral([
    [/\n\s*\n/, '\n\n'],
    [/\n/, '\n'],
    [/(?<=[.!?;])\s+/, ' '],
  ], text);
  if (units.length < 2 || maxParts < 2) return [text];
  const parts = Math.min(maxParts, units.length);
  const total = units.reduce((n, u) => n + u.length, 0);
  const groups: string[][] = [];
  let current: string[] = [];
  let size = 0;
  let consumed = 0;
  for (const [i, unit] of units.entries()) {
    current.push(unit);
    size += unit.length;
    consumed += unit.length;
    const groupsLeft = parts - groups.length - 1;
    const unitsLeft = units.length - i - 1;
    // Close the group when it reached its fair share of what is left, or when every remaining unit must get its own group.
    const fairShare = (total - consumed + size) / (groupsLeft + 1);
    if (groupsLeft > 0 && (size >= fairShare || unitsLeft === groupsLeft)) {
      groups.push(current);
      current = [];
      size = 0;
    }
  }
  if (current.length > 0) groups.push(current);
  return groups.map((g) => g.join(seam));
}

function firstWithSeveral(seams: ReadonlyArray<readonly [RegExp, string]>, text: string): { units: string[]; seam: string } {
  for (const [pattern, seam] of seams) {
    const units = text.split(pattern).map((u) => u.trim()).filter((u) => u !== '');
    if (units.length >= 2) return { units, seam };
  }
  return { units: [], seam: '' };
}
