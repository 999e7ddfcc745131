/**
 * A virtualised list for Preact over `@tanstack/virtual-core`: only the rows in view (plus an
 * overscan) are rendered, so a list of 10,000 rows costs what 20 do. The rows are positioned
 * with `transform` set through the CSSOM (allowed by the strict CSP, unlike `style=""`).
 */
import { elementScroll, observeElementOffset, observeElementRect, Virtualizer, type VirtualItem } from '@tanstack/virtual-core';
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';

export interface VirtualList {
  scrollRef: { current: HTMLElement | null };
  items: VirtualItem[];
  totalSize: number;
  scrollToIndex: (index: number) => void;
  measureElement: (el: Element | null) => void;
}

export function useVirtual(count: number, estimateSize: (index: number) => number, getKey?: (index: number) => string): VirtualList {
  const scrollRef = useRef<HTMLElement | null>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const [virtualizer] = useState(
    () =>
      new Virtualizer<HTMLElement, Element>({
        count,
        estimateSize,
        getScrollElement: () => scrollRef.current,
        observeElementRect,
        observeElementOffset,
        scrollToFn: elementScroll,
        overscan: 8,
        onChange: () => rerender(0),
        ...(getKey ? { getItemKey: getKey } : {}),
      }),
  );
  virtualizer.setOptions({
    ...virtualizer.options,
    count,
    estimateSize,
    ...(getKey ? { getItemKey: getKey } : {}),
  });
  useLayoutEffect(() => virtualizer._didMount(), []);
  useLayoutEffect(() => virtualizer._willUpdate());
  useEffect(() => {
    virtualizer.measure();
  }, [count]);
  return {
    scrollRef,
    items: virtualizer.getVirtualItems(),
    totalSize: virtualizer.getTotalSize(),
    scrollToIndex: (i) => virtualizer.scrollToIndex(i, { align: 'auto' }),
    measureElement: (el) => {
      if (el) virtualizer.measureElement(el);
    },
  };
}
