/**
 * Element helpers. Text always goes in as text nodes (textContent), never as markup: ticket titles,
 * reasoning and comments come from gateways and people, so none of it may become HTML.
 */

export type Child = Node | string | number | null | undefined | false;

type Listener = (event: Event) => void;

/** Attributes; `on*` functions become listeners, `true` a bare attribute, `false`/undefined nothing. */
export type Props = Record<string, string | number | boolean | null | undefined | Listener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

export function setText(element: Element, text: string): void {
  element.textContent = text;
}

/** A `<p role="alert">` that stays empty (and silent) until there is something to say. */
export function alertBox(className = 'form-error'): HTMLParagraphElement & { show(message: string): void } {
  const box = h('p', { class: className, role: 'alert', hidden: true });
  return Object.assign(box, {
    show(message: string) {
      box.textContent = message;
      box.hidden = message === '';
    },
  });
}

/** A labelled form control: the label's `for` always matches the control's id. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLDivElement {
  const id = control.id || (control.id = uniqueId('field'));
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('small', { id: hintId, class: 'hint' }, hint) : null,
  );
}

let nextId = 0;
export const uniqueId = (prefix: string): string => `${prefix}-${++nextId}`;

/** Whether a key press belongs to a text control (so single-letter shortcuts must leave it alone). */
export const isTyping = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
