-- Invalidations the publisher owes the CDN: written in the same transaction as the publish that made
-- them necessary, deleted once the CDN accepted them. A failed one stays and the next run sends it.

create table pending_invalidations (
    id          bigint generated always as identity primary key,
    version     bigint      not null references publishes (version),
    paths       text[]      not null,
    created_at  timestamptz not null default now(),
    attempts    integer     not null default 0,
    last_error  text        null
);
