import { createHash, randomBytes } from 'node:crypto';
import type { Fault, OutboxEvent, Ticket, TicketStatus } from '../../shared/schema/index.js';

export interface ApplyResult {
  /** Highest seq stored with no gap below it: what the gateway may forget. */
  ackedSeq: number;
  applied: number;
  duplicates: number;
  /** Events stored but not yet applied because an earlier seq is missing. */
  heldBehindGap: number;
}

export interface TicketFilter {
  status?: TicketStatus;
  site?: string;
  assetId?: string;
  fault?: Fault;
  limit: number;
  /** Exclusive: tickets with an id below this (ids are time-ordered ULIDs, newest first). */
  cursor?: string;
}

export interface TicketPage {
  tickets: Ticket[];
  nextCursor?: string;
}

export interface GatewaySummary {
  gatewayId: string;
  lastSeen?: string;
  ackedSeq: number;
  eventsReceived: number;
  duplicatesIgnored: number;
  /** Events held because of a missing seq, and the first missing seq. */
  gap?: { firstMissingSeq: number; heldEvents: number };
}

export interface GatewayTokenInfo {
  gatewayId: string;
  tokenPrefix: string;
  createdAt: string;
  revokedAt?: string;
}

/**
 * Cloud persistence. Async although SQLite is synchronous, so the PostgreSQL store (scale-out)
 * fits behind the same interface.
 */
export interface CloudStore {
  applyEvents(gatewayId: string, events: OutboxEvent[]): Promise<ApplyResult>;
  listTickets(filter: TicketFilter): Promise<TicketPage>;
  getTicket(id: string): Promise<Ticket | undefined>;
  gateways(): Promise<GatewaySummary[]>;
  /** Returns the new token in clear: it is shown once and only its hash is stored. */
  createGatewayToken(gatewayId: string): Promise<string>;
  gatewayForToken(token: string): Promise<string | undefined>;
  revokeGatewayTokens(gatewayId: string): Promise<number>;
  listGatewayTokens(): Promise<GatewayTokenInfo[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Gateway tokens are 256 random bits, so a plain SHA-256 is enough to store them: a slow password
 * hash protects guessable secrets, and these are not guessable.
 */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export const newGatewayToken = (): string => `pwgw_${randomBytes(32).toString('base64url')}`;

/** Merges a ticket as the edge sees it with the engineer-owned fields the cloud keeps. */
export const mergeEdgeTicket = (edge: Ticket, existing: Ticket | undefined): Ticket =>
  existing ? { ...edge, status: existing.status } : edge;
