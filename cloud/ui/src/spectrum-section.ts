import { api, isAbort } from './api.js';
import { h } from './dom.js';
import { type EarlierSnapshot, spectrumFigure } from './spectrum-chart.js';
import { shaftHzOf } from './spectrum-range.js';
import type { EarlierSpectraReply, EarlierSpectrum, SpectrumSnapshot, TicketDetail } from './types.js';

/** Earlier tickets offered for comparison: enough to pick the last few and the baseline. */
const EARLIER_LIMIT = 5;

const earlierOf = (
  reply: EarlierSpectraReply,
  pick: (e: EarlierSpectrum) => SpectrumSnapshot | undefined,
): EarlierSnapshot[] => {
  const all: [EarlierSpectrum, EarlierSnapshot['role']][] = [
    ...reply.spectra.map((e, i): [EarlierSpectrum, EarlierSnapshot['role']] => [
      e,
      i === 0 ? 'previous' : 'earlier',
    ]),
    ...(reply.baseline ? [[reply.baseline, 'baseline'] as [EarlierSpectrum, EarlierSnapshot['role']]] : []),
  ];
  return all.flatMap(([e, role]) => {
    const snapshot = pick(e);
    return snapshot ? [{ ticketId: e.ticketId, at: e.at, title: e.title, snapshot, role }] : [];
  });
};

/**
 * The ticket's spectrum and envelope spectrum, each over the previous ticket's of the same asset and
 * channel once those have loaded (`GET /api/v1/tickets/:id/earlier-spectra`); the figures show at
 * once, and a failed fetch leaves them without an overlay and says so.
 */
export function spectrumFigures(ticket: TicketDetail, signal: AbortSignal): HTMLElement[] {
  const { spectrum, envelopeSpectrum } = ticket.evidence;
  const shaftHz = shaftHzOf(spectrum?.marks ?? []);
  const figures = [
    spectrum
      ? {
          figure: spectrumFigure(spectrum, { caption: 'Spectrum', kind: 'spectrum', signal }),
          pick: (e: EarlierSpectrum) => e.spectrum,
        }
      : undefined,
    envelopeSpectrum
      ? {
          figure: spectrumFigure(envelopeSpectrum, {
            caption: 'Envelope spectrum',
            kind: 'envelope',
            signal,
            ...(shaftHz !== undefined ? { shaftHz } : {}),
          }),
          pick: (e: EarlierSpectrum) => e.envelopeSpectrum,
        }
      : undefined,
  ].filter((f) => f !== undefined);
  const status = h('p', { class: 'muted', role: 'status' });
  api<EarlierSpectraReply>(
    `/api/v1/tickets/${encodeURIComponent(ticket.id)}/earlier-spectra?limit=${EARLIER_LIMIT}`,
    { signal },
  ).then(
    (reply) => {
      for (const { figure, pick } of figures) figure.offerEarlier(earlierOf(reply, pick));
      if (!reply.spectra.length)
        status.textContent = 'No earlier spectra of this asset and channel to compare with.';
    },
    (failure: unknown) => {
      if (!isAbort(failure))
        status.textContent = 'Earlier spectra could not be loaded: the figures show this ticket only.';
    },
  );
  return [
    ...figures.map((f) => f.figure.element),
    status,
    h(
      'p',
      { class: 'muted' },
      'Drag across a chart to zoom into a band (it stays); double-click or Reset zoom to return, ◀ ▶ to pan. Click a line for harmonic cursors at 1×…10× of it; Esc clears them.',
    ),
  ];
}
