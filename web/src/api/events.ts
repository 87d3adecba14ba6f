/** GET /api/v1/events, /events/:id, /rules and /hooks as the UI reads them. */

// The contract's description of the answers, the CLI's and the server's too: one definition for all.
export type {
  RuleOutcome,
  RuleMatchView as RuleMatch,
  EventView as EventSummary,
  EventsResponse as EventPage,
  ChainNodeView as ChainNode,
  EventDetailResponse as EventDetail,
  RuleView as Rule,
  HookView as Hook,
} from '../../../src/contract/events.js';
