-- CloudFront cache-tag invalidation: a pending batch may name tags ("#config") that cover some of its
-- paths. The tags were chosen from the tags the live objects carried when the batch was recorded.

alter table pending_invalidations
    add column tags         text[] not null default '{}',
    add column tagged_paths text[] not null default '{}';
