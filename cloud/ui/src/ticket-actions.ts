import { api, ApiError, errorMessage } from './api.js';
import { alertBox, field, h, uniqueId } from './dom.js';
import { FAULTS } from './faults.js';
import { MOVE_LABELS, STATUS_LABELS } from './lifecycle.js';
import type { CloseOut, Outcome, TicketDetail, TicketStatus, TransitionRequest, UserView } from './types.js';

const FAILURE_MODE = /^[A-Za-z0-9_.-]{1,32}$/;
const ACTIVE_QUESTION = 'The condition is still active at the edge — resolve anyway?';
const NOT_RESOLVED = 'Not resolved: the condition is still active at the edge.';
const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;
const FALSE_POSITIVE_HINT =
  'Required: what you checked and found, e.g. “sensor loose on its mount, bearing sounds fine”.';
const FALSE_POSITIVE_REFUSAL =
  'Say why it is a false positive (at least 3 characters): the rule’s track record keeps the reason.';

export interface ActionsOptions {
  ticket: TicketDetail;
  user: UserView;
  /** After a change the server accepted: reload the ticket and say what happened. */
  onChanged(message: string): Promise<void>;
}

/** Marks a control invalid, says why in the form's alert, and puts the cursor there. */
function refuse(
  alert: ReturnType<typeof alertBox>,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  message: string,
) {
  control.setAttribute('aria-invalid', 'true');
  alert.show(message);
  control.focus();
}

function clearInvalid(form: HTMLFormElement) {
  for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
}

/**
 * What an engineer can do with a ticket: the lifecycle moves the server allows now, the
 * structured close-out that resolving needs, assignment and comments. A viewer never gets here.
 * Every server refusal (409 for a move the state no longer allows, 400 naming the field) is shown
 * next to the form that caused it.
 */
