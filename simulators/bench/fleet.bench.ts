import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openCloudStore } from '../../cloud/open-cloud-store.js';
import { type FleetCloud, type FleetLoadResult, runFleetLoad } from '../../simulators/fleet/fleet-load.js';
import { startCloudProcess } from './cloud-process.js';
import { type BenchResult, result } from './measure.js';

const GATEWAYS = 50;
const EVENTS_PER_GATEWAY_S = 10;
const SECONDS = 10;
const ASSETS_PER_GATEWAY = 10;

/**
 * A fleet's offered load: 50 gateways, each a real outbox and replicator (gzip, HTTP), raising 10
 * ticket events/s for 10 s against one cloud in its own process, on loopback. The baseline is the
 * same total rate (500 events/s) from one gateway, measured in the same run against the same
 * cloud: what spreading the load over many connections, requests and watermarks costs.
 * 10 events/s per gateway because all 50 simulated gateways share this one process (each commit an
 * fsync, each batch a gzip and a request): on the 2-core machine, at 20 events/s each (1,000/s) the
 * generator itself could no longer raise every event on time (921 delivered/s of 1,000 asked).
 */
export async function benchFleet(dir: string): Promise<BenchResult[]> {
  const cloudDb = join(dir, 'fleet-cloud.db');
  const store = await openCloudStore(cloudDb);
  let cloud: ChildProcess | undefined;
  try {
    const started = await startCloudProcess(cloudDb, 'fleet');
    cloud = started.process;
    const target: FleetCloud = { url: started.url, store };
    const run = async (gateways: number, name: string): Promise<FleetLoadResult> => {
      const dataDir = join(dir, `fleet-${name}`);
      mkdirSync(dataDir, { recursive: true });
      const r = await runFleetLoad({
        cloud: target,
        gateways,
        assetsPerGateway: ASSETS_PER_GATEWAY,
        eventsPerGatewayS: (GATEWAYS * EVENTS_PER_GATEWAY_S) / gateways,
        durationS: SECONDS,
        drainTimeoutS: 20,
        dataDir,
        gatewayIdPrefix: `bench-${name}`,
      });
      if (!r.ok || !r.latencyMs)
        throw new Error(
          `fleet (${name}): ${r.lost} of ${r.committed} events not acknowledged, ${r.pendingAtEnd} pending after the drain`,
        );
      return r;
    };
    const single = await run(1, 'one');
    const fleet = await run(GATEWAYS, 'fleet');
    return [
      result('fleet', GATEWAYS, 'events/s', fleet.deliveredPerS, '1-gateway-same-load', single.deliveredPerS),
      result(
        'fleet-p99-latency',
        GATEWAYS,
        's',
        fleet.latencyMs!.p99 / 1000,
        '1-gateway-same-load',
        single.latencyMs!.p99 / 1000,
      ),
    ];
  } finally {
    cloud?.kill('SIGTERM');
    await store.close();
  }
}
