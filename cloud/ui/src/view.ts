import type { Route } from './router.js';
import type { UserView } from './types.js';

/** What every screen gets from main.ts. */
export interface ViewContext {
  /** Undefined only on the login screen. */
  user: UserView | undefined;
  /** Aborted when the engineer leaves the screen: fetches, timers and charts end with it. */
  signal: AbortSignal;
  /** Says something through the page's polite live region (new tickets, saved changes). */
  announce(message: string): void;
  /** The document title, after "Plantwatch · ". */
  setTitle(title: string): void;
}

/** A screen: renders itself into `root` and keeps it current until `ctx.signal` aborts. */
export type View = (root: HTMLElement, route: Route, ctx: ViewContext) => void | Promise<void>;
