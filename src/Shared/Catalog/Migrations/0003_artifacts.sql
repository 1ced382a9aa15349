-- The live manifest in relational form, which is also the dependency index: one row per published stable
-- path with its body hash, a fingerprint of its headers, and the dependency keys it was rendered from.
-- Updated in the same transaction that records a publish as succeeded.

create table artifacts (
    path            text    primary key,
    sha256          text    not null check (sha256 ~ '^[0-9a-f]{64}$'),
    headers_hash    text    not null,
    size            integer not null check (size >= 0),
    shard           text    not null,
    dependency_keys text[]  not null,
    version         bigint  not null
);

-- "Which artifacts depended on product:12 or category:3:list?" is one index lookup.
create index artifacts_dependency_keys on artifacts using gin (dependency_keys);

-- The version of every entity as of the live publish, and for products the listings they were in
-- (category:{id}:list, featured), so that leaving a listing re-renders the listing it left.
create table published_entities (
    entity_key   text   primary key,
    row_version  bigint not null,
    listing_keys text[] not null default '{}'
);

alter table publishes
    add column artifacts_unchanged integer null,
    add column objects_deleted     integer null,
    add column manifest_sha256     text    null,
    add column full_render         boolean not null default false,
    -- A fingerprint of the settings that shape artifacts (site name, page sizes, Cache-Control, sharding):
    -- when it differs from the live one, an incremental publish renders everything.
    add column settings_hash       text    null;
