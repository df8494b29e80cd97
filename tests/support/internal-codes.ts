/**
 * The portal speaks Chinese: a page's visible text may not show a Latin-letter internal code
 * where a Chinese name exists (department codes, action codes, question IDs, UUIDs, status enums
 * such as `open`/`resolved`, role names such as `agent`). Any Latin word outside a short list of
 * terms hospital staff use as they are (HL7, SLA, PDF …) fails, with where it stood on the page.
 * The role walks (tests/e2e/role-walks.spec.ts) check every page they visit, and keep a
 * screenshot of each under test-artifacts/e2e/<role>/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { ROOT } from '../../scripts/lib/stack.js';

/** Latin that belongs on a Chinese screen: standards, product names and keys as staff say them. */
export const LEGITIMATE_LATIN: readonly string[] = [
  'HL7', 'FHIR', 'MLLP', 'SLA', 'ID', 'IP', 'PDF', 'Excel', 'CSV', 'HIS', 'QR', 'SMS', 'Temporal', 'UI', 'API', 'VIP',
  // Keyboard hints.
  'Ctrl', 'Alt', 'Shift', 'Enter', 'Esc', 'Tab',
];

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
/** A Latin word, with the digits, `_`, `-` and `.` that codes are made of (pain, wound_exudate, red_flag, A1B2, ZY-123). */
const LATIN_WORD = /[A-Za-z][A-Za-z0-9]*(?:[_.-][A-Za-z0-9]+)*/g;

export interface CodeCheckOptions {
  /** Further Latin the page may show: exact strings (usernames, a hospital's own numbers) or patterns. */
  allow?: (string | RegExp)[];
}

/** The Latin codes in `text` that are not allowed, each with a little of the text around it. */
export function internalCodesIn(text: string, options: CodeCheckOptions = {}): string[] {
  let rest = text;
  for (const allowed of options.allow ?? []) {
    rest = typeof allowed === 'string' ? rest.split(allowed).join(' ') : rest.replace(new RegExp(allowed.source, allowed.flags.includes('g') ? allowed.flags : `${allowed.flags}g`), ' ');
  }
  const found: string[] = [];
  const around = (index: number, length: number) => rest.slice(Math.max(0, index - 20), index + length + 20).replace(/\s+/g, ' ').trim();
  for (const m of rest.matchAll(UUID)) found.push(`UUID ${m[0]} in «${around(m.index, m[0].length)}»`);
  rest = rest.replace(UUID, ' ');
  for (const m of rest.matchAll(LATIN_WORD)) {
    if (LEGITIMATE_LATIN.includes(m[0])) continue;
    found.push(`${m[0]} in «${around(m.index, m[0].length)}»`);
  }
  return found;
}

/**
 * The text a person sees in the element: its rendered text nodes, leaving out keys printed as
 * keys (<kbd>j</kbd>/<kbd>k</kbd>, which are not codes) and anything hidden (scripts, closed menus).
 */
export async function visibleText(locator: Locator): Promise<string> {
  await locator.waitFor();
  // Pages that keep re-rendering (the Temporal UI's live panels) may swap the element meanwhile: then its text as it stands.
  return locator.evaluate((root) => {
    const parts: string[] = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest('kbd, script, style, template')) continue;
      if (!parent.checkVisibility({ visibilityProperty: true } as CheckVisibilityOptions)) continue;
      parts.push(node.textContent ?? '');
    }
    return parts.join(' ');
  }, undefined, { timeout: 5_000 }).catch(async () => (await locator.textContent()) ?? '');
}

/** Fails when the visible text of the page (or of one part of it) shows an internal code. */
export async function expectNoInternalCodes(target: Page | Locator, options: CodeCheckOptions = {}): Promise<void> {
  const locator = 'locator' in target && 'goto' in target ? target.locator('body') : (target as Locator);
  const text = await visibleText(locator);
  const codes = internalCodesIn(text, options);
  if (codes.length) {
    const where = 'goto' in target ? target.url() : target.page().url();
    throw new Error(`${where} shows internal codes where a Chinese name belongs:\n  ${codes.join('\n  ')}`);
  }
}

/** Where the walks keep their screenshots (gitignored; CI keeps the folder as an artefact). */
export const ARTIFACTS_DIR = join(ROOT, 'test-artifacts', 'e2e');

/**
 * One role's walk: `visit(page, name)` keeps a numbered full-page screenshot of the page as it is
 * (test-artifacts/e2e/<role>/<nn>-<name>.png) and checks its visible text for internal codes.
 */
export function walkOf(role: string, defaults: CodeCheckOptions = {}) {
  const dir = join(ARTIFACTS_DIR, role);
  mkdirSync(dir, { recursive: true });
  let count = 0;
  return {
    dir,
    async visit(page: Page, name: string, options: CodeCheckOptions & { within?: Locator } = {}): Promise<void> {
      count += 1;
      // Read first (a full-page screenshot resizes the page, which live pages re-render), keep the picture either way.
      const checked = expectNoInternalCodes(options.within ?? page, { allow: [...(defaults.allow ?? []), ...(options.allow ?? [])] }).then(
        () => undefined,
        (err: unknown) => err,
      );
      const failure = await checked;
      await page.screenshot({ path: join(dir, `${String(count).padStart(2, '0')}-${name}.png`), fullPage: true });
      if (failure) throw failure;
    },
  };
}
