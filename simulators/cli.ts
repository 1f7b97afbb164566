import { Command } from 'commander';
import { integerIn, nonNegativeNumber, oneOf, positiveNumber, speedFactor } from '../shared/cli-options.js';
import { stopOnSignals } from '../shared/shutdown.js';
import { fleetSimCommand } from './fleet/fleet-command.js';
import { modbusSimCommand } from './modbus/modbus-command.js';
import { opcuaSimCommand } from './opcua/opcua-command.js';
import { leadTimeSimCommand, scenarioSimCommand } from './scenario/scenario-command.js';
import { FAULT_KINDS, type FaultKind } from './vibration/machine-model.js';
import { startVibrationSimulator } from './vibration/publisher.js';
import { type WaveformFormat, waveformFormatOption } from './waveform-format.js';

interface VibrationFlags {
  broker: string;
  prefix: string;
  asset: string;
  channel: string;
  fault: FaultKind;
  rpm: number;
  fs: number;
  samples: number;
  ramp: number;
  speed: number;
  frames: number;
  seed: number;
  format: WaveformFormat;
}

export function simCommand(): Command {
  const sim = new Command('sim').description('simulators that stand in for a plant');
  sim
    .command('vibration')
    .description("publish a machine's vibration waveforms over MQTT, with a fault that develops")
    .option('--broker <url>', 'MQTT broker', 'mqtt://127.0.0.1:1883')
    .option('--prefix <topic>', 'topic prefix', 'plantwatch')
    .option('--asset <id>', 'asset id', 'pump-1')
    .option('--channel <id>', 'channel id', 'de-accel')
    .option('--fault <kind>', `fault: ${FAULT_KINDS.join(', ')}`, oneOf(FAULT_KINDS), 'unbalance')
    .option('--rpm <n>', 'shaft speed', positiveNumber, 1780)
    .option('--fs <Hz>', 'sample rate', positiveNumber, 12_800)
    .option('--samples <n>', 'samples per waveform', integerIn(64, 1_048_576), 8192)
    .option('--ramp <s>', 'simulated seconds for the fault to reach full severity', nonNegativeNumber, 60)
    .option('--speed <factor>', 'time-scale: 1 = real time, 10 or 10x = ten times faster', speedFactor, 1)
    .option('--frames <n>', 'stop after n waveforms (0 = run until Ctrl-C)', integerIn(0, 10_000_000), 0)
    .option('--seed <n>', 'random seed, for reproducible signals', integerIn(0, 2 ** 31), 1)
    .addOption(waveformFormatOption('--format'))
    .action(async (flags: VibrationFlags) => {
      const simulator = await startVibrationSimulator({
        brokerUrl: flags.broker,
        topicPrefix: flags.prefix,
        assetId: flags.asset,
        channel: flags.channel,
        fault: flags.fault,
        rpm: flags.rpm,
        sampleRateHz: flags.fs,
        samplesPerFrame: flags.samples,
        rampS: flags.ramp,
        speed: flags.speed,
        frames: flags.frames,
        seed: flags.seed,
        format: flags.format,
        onFrame: ({ frame, severity, simulatedS }) => {
          if (frame % 10 === 0) {
            console.error(
              `frame ${frame}  t=${simulatedS.toFixed(1)} s  ${flags.fault} severity ${(severity * 100).toFixed(0)} %`,
            );
          }
        },
      });
      stopOnSignals(() => simulator.stop());
      await simulator.done;
      await simulator.stop();
    });
  sim.addCommand(opcuaSimCommand());
  sim.addCommand(modbusSimCommand());
  sim.addCommand(scenarioSimCommand());
  sim.addCommand(leadTimeSimCommand());
  sim.addCommand(fleetSimCommand());
  return sim;
}
