-- The change outbox (written in the same transaction as the admin change it records) and the
-- publishes (one row per version; the live manifest is the newest succeeded one).

create table outbox (
    id           bigint generated always as identity primary key,
    entity_type  text        not null check (entity_type in ('product', 'category', 'site_config')),
    entity_id    bigint      not null,
    change       text        not null check (change in ('created', 'updated', 'deleted')),
    created_at   timestamptz not null default now(),
    processed_at timestamptz null
);

create index outbox_unprocessed on outbox (id) where processed_at is null;

create sequence publish_version_seq as bigint start with 1;

create table publishes (
    version            bigint      primary key default nextval('publish_version_seq'),
    state              text        not null check (state in ('running', 'succeeded', 'failed')),
    trigger            text        not null,
    started_at         timestamptz not null default now(),
    finished_at        timestamptz null,
    artifacts_total    integer     null,
    artifacts_uploaded integer     null,
    bytes_uploaded     bigint      null,
    paths_invalidated  integer     null,
    error              text        null,
    manifest           jsonb       null
);

alter sequence publish_version_seq owned by publishes.version;

create index publishes_succeeded on publishes (version desc) where state = 'succeeded';
