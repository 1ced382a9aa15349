-- The admin API's transactional outbox: every admin write commits its catalog change and one outbox row
-- together (and NOTIFYs static_outbox). Republish requests are outbox rows too. The publisher marks a row
-- processed only after the publish that includes it and that publish's invalidation succeeded.

alter table outbox
    drop constraint outbox_entity_type_check,
    drop constraint outbox_change_check,
    alter column entity_id drop not null,
    add column payload           jsonb   null,
    add column published_version bigint  null,
    add column attempts          integer not null default 0,
    add column last_error        text    null;

alter table outbox
    add constraint outbox_entity_type_check check (entity_type in ('product', 'category', 'site_config', 'republish')),
    add constraint outbox_change_check check (change in ('created', 'updated', 'deleted', 'requested'));
