import type { Asset, Features, Finding, SpectrumSnapshot, Waveform } from '../../shared/schema/index.js';
import { catalogBearing, type DefectMultiples, defectMultiples } from '../../shared/bearings.js';
import { type Diagnosis, DiagnosisError, planDiagnosis, WindowDiagnoser } from './diagnosis.js';
import { analyseWaveform, windowOf } from './features.js';
import { DEFAULT_MACHINE_CLASS, isoZone } from './iso-20816.js';
import { refuseNonFinite } from './non-finite-sample.js';

/** What a ticket shows beside the numbers: plots with the lines marked, and the finding's evidence. */
export interface WaveformEvidence {
  spectrum: SpectrumSnapshot;
  envelopeSpectrum?: SpectrumSnapshot;
  findings: Finding[];
}

export interface WaveformAnalysis {
  features: Features;
  /** Made only when a ticket needs it, and only valid until the channel's next waveform is analysed. */
  evidence(): WaveformEvidence;
  /** Why the full diagnosis could not run on this waveform (features then come from the basic path). */
  diagnosisProblem?: string;
}

const ENVELOPE_FEATURES = {
  BPFO: 'bpfoEnvelopeSnr',
  BPFI: 'bpfiEnvelopeSnr',
  '2×BSF': 'bsfEnvelopeSnr',
  FTF: 'ftfEnvelopeSnr',
} as const;

/** A plan is reused while the waveform's shape and the shaft speed stay put (within 0.5 %). */
const RPM_TOLERANCE = 0.005;

function bearingOf(asset: Asset | undefined): DefectMultiples | undefined {
  if (!asset?.bearing) return undefined;
  if (typeof asset.bearing === 'string') return defectMultiples(catalogBearing(asset.bearing).geometry);
  return asset.bearing;
}

function diagnosisFeatures(waveform: Waveform, diagnosis: Diagnosis): Features {
  const d = diagnosis.features;
  const window = windowOf(waveform);
  // Field by field: spreading `window` into this literal took V8's slow path, 28 µs per call
  // (7 % of a whole analysis) against 2 µs.
  const features: Features = {
    ts: window.ts,
    assetId: window.assetId,
    channel: window.channel,
    windowStart: window.windowStart,
    windowEnd: window.windowEnd,
    sampleRateHz: window.sampleRateHz,
    accelUnit: window.accelUnit,
    accelRms: d.rms,
    accelPeak: d.peak,
    velocityRmsMmS: d.velocityRmsMmS,
    crestFactor: d.crestFactor,
    kurtosis: d.kurtosis,
    rpm: d.shaftHz * 60,
    isoZone: d.isoZone,
    order1xMmS: d.runningSpeedMmS['1x'],
    order2xMmS: d.runningSpeedMmS['2x'],
    order3xMmS: d.runningSpeedMmS['3x'],
    findings: Object.fromEntries(diagnosis.findings.map((f) => [f.fault, f.confidence])),
  };
  for (const [label, line] of Object.entries(d.envelope?.lines ?? {})) {
    const name = ENVELOPE_FEATURES[label as keyof typeof ENVELOPE_FEATURES];
    if (name) features[name] = line.snr;
  }
  return features;
}

interface ChannelDiagnoser {
  diagnoser: WindowDiagnoser;
  /** The speed the plan was made for; undefined for a plan over the asset's rpmRange. */
  rpm: number | undefined;
  sampleRateHz: number;
  /** Samples the plan was made for. */
  length: number;
}

/**
 * The signal step of the edge: each waveform becomes features through the diagnosis engine when
 * the asset's shaft speed is known (from the waveform, a speed reading, or the asset's nominal
 * rpm) or can be searched for (the asset's rpmRange), and through the basic spectrum otherwise. One diagnoser per asset channel keeps its buffers.
 */
export class WaveformAnalyser {
  private readonly assets: Map<string, Asset>;
  private readonly diagnosers = new Map<string, ChannelDiagnoser>();
  /**
   * The samples in float64, one buffer per waveform length shared by all channels: an analysis runs
   * to its end before the next starts, and a diagnoser keeps what it needs of them in its own state.
   * One per channel cost 128 KB each at 16,384 samples (8 MB for 64 channels).
   */
  private readonly sampleBuffers = new Map<number, Float64Array>();

