import { numberOf, type SparkplugMetric } from '../../sources/sparkplug/sparkplug-payload.js';
import { REBIRTH_METRIC } from './node-publication.js';

/**
 * Whether an NCMD asks for a rebirth: `Node Control/Rebirth` = true, named, or by the alias the
 * node's NBIRTH declared for it (`rebirthAlias`; a host may write a metric by alias alone, spec 3.0,
 * 6.4.3). An alias of any other metric is not a rebirth.
 */
export function asksRebirth(metrics: readonly SparkplugMetric[], rebirthAlias: number | undefined): boolean {
  return metrics.some(
    (m) =>
      m.value === true &&
      (m.name === REBIRTH_METRIC ||
        (m.name === undefined && rebirthAlias !== undefined && numberOf(m.alias) === rebirthAlias)),
  );
}
