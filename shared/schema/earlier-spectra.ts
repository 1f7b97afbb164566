import { type Static, Type } from '@sinclair/typebox';
import { SpectrumSnapshot, TicketId } from './ticket.js';

/** An earlier ticket's spectra, to lay under a ticket's own so that a change shows. */
export const EarlierSpectrum = Type.Object({
  ticketId: TicketId,
  /** When that ticket opened (its firstSeen). */
  at: Type.String({ format: 'date-time' }),
  title: Type.String(),
  spectrum: Type.Optional(SpectrumSnapshot),
  envelopeSpectrum: Type.Optional(SpectrumSnapshot),
});
export type EarlierSpectrum = Static<typeof EarlierSpectrum>;

/**
 * `GET /api/v1/tickets/:id/earlier-spectra`: earlier tickets of the same asset and channel that carry
 * spectra, newest first; and the earliest of all as the baseline when it is not among them.
 */
export const EarlierSpectraReply = Type.Object({
  spectra: Type.Array(EarlierSpectrum),
  baseline: Type.Optional(EarlierSpectrum),
});
export type EarlierSpectraReply = Static<typeof EarlierSpectraReply>;
