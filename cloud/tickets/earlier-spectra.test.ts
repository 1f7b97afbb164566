import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../server.js';
import type { EarlierSpectraReply, SpectrumSnapshot, Ticket } from '../../shared/schema/index.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { removeTempDirs, silentLogger, startTestCloud } from '../../test/helpers/stack.js';
import { openTicket } from '../../test/helpers/tickets.js';

const HOUR = 3_600_000;
const spectrum = (peak: number): SpectrumSnapshot => ({
  binHz: 1,
  unit: 'mm/s',
  amplitudes: [0, peak, 0],
  marks: [{ label: '1×', hz: 1 }],
});

describe.each(CLOUD_STORES)('earlier spectra of a ticket on %s', (kind) => {
  let cloud: RunningCloud;
  const tokens = { admin: '', ana: '' };
  const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * HOUR).toISOString();
  const tickets: Record<string, Ticket> = {};

  /** A pump-1 ticket opened `hoursAgo`, on `channel`, with a spectrum whose 1× line is `peak` (none: 0). */
  const raise = async (name: string, hoursAgo: number, peak: number, channel = 'de', site = 'site-a') => {
    const base = { windowStart: at(hoursAgo), windowEnd: at(hoursAgo), channel, reasoning: ['seeded'] };
    tickets[name] = await openTicket(cloud.store, {
      site,
      assetId: 'pump-1',
      title: `pump-1: ${name}`,
      firstSeen: at(hoursAgo),
      lastSeen: at(hoursAgo),
      evidence: {
        triggeringValues: [],
        ...base,
        ...(peak
          ? { spectrum: spectrum(peak), envelopeSpectrum: { ...spectrum(peak / 10), unit: 'relative' } }
          : {}),
      },
    });
  };

  const earlier = async (who: keyof typeof tokens | '', name: string, query = '') => {
    const id = tickets[name]?.id ?? name;
    return fetch(`${cloud.url}/api/v1/tickets/${id}/earlier-spectra${query}`, {
      headers: who ? { authorization: `Bearer ${tokens[who]}` } : {},
    });
  };
  const names = (reply: EarlierSpectraReply) => reply.spectra.map((s) => s.title.replace('pump-1: ', ''));

  beforeAll(async () => {
    cloud = await startTestCloud({ db: await newCloudDatabase(kind), logger: silentLogger() });
    const access = cloud.store.access;
    await access.createUser({ username: 'boss', role: 'admin', sites: 'all' });
    await access.createUser({ username: 'ana', role: 'viewer', sites: ['site-a'] });
    tokens.admin = await access.createApiToken('boss', 'tests');
    tokens.ana = await access.createApiToken('ana', 'tests');
    await raise('first', 50, 1.0);
    await raise('other channel', 40, 5.0, 'nde');
    await raise('no spectrum', 30, 0);
    await raise('other site', 25, 3.0, 'de', 'site-b');
    await raise('previous', 20, 2.0);
    await raise('this', 10, 4.0);
    await raise('later', 1, 6.0);
  });
  afterAll(async () => {
    await cloud.stop();
    removeTempDirs();
  });

  it('lists earlier tickets of the same asset and channel with spectra, newest first, with their spectra', async () => {
    const response = await earlier('admin', 'this');
    expect(response.status).toBe(200);
    const reply = (await response.json()) as EarlierSpectraReply;
    expect(names(reply)).toEqual(['previous', 'other site', 'first']);
    expect(reply.baseline).toBeUndefined();
    const previous = reply.spectra[0]!;
    expect(previous.ticketId).toBe(tickets.previous!.id);
    expect(Date.parse(previous.at)).toBe(Date.parse(tickets.previous!.firstSeen));
    expect(previous.spectrum?.amplitudes).toEqual([0, 2, 0]);
    expect(previous.envelopeSpectrum?.unit).toBe('relative');
  });

  it("leaves out the tickets of sites the user may not see, and 404s another site's ticket", async () => {
    const reply = (await (await earlier('ana', 'this')).json()) as EarlierSpectraReply;
    expect(names(reply)).toEqual(['previous', 'first']);
    const hidden = await earlier('ana', 'other site');
    expect(hidden.status).toBe(404);
  });

  it('stops at the limit and adds the earliest as the baseline', async () => {
    const reply = (await (await earlier('ana', 'this', '?limit=1')).json()) as EarlierSpectraReply;
    expect(names(reply)).toEqual(['previous']);
    expect(reply.baseline?.ticketId).toBe(tickets.first!.id);
    const first = (await (await earlier('ana', 'first')).json()) as EarlierSpectraReply;
    expect(first).toEqual({ spectra: [] });
  });

  it('refuses an unknown ticket (404), a bad limit (400 naming it) and no token (401)', async () => {
    const unknown = await earlier('admin', '01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toContain('01ARZ3NDEKTSV4RRFFQ69G5FAV');
    const bad = await earlier('admin', 'this', '?limit=0');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('querystring/limit');
    const extra = await earlier('admin', 'this', '?channel=x');
    expect(extra.status).toBe(400);
    expect((await earlier('', 'this')).status).toBe(401);
  });
});
