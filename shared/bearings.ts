/**
 * Bearing defect frequencies as multiples of the shaft frequency (rpm / 60), for a rotating inner
 * ring and a fixed outer ring. `bsf` is the ball (roller) spin frequency; a rolling-element defect
 * strikes both races once per spin, so its envelope line sits at 2 × bsf.
 */
export interface DefectMultiples {
  bpfo: number;
  bpfi: number;
  bsf: number;
  ftf: number;
}

export interface BearingGeometry {
  /** Rolling elements per row. */
  rollingElements: number;
  rollingElementDiameter: number;
  /** Same unit as the rolling-element diameter. */
  pitchDiameter: number;
  contactAngleDeg: number;
}

/** The standard kinematic formulas (e.g. Randall & Antoni 2011, eqs. 1–4), no slip. */
export function defectMultiples(geometry: BearingGeometry): DefectMultiples {
  const { rollingElements: n, rollingElementDiameter: d, pitchDiameter: pitch, contactAngleDeg } = geometry;
  const ratio = (d / pitch) * Math.cos((contactAngleDeg * Math.PI) / 180);
  return {
    ftf: 0.5 * (1 - ratio),
    bpfo: (n / 2) * (1 - ratio),
    bpfi: (n / 2) * (1 + ratio),
    bsf: (pitch / (2 * d)) * (1 - ratio * ratio),
  };
}

export interface CatalogBearing {
  id: string;
  description: string;
  geometry: BearingGeometry;
  source: string;
}

/** Geometry in inches, as the sources give it. */
export const BEARING_CATALOG: readonly CatalogBearing[] = [
  {
    id: 'skf-6205',
    description: 'SKF 6205-2RS JEM deep-groove ball bearing (CWRU drive end)',
    geometry: {
      rollingElements: 9,
      rollingElementDiameter: 0.3126,
      pitchDiameter: 1.537,
      contactAngleDeg: 0,
    },
    source: 'CWRU Bearing Data Center, bearing specifications; gives BPFI 5.4152, BPFO 3.5848, FTF 0.39828',
  },
  {
    id: 'skf-6203',
    description: 'SKF 6203-2RS JEM deep-groove ball bearing (CWRU fan end)',
    geometry: {
      rollingElements: 8,
      rollingElementDiameter: 0.2656,
      pitchDiameter: 1.122,
      contactAngleDeg: 0,
    },
    source: 'CWRU Bearing Data Center, bearing specifications; gives BPFI 4.9469, BPFO 3.0530, FTF 0.3817',
  },
  {
    id: 'rexnord-za-2115',
    description: 'Rexnord ZA-2115 double-row spherical roller bearing (IMS run-to-failure rig)',
    geometry: {
      rollingElements: 16,
      rollingElementDiameter: 0.331,
      pitchDiameter: 2.815,
      contactAngleDeg: 15.17,
    },
    source: 'Qiu et al. 2006 via the IMS data-set summaries; gives BPFO 236.4 Hz, BPFI 296.9 Hz at 2000 rpm',
  },
  {
    id: 'nice-mfpt',
    description: 'NICE roller bearing of the MFPT fault-data rig (8 rollers, 25 Hz input shaft)',
    geometry: {
      rollingElements: 8,
      rollingElementDiameter: 0.235,
      pitchDiameter: 1.245,
      contactAngleDeg: 0,
    },
    source:
      'MFPT Society condition-based maintenance fault database (Bechhoefer 2013), bearing parameters; gives BPFO 81.125 Hz, BPFI 118.875 Hz at 25 Hz',
  },
];

export function catalogBearing(id: string): CatalogBearing {
  const normalised = id
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
  const found = BEARING_CATALOG.find(
    (b) => b.id === normalised || b.id.replace(/^[a-z]+-/, '') === normalised,
  );
  if (!found) {
    throw new RangeError(
      `unknown bearing "${id}"; the catalog has ${BEARING_CATALOG.map((b) => b.id).join(', ')} ` +
        '(or give the multiples with --bpfo --bpfi --bsf --ftf)',
    );
  }
  return found;
}