export function ticketActions({ ticket, user, onChanged }: ActionsOptions): HTMLElement {
  const id = encodeURIComponent(ticket.id);
  const allowed = ticket.allowedTransitions;

  /** Runs a request with the form's button disabled; a refusal lands in the form's alert. */
  const submitting = async (
    form: HTMLFormElement,
    alert: ReturnType<typeof alertBox>,
    request: () => Promise<unknown>,
    done: string,
  ) => {
    const buttons = [...form.querySelectorAll('button')];
    for (const button of buttons) button.disabled = true;
    alert.show('');
    try {
      await request();
      await onChanged(done);
    } catch (failure) {
      alert.show(errorMessage(failure));
      for (const button of buttons) button.disabled = false;
    }
  };

  const transition = (body: TransitionRequest) =>
    api(`/api/v1/tickets/${id}/transitions`, { method: 'POST', body });

  // --- Moves -----------------------------------------------------------------------------------
  const movesAlert = alertBox();
  const moveComment = h('textarea', { id: 'move-comment', name: 'comment', rows: 2, maxlength: 4000 });
  const closeOutForm = resolveForm();
  const duplicateForm = duplicateOfForm();
  const falsePositiveForm = falsePositiveReasonForm();
  /** The moves that need more than a click open their own form instead of moving at once. */
  const panels: Partial<Record<TicketStatus, HTMLFormElement>> = {
    resolved: closeOutForm,
    duplicate: duplicateForm,
    false_positive: falsePositiveForm,
  };
  const moveButtons = allowed.map((to) => {
    const panel = panels[to];
    const button = h(
      'button',
      { type: panel ? 'button' : 'submit', value: to, 'data-to': to },
      MOVE_LABELS[to],
    );
    if (panel) {
      button.setAttribute('aria-expanded', 'false');
      button.setAttribute('aria-controls', panel.id);
      button.addEventListener('click', () => {
        const opening = panel.hidden;
        for (const other of Object.values(panels)) other.hidden = true;
        for (const b of moveButtons)
          if (b.hasAttribute('aria-expanded')) b.setAttribute('aria-expanded', 'false');
        panel.hidden = !opening;
        button.setAttribute('aria-expanded', String(opening));
        if (opening) panel.querySelector<HTMLElement>('select, input, textarea')?.focus();
      });
    }
    return button;
  });
  const movesForm = h(
    'form',
    { class: 'moves', 'aria-labelledby': 'moves-heading' },
    h('h3', { id: 'moves-heading' }, `Move on from ${STATUS_LABELS[ticket.status].toLowerCase()}`),
    allowed.length
      ? field('Comment with the move (optional)', moveComment)
      : h('p', { class: 'muted' }, `${STATUS_LABELS[ticket.status]} is final: there is no move from here.`),
    h('div', { class: 'button-row' }, ...moveButtons),
    movesAlert,
  );
  movesForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const to = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.value as
      TicketStatus | undefined;
    if (!to) return;
    const comment = moveComment.value.trim();
    void submitting(
      movesForm,
      movesAlert,
      () => transition({ to, ...(comment ? { comment } : {}) }),
      `Ticket moved to ${STATUS_LABELS[to].toLowerCase()}.`,
    );
  });

  function resolveForm(): HTMLFormElement {
    const alert = alertBox();
    const outcome = h(
      'select',
      { id: 'closeout-outcome', name: 'outcome', required: true },
      h('option', { value: '' }, 'Choose the outcome…'),
      h('option', { value: 'confirmed' }, 'Confirmed: the fault was there'),
      h('option', { value: 'false_positive' }, 'False positive: no fault found'),
      h('option', { value: 'inconclusive' }, 'Inconclusive'),
    );
    const modesId = uniqueId('failure-modes');
    const failureMode = h('input', {
      id: 'closeout-failure-mode',
      name: 'failureMode',
      list: modesId,
      maxlength: 32,
      autocomplete: 'off',
      spellcheck: 'false',
    });
    const actionTaken = h('textarea', {
      id: 'closeout-action',
      name: 'actionTaken',
      rows: 3,
      required: true,
      maxlength: 4000,
    });
    const failureAt = h('input', { id: 'closeout-failure-at', name: 'failureAt', type: 'datetime-local' });
    const actionField = field('Action taken', actionTaken, 'What was done, e.g. “replaced DE bearing 6205”.');
    // A false positive is only worth its place in the rule's record with the reason it was one.
    outcome.addEventListener('change', () => {
      const falsePositive = outcome.value === 'false_positive';
      const label = actionField.querySelector('label');
      const hint = actionField.querySelector('.hint');
      if (label) label.textContent = falsePositive ? 'Why it is a false positive' : 'Action taken';
      if (hint)
        hint.textContent = falsePositive
          ? FALSE_POSITIVE_HINT
          : 'What was done, e.g. “replaced DE bearing 6205”.';
    });
    const form = h(
      'form',
      {
        id: uniqueId('resolve'),
        class: 'closeout-form',
        hidden: true,
        novalidate: true,
        'aria-labelledby': 'closeout-heading',
      },
      h('h3', { id: 'closeout-heading' }, 'Resolve: close-out'),
      field('Outcome', outcome),
      field(
        'Failure mode code',
        failureMode,
        'Required when confirmed: our fault vocabulary (outer_race, unbalance…) or the plant’s own code (VIB, OHE).',
      ),
      h('datalist', { id: modesId }, ...FAULTS.map((f) => h('option', { value: f }))),
      actionField,
      field(
        'Failure time (optional)',
        failureAt,
        'When the machine failed. Leave it empty if unknown: the ticket then counts in no lead time.',
      ),
      alert,
      h(
        'div',
        { class: 'button-row' },
        h('button', { type: 'submit', class: 'primary' }, 'Resolve ticket'),
        h('button', { type: 'button', class: 'secondary', onclick: () => (form.hidden = true) }, 'Cancel'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearInvalid(form);
      const chosen = outcome.value as Outcome | '';
      const mode = failureMode.value.trim();
      const action = actionTaken.value.trim();
      if (!chosen)
        return refuse(alert, outcome, 'Choose the outcome: confirmed, false positive or inconclusive.');
      if (chosen === 'confirmed' && !mode) {
        return refuse(
          alert,
          failureMode,
          'A confirmed failure needs its failure mode code (e.g. outer_race, VIB, OHE).',
        );
      }
      if (mode && !FAILURE_MODE.test(mode)) {
        return refuse(
          alert,
          failureMode,
          'The failure mode code is 1–32 letters, digits, _ . or - (e.g. outer_race).',
        );
      }
      if (action.length < 3) {
        return refuse(
          alert,
          actionTaken,
          chosen === 'false_positive' ? FALSE_POSITIVE_REFUSAL : 'Say what was done (at least 3 characters).',
        );
      }
      let failureIso: string | undefined;
      if (failureAt.value) {
        const at = new Date(failureAt.value);
        if (Number.isNaN(at.getTime()))
          return refuse(alert, failureAt, 'The failure time is not a valid date and time.');
        failureIso = at.toISOString();
      }
      const feedback: CloseOut = {
        outcome: chosen,
        ...(mode ? { failureMode: mode } : {}),
        actionTaken: action,
        ...(failureIso ? { failureAt: failureIso } : {}),
      };
      const comment = moveComment.value.trim();
      const resolve = (confirmActive: boolean) =>
        transition({
          to: 'resolved',
          feedback,
          ...(comment ? { comment } : {}),
          ...(confirmActive ? { confirmActive } : {}),
        });
      void submitting(
        form,
        alert,
        async () => {
          // The server refuses to resolve a condition the edge still sees unless asked to; the
          // page may also be older than the edge's last word, so its refusal asks too.
          const confirmed = ticket.condition === 'active';
          if (confirmed && !window.confirm(ACTIVE_QUESTION)) throw new Error(NOT_RESOLVED);
          try {
            await resolve(confirmed);
          } catch (failure) {
            if (confirmed || !(failure instanceof ApiError) || failure.code !== 'PW_CONDITION_ACTIVE') {
              throw failure;
            }
            if (!window.confirm(ACTIVE_QUESTION)) throw new Error(NOT_RESOLVED, { cause: failure });
            await resolve(true);
          }
        },
        'Ticket resolved; the close-out counts in the rule’s track record.',
      );
    });
    return form;
  }

  function duplicateOfForm(): HTMLFormElement {
    const alert = alertBox();
    const original = h('input', {
      id: 'duplicate-of',
      name: 'duplicateOf',
      maxlength: 26,
      autocomplete: 'off',
      spellcheck: 'false',
      ...(ticket.previousTicketId ? { value: ticket.previousTicketId } : {}),
    });
    const form = h(
      'form',
      { id: uniqueId('duplicate'), class: 'duplicate-form', hidden: true, novalidate: true },
      field('Duplicate of ticket (id)', original, 'The ticket this one repeats, e.g. 01J9ZX…'),
      alert,
      h('div', { class: 'button-row' }, h('button', { type: 'submit' }, 'Mark as duplicate')),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearInvalid(form);
      const duplicateOf = original.value.trim().toUpperCase();
      if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(duplicateOf)) {
        return refuse(alert, original, 'Enter the 26-character id of the ticket this one duplicates.');
      }
      const comment = moveComment.value.trim();
      void submitting(
        form,
        alert,
        () => transition({ to: 'duplicate', duplicateOf, ...(comment ? { comment } : {}) }),
        'Ticket marked as a duplicate.',
      );
    });
    return form;
  }

  function falsePositiveReasonForm(): HTMLFormElement {
    const alert = alertBox();
    const reason = h('textarea', {
      id: 'false-positive-reason',
      name: 'reason',
      rows: 3,
      required: true,
      maxlength: 4000,
    });
    const form = h(
      'form',
      { id: uniqueId('false-positive'), class: 'false-positive-form', hidden: true, novalidate: true },
      field('Why is it a false positive?', reason, FALSE_POSITIVE_HINT),
      alert,
      h(
        'div',
        { class: 'button-row' },
        h('button', { type: 'submit', class: 'primary' }, 'Mark as false positive'),
        h('button', { type: 'button', class: 'secondary', onclick: () => (form.hidden = true) }, 'Cancel'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearInvalid(form);
      const why = reason.value.trim();
      if (why.length < 3) return refuse(alert, reason, FALSE_POSITIVE_REFUSAL);
      // The server records the comment as the close-out's note (actionTaken) and as a comment.
      void submitting(
        form,
        alert,
        () => transition({ to: 'false_positive', comment: why }),
        'Ticket marked as a false positive; the reason counts in the rule’s track record.',
      );
    });
    return form;
  }

  // --- Quick moves (phones) ------------------------------------------------------------------
  const bar = quickMoveBar(moveButtons, movesForm);

  // --- Assignment ------------------------------------------------------------------------------
  const assignAlert = alertBox();
  const assignee = h('input', {
    id: 'assignee',
    name: 'assignee',
    maxlength: 64,
    autocomplete: 'off',
    value: ticket.assignee ?? '',
  });
  const assign = (to: string | null) =>
    api(`/api/v1/tickets/${id}/assignee`, { method: 'PUT', body: { assignee: to } });
  const assignForm = h(
    'form',
    { class: 'assign-form', novalidate: true, 'aria-labelledby': 'assign-heading' },
    h('h3', { id: 'assign-heading' }, 'Assignee'),
    field('Assign to (username)', assignee),
    assignAlert,
    h(
      'div',
      { class: 'button-row' },
      h('button', { type: 'submit' }, 'Assign'),
      ticket.assignee !== user.username
        ? h(
            'button',
            { type: 'button', class: 'secondary', 'data-action': 'assign-me' },
            `Assign to me (${user.username})`,
          )
        : null,
      ticket.assignee
        ? h('button', { type: 'button', class: 'secondary', 'data-action': 'unassign' }, 'Unassign')
        : null,
    ),
  );
  assignForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clearInvalid(assignForm);
    const name = assignee.value.trim();
    if (!name) return refuse(assignAlert, assignee, 'Enter a username, or use Unassign.');
    if (!USERNAME.test(name)) {
      return refuse(assignAlert, assignee, 'A username is 1–64 letters, digits, _ . @ or -.');
    }
    void submitting(assignForm, assignAlert, () => assign(name), `Ticket assigned to ${name}.`);
  });
  assignForm.addEventListener('click', (event) => {
    const action = (event.target as HTMLElement).closest('button')?.dataset.action;
    if (action === 'assign-me') {
      void submitting(assignForm, assignAlert, () => assign(user.username), 'Ticket assigned to you.');
    } else if (action === 'unassign') {
      void submitting(assignForm, assignAlert, () => assign(null), 'Ticket unassigned.');
    }
  });

  // --- Comment ---------------------------------------------------------------------------------
  const commentAlert = alertBox();
  const commentText = h('textarea', { id: 'comment-text', name: 'text', rows: 3, maxlength: 4000 });
  const commentForm = h(
    'form',
    { class: 'comment-form', novalidate: true, 'aria-labelledby': 'comment-heading' },
    h('h3', { id: 'comment-heading' }, 'Comment'),
    field('Your comment', commentText),
    commentAlert,
    h('div', { class: 'button-row' }, h('button', { type: 'submit' }, 'Add comment')),
  );
  commentForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clearInvalid(commentForm);
    const text = commentText.value.trim();
    if (!text) return refuse(commentAlert, commentText, 'Write the comment first.');
    void submitting(
      commentForm,
      commentAlert,
      () => api(`/api/v1/tickets/${id}/comments`, { method: 'POST', body: { text } }),
      'Comment added.',
    );
  });

  return h(
    'section',
    { class: 'panel ticket-actions', 'aria-labelledby': 'actions-heading' },
    h('h2', { id: 'actions-heading', tabindex: -1 }, 'Actions'),
    movesForm,
    closeOutForm,
    duplicateForm,
    falsePositiveForm,
    assignForm,
    commentForm,
    bar,
  );
}

