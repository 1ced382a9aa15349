-- Publisher operations: a rollback pins a version (scheduled and incremental publishes pause until
-- `publisher resume`), and each publishes row says which version a rollback restored.

create table publisher_state (
    id             integer     primary key default 1 check (id = 1),
    pinned_version bigint      null references publishes (version),
    pinned_at      timestamptz null
);

insert into publisher_state (id) values (1);

alter table publishes
    add column restored_version bigint null references publishes (version);
