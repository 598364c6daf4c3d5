// The README's tables of properties keys and credentials providers, rendered from the constants
// the daemon itself uses, so readme.test.ts can check that the README says what the code does.
import { CREDENTIALS_PROVIDERS, MULTILANG_PROPERTY_KEYS, type PropertyKeyInfo } from '../../src';

/** A table cell: a `|` inside it would end the cell. */
const cell = (text: string): string => text.replace(/\|/g, '\\|');
const code = (text: string): string => `\`${cell(text)}\``;

const keysWith = (support: PropertyKeyInfo['support']): [string, PropertyKeyInfo][] => Object.entries(MULTILANG_PROPERTY_KEYS).filter(([, info]) => info.support === support);

/** `| key | what it sets here |`, one row per supported key, in the constant's order. */
export function supportedKeyRows(): string[] {
  return keysWith('supported').map(([key, info]) => `| ${code(key)} | ${cell(info.note)} |`);
}

/** `| keys | why |`: the keys accepted without effect, one row per reason. */
export function noOpKeyRows(): string[] {
  return groupRows(keysWith('no-op'));
}

/** `| keys | why |`: the keys ignored with a warning, one row per reason; values that need no warning are named. */
export function unsupportedKeyRows(): string[] {
  return groupRows(keysWith('unsupported'));
}

function groupRows(entries: readonly [string, PropertyKeyInfo][]): string[] {
  const byNote = new Map<string, string[]>();
  for (const [key, info] of entries) {
    const honoured = info.honouredWhen?.length ? ` (no warning for ${info.honouredWhen.map(code).join(', ')})` : '';
    byNote.set(info.note, [...(byNote.get(info.note) ?? []), `${code(key)}${honoured}`]);
  }
  return [...byNote].map(([note, keys]) => `| ${keys.join(', ')} | ${cell(note)} |`);
}

/** `| provider | honoured | what it becomes here |`, one row per Java provider. */
export function credentialsRows(): string[] {
  return Object.entries(CREDENTIALS_PROVIDERS).map(([name, info]) => `| ${code(name)} | ${info.honoured ? 'yes' : 'no, warns'} | ${cell(info.note)} |`);
}
