-- Invalidations the CDN refuses for good. A failed batch is retried with capped exponential backoff
-- (next_attempt_at); after cdn.invalidationMaxAttempts attempts, or at once when the CDN rejects the
-- request itself, it is parked: kept, listed ('publisher invalidations') and alerted on, but no longer
-- holding back the outbox rows that waited on it. 'publisher invalidations --retry ID' makes it pending again.
-- A delivery claims a due batch by moving next_attempt_at forward (a lease), so two publishers never send
-- the same batch at once.

alter table pending_invalidations
    add column state           text        not null default 'pending' check (state in ('pending', 'parked')),
    add column next_attempt_at timestamptz not null default now(),
    add column parked_at       timestamptz null;

create index pending_invalidations_due on pending_invalidations (next_attempt_at) where state = 'pending';
