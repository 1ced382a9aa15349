-- Product images (docs/images.md). Sources are stored once by the SHA-256 of their bytes (an upload of the same
-- file twice, or one picture on many products, is one row); product_images orders a product's images; the
-- publisher records each variant it has uploaded in image_variants so it never encodes or uploads one twice.

create table image_sources (
    sha256       text        primary key check (sha256 ~ '^[0-9a-f]{64}$'),
    content_type text        not null check (content_type in ('image/jpeg', 'image/png', 'image/webp')),
    width        integer     not null check (width > 0),
    height       integer     not null check (height > 0),
    bytes        bytea       not null,
    created_at   timestamptz not null default now()
);

create table product_images (
    product_id bigint  not null references products (id) on delete cascade,
    position   integer not null check (position >= 0),
    sha256     text    not null references image_sources (sha256) on delete restrict,
    primary key (product_id, position)
);

-- A variant object (its store key, e.g. _immutable/img/{pipeline}/{sha256}-640.webp) the publisher has uploaded.
create table image_variants (
    key           text        primary key,
    source_sha256 text        not null,
    bytes         integer     not null,
    uploaded_at   timestamptz not null default now()
);

create index image_variants_source on image_variants (source_sha256);