/** How many of the allowed moves a phone's action bar offers: the first ones, as the moves form lists them. */
const QUICK_MOVES = 2;

/**
 * The first moves of the ticket's state in a bar fixed to the bottom of a phone's screen (app.css
 * shows it below 720 px only): the moves form sits under the evidence, a long scroll away. Each bar
 * button works through its twin in the moves form, so a move from the bar is the very same request,
 * with the same comment, checks and refusal shown next to the form.
 */
function quickMoveBar(moveButtons: HTMLButtonElement[], movesForm: HTMLFormElement): HTMLElement | null {
  const quick = moveButtons.filter((b) => b.value !== 'false_positive' && b.value !== 'duplicate');
  if (quick.length === 0) return null;
  return h(
    'div',
    { class: 'action-bar', role: 'toolbar', 'aria-label': 'Quick moves' },
    ...quick.slice(0, QUICK_MOVES).map((twin, i) =>
      h(
        'button',
        {
          type: 'button',
          class: i === 0 ? 'primary' : 'secondary',
          'data-to': twin.value,
          onclick: () => {
            if (twin.type === 'submit') return movesForm.requestSubmit(twin);
            // A move with its own form (Resolve…): open it and bring it into view.
            if (twin.getAttribute('aria-expanded') !== 'true') twin.click();
            const panel = document.getElementById(twin.getAttribute('aria-controls') ?? '');
            panel?.scrollIntoView({ block: 'start' });
          },
        },
        twin.textContent,
      ),
    ),
  );
}
