import { h, replaceChildren } from './dom.js';
import type { View } from './view.js';

/** The plant overview: sites → areas → assets with their health. (Being built.) */
export const plantView: View = (root, _route, ctx) => {
  ctx.setTitle('Plant');
  replaceChildren(
    root,
    h(
      'section',
      { class: 'plant-view', 'aria-labelledby': 'plant-heading' },
      h('h1', { id: 'plant-heading', tabindex: -1 }, 'Plant'),
    ),
  );
};
