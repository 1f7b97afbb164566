import { h, uniqueId } from './dom.js';

/**
 * The toolbar above a spectrum: pan, reset and full range, log amplitude, order axis, and which
 * earlier spectrum to lay under it. Every control is a native button, checkbox or select, so all of
 * it works from the keyboard; the chart decides what each does.
 */
export interface SpectrumControlHandlers {
  pan(direction: -1 | 1): void;
  resetZoom(): void;
  fullRange(): void;
  setLog(on: boolean): void;
  setOrders(on: boolean): void;
  /** -1: no overlay; otherwise the index into the options offered. */
  compareWith(index: number): void;
}

export interface CompareOption {
  label: string;
}

export interface SpectrumControls {
  element: HTMLElement;
  /** Greys out a pan button at the end of the snapshot and Reset zoom when nothing is zoomed. */
  update(state: { atStart: boolean; atEnd: boolean; isDefault: boolean; isFull: boolean }): void;
  /** Offers earlier spectra (the first is selected); none hides the choice. */
  offer(options: CompareOption[], selected: number): void;
}

export function spectrumControls(
  caption: string,
  ordersAvailable: boolean,
  handlers: SpectrumControlHandlers,
): SpectrumControls {
  const button = (text: string, label: string, onclick: () => void) =>
    h('button', { type: 'button', class: 'chart-button', 'aria-label': label, title: label, onclick }, text);
  const checkbox = (text: string, onchange: (on: boolean) => void, disabled = false, hint?: string) => {
    const input = h('input', {
      type: 'checkbox',
      id: uniqueId('spectrum-option'),
      disabled,
      onchange: (event: Event) => onchange((event.target as HTMLInputElement).checked),
    });
    return h('label', { class: 'chart-option', title: hint }, input, ` ${text}`);
  };

  const back = button('◀', `Pan the ${caption.toLowerCase()} to lower frequencies`, () => handlers.pan(-1));
  const forward = button('▶', `Pan the ${caption.toLowerCase()} to higher frequencies`, () =>
    handlers.pan(1),
  );
  const reset = button('Reset zoom', `Reset the ${caption.toLowerCase()} zoom`, handlers.resetZoom);
  const full = button('Full range', `Show the ${caption.toLowerCase()}'s full range`, handlers.fullRange);
  const compareId = uniqueId('spectrum-compare');
  const compare = h('select', {
    id: compareId,
    onchange: (event: Event) => handlers.compareWith(Number((event.target as HTMLSelectElement).value)),
  });
  const compareField = h(
    'span',
    { class: 'chart-option', hidden: true },
    h('label', { for: compareId }, 'Compare with '),
    compare,
  );

  const element = h(
    'div',
    { class: 'chart-controls', role: 'group', 'aria-label': `${caption} view` },
    back,
    forward,
    reset,
    full,
    checkbox('Log amplitude', handlers.setLog),
    checkbox(
      'Orders',
      handlers.setOrders,
      !ordersAvailable,
      ordersAvailable
        ? 'x in orders of running speed'
        : 'the running speed is not known for this snapshot: no order axis',
    ),
    compareField,
  );

  return {
    element,
    update({ atStart, atEnd, isDefault, isFull }) {
      back.disabled = atStart;
      forward.disabled = atEnd;
      reset.disabled = isDefault;
      full.disabled = isFull;
    },
    offer(options, selected) {
      compare.replaceChildren(
        h('option', { value: -1 }, 'nothing'),
        ...options.map((option, i) => h('option', { value: i }, option.label)),
      );
      compare.value = String(selected);
      compareField.hidden = options.length === 0;
    },
  };
}
