export * from './diagnosis.js';
export * from './features.js';
export * from './ingest.js';
export * from './mqtt-payloads.js';
export * from './outbox-event.js';
export * from './reading.js';
export * from './ticket.js';
export * from './waveform.js';
