/**
 * STAND-IN for Slack's server-side Block Kit validation (test/support only). Checks the limits the bot
 * can run into, as documented on docs.slack.dev (reference/block-kit): a message holds at most 50
 * blocks (a Home tab view 100: reference/views/home-tab-views); section text 3000, section fields ≤ 10 of 2000 each; header text 150; context ≤ 10 elements;
 * actions ≤ 25 elements; button text 75, value 2000, action_id 255 (unique in its block... and in the
 * message for our purposes); block_id 255 and unique in the message; confirm dialog title 100, text
 * 300, confirm/deny 30. Returns the list of problems in Slack's wording style (empty = valid).
 * Deliberately independent of src/slack/blocks: it must catch the renderer's mistakes, not share them.
 */
type Json = Record<string, unknown>;

const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  markdownBlockText: 12000,
} as const;

const KNOWN = new Set([
  'section',
  'header',
  'divider',
  'context',
  'actions',
  'image',
  'rich_text',
  'markdown',
]);

function textObject(errs: string[], where: string, t: unknown, max: number, plainOnly = false): void {
  if (typeof t !== 'object' || t === null) {
    errs.push(`${where}: must be a text object`);
    return;
  }
  const o = t as Json;
  if (o.type !== 'plain_text' && o.type !== 'mrkdwn')
    errs.push(`${where}.type: must be plain_text or mrkdwn`);
  if (plainOnly && o.type !== 'plain_text') errs.push(`${where}.type: must be plain_text`);
  if (typeof o.text !== 'string' || o.text.length === 0) {
    errs.push(`${where}.text: must be more than 0 characters`);
    return;
  }
  if (o.text.length > max) errs.push(`${where}.text: must be less than ${max + 1} characters`);
}

function confirmDialog(errs: string[], where: string, c: unknown): void {
  if (c === undefined) return;
  const o = c as Json;
  textObject(errs, `${where}.title`, o.title, LIMITS.confirmTitle, true);
  textObject(errs, `${where}.text`, o.text, LIMITS.confirmText);
  textObject(errs, `${where}.confirm`, o.confirm, LIMITS.confirmButton, true);
  textObject(errs, `${where}.deny`, o.deny, LIMITS.confirmButton, true);
}

function element(errs: string[], where: string, e: Json, actionIds: Set<string>): void {
  if (e.type !== 'button') return; // only buttons are used by the bot; others pass through
  textObject(errs, `${where}.text`, e.text, LIMITS.buttonText, true);
  if (typeof e.action_id === 'string') {
    if (e.action_id.length > LIMITS.actionId)
      errs.push(`${where}.action_id: must be less than ${LIMITS.actionId + 1} characters`);
    if (actionIds.has(e.action_id)) errs.push(`${where}.action_id: duplicate action_id ${e.action_id}`);
    actionIds.add(e.action_id);
  }
  if (e.value !== undefined && (typeof e.value !== 'string' || e.value.length > LIMITS.buttonValue))
    errs.push(`${where}.value: must be less than ${LIMITS.buttonValue + 1} characters`);
  if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger')
    errs.push(`${where}.style: must be one of primary, danger`);
  confirmDialog(errs, `${where}.confirm`, e.confirm);
}

/** Validates a message's `blocks` array (a Home tab view's: `maxBlocks` 100); returns problems (empty
 * when Slack would accept it). */
export function validateBlocks(blocks: unknown, maxBlocks: number = LIMITS.blocks): string[] {
  const errs: string[] = [];
  if (!Array.isArray(blocks)) return ['blocks: must be an array'];
  if (blocks.length > maxBlocks) errs.push(`blocks: must contain at most ${maxBlocks} items`);
  const blockIds = new Set<string>();
  blocks.forEach((raw, i) => {
    const where = `[${i}]`;
    if (typeof raw !== 'object' || raw === null) {
      errs.push(`${where}: must be an object`);
      return;
    }
    const b = raw as Json;
    if (typeof b.type !== 'string' || !KNOWN.has(b.type)) {
      errs.push(`${where}.type: unsupported type ${String(b.type)}`);
      return;
    }
    if (b.block_id !== undefined) {
      const id = String(b.block_id);
      if (id.length > LIMITS.blockId)
        errs.push(`${where}.block_id: must be less than ${LIMITS.blockId + 1} characters`);
      if (blockIds.has(id)) errs.push(`${where}.block_id: duplicate block_id ${id}`);
      blockIds.add(id);
    }
    const actionIds = new Set<string>();
    switch (b.type) {
      case 'section': {
        if (b.text === undefined && b.fields === undefined) errs.push(`${where}: must have text or fields`);
        if (b.text !== undefined) textObject(errs, `${where}.text`, b.text, LIMITS.sectionText);
        if (b.fields !== undefined) {
          const f = b.fields as unknown[];
          if (!Array.isArray(f) || f.length > LIMITS.sectionFields)
            errs.push(`${where}.fields: must contain at most ${LIMITS.sectionFields} items`);
          else
            for (const [j, x] of f.entries()) textObject(errs, `${where}.fields[${j}]`, x, LIMITS.fieldText);
        }
        if (b.accessory !== undefined) element(errs, `${where}.accessory`, b.accessory as Json, actionIds);
        break;
      }
      case 'header':
        textObject(errs, `${where}.text`, b.text, LIMITS.headerText, true);
        break;
      case 'context': {
        const el = b.elements as unknown[];
        if (!Array.isArray(el) || el.length === 0 || el.length > LIMITS.contextElements)
          errs.push(`${where}.elements: must contain between 1 and ${LIMITS.contextElements} items`);
        else
          for (const [j, x] of el.entries())
            textObject(errs, `${where}.elements[${j}]`, x, LIMITS.sectionText);
        break;
      }
      case 'actions': {
        const el = b.elements as Json[];
        if (!Array.isArray(el) || el.length === 0 || el.length > LIMITS.actionsElements)
          errs.push(`${where}.elements: must contain between 1 and ${LIMITS.actionsElements} items`);
        else for (const [j, x] of el.entries()) element(errs, `${where}.elements[${j}]`, x, actionIds);
        break;
      }
      case 'markdown':
        if (typeof b.text !== 'string' || b.text.length > LIMITS.markdownBlockText)
          errs.push(`${where}.text: must be less than ${LIMITS.markdownBlockText + 1} characters`);
        break;
      default:
        break;
    }
  });
  return errs;
}

export const BLOCK_KIT_LIMITS = LIMITS;
