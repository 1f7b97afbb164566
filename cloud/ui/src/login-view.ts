import { ApiError, errorMessage, login, saveSession } from './api.js';
import { alertBox, field, h, replaceChildren } from './dom.js';
import { navigate } from './router.js';
import type { View } from './view.js';

/** Where to go after logging in: only a route of this console, never another site. */
const safeNext = (next: string | null): string => (next && /^#\/[a-z]/.test(next) ? next : '#/queue');

export const loginView: View = (root, route, ctx) => {
  ctx.setTitle('Log in');
  const username = h('input', {
    id: 'login-username',
    name: 'username',
    autocomplete: 'username',
    required: true,
    maxlength: 64,
    autocapitalize: 'none',
    spellcheck: 'false',
  });
  const password = h('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = alertBox();
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h(
    'form',
    { class: 'login-form', 'aria-labelledby': 'login-heading', novalidate: true },
    h('h1', { id: 'login-heading', tabindex: -1 }, 'Log in to Plantwatch'),
    field('Username', username),
    field('Password', password),
    error,
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      error.show('Enter your username and password.');
      (username.value.trim() ? password : username).focus();
      return;
    }
    error.show('');
    submit.disabled = true;
    try {
      const reply = await login(username.value.trim(), password.value);
      saveSession(reply);
      navigate(safeNext(route.query.get('next')));
    } catch (failure) {
      const message =
        failure instanceof ApiError && failure.status === 401
          ? 'Wrong username or password, or the account is disabled.'
          : errorMessage(failure);
      error.show(message);
      password.select();
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replaceChildren(root, h('section', { class: 'login' }, form));
  username.focus();
};
