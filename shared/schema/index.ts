export * from './access.js';
export * from './asset.js';
export * from './diagnosis.js';
export * from './features.js';
export * from './ingest.js';
export * from './mqtt-payloads.js';
export * from './outbox-event.js';
export * from './reading.js';
export * from './telemetry.js';
export * from './review.js';
export * from './ticket.js';
export * from './waveform.js';
export * from './ticket-change.js';
export * from './audit.js';
export * from './earlier-spectra.js';

export * from './report.js';