  constructor(assets: readonly Asset[]) {
    this.assets = new Map(assets.map((a) => [a.id, a]));
  }

  asset(assetId: string): Asset | undefined {
    return this.assets.get(assetId);
  }

  analyse(waveform: Waveform, measuredRpm?: number): WaveformAnalysis {
    const asset = this.assets.get(waveform.assetId);
    const given = waveform.rpm ?? measuredRpm ?? asset?.rpm;
    const rpm = given !== undefined && given > 0 ? given : undefined;
    if (rpm === undefined && !asset?.rpmRange) return basicAnalysis(waveform, asset);
    let channel: ChannelDiagnoser;
    try {
      channel = this.diagnoserFor(waveform, rpm, asset);
    } catch (error) {
      if (!(error instanceof DiagnosisError)) throw error;
      return { ...basicAnalysis(waveform, asset), diagnosisProblem: error.message };
    }
    const diagnosis = channel.diagnoser.analyse(this.typed(waveform.samples));
    // Made now, not on demand: the waveform's samples may be handed back to carry another one.
    const basicSpectrum = diagnosis.features.windows === 0 ? analyseWaveform(waveform).spectrum : undefined;
    // Nothing of the diagnosis is kept for the evidence: the analysis is held per channel until the
    // channel's next one, and its findings would outlive V8's young generation for nothing (see
    // WindowDiagnoser.findings); the diagnoser makes them again from its state when asked.
    return {
      features: diagnosisFeatures(waveform, diagnosis),
      evidence: () => {
        const findings = channel.diagnoser.findings();
        if (basicSpectrum) return { spectrum: basicSpectrum, findings };
        const snapshots = channel.diagnoser.snapshots();
        return {
          spectrum: snapshots.velocity,
          ...(snapshots.envelope ? { envelopeSpectrum: snapshots.envelope } : {}),
          findings,
        };
      },
    };
  }

  /** Typed samples are read as they are; a JSON array is copied into the shared buffer of its length. */
  private typed(samples: Waveform['samples']): Float32Array | Float64Array {
    if (!Array.isArray(samples)) return samples;
    let buffer = this.sampleBuffers.get(samples.length);
    if (!buffer) this.sampleBuffers.set(samples.length, (buffer = new Float64Array(samples.length)));
    buffer.set(samples);
    return buffer;
  }

  /**
   * rpm undefined: a variable-speed asset with no speed given, searched over its rpmRange (one plan
   * for the whole range, so it is kept whatever speed each waveform turns out to have).
   */
  private diagnoserFor(
    waveform: Waveform,
    rpm: number | undefined,
    asset: Asset | undefined,
  ): ChannelDiagnoser {
    const key = `${waveform.assetId}/${waveform.channel}`;
    const cached = this.diagnosers.get(key);
    if (
      cached &&
      cached.length === waveform.samples.length &&
      cached.sampleRateHz === waveform.sampleRateHz &&
      (rpm === undefined
        ? cached.rpm === undefined
        : cached.rpm !== undefined && Math.abs(cached.rpm - rpm) <= RPM_TOLERANCE * rpm)
    ) {
      return cached;
    }
    const bearing = bearingOf(asset);
    const plan = planDiagnosis(waveform.samples.length, {
      sampleRateHz: waveform.sampleRateHz,
      ...(rpm !== undefined ? { rpm } : { rpmRange: asset!.rpmRange! }),
      unit: waveform.unit,
      ...(bearing ? { bearing } : {}),
      ...(asset?.machineClass ? { machineClass: asset.machineClass } : {}),
    });
    const channel = {
      diagnoser: new WindowDiagnoser(plan),
      rpm,
      length: waveform.samples.length,
      sampleRateHz: waveform.sampleRateHz,
    };
    this.diagnosers.set(key, channel);
    return channel;
  }
}

/** Without a shaft speed there are no orders or defect lines, but broadband level and ISO zone still apply. */
function basicAnalysis(waveform: Waveform, asset: Asset | undefined): WaveformAnalysis {
  const { features, spectrum } = analyseWaveform(waveform);
  refuseNonFinite(waveform.samples, features.accelRms, features.accelPeak);
  features.isoZone = isoZone(features.velocityRmsMmS, asset?.machineClass ?? DEFAULT_MACHINE_CLASS);
  return { features, evidence: () => ({ spectrum, findings: [] }) };
}
