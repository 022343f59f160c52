/** Independent check of Slack's Block Kit limits on a message as sent: returns the violations found. */
export function blockKitViolations(message: { text?: unknown; blocks?: unknown }): string[] {
  const problems: string[] = [];
  const blocks = (Array.isArray(message.blocks) ? message.blocks : []) as Array<Record<string, any>>;
  if (blocks.length > 50) problems.push(`${blocks.length} blocks (max 50)`);
  if (typeof message.text === 'string' && message.text.length > 40_000) problems.push('text over 40,000');
  for (const [i, block] of blocks.entries()) {
    const where = `block ${i} (${block.type})`;
    if (block.type === 'section') {
      if (block.text?.text?.length > 3000) problems.push(`${where}: text ${block.text.text.length} chars (max 3000)`);
      if (block.fields?.length > 10) problems.push(`${where}: ${block.fields.length} fields (max 10)`);
      if (block.accessory?.type === 'button' && block.accessory.text.text.length > 75) problems.push(`${where}: button text over 75`);
    }
    if (block.type === 'header' && block.text?.text?.length > 150) problems.push(`${where}: header ${block.text.text.length} chars (max 150)`);
    if (block.type === 'context' && block.elements?.length > 10) problems.push(`${where}: ${block.elements.length} elements (max 10)`);
    if (block.type === 'actions') {
      if (block.elements?.length > 25) problems.push(`${where}: ${block.elements.length} elements (max 25)`);
      for (const el of block.elements ?? []) {
        if (el.type === 'button' && el.text?.text?.length > 75) problems.push(`${where}: button text ${el.text.text.length} chars (max 75)`);
        if (el.value?.length > 2000) problems.push(`${where}: button value over 2000`);
      }
    }
  }
  return problems;
}
