/** Behaviour shared by the keyboard-driven lists (今日任务, 工单): a row cursor and a periodic refresh. */
import { useRevalidator } from '@remix-run/react';
import { useEffect, useRef, useState, type RefObject } from 'react';

/** Re-runs the page's loaders every `ms` while the page is visible and idle. */
export function useAutoRefresh(ms: number) {
  const revalidator = useRevalidator();
  const latest = useRef(revalidator);
  latest.current = revalidator;
  useEffect(() => {
    const timer = setInterval(() => {
      const { state, revalidate } = latest.current;
      if (document.visibilityState === 'visible' && state === 'idle') revalidate();
    }, ms);
    return () => clearInterval(timer);
  }, [ms]);
}

/**
 * The highlighted row of a list of `count` rows (`tr[data-index]` under `body`): kept in range,
 * scrolled into view, back to the top when `resetKey` changes.
 */
export function useRowCursor(count: number, body: RefObject<HTMLElement | null>, resetKey: unknown) {
  const [selected, setSelected] = useState(0);
  const index = Math.min(selected, Math.max(count - 1, 0));
  useEffect(() => setSelected(0), [resetKey]);
  useEffect(() => {
    body.current?.querySelector<HTMLElement>(`tr[data-index="${index}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [index, body]);
  const move = (delta: number) => setSelected((i) => Math.max(0, Math.min(count - 1, Math.min(i, count - 1) + delta)));
  return { index, move };
}
