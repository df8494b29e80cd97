/**
 * Page-wide keyboard shortcuts without a dependency. A binding is written like `j`, `Enter`,
 * `/`, `Escape`, `alt+1`, `alt+f` or `mod+Enter` (mod = Ctrl, or ⌘ on a Mac).
 *
 * - Bare keys (no Ctrl/Alt/⌘) are ignored while the user types in a text field, so `j` stays a
 *   letter in the filter box; combinations with a modifier work everywhere.
 * - Letters and digits also match by physical key (`event.code`), so Alt+1 works on a Mac where
 *   the key produces "¡".
 * - Key presses that belong to an IME composition (Chinese input) are never shortcuts.
 */
import { useEffect, useRef } from 'react';

/** Returning `false` declines the key: it then keeps its default action. */
export type HotkeyHandler = (event: KeyboardEvent) => void | boolean;
export type HotkeyMap = Record<string, HotkeyHandler>;

interface Combo {
  mod: boolean;
  alt: boolean;
  key: string;
}

function parse(binding: string): Combo {
  const parts = binding.split('+');
  // `+` itself as the key ("alt++") leaves an empty last part.
  const key = parts.pop() || '+';
  const mods = new Set(parts.map((p) => p.toLowerCase()));
  return { mod: mods.has('mod') || mods.has('ctrl'), alt: mods.has('alt'), key: key.length === 1 ? key.toLowerCase() : key };
}

/** The key as our bindings spell it: a lower-case letter or digit from the physical key where there is one. */
function physicalKey(event: KeyboardEvent): string | null {
  const m = /^(?:Key([A-Z])|Digit([0-9])|Numpad([0-9]))$/.exec(event.code);
  if (!m) return null;
  return (m[1] ?? m[2] ?? m[3] ?? '').toLowerCase();
}

function matches(combo: Combo, event: KeyboardEvent): boolean {
  const mod = event.ctrlKey || event.metaKey;
  if (combo.mod !== mod || combo.alt !== event.altKey) return false;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (key === combo.key) return true;
  // With a modifier the produced character may differ from the key cap (Alt+1 → "¡" on a Mac).
  return (combo.mod || combo.alt) && physicalKey(event) === combo.key;
}

/** Whether the element takes typed text (radio buttons and checkboxes do not). */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['radio', 'checkbox', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(target.type);
  }
  return false;
}

/** Whether Enter/Space on the element already does something (follow a link, press a button …). */
export function isInteractive(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest('a[href], button, input, select, textarea, summary, [contenteditable=""], [contenteditable="true"]') !== null;
}

/**
 * Listens on the document while `enabled`. Handlers are read from the latest render, so an
 * inline object literal is fine. A matched handler's event gets preventDefault() unless the
 * handler returns false.
 * `allowInTextEntry` lists bare keys that still fire while typing (e.g. `Escape`).
 */
export function useHotkeys(bindings: HotkeyMap, options: { enabled?: boolean; allowInTextEntry?: string[] } = {}) {
  const latest = useRef(bindings);
  latest.current = bindings;
  const allowed = useRef(options.allowInTextEntry ?? []);
  allowed.current = options.allowInTextEntry ?? [];
  const enabled = options.enabled ?? true;

  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.isComposing || event.keyCode === 229 || event.defaultPrevented) return;
      const typing = isTextEntry(event.target);
      for (const [binding, handler] of Object.entries(latest.current)) {
        const combo = parse(binding);
        if (!matches(combo, event)) continue;
        const bare = !combo.mod && !combo.alt;
        if (bare && typing && !allowed.current.includes(binding)) continue;
        if (handler(event) === false) continue;
        event.preventDefault();
        return;
      }
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [enabled]);
}
