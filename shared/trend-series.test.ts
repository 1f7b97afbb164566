import { describe, expect, it } from 'vitest';
import { type ZoneLimits, trendSeriesOf } from './trend-series.js';
import type { TriggeringValue } from './schema/ticket.js';

const GROUP2_RIGID: ZoneLimits = { ab: 1.4, bc: 2.8, cd: 4.5 };
const value = (
  metric: string,
  threshold: number | string,
  comparison: TriggeringValue['comparison'] = '>=',
): Pick<TriggeringValue, 'metric' | 'threshold' | 'comparison'> => ({ metric, threshold, comparison });

describe('trendSeriesOf: which telemetry series shows a rule signal', () => {
  it('draws a bare feature on the evidence channel, a prefixed one on its own channel', () => {
    expect(trendSeriesOf(value('velocityRmsMmS', 4.5), { channel: 'de' })).toEqual({
      channel: 'de',
      field: 'velocityRmsMmS',
      threshold: 4.5,
    });
    expect(trendSeriesOf(value('nde.kurtosis', 6, '>'), { channel: 'de' })).toEqual({
      channel: 'nde',
      field: 'kurtosis',
      threshold: 6,
    });
    expect(trendSeriesOf(value('rpm', 1500, '<'), { channel: 'de' })).toMatchObject({ field: 'rpm' });
  });

  it('draws an ISO zone as velocity against the zone boundary when the class is known', () => {
    expect(trendSeriesOf(value('isoZone', 'C'), { channel: 'de', zoneLimits: GROUP2_RIGID })).toEqual({
      channel: 'de',
      field: 'velocityRmsMmS',
      unit: 'mm/s',
      threshold: 2.8,
    });
    // `> 'C'` holds from zone D on: the C|D boundary.
    expect(
      trendSeriesOf(value('nde.isoZone', 'C', '>'), { channel: 'de', zoneLimits: GROUP2_RIGID }),
    ).toEqual({ channel: 'nde', field: 'velocityRmsMmS', unit: 'mm/s', threshold: 4.5 });
    // `!=` names no single boundary: the series without a line.
    expect(trendSeriesOf(value('isoZone', 'B', '!='), { channel: 'de', zoneLimits: GROUP2_RIGID })).toEqual({
      channel: 'de',
      field: 'velocityRmsMmS',
      unit: 'mm/s',
    });
  });

  it('draws an ISO zone as its index (A = 0 … D = 3) without the class', () => {
    expect(trendSeriesOf(value('isoZone', 'C'), { channel: 'de' })).toEqual({
      channel: 'de',
      field: 'isoZoneIndex',
      threshold: 2,
    });
    expect(trendSeriesOf(value('isoZone', 'D', '=='), { channel: 'de' })).toMatchObject({ threshold: 3 });
  });

  it('draws a finding as its confidence field on the evidence channel', () => {
    expect(trendSeriesOf(value('finding.unbalance', 0.5), { channel: 'de' })).toEqual({
      channel: 'de',
      field: 'finding.unbalance',
      threshold: 0.5,
    });
  });

  it('draws a reading channel as its value, and a trend level as its signal', () => {
    expect(trendSeriesOf(value('spindle_temperature', 65, '>'), { channel: 'spindle_temperature' })).toEqual({
      channel: 'spindle_temperature',
      field: 'value',
      threshold: 65,
    });
    expect(trendSeriesOf(value('coolant_flow', 12, '<'), { channel: 'spindle_temperature' })).toEqual({
      channel: 'coolant_flow',
      field: 'value',
      threshold: 12,
    });
    expect(trendSeriesOf(value('velocityRmsMmS (trend level)', 4.5, '<'), { channel: 'de' })).toEqual({
      channel: 'de',
      field: 'velocityRmsMmS',
      threshold: 4.5,
    });
  });

  it('names nothing for what telemetry does not hold', () => {
    expect(trendSeriesOf(value('de silence', 30, '>'), { channel: 'de' })).toBeUndefined();
    expect(trendSeriesOf(value('de.temperature', 30, '>'), { channel: 'de' })).toBeUndefined();
  });
});
