/**
 * 常用问题快捷回复 in a text field: Alt+K (or the 快捷回复 button beside a field) opens a search box
 * over the canned replies; typing filters (title, text, topic, department), ↑/↓ choose, Enter
 * inserts the reply at the caret of the field that had the focus (else the page's first field
 * marked `data-canned-target`), Esc closes and gives the focus back.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { insertAtCaret, matchCannedReplies, type CannedReply } from '../../domain/canned-replies.js';
import { useHotkeys } from './useHotkeys.js';

const OPEN_EVENT = 'canned-replies:open';

/** Where a reply goes: the field and its selection when the box opened. */
interface Target {
  field: HTMLTextAreaElement | HTMLInputElement;
  start: number;
  end: number;
}

function isTarget(el: Element | null): el is HTMLTextAreaElement | HTMLInputElement {
  return (el instanceof HTMLTextAreaElement || el instanceof HTMLInputElement) && el.hasAttribute('data-canned-target');
}

/** The button beside a field (`name`): opens the box for that field. */
export function CannedReplyButton({ name }: { name: string }) {
  return (
    <button
      type="button"
      className="link-button small canned-open"
      aria-keyshortcuts="Alt+K"
      onClick={() => document.dispatchEvent(new CustomEvent(OPEN_EVENT, { detail: { name } }))}
    >
      快捷回复 <kbd aria-hidden>Alt+K</kbd>
    </button>
  );
}

export function CannedReplies({ replies }: { replies: CannedReply[] }) {
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const target = useRef<Target | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const matches = useMemo(() => matchCannedReplies(replies, query), [replies, query]);

  const show = (field: Target['field'] | null) => {
    if (!field) return;
    target.current = { field, start: field.selectionStart ?? field.value.length, end: field.selectionEnd ?? field.value.length };
    setQuery('');
    setActive(0);
    setOpen(true);
  };
  const firstTarget = () => document.querySelector<HTMLTextAreaElement | HTMLInputElement>('[data-canned-target]');

  useHotkeys({
    'alt+k': () => {
      const focused = document.activeElement;
      show(isTarget(focused) ? focused : firstTarget());
    },
  });
  useEffect(() => {
    const onOpen = (e: Event) => {
      const name = (e as CustomEvent<{ name: string }>).detail?.name;
      show(document.querySelector<HTMLTextAreaElement>(`[data-canned-target][name="${CSS.escape(name)}"]`) ?? firstTarget());
    };
    document.addEventListener(OPEN_EVENT, onOpen);
    return () => document.removeEventListener(OPEN_EVENT, onOpen);
  }, []);
  useEffect(() => {
    if (open) inputRef.current?.focus();
  }, [open]);

  const close = () => {
    setOpen(false);
    target.current?.field.focus();
  };
  const insert = (reply: CannedReply | undefined) => {
    const t = target.current;
    if (!reply || !t) return;
    const { text, caret } = insertAtCaret(t.field.value, reply.body, t.start, t.end);
    const max = t.field.maxLength > 0 ? t.field.maxLength : Infinity;
    t.field.value = text.length > max ? text.slice(0, max) : text;
    // Forms listening for edits (onChange on the form) hear about it as if typed.
    t.field.dispatchEvent(new Event('input', { bubbles: true }));
    setOpen(false);
    t.field.focus();
    t.field.setSelectionRange(Math.min(caret, t.field.value.length), Math.min(caret, t.field.value.length));
  };

  if (!open) return null;
  return (
    <div className="canned-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div className="canned-dialog" role="dialog" aria-modal="true" aria-label="快捷回复" data-testid="canned-replies">
        <input
          ref={inputRef}
          type="search"
          className="canned-search"
          placeholder="搜索常用回复：用药、复诊、报销、检查报告…"
          aria-label="搜索快捷回复"
          aria-controls="canned-list"
          aria-activedescendant={matches[active] ? `canned-${matches[active].id}` : undefined}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.nativeEvent.isComposing) return;
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              const step = e.key === 'ArrowDown' ? 1 : -1;
              setActive((i) => (matches.length === 0 ? 0 : (i + step + matches.length) % matches.length));
            } else if (e.key === 'Enter') {
              e.preventDefault();
              e.stopPropagation();
              insert(matches[active]);
            } else if (e.key === 'Escape') {
              e.preventDefault();
              e.stopPropagation();
              close();
            }
          }}
        />
        {matches.length === 0 ? (
          <p className="empty">没有匹配的快捷回复</p>
        ) : (
          <ul id="canned-list" role="listbox" className="canned-list">
            {matches.map((r, i) => (
              <li
                key={r.id}
                id={`canned-${r.id}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'active' : undefined}
                onMouseEnter={() => setActive(i)}
                onMouseDown={(e) => {
                  e.preventDefault();
                  insert(r);
                }}
              >
                <div className="canned-head">
                  <strong>{r.title}</strong>
                  <span className="tag">{r.topicLabel}</span>
                  <span className="muted small">{r.departmentName ?? '全院通用'}</span>
                </div>
                <div className="canned-body">{r.body}</div>
              </li>
            ))}
          </ul>
        )}
        <p className="kbd-legend">
          <kbd>↑</kbd>/<kbd>↓</kbd> 选择 · <kbd>Enter</kbd> 插入 · <kbd>Esc</kbd> 关闭
        </p>
      </div>
    </div>
  );
}
