import { h, replaceChildren } from './dom.js';
import { hrefs } from './router.js';
import type { View } from './view.js';

/** A link that leads nowhere says so, and where to go instead (not a silent queue). */
export const notFoundView: View = (root, route, ctx) => {
  ctx.setTitle('Not found');
  const path = route.params.path ?? '';
  replaceChildren(
    root,
    h(
      'section',
      { class: 'not-found-view', 'aria-labelledby': 'not-found-heading' },
      h('h1', { id: 'not-found-heading', tabindex: -1 }, 'Page not found'),
      h('p', {}, 'The console has no page at ', h('code', {}, `#${path}`), '.'),
      h(
        'p',
        {},
        'Go to the ',
        h('a', { href: hrefs.plant() }, 'plant overview'),
        ' or the ',
        h('a', { href: hrefs.queue() }, 'ticket queue'),
        '.',
      ),
    ),
  );
};
