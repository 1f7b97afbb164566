import { h, replaceChildren } from './dom.js';
import type { View } from './view.js';

/** The manager's view: backlog, response times, rule precision. (Being built.) */
export const reportsView: View = (root, _route, ctx) => {
  ctx.setTitle('Reports');
  replaceChildren(
    root,
    h(
      'section',
      { class: 'reports-view', 'aria-labelledby': 'reports-heading' },
      h('h1', { id: 'reports-heading', tabindex: -1 }, 'Reports'),
    ),
  );
};
